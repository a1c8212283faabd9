"""Errors every service may raise; views and the API turn them into clear 4xx answers."""

from functools import cache


class ServiceError(Exception):
    """A request the service refuses: bad input or an impossible transition. Maps to 400.

    `field` names the input at fault, when there is one, so forms and the API can point at it; `code` is a
    short machine word for what went wrong, which the API's error body carries beside the words.
    """

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code or self.code


class Conflict(ServiceError):
    """The thing is not, or no longer, in the state this asks for: an action held rather than scheduled,
    already lifted, a to-do already done, something a person changed meanwhile. Maps to 409: asking again
    will not help, but reading the thing again will show why."""

    status = 409
    code = "conflict"


class NotAllowed(Exception):
    """The actor's role does not allow this. Maps to 403."""


class Throttled(Exception):
    """Too many requests of one kind from one client just now. Maps to 429."""


def require_choice(value: str, choices, field: str) -> str:
    """`value` if it is one of the TextChoices `choices`; else a ServiceError naming the field and options."""
    if not isinstance(value, str) or value not in _values_of(choices):
        raise ServiceError(f"{field} must be one of {', '.join(choices.values)}; got {value!r}", field=field)
    return value


@cache
def _values_of(choices) -> frozenset[str]:
    """A choices class's values, once: `choices.values` builds a new list at every call, and intake checks
    several choices for every message."""
    return frozenset(choices.values)
