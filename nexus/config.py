"""Settings from the environment and an optional `.env` file (DESIGN.md §5, api.md §1.15).

Every problem with the configuration is raised as `ConfigError` carrying one line a person can act on.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from dotenv import dotenv_values

Env = Literal["development", "production", "test"]

DEFAULT_CORS = ("http://localhost:3000", "http://127.0.0.1:3000")
_POSTGRES_SCHEMES = ("postgresql", "postgres")


class ConfigError(Exception):
    """A configuration value is missing or wrong; the message is one line for the user."""


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed PostgreSQL URL: `conninfo` is what libpq accepts, `pooled` says whether a pooler sits in front."""

    conninfo: str
    pooled: bool

    @property
    def yoyo_url(self) -> str:
        """The same URL in yoyo's `postgresql+psycopg://` scheme (yoyo needs the driver in the scheme)."""
        parts = urlsplit(self.conninfo)
        return urlunsplit(("postgresql+psycopg", parts.netloc, parts.path, parts.query, parts.fragment))

    def redacted(self) -> str:
        """The URL without its password, for messages and logs."""
        parts = urlsplit(self.conninfo)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            user = userinfo.split(":", 1)[0]
            netloc = f"{user}:***@{host}" if ":" in userinfo else f"{user}@{host}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def parse_database_url(name: str, url: str) -> DatabaseUrl:
    """Validate a PostgreSQL URL and detect a pooler.

    A pooler is flagged by `pgbouncer=true` (Nexus's own parameter, removed before libpq sees it, since libpq rejects
    unknown URI parameters) or a Neon `-pooler` host.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ConfigError(f"{name} is not a valid URL: {exc}") from None
    if parts.scheme not in _POSTGRES_SCHEMES:
        raise ConfigError(
            f"{name} must start with postgresql:// (got {parts.scheme + '://' if parts.scheme else 'no scheme'})"
        )
    query = parse_qsl(parts.query, keep_blank_values=True)
    pooled = False
    kept: list[tuple[str, str]] = []
    for key, value in query:
        if key == "pgbouncer":
            pooled = value.lower() in ("true", "1", "yes")
            continue
        kept.append((key, value))
    host = parts.hostname or ""
    if "-pooler" in host:
        pooled = True
    if not parts.path.strip("/") and not any(k == "dbname" for k, _ in kept):
        raise ConfigError(f"{name} names no database (add /<dbname> to the URL)")
    conninfo = urlunsplit(("postgresql", parts.netloc, parts.path, urlencode(kept), ""))
    return DatabaseUrl(conninfo=conninfo, pooled=pooled)


def _int(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a whole number (got {raw!r})") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum} (got {value})")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be 1/0, true/false, yes/no or on/off (got {raw!r})")


def default_data_dir() -> Path:
    """Where `nexus up` keeps its embedded database and generated dev secret.

    Root gets a system location (`/var/lib/nexus`) because the unprivileged server user cannot enter `/root`, and
    we never loosen the permissions of anyone's home directory.
    """
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/var/lib/nexus")
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "nexus"


SUGGESTERS: Final = ("deterministic",)  # reconciliation suggesters shipped (domain.md §9.1)


@dataclass(frozen=True)
class Settings:
    env: Env = "development"
    database: DatabaseUrl | None = None
    direct: DatabaseUrl | None = None
    read: DatabaseUrl | None = None
    jwt_secret: str | None = None
    cors_origins: tuple[str, ...] = DEFAULT_CORS
    access_ttl: int = 900
    refresh_ttl: int = 604800
    statement_timeout_ms: int = 5000
    registration_open: bool = True
    trust_proxy: bool = False
    delivery_worker: bool = True
    recon_suggester: str = "deterministic"
    password_profile: Literal["default", "test"] = "default"  # noqa: S105 - a profile name, not a password
    web_root: Path | None = None
    data_dir: Path = field(default_factory=default_data_dir)

    @property
    def embedded(self) -> bool:
        """True when no DATABASE_URL is set: `nexus up` runs its own PostgreSQL."""
        return self.database is None

    def with_database(self, url: str) -> Settings:
        """These settings pointed at another database (used for the embedded server and by tests)."""
        parsed = parse_database_url("DATABASE_URL", url)
        return Settings(**{**self.__dict__, "database": parsed, "direct": parsed})

    def jwt_secret_or_generate(self) -> str:
        """The HS256 secret: configured, or in development generated once and kept in the data directory."""
        if self.jwt_secret:
            return self.jwt_secret
        if self.env == "production":
            raise ConfigError("NEXUS_JWT_SECRET is required when NEXUS_ENV=production")
        path = self.data_dir / "jwt-secret"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secret)
        return secret


def load_settings(environ: Mapping[str, str] | None = None, dotenv: Path | None = None) -> Settings:
    """Read settings from `environ` (default: the process environment) over a `.env` file in the working directory.

    Real environment variables win over `.env` entries.
    """
    env: dict[str, str] = {}
    dotenv_path = dotenv if dotenv is not None else Path.cwd() / ".env"
    if dotenv_path.is_file():
        env.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    env.update(os.environ if environ is None else environ)

    raw_env = env.get("NEXUS_ENV", "development").strip().lower() or "development"
    if raw_env not in ("development", "production", "test"):
        raise ConfigError(f"NEXUS_ENV must be development, production or test (got {raw_env!r})")
    nexus_env: Env = raw_env  # type: ignore[assignment]

    database = direct = read = None
    if env.get("DATABASE_URL", "").strip():
        database = parse_database_url("DATABASE_URL", env["DATABASE_URL"])
    if env.get("DIRECT_URL", "").strip():
        direct = parse_database_url("DIRECT_URL", env["DIRECT_URL"])
        if direct.pooled:
            raise ConfigError("DIRECT_URL must point at PostgreSQL itself, not at a pooler (migrations need it)")
    elif database is not None:
        direct = database
    if env.get("DATABASE_READ_URL", "").strip():
        read = parse_database_url("DATABASE_READ_URL", env["DATABASE_READ_URL"])
    if database is None and direct is not None:
        raise ConfigError("DIRECT_URL is set but DATABASE_URL is not; set both, or neither for the embedded server")

    secret = env.get("NEXUS_JWT_SECRET") or None
    if secret is not None and len(secret.encode()) < 32:
        raise ConfigError("NEXUS_JWT_SECRET must be at least 32 bytes long")
    if nexus_env == "production" and secret is None:
        raise ConfigError("NEXUS_JWT_SECRET is required when NEXUS_ENV=production")

    origins_raw = env.get("CORS_ORIGINS")
    origins = (
        tuple(o.strip().rstrip("/") for o in origins_raw.split(",") if o.strip())
        if origins_raw is not None
        else DEFAULT_CORS
    )
    if "*" in origins:
        raise ConfigError("CORS_ORIGINS must list exact origins; '*' is not allowed")

    profile_raw = env.get("NEXUS_PASSWORD_PROFILE", "default").strip().lower() or "default"
    if profile_raw not in ("default", "test"):
        raise ConfigError(f"NEXUS_PASSWORD_PROFILE must be default or test (got {profile_raw!r})")
    if profile_raw == "test" and nexus_env == "production":
        raise ConfigError("NEXUS_PASSWORD_PROFILE=test is refused when NEXUS_ENV=production")

    registration = env.get("NEXUS_REGISTRATION", "open").strip().lower() or "open"
    if registration not in ("open", "closed"):
        raise ConfigError(f"NEXUS_REGISTRATION must be open or closed (got {registration!r})")

    web_root = Path(env["NEXUS_WEB_ROOT"]).expanduser() if env.get("NEXUS_WEB_ROOT", "").strip() else None
    if web_root is not None and not (web_root / "index.html").is_file():
        raise ConfigError(f"NEXUS_WEB_ROOT={web_root} has no index.html")

    suggester = env.get("NEXUS_RECON_SUGGESTER", "").strip() or "deterministic"
    if suggester not in SUGGESTERS:
        raise ConfigError(f"NEXUS_RECON_SUGGESTER must be one of {', '.join(SUGGESTERS)}, not {suggester!r}")

    data_dir = Path(env["NEXUS_DATA_DIR"]).expanduser() if env.get("NEXUS_DATA_DIR", "").strip() else None

    return Settings(
        env=nexus_env,
        database=database,
        direct=direct,
        read=read,
        jwt_secret=secret,
        cors_origins=origins,
        access_ttl=_int(env, "NEXUS_ACCESS_TTL", 900, 1),
        refresh_ttl=_int(env, "NEXUS_REFRESH_TTL", 604800, 60),
        statement_timeout_ms=_int(env, "NEXUS_STATEMENT_TIMEOUT", 5000, 0),
        registration_open=registration == "open",
        trust_proxy=_flag(env, "NEXUS_TRUST_PROXY", False),
        delivery_worker=_flag(env, "NEXUS_DELIVERY_WORKER", True),
        recon_suggester=suggester,
        password_profile=profile_raw,  # type: ignore[arg-type]
        web_root=web_root,
        data_dir=data_dir or default_data_dir(),
    )
