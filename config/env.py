"""Typed settings from the environment. A bad value stops the start with a clear message,
rather than running with a guess (the habit healthchecks keeps)."""

import ipaddress
import os
from urllib.parse import parse_qsl, unquote, urlsplit


class ImproperlyConfiguredEnv(Exception):
    pass


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfiguredEnv(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name} must be an integer, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfiguredEnv(f"{name} must be at least {minimum}, not {value}")
    return value


def env_choice(name: str, default: str, choices: list[str]) -> str:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise ImproperlyConfiguredEnv(f"{name} must be one of {', '.join(choices)}, not {raw!r}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_required(name: str, hint: str) -> str:
    """A value production must be given: unset or empty stops the start, naming the variable."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfiguredEnv(f"{name} must be set: {hint}")
    return value


def env_networks(name: str) -> list[str]:
    """Comma-separated IP addresses or networks (10.0.0.5, 10.0.0.0/24, ::1), checked here so that a
    typo stops the start instead of silently trusting nobody (or the wrong host)."""
    networks = []
    for part in env_list(name, []):
        try:
            ipaddress.ip_network(part)  # strict: 10.0.0.5/24 (host bits set) is a mistake
        except ValueError:
            raise ImproperlyConfiguredEnv(f"{name} must list IP addresses or networks, not {part!r}") from None
        networks.append(part)
    return networks


def parse_database_url(url: str) -> dict:
    """postgres://user:password@host:port/name?options -> a Django DATABASES entry.

    Only PostgreSQL and SQLite are supported, because those are the two we test on."""
    parts = urlsplit(url)
    scheme = parts.scheme
    if scheme in {"postgres", "postgresql", "pgsql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ImproperlyConfiguredEnv(f"DATABASE_URL has no database name: {url!r}")
        entry = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "OPTIONS": dict(parse_qsl(parts.query)),
        }
        return entry
    if scheme == "sqlite":
        # sqlite:///relative/path.db or sqlite:////absolute/path.db
        path = unquote(parts.path)[1:]
        if not path:
            raise ImproperlyConfiguredEnv(f"DATABASE_URL has no SQLite file: {url!r}")
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    raise ImproperlyConfiguredEnv(f"DATABASE_URL must start with postgres:// or sqlite://, not {scheme or url!r}")
