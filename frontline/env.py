"""Small typed readers for environment variables that fail loudly on a bad value."""

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


# Keys that were public at some point (the one Frontline shipped before it had none) or are Django's own
# placeholder: a link signed with them is a link anyone could have signed.
KNOWN_PUBLIC_KEYS = frozenset({"insecure-development-key-change-me"})
MIN_SECRET_KEY_LENGTH = 50


def weak_secret_key(key: str) -> str:
    """Why `key` cannot sign links people rely on, or "" when it can (Django's own deploy check's rule)."""
    if key in KNOWN_PUBLIC_KEYS or key.startswith("django-insecure"):
        return "it is a published key"
    if len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < 5:
        return f"it is shorter than {MIN_SECRET_KEY_LENGTH} characters or too repetitive"
    return ""


def secret_key(given: str, path: Path, *, debug: bool) -> str:
    """The key from the environment, refused when weak (unless debugging); else the machine's own key file,
    written once with a random key that only this user can read."""
    if given:
        weakness = weak_secret_key(given)
        if weakness and not debug:
            raise ImproperlyConfigured(
                f"FRONTLINE_SECRET_KEY is not safe to sign links with: {weakness}. "
                "Generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
            )
        return given
    if not path.exists():
        # Written aside and linked into place: two processes starting at once agree on the first key.
        key = secrets.token_urlsafe(50)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    key = path.read_text().strip()
    if weak_secret_key(key) and not debug:
        raise ImproperlyConfigured(f"{path} holds a weak key: delete it and a new one is made")
    return key
