"""Northwind's policy rules and the goodwill its front line may give: what the demo's stories run on."""

from decimal import Decimal

from frontline.agents.models import Agent, Role
from frontline.policy import services
from frontline.policy.models import PolicyRule

# Goodwill per month without asking anyone: front-line agents a little, team leads more.
ALLOWANCE = {
    Role.AGENT: Decimal("60.00"),
    Role.TEAM_LEAD: Decimal("250.00"),
    Role.POLICY_ADMIN: Decimal("250.00"),
}

RULES = [
    {
        "name": "Contain infected hosts behind a line",
        "description": "A host behind a customer's line that a CERT reports for a worm, scanning or a botnet "
        "is filtered at its own address after six hours' notice. Never the line.",
        "trigger": "abuse_report",
        "condition": 'unit.kind == "host" && event.category in ["worm", "scan", "botnet", "malware"]',
        "action": "contain",
        "severity": "urgent",
    },
    {
        "name": "Filter DDoS sources at once",
        "description": "A host taking part in a denial-of-service attack harms others every minute it "
        "runs: filter it at once and tell the customer at the same moment.",
        "trigger": "abuse_report",
        "condition": 'event.category == "ddos" && unit.kind == "host"',
        "action": "contain",
        "severity": "emergency",
    },
    {
        "name": "Contain infected sites",
        "description": "A site our scanner finds infected is held (visitors see a maintenance page) after "
        "six hours' notice; a clean re-scan lifts it. Never the account.",
        "trigger": "malware_scan",
        "condition": "event.infected && event.confidence >= 0.8",
        "action": "contain",
        "severity": "urgent",
    },
    {
        "name": "Suspend after 30 days unpaid",
        "description": "Three days' notice; a payment lifts it. "
        "Customers tagged #hospital are never suspended.",
        "trigger": "payment_overdue",
        "condition": 'event.days_overdue >= 30 && !("hospital" in history.tags)',
        "action": "suspend",
        "severity": "notice",
    },
    {
        "name": "Rate-limit runaway mail",
        "description": "A mailbox or site sending three times its hourly limit is slowed, not cut off.",
        "trigger": "resource_abuse",
        "condition": 'event.metric == "mail_rate" && event.ratio > 3.0',
        "action": "rate_limit",
        "severity": "standard",
    },
]


def seed_rules() -> None:

    nadia = Agent.objects.get(user__username="nadia")
    for rule in RULES:
        if not PolicyRule.objects.filter(name=rule["name"]).exists():
            services.save_rule(by=nadia, via="seed", reason="Northwind's policy as written in 2026", **rule)
    for role, amount in ALLOWANCE.items():
        Agent.objects.filter(role=role, goodwill_allowance=0).update(goodwill_allowance=amount)
