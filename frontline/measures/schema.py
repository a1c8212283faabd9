"""What a demand rule's condition can see: one name, `contact`, checked at save by the policy rules' checker
(policy/expressions.py), so a rule reading a field that does not exist is refused before it runs."""

from frontline.policy.expressions import BOOL, INT, STRING, Record

CONTACT = Record(
    "contact",
    (
        ("channel", STRING),  # email, web, chat, phone, api
        ("words", STRING),  # the customer's words in lower case (the first 2,000 characters)
        ("opens_problem", BOOL),  # the contact that told us of the problem
        ("chaser", BOOL),  # it came after our answer was due (cases/demand.py)
        ("after_fix", BOOL),  # it came after we said the problem was fixed (resolved or closed)
        ("repeat", BOOL),  # it opened a case about a unit whose problem we closed in the last 30 days
        ("incident_before_notice", BOOL),  # an incident reached them and we had not yet told them
        ("action_days", INT),  # days since an action of ours on their service took effect (-1: none in 30)
        ("tier", STRING),  # the account's tier
        ("topic", STRING),  # the problem's topic slug, "" when not known
    ),
)
VARIABLES = {"contact": CONTACT}


def describe(record: Record) -> str:
    return "it has " + ", ".join(name for name, _ in record.fields)
