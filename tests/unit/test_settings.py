"""Settings: plain URLs, clear messages, and production refusing every development default."""

from __future__ import annotations

import pytest

from dealernet.core.embedded import resolve_database, resolve_servers
from dealernet.core.settings import Environment, SettingsError, load_settings

PRODUCTION = {
    "env": "production",
    "database_url": "postgresql://dealernet@db.internal:5432/dealernet",
    "redis_url": "redis://cache.internal:6379/0",
    "signing_key": "k" * 48,
}


def test_plain_urls_are_accepted() -> None:
    settings = load_settings(**PRODUCTION)
    assert settings.env is Environment.production
    assert settings.database_name == "dealernet"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("database_url", "mysql://root@localhost/x", "postgresql://user@host:5432"),
        ("database_url", "postgresql://postgres@localhost:5432", "must name a database"),
        ("redis_url", "http://localhost:6379", "redis://host:6379/0"),
        ("env", "staging", "env"),
    ],
)
def test_bad_values_are_explained(field: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(**{field: value})


@pytest.mark.parametrize("missing", ["database_url", "signing_key"])
def test_production_refuses_defaults(missing: str) -> None:
    with pytest.raises(SettingsError, match=f"DEALERNET_{missing.upper()}"):
        load_settings(**{**PRODUCTION, missing: None})


def test_production_needs_redis_only_where_redis_is_used() -> None:
    """Issue 14 item 21: `dealernet migrate` refused to run without a Redis URL it does not need."""
    settings = load_settings(**{**PRODUCTION, "redis_url": None})
    assert resolve_database(settings) == PRODUCTION["database_url"]
    with pytest.raises(SettingsError, match="DEALERNET_REDIS_URL"):
        resolve_servers(settings)


def test_production_refuses_a_short_signing_key() -> None:
    with pytest.raises(SettingsError, match="at least 32"):
        load_settings(**{**PRODUCTION, "signing_key": "short"})
