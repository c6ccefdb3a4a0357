"""One typed settings object, read from DEALERNET_* environment variables and checked at start-up."""

from __future__ import annotations

import enum
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]  # platform/core/settings.py


class Environment(enum.StrEnum):
    development = "development"
    test = "test"
    production = "production"


class SettingsError(Exception):
    """The environment does not describe a runnable platform; the message says what to fix."""


class Settings(BaseSettings):
    """Everything the platform reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="DEALERNET_", frozen=True, extra="ignore")

    env: Environment = Environment.development
    # A PostgreSQL URL whose user may create roles and databases (a superuser on a fresh server);
    # unset means the embedded server under data_dir. The API itself never logs in as this user.
    database_url: str | None = None
    # The database's name; defaults to the URL's, or dealernet / dealernet_test on the embedded server.
    database: str | None = None
    redis_url: str | None = None
    data_dir: Path = Field(default_factory=lambda: Path.cwd() / ".dealernet")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # The secret the token signing keys are encrypted with in the database (they are rotated with
    # `dealernet keys rotate`); development generates one under data_dir when unset.
    signing_key: str | None = None
    # Where people reach the web app: invitation links point here. Defaults to http://host:port.
    public_url: str = ""
    token_issuer: str = "dealernet"  # noqa: S105 - a name, not a secret
    token_audience: str = "dealernet-api"  # noqa: S105 - a name, not a secret
    access_token_seconds: int = Field(default=900, ge=60, le=86_400)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    # Failed logins within the window: an account from one client address is locked after the first number,
    # an account from everywhere after the second (NIST's ceiling of 100), an address after the third.
    login_lock_after: int = Field(default=10, ge=1, le=100)
    login_account_lock_after: int = Field(default=100, ge=1, le=100)
    login_address_lock_after: int = Field(default=100, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    # Public registration of applicants (no captcha): so many per client address and per e-mail address
    # within the window.
    registrations_per_address: int = Field(default=5, ge=1)
    registrations_per_email: int = Field(default=3, ge=1)
    registration_window_seconds: int = Field(default=3600, ge=1)
    demo_seed: bool = True
    # A server process freezes its start-up heap and collects its youngest generation less often (app.tune_gc);
    # off for processes that host the app among other work (the test suite).
    tune_gc: bool = True
    # The list pages answered by one SQL statement building the JSON (graphql/compiled.py); off, the resolvers
    # answer everything (the equivalence tests compare the two).
    compiled_pages: bool = True
    # How long a running job's lock outlives its worker: a killed worker's job runs again this soon.
    job_lease_seconds: int = Field(default=30, ge=1, le=600)
    # Where uploaded files go: unset means a directory under data_dir; else file:///abs/dir or any
    # S3-compatible store, s3://bucket/prefix, configured by storage_options (JSON: endpoint, region,
    # access_key_id, secret_access_key — obstore's S3 settings).
    storage_url: str | None = None
    storage_options: dict[str, str] = Field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    # Production's /metrics answers only `Authorization: Bearer <metrics_token>` (the scraper's); without a
    # token it is closed. Development leaves it open.
    metrics_token: str | None = None

    log_level: str = "INFO"
    migrations_dir: Path = REPO_ROOT / "migrations"

    @field_validator("database_url")
    @classmethod
    def _plain_postgres_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("postgresql", "postgres"):
            raise ValueError(
                "DEALERNET_DATABASE_URL must look like postgresql://user@host:5432/dbname "
                f"(got scheme {parts.scheme!r})"
            )
        if not parts.path.strip("/"):
            raise ValueError(
                "DEALERNET_DATABASE_URL must name a database, e.g. postgresql://postgres@127.0.0.1:5432/dealernet"
            )
        if not parts.username:
            raise ValueError(
                "DEALERNET_DATABASE_URL must name a user, e.g. postgresql://postgres@127.0.0.1:5432/dealernet"
            )
        return value

    @field_validator("redis_url")
    @classmethod
    def _plain_redis_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if urlsplit(value).scheme not in ("redis", "rediss", "unix"):
            raise ValueError("DEALERNET_REDIS_URL must look like redis://host:6379/0")
        return value

    @model_validator(mode="after")
    def _production_is_explicit(self) -> Settings:
        if self.env is Environment.production:
            missing = [
                name
                for name, value in (
                    ("DEALERNET_DATABASE_URL", self.database_url),
                    ("DEALERNET_SIGNING_KEY", self.signing_key),
                )  # DEALERNET_REDIS_URL too, for what uses Redis (resolve_servers): `migrate` needs none
                if not value
            ]
            if missing:
                raise ValueError(
                    "production refuses the embedded defaults and generated keys; set " + ", ".join(missing)
                )
            if len(self.signing_key or "") < 32:
                raise ValueError("DEALERNET_SIGNING_KEY must be at least 32 characters in production")
        return self

    @property
    def is_production(self) -> bool:
        return self.env is Environment.production

    @property
    def uses_embedded(self) -> bool:
        return self.database_url is None or self.redis_url is None

    @property
    def database_name(self) -> str:
        if self.database:
            return self.database
        if self.database_url is None:
            return "dealernet_test" if self.env is Environment.test else "dealernet"
        return urlsplit(self.database_url).path.strip("/")


def load_settings(**overrides: object) -> Settings:
    """Read the environment, turning pydantic's report into one readable message."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}" for err in exc.errors()]
        raise SettingsError("invalid Dealernet settings:\n" + "\n".join(lines)) from None
