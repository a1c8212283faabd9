"""What a rule's condition can see: the declared, typed context of each trigger, and how it is built.

Four names: `event` (what came in, with fields of its trigger), `unit` (the smallest unit it is about),
`customer` (the account) and `history` (how often this happened before). The context is built once when
an event arrives, stored with the event, and is what simulation replays later: today's state of a unit
says nothing about what a rule would have done last month.
"""

from frontline.core.errors import ServiceError
from frontline.policy.expressions import BOOL, DOUBLE, INT, STRING, TIMESTAMP, ListOf, Record

_COMMON_EVENT = (
    ("trigger", STRING),
    ("source", STRING),  # api, email, scanner, billing, monitoring
    ("received_at", TIMESTAMP),
)

EVENT_FIELDS = {
    "abuse_report": (
        ("feedback_type", STRING),  # ARF Feedback-Type: abuse, fraud, virus, other...
        ("category", STRING),  # worm, spam, phishing, ddos, scan, other
        ("reporter", STRING),  # who sent it (a CERT, a mail provider)
        ("source_ip", STRING),
        ("reported_domain", STRING),
        ("active_attack", BOOL),  # the unit is attacking others right now (worm, DDoS)
        ("trusted_reporter", BOOL),  # sent by an address in FRONTLINE_TRUSTED_REPORTERS, or through the API
        ("incidents", INT),  # how many incidents the report counts (ARF Incidents, default 1)
    ),
    "malware_scan": (
        ("infected", BOOL),
        ("signature", STRING),
        ("confidence", DOUBLE),  # 0..1 as the scanner says
        ("scanner", STRING),
        ("files", INT),  # infected files found on this unit
    ),
    "payment_overdue": (
        ("days_overdue", INT),
        ("amount", DOUBLE),
        ("invoice", STRING),
    ),
    "resource_abuse": (
        ("metric", STRING),  # cpu, io, mail_rate, bandwidth, connections
        ("value", DOUBLE),
        ("limit", DOUBLE),
        ("ratio", DOUBLE),  # value / limit
        ("minutes", INT),  # how long it has lasted
    ),
    "monitoring_state": (
        ("state", STRING),  # ok, degraded, down
        ("alert", STRING),
        ("minutes", INT),
    ),
}

UNIT = Record(
    "unit",
    (
        ("kind", STRING),  # site, host, server, line, account...
        ("name", STRING),
        ("state", STRING),
        ("hostname", STRING),
        ("ip", STRING),
        ("end_users", INT),
        ("depth", INT),  # 0 for a root (account, line), 1 below it...
        ("parent_kind", STRING),  # "" for a root
        ("siblings", INT),  # other units under the same parent
    ),
)

CUSTOMER = Record(
    "customer",
    (
        ("plan", STRING),
        ("tier", STRING),
        ("tenure_years", DOUBLE),
        ("monthly_value", DOUBLE),
        ("units", INT),
        ("working_channel", BOOL),  # at least one address or number that is not failing
    ),
)

HISTORY = Record(
    "history",
    (
        ("same_unit_30d", INT),  # events of this trigger on this unit in the 30 days before
        ("same_unit_90d", INT),
        ("same_customer_30d", INT),  # events of this trigger on any of the customer's units, 30 days
        ("actions_90d", INT),  # decisions applied to the customer's units in 90 days
        ("open_cases", INT),
        ("tags", ListOf(STRING)),  # the customer's notes' #tags, for exceptions such as #hospital
    ),
)


def variables(trigger: str) -> dict:
    """The names a rule of this trigger may use, with their types."""
    event = Record(f"a {trigger} event", _COMMON_EVENT + EVENT_FIELDS[trigger])
    return {"event": event, "unit": UNIT, "customer": CUSTOMER, "history": HISTORY}


def describe(record: Record) -> str:
    return "it has " + ", ".join(name for name, _ in record.fields)


# ---------------------------------------------------------------- building a context

_DEFAULTS = {STRING: "", INT: 0, DOUBLE: 0.0, BOOL: False}


def typed(fields, values: dict) -> dict:
    """Every declared field, cast to its declared type (CEL does not coerce: 310 is not 310.0)."""
    out = {}
    for name, kind in fields:
        value = values.get(name)
        if kind == TIMESTAMP or isinstance(kind, ListOf):
            out[name] = value
        elif value is None:
            out[name] = _DEFAULTS[kind]
        elif kind == BOOL:
            out[name] = bool(value)
        else:
            out[name] = {STRING: str, INT: int, DOUBLE: float}[kind](value)
    return out


def check_facts(trigger: str, facts: dict) -> None:
    """Refuse facts the trigger does not declare, or of the wrong type, before anything is stored."""

    declared = dict(EVENT_FIELDS[trigger])
    for name, value in facts.items():
        kind = declared.get(name)
        if kind is None:
            raise ServiceError(
                f"a {trigger} event has no fact {name!r}; it has {', '.join(declared)}", field=f"facts.{name}"
            )
        ok = {
            STRING: isinstance(value, str),
            BOOL: isinstance(value, bool),
            INT: isinstance(value, int) and not isinstance(value, bool),
            DOUBLE: isinstance(value, (int, float)) and not isinstance(value, bool),
        }[kind]
        if not ok and value is not None:
            raise ServiceError(
                f"fact {name!r} must be {kind}, not {type(value).__name__}", field=f"facts.{name}"
            )


def event_fields(trigger: str):
    return _COMMON_EVENT + EVENT_FIELDS[trigger]
