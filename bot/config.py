"""Settings: the environment contract in DESIGN.md, validated once at start-up."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_VAR = Path("var")
METRICS_TOKEN_MIN = 32


class SettingsError(SystemExit):
    """A bad or missing setting: start-up stops with one line naming it."""

    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class BadSetting(ValueError):
    """A rule across settings, broken: names the one setting that breaks it."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


# Settings that point at a real Slack workspace, Teams tenant or Entra directory: the demo
# (invented people, a become-anyone sign-in, everyone's links in the playground) refuses them.
REAL_CREDENTIALS = (
    "slack_signing_secret",
    "slack_bot_token",
    "slack_client_id",
    "slack_client_secret",
    "slack_app_token",
    "teams_app_id",
    "teams_app_password",
    "teams_tenant_id",
    "entra_client_id",
    "entra_client_secret",
    "entra_authority",
)
LOOPBACK = "127.0.0.1,::1"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    # Fail closed: only an explicit FLARE_ENV (`make run`, a test harness) leaves production.
    env: Literal["production", "demo", "test"] = Field(
        default="production", validation_alias=_env("FLARE_ENV")
    )
    database_url: str = Field(default="", validation_alias=_env("FLARE_DATABASE_URL"))
    public_url: str = Field(
        default="http://127.0.0.1:8000", validation_alias=_env("FLARE_PUBLIC_URL")
    )
    master_keys: str = Field(default="", validation_alias=_env("FLARE_MASTER_KEYS"))
    var_dir: Path = Field(default=DEFAULT_VAR, validation_alias=_env("FLARE_VAR_DIR"))
    host: str = Field(default="127.0.0.1", validation_alias=_env("FLARE_HOST"))
    port: int = Field(default=8000, ge=1, le=65535, validation_alias=_env("FLARE_PORT"))
    # /metrics: on its own listener (off the public port) and/or behind a bearer token;
    # with neither, the public app answers 404 (docs/operations.md).
    metrics_port: int | None = Field(
        default=None, ge=1, le=65535, validation_alias=_env("FLARE_METRICS_PORT")
    )
    metrics_token: str = Field(default="", validation_alias=_env("FLARE_METRICS_TOKEN"))
    link_ttl_hours: float = Field(
        default=72, gt=0, le=24 * 30, validation_alias=_env("FLARE_LINK_TTL_HOURS")
    )
    outbox_interval_seconds: float = Field(
        default=1.0, gt=0, validation_alias=_env("FLARE_OUTBOX_INTERVAL_SECONDS")
    )
    run_worker_in_serve: bool = Field(default=True, validation_alias=_env("FLARE_SERVE_WORKER"))
    log_level: str = Field(default="INFO", validation_alias=_env("FLARE_LOG_LEVEL"))

    slack_signing_secret: str = Field(default="", validation_alias=_env("SLACK_SIGNING_SECRET"))
    slack_bot_token: str = Field(default="", validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_client_id: str = Field(default="", validation_alias=_env("SLACK_CLIENT_ID"))
    slack_client_secret: str = Field(default="", validation_alias=_env("SLACK_CLIENT_SECRET"))
    slack_app_token: str = Field(default="", validation_alias=_env("SLACK_APP_TOKEN"))
    slack_api_url: str = Field(
        default="https://slack.com/api/", validation_alias=_env("SLACK_API_URL")
    )

    teams_app_id: str = Field(default="", validation_alias=_env("TEAMS_APP_ID"))
    teams_app_password: str = Field(default="", validation_alias=_env("TEAMS_APP_PASSWORD"))
    teams_tenant_id: str = Field(default="", validation_alias=_env("TEAMS_TENANT_ID"))
    teams_openid_metadata_url: str = Field(
        default="https://login.botframework.com/v1/.well-known/openidconfiguration",
        validation_alias=_env("TEAMS_OPENID_METADATA_URL"),
    )
    # Teams outbound: the login host msal uses (tests point it at a fake) and the Bot
    # Connector to create 1:1 chats on when no conversation is stored yet.
    teams_authority_url: str = Field(default="", validation_alias=_env("TEAMS_AUTHORITY_URL"))
    teams_service_url: str = Field(
        default="https://smba.trafficmanager.net/teams/", validation_alias=_env("TEAMS_SERVICE_URL")
    )

    entra_client_id: str = Field(default="", validation_alias=_env("ENTRA_CLIENT_ID"))
    entra_client_secret: str = Field(default="", validation_alias=_env("ENTRA_CLIENT_SECRET"))
    entra_authority: str = Field(default="", validation_alias=_env("ENTRA_AUTHORITY"))

    # Follow-through: outbox, sweeps, scheduler (docs/operations.md).
    bank_holiday_region: Literal["england-and-wales", "scotland", "northern-ireland"] = Field(
        default="england-and-wales", validation_alias=_env("FLARE_BANK_HOLIDAY_REGION")
    )
    outbox_max_attempts: int = Field(
        default=8, ge=1, le=100, validation_alias=_env("FLARE_OUTBOX_MAX_ATTEMPTS")
    )
    outbox_lease_seconds: float = Field(
        default=60, gt=0, le=3600, validation_alias=_env("FLARE_OUTBOX_LEASE_SECONDS")
    )
    sweep_interval_seconds: float = Field(
        default=60, gt=0, le=3600, validation_alias=_env("FLARE_SWEEP_INTERVAL_SECONDS")
    )
    digest_hour: int | None = Field(
        default=None, ge=0, le=23, validation_alias=_env("FLARE_DIGEST_HOUR")
    )
    pattern_concerns: int = Field(default=3, ge=2, validation_alias=_env("FLARE_PATTERN_CONCERNS"))
    pattern_organisations: int = Field(
        default=2, ge=1, validation_alias=_env("FLARE_PATTERN_ORGANISATIONS")
    )
    pattern_window_days: int = Field(
        default=30, ge=1, le=366, validation_alias=_env("FLARE_PATTERN_WINDOW_DAYS")
    )
    reminder_before_hours: float = Field(
        default=24, ge=0, validation_alias=_env("FLARE_REMINDER_BEFORE_HOURS")
    )
    follow_up_overdue_hours: float = Field(
        default=24, ge=0, validation_alias=_env("FLARE_FOLLOW_UP_OVERDUE_HOURS")
    )

    # --- web sign-in and sessions (docs/signin.md) ---
    slack_oidc_url: str = Field(
        default="https://slack.com", validation_alias=_env("SLACK_OIDC_URL")
    )
    session_idle_minutes: float = Field(
        default=15, gt=0, le=24 * 60, validation_alias=_env("FLARE_SESSION_IDLE_MINUTES")
    )
    session_absolute_hours: float = Field(
        default=8, gt=0, le=24 * 7, validation_alias=_env("FLARE_SESSION_ABSOLUTE_HOURS")
    )
    step_up_minutes: float = Field(
        default=15, gt=0, le=24 * 60, validation_alias=_env("FLARE_STEP_UP_MINUTES")
    )
    link_guesses_per_minute: float = Field(
        default=10, gt=0, validation_alias=_env("FLARE_LINK_GUESSES_PER_MINUTE")
    )
    link_guesses_global_per_minute: float = Field(
        default=600, gt=0, validation_alias=_env("FLARE_LINK_GUESSES_GLOBAL_PER_MINUTE")
    )
    # Proxies whose X-Forwarded-For names the client (addresses or networks, comma-separated).
    trusted_proxies: str = Field(default=LOOPBACK, validation_alias=_env("FLARE_TRUSTED_PROXIES"))

    @field_validator("public_url", "slack_oidc_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("teams_authority_url")
    @classmethod
    def _teams_authority_url(cls, value: str) -> str:
        if value and not value.startswith("https://"):
            raise ValueError("must start with https:// (msal accepts only https authorities)")
        return value.rstrip("/")

    @field_validator("teams_service_url")
    @classmethod
    def _teams_service_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value:
            return value  # filled in from FLARE_VAR_DIR below
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            backend = make_url(value).get_backend_name()
        except ArgumentError:
            raise ValueError("is not a database URL (sqlite:///path or postgresql://...)") from None
        if backend not in ("sqlite", "postgresql", "postgres"):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies(cls, value: str) -> str:
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        if entries == ["*"]:
            return "*"
        try:
            # uvicorn would take a mistyped entry as a literal host name and trust nothing
            return ",".join(str(ipaddress.ip_network(entry, strict=False)) for entry in entries)
        except ValueError:
            raise ValueError(
                "must be IP addresses or networks separated by commas (e.g. 10.0.0.0/8,::1), or *"
            ) from None

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token(cls, value: str) -> str:
        if value and len(value) < METRICS_TOKEN_MIN:
            raise ValueError(f"must be at least {METRICS_TOKEN_MIN} characters (a random secret)")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value.upper()

    @model_validator(mode="after")
    def _resolve(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.var_dir / 'flare.db').as_posix()}"
        if self.env == "production":
            if not self.master_keys:
                raise BadSetting(
                    "FLARE_MASTER_KEYS",
                    "is required in production (FLARE_ENV is production unless set to demo "
                    "or test); make one with `flare keys generate`",
                )
            if not self.public_url.startswith("https://"):
                raise BadSetting("FLARE_PUBLIC_URL", "must be https:// in production")
        if self.env == "demo":
            self._demo_stays_a_demo()
        if bool(self.slack_client_id) != bool(self.slack_client_secret):
            raise ValueError("SLACK_CLIENT_ID and SLACK_CLIENT_SECRET must be set together")
        if (self.slack_bot_token or self.slack_client_id) and not self.slack_signing_secret:
            raise ValueError("SLACK_SIGNING_SECRET is required when Slack is configured")
        if bool(self.teams_app_id) != bool(self.teams_app_password):
            raise ValueError("TEAMS_APP_ID and TEAMS_APP_PASSWORD must be set together")
        entra = (self.entra_client_id, self.entra_client_secret, self.entra_authority)
        if any(entra) and not all(entra):
            raise ValueError(
                "ENTRA_CLIENT_ID, ENTRA_CLIENT_SECRET and ENTRA_AUTHORITY must be set together"
            )
        if self.entra_authority and not self.entra_authority.startswith("https://"):
            raise ValueError("ENTRA_AUTHORITY must be an https:// URL")
        return self

    def _demo_stays_a_demo(self) -> None:
        """The demo never touches a real platform, sign-in or database."""
        for field in REAL_CREDENTIALS:
            if getattr(self, field):
                raise BadSetting(
                    ENV_NAMES[field],
                    "must not be set when FLARE_ENV=demo (the demo lets anyone sign in as "
                    "anyone); use FLARE_ENV=production with real credentials",
                )
        if not _sqlite_under(self.database_url, self.var_dir):
            raise BadSetting(
                "FLARE_DATABASE_URL",
                "FLARE_ENV=demo runs only on a SQLite file under FLARE_VAR_DIR "
                f"({self.var_dir}); unset it to use the demo database",
            )

    @model_validator(mode="after")
    def _metrics_port(self) -> Settings:
        if self.metrics_port is not None and self.metrics_port == self.port:
            raise ValueError("FLARE_METRICS_PORT must differ from FLARE_PORT (the public port)")
        return self

    @property
    def is_demo_like(self) -> bool:
        """Demo sign-in and the playground exist only here."""
        return self.env in ("demo", "test")

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_signing_secret and (self.slack_bot_token or self.slack_client_id))

    @property
    def teams_enabled(self) -> bool:
        return bool(self.teams_app_id and self.teams_app_password)

    @property
    def slack_signin_enabled(self) -> bool:
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def entra_signin_enabled(self) -> bool:
        return bool(self.entra_client_id and self.entra_client_secret and self.entra_authority)


ENV_NAMES: dict[str, str] = {
    name: (
        str(field.validation_alias.choices[0])
        if isinstance(field.validation_alias, AliasChoices)
        else name
    )
    for name, field in Settings.model_fields.items()
}


def _sqlite_under(url: str, var_dir: Path) -> bool:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return False
    return Path(parsed.database).resolve().is_relative_to(var_dir.resolve())


def load_settings(**overrides: object) -> Settings:
    """Read the environment; turn any problem into one line naming the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err.get("loc") or ()
        field = str(loc[0]) if loc else ""
        name = ENV_NAMES.get(field, field)
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, BadSetting):
            name = cause.name
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        line = f"flare: bad setting {name}: {message}" if name else f"flare: {message}"
        raise SettingsError(line) from None
