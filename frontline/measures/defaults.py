"""The demand rules a new installation starts with, in the order they are tried. Written as data (CEL over
one contact, schema.py), so that a provider changes them on the measures page, checked as they save."""

# The customer's words reach the rules in lower case. `contains` and `startsWith` cost next to nothing;
# `matches` compiles its pattern on every contact (0.2 to 1 ms for a pattern with alternatives or a \W
# class), which over a million contacts is minutes: the defaults do without it.
THANKS = ["thank", "many thanks", "great", "perfect", "works now", "all good", "cheers", "ok thanks"]
OUR_ERRORS = [
    "charged twice",
    "charged me twice",
    "billed twice",
    "billed me twice",
    "wrong invoice",
    "wrong bill",
    "wrong amount",
    "wrong charge",
    "you deleted",
    "you broke",
    "you cancelled",
    "nobody called",
    "promised to call",
]

DEFAULT_RULES = [
    # (name, condition, failure type)
    ("Action of ours felt first", "contact.action_days >= 0 && contact.action_days <= 7", "cut_off"),
    ("Incident before our notice", "contact.incident_before_notice", "during_incident"),
    ("Repeat of a problem we closed", "contact.repeat", "repeat"),
    (
        "Still broken after we said fixed",
        "contact.after_fix && !["
        + ", ".join(f'"{words}"' for words in THANKS)
        + "].exists(w, contact.words.startsWith(w))",
        "still_broken",
    ),
    ("Chasing our answer", "contact.chaser", "chasing"),
    (
        "Our own error in their words",
        "[" + ", ".join(f'"{words}"' for words in OUR_ERRORS) + "].exists(w, contact.words.contains(w))",
        "our_error",
    ),
]


def install(rule_model, now) -> None:
    """Add the default rules that are missing by name (the migration's, and a test database's after a
    transactional test emptied every table)."""
    for position, (name, condition, failure_type) in enumerate(DEFAULT_RULES, start=1):
        rule_model.objects.get_or_create(
            name=name,
            defaults=dict(
                condition=condition, failure_type=failure_type, position=position * 10, updated_at=now
            ),
        )
