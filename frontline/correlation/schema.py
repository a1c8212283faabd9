"""What a grouping rule's condition can see, declared with types so that a rule is checked when it is
saved, by the same checker as the policy rules (policy/expressions.py).

Three names: `case` (the new case), `customer` (its account) and `element` (the upstream element being
counted: the relay, switch or server one of the case's units runs on; blank fields for a words rule).
"""

from frontline.policy.expressions import BOOL, INT, STRING, Record

CASE = Record(
    "case",
    (
        ("channel", STRING),  # email, chat, phone, api, web
        ("impact", STRING),  # down, degraded, question
        ("topic", STRING),  # the skill's slug when known at opening, else ""
        ("subject", STRING),
        ("from_monitoring", BOOL),  # opened by us from an alert, not by the customer
        ("units", INT),  # units the case names
    ),
)
CUSTOMER = Record("customer", (("plan", STRING), ("tier", STRING)))
ELEMENT = Record(
    "element",
    (
        ("kind", STRING),  # relay, mx, server, switch, router, service ("" for a words rule)
        ("name", STRING),  # smtp-2
        ("group", STRING),  # the status page's heading: Mail, Network...
    ),
)
VARIABLES = {"case": CASE, "customer": CUSTOMER, "element": ELEMENT}
NO_ELEMENT = {"kind": "", "name": "", "group": ""}


def describe(record: Record) -> str:
    return "it has " + ", ".join(name for name, _ in record.fields)


def case_context(case, *, from_monitoring: bool) -> dict:
    customer = case.customer
    topic = case.topic.slug if case.topic_id and case.topic is not None else ""
    return {
        "case": {
            "channel": case.opening_message.channel if getattr(case, "opening_message", None) else "",
            "impact": case.impact,
            "topic": topic,
            "subject": case.subject,
            "from_monitoring": from_monitoring,
            "units": len(getattr(case, "opening_units", ())),
        },
        "customer": {"plan": customer.plan or "", "tier": customer.tier or ""},
    }
