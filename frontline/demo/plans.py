"""What the demo and the seed command build, as plain data, applied either through the services or in bulk.

A plan says what happened, step by step and when; `replay.py` plays it through the services (one change
at a time, each with its event, as in production) and `bulk.py` writes the same rows straight into the
tables, a hundred times faster. A test proves the two write the same rows and events.
"""

import datetime
from dataclasses import dataclass, field


@dataclass
class ContactPlan:
    kind: str
    value: str
    label: str = ""
    state: str = "unverified"  # unverified, verified or failing
    failure_reason: str = ""


@dataclass
class PersonPlan:
    name: str
    role: str = "owner"
    contacts: list[ContactPlan] = field(default_factory=list)


@dataclass
class UnitPlan:
    kind: str
    name: str
    parent: int | None = None  # index of the parent in the customer's `units`
    hostname: str = ""
    ip_address: str | None = None
    labels: dict = field(default_factory=dict)
    state: str = "ok"


@dataclass
class CustomerPlan:
    name: str
    plan: str
    tier: str
    customer_since: datetime.date
    monthly_value: str
    created_at: datetime.datetime
    notes: str = ""
    people: list[PersonPlan] = field(default_factory=list)
    account_contacts: list[ContactPlan] = field(default_factory=list)
    units: list[UnitPlan] = field(default_factory=list)


@dataclass
class Step:
    at: datetime.datetime
    action: str  # assign, reply, note, status, customer_message
    agent_id: int | None = None
    body: str = ""
    status: str = ""
    notes: str = ""
    channel: str = "email"


@dataclass
class CasePlan:
    customer: int  # customer pk
    requester: int | None  # person pk
    sender: str
    subject: str
    body: str
    channel: str
    impact: str
    topic: str | None  # skill slug
    problem_started_at: datetime.datetime
    opened_at: datetime.datetime
    units: list[int] = field(default_factory=list)  # unit pks
    steps: list[Step] = field(default_factory=list)
