"""Every text we send comes from a template (templates/texts/<app>/*.txt), renders with sample data, and
reads as words: no unfilled placeholder, no internal field name, no template syntax left over."""

import datetime
import re
from pathlib import Path

import pytest

from frontline.core.texts import render_message, render_text

PACKAGE = Path(__file__).resolve().parents[1]
LINK = "https://support.example/link/AbCdEf"

DECISION = {"unit": "host 192.0.2.18", "verb": "isolate", "due": "2026-03-02 18:33"}
# Sample data for each text; a new text needs a line here, or the first test below fails.
SAMPLES = {
    "cases/acknowledgement": {
        "first_name": "Sam",
        "ref": "C-12",
        "owner": "Tom",
        "team": "The team",
        "notes": ["We already know about this."],
    },
    "intake/confirm_web_form": {"link": LINK, "team": "The support team"},
    "intake/confirm_chat": {"link": LINK, "team": "The support team"},
    "notifications/verify_email": {"address": "sam@walkerblog.example", "link": LINK},
    "notifications/verify_sms": {"code": "492113"},
    "notifications/rung": {"body": "Your site is down.", "ack_url": LINK},
    "policy/what_happened": {"trigger": "abuse_report", "category": "worm", "units": "host 192.0.2.18"},
    "policy/lift": {"trigger": "malware_scan"},
    "policy/lift_staff": {"trigger_value": "payment_overdue"},
    "policy/why": {
        "unit": "host 192.0.2.18",
        "trigger": "abuse report received",
        "parent": "line FTTP-4471",
        "outcome": "scheduled",
        "action": "contain the unit",
        "doubt": "the report does not say the attack is going on now",
        "told_at": "2026-03-02 12:33",
        "due_at": "2026-03-02 18:33",
        "grace": "6 hours",
    },
    "policy/cleanup_case": {
        "trigger": "Malware scan result",
        "trigger_value": "malware_scan",
        "what": "3 web sites",
        "names": "a.example, b.example, c.example",
        "facts": "malware scan result",
        "decisions": [
            {"action": "Contain the unit", "unit": "a.example", "status": "scheduled", "why": "Notice first."}
        ],
    },
    "policy/notice": {
        "trigger": "abuse_report",
        "category": "spam",
        "units": "host 192.0.2.18",
        "title_units": "192.0.2.18",
        "about": "a report we received",
        "emergency": False,
        "first": DECISION | {"disruptive": True, "emergency": False},
        "decisions": [DECISION | {"disruptive": True, "emergency": False}],
        "parents": ["line FTTP-4471"],
    },
}
AT = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=datetime.UTC)
INCIDENT = {"title": "Outgoing mail rejected by smtp-2", "ref": "INC-7", "started_at": AT}
UNIT = {"name": "walkerblog.example"}
CASE = {"ref": "C-12", "subject": "walkerblog.example is down", "problem_started_at": AT}
MAINTENANCE = {
    "title": "Relay smtp-2 software upgrade",
    "ref": "MNT-3",
    "body": "Outgoing mail pauses for up to ten minutes.",
    "starts_at": AT,
    "ends_at": AT + datetime.timedelta(hours=1),
    "get_impact_display": "Outage",
    "get_status_display": "Scheduled",
}
ALERT = {
    "name": "SiteDown",
    "summary": "HTTP 503 from walkerblog.example",
    "starts_at": AT,
    "labels": {"site": "walkerblog.example", "instance": "web-07"},
    "source": {"name": "alertmanager"},
}
COMPONENT = {"name": "smtp-2", "get_kind_display": "Mail relay"}
SAMPLES |= {
    "incidents/update": {
        "incident": INCIDENT,
        "update": {"body": "A configuration change is rolled back."},
        "state": "Identified",
    },
    "incidents/confirm": {"case": CASE, "why": "Monitoring sees it working again.", "link": LINK},
    "incidents/proactive_case": {"unit": UNIT, "alert": ALERT, "health": "down"},
    "incidents/we_know": {"case": CASE, "unit": UNIT, "health": "down"},
    "incidents/detected": {"component": COMPONENT, "health": "down", "alert": ALERT},
    "incidents/recovering": {"component": COMPONENT},
    "incidents/subscribe_confirm": {"link": LINK, "provider": "Northwind Hosting"},
    "incidents/follower_update": {
        "incident": INCIDENT,
        "update": {"body": "Rolled back."},
        "state": "Resolved",
        "link": LINK,
    },
    "incidents/follower_maintenance": {"maintenance": MAINTENANCE, "link": LINK},
    **{
        f"incidents/maintenance_{what}": {"maintenance": MAINTENANCE}
        for what in ("announced", "changed", "cancelled", "reminder", "started", "completed")
    },
}

SAMPLES |= {
    "correlation/grouped": {
        "group": {"key": "component:smtp-2", "label": "relay smtp-2", "customers": 14},
    },
    "portal/sign_in": {
        "link": "https://support.example.com/portal/sign-in/abc/",
        "minutes": 20,
        "provider": "Northwind",
        "team": "The support team",
    },
    "incidents/known": {"incident": INCIDENT, "latest": {"body": "We are rolling the change back."}},
    "incidents/summary": {
        "incident": INCIDENT,
        "postmortem": {"root_cause": "A relay access list was replaced by an older copy."},
        "body": "Outgoing mail through smtp-2 was refused for 49 minutes.",
        "timeline": [(AT, "you first told us"), (AT, "we told you"), (AT, "fixed"), (AT, "confirmed")],
    },
}

# What must show where not every value given is shown as it is (the policy texts choose among them).
SHOWN = {
    "policy/what_happened": ["We were told that host 192.0.2.18 is infected"],
    "policy/lift": ["re-scan"],
    "policy/lift_staff": ["the payment, recorded by billing"],
    "policy/why": [
        "Acts on host 192.0.2.18, the unit the abuse report received names; not on line FTTP-4471, which",
        "Not an emergency after all: the report does not say the attack is going on now. Notice first",
        "runs at 2026-03-02 18:33 UTC, after 6 hours of grace",
    ],
    "policy/cleanup_case": [
        "Malware scan result: 3 web sites to clean up (a.example, b.example, c.example)",
        "- Contain the unit a.example: scheduled. Notice first.",
        "re-scan",
    ],
    "policy/notice": ["We will isolate 192.0.2.18 at 2026-03-02 18:33 UTC", "line FTTP-4471 keeps serving"],
    "correlation/grouped": ["Problems reported with relay smtp-2", "14 customers have told us"],
    "cases/acknowledgement": ["Hello Sam,", "C-12", "Tom", "We already know about this.", "The team"],
    "incidents/known": [
        "We already know about this: Outgoing mail rejected by smtp-2 (INC-7), since 2026-12-01 10:00 UTC",
        "Where it stands: We are rolling the change back.",
    ],
    "incidents/summary": [
        "What happened: Outgoing mail rejected by smtp-2",
        "Outgoing mail through smtp-2 was refused for 49 minutes.",
        "Root cause: A relay access list was replaced by an older copy.",
        "2026-12-01 10:00: you first told us",
        "2026-12-01 10:00: you confirmed it works",
        "Reference: INC-7.",
    ],
    "incidents/update": [
        "Identified: Outgoing mail rejected by smtp-2",
        "A configuration change is rolled back.",
        "INC-7, which started at 2026-12-01 10:00 UTC",
    ],
    "incidents/confirm": ["Fixed: walkerblog.example is down", LINK, "C-12 reopens"],
    "incidents/proactive_case": [
        "walkerblog.example is down",
        "Opened by alertmanager: SiteDown.",
        "HTTP 503 from walkerblog.example",
        "site=walkerblog.example",
    ],
    "incidents/we_know": [
        "We know walkerblog.example has a problem",
        "not working since 2026-12-01 10:00 UTC",
        "opened case C-12",
    ],
    "incidents/detected": ["smtp-2 is down", "smtp-2 (mail relay)"],
    "incidents/recovering": ["smtp-2 works again"],
    "incidents/follower_update": ["Resolved: Outgoing mail rejected by smtp-2", "Rolled back.", LINK],
    "incidents/follower_maintenance": [
        "Planned maintenance (Scheduled): Relay smtp-2 software upgrade",
        "From 2026-12-01 10:00 to 2026-12-01 11:00 UTC. Expected impact: Outage.",
        LINK,
    ],
    "incidents/maintenance_announced": [
        "Planned maintenance: Relay smtp-2 software upgrade",
        "MNT-3",
        "Outgoing mail pauses",
    ],
    "incidents/maintenance_changed": ["Changed: planned maintenance", "Now from 2026-12-01 10:00"],
    "incidents/maintenance_cancelled": [
        "Cancelled:",
        "MNT-3 planned for 2026-12-01 10:00 UTC will not take place",
    ],
    "incidents/maintenance_reminder": ["Reminder: planned maintenance", "Expected impact: Outage."],
    "incidents/maintenance_started": ["Starting now:", "should end by 2026-12-01 11:00 UTC"],
    "incidents/maintenance_completed": ["Done:", "MNT-3 is over"],
}
# Words only our code and staff use: a customer must never read them.
INTERNAL = re.compile(
    r"\b(feedback_type|unit_name|trusted_reporter|active_attack|None|True|False)\b|\{|\}|%\("
)


def _templates() -> list[str]:
    found = []
    for path in PACKAGE.glob("*/templates/texts/*/*.txt"):
        found.append(f"{path.parent.name}/{path.stem}")
    return sorted(found)


def _leftovers(text: str) -> list[str]:
    words = re.sub(r"https?://\S+", "", text)  # links may hold anything
    return [m.group(0) for m in INTERNAL.finditer(words)] + re.findall(r"\b[a-z]+_[a-z_]+\b", words)


def test_every_text_template_has_sample_data():
    assert _templates() == sorted(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_text_renders_as_words_with_its_sample_data(name):
    text = render_text(name, **SAMPLES[name])
    assert text and "\n\n\n" not in text
    assert _leftovers(text) == []
    words = " ".join(text.split())  # a paragraph may be wrapped anywhere
    for value in SHOWN.get(name, SAMPLES[name].values()):  # what it was given shows: nothing left unfilled
        if isinstance(value, str) and value:
            assert value in words, f"{value!r} is missing from {name}"


def test_a_notice_about_several_units_says_they():
    two = dict(SAMPLES["policy/notice"], decisions=[*SAMPLES["policy/notice"]["decisions"]] * 2)
    title, _ = render_message("policy/notice", **two)
    assert title.endswith("UTC unless they are resolved")
    title, _ = render_message("policy/notice", **SAMPLES["policy/notice"])
    assert title.endswith("UTC unless it is resolved")


def test_a_message_text_has_its_subject_on_the_first_line():
    subject, body = render_message("intake/confirm_web_form", link=LINK, team="The support team")
    assert subject == "Please confirm your message to our support team"
    assert body.startswith("Hello,") and LINK in body and body.endswith("The support team")
