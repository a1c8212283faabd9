"""The demand rules a new installation starts with, in the order they are tried. Written as data (CEL over
one contact, schema.py), so that a provider changes them on the measures page, checked as they save."""

DEFAULT_RULES = [
    # (name, condition, failure type)
    ("Action of ours felt first", "contact.action_days >= 0 && contact.action_days <= 7", "cut_off"),
    ("Incident before our notice", "contact.incident_before_notice", "during_incident"),
    ("Repeat of a problem we closed", "contact.repeat", "repeat"),
    (
        "Still broken after we said fixed",
        'contact.after_fix && !contact.words.matches("(?i)^\\\\W*(thanks|thank you|many thanks|great|perfect|'
        'works now|all good)\\\\b")',
        "still_broken",
    ),
    ("Chasing our answer", "contact.chaser", "chasing"),
    (
        "Our own error in their words",
        'contact.words.matches("(?i)(charged|billed) (me |us )?twice|wrong (invoice|bill|amount|charge)|'
        'you (deleted|broke|cancelled|canceled) (my|our)|nobody called( me)? back|promised to call")',
        "our_error",
    ),
]
