"""Writes plans straight into the tables, for seeding millions of rows in minutes.

It mirrors, row for row and event for event, what `replay.py` does through the services; the test
`test_bulk_matches_services` holds the two together. When a service learns to write something new,
this file must learn it too, and that test is what will say so.
"""

import secrets
from decimal import Decimal

from django.conf import settings

from frontline.agents.models import Agent, Skill
from frontline.cases import clocks
from frontline.cases.models import Case, CaseStatus, Message
from frontline.customers.models import ContactPoint, Customer, Membership, Person, ServiceUnit
from frontline.customers.services import normalize_contact
from frontline.demo.plans import CasePlan, ContactPlan, CustomerPlan
from frontline.demo.writer import BulkWriter, CaseUnits
from frontline.events.models import EventKind

VIA = "seed"


# --- customers ---------------------------------------------------------------------------------------------


def _contact(
    writer: BulkWriter, plan: ContactPlan, at, customer_id: int, person_id=None, owner_id=None
) -> dict:
    value = plan.value.strip()
    row = writer.add(
        ContactPoint,
        person_id=person_id,
        customer_id=owner_id,
        kind=plan.kind,
        value=value,
        normalized=normalize_contact(plan.kind, plan.value),
        label=plan.label,
        state="unverified",
        verified_at=None,
        last_delivery_ok_at=None,
        last_failure_at=None,
        failure_reason="",
        verification_sent_at=None,
        signing_secret=secrets.token_urlsafe(32) if plan.kind == "webhook" else "",
    )
    writer.event(
        EventKind.CONTACT_ADDED,
        at,
        via=VIA,
        customer_id=customer_id,
        contact_id=row["id"],
        kind=plan.kind,
        value=value,
    )
    if plan.state == "verified":
        row.update(state="verified", verified_at=at)
        writer.event(EventKind.CONTACT_VERIFIED, at, via=VIA, customer_id=customer_id, contact_id=row["id"])
    elif plan.state == "failing":
        row.update(state="failing", last_failure_at=at, failure_reason=plan.failure_reason)
        writer.event(
            EventKind.CONTACT_FAILING,
            at,
            actor_label="system",
            via=VIA,
            customer_id=customer_id,
            contact_id=row["id"],
            value=value,
            reason=plan.failure_reason,
        )
    return row


def add_customer(writer: BulkWriter, plan: CustomerPlan) -> dict:
    """Returns {"id", "tier", "people": [(person id, [(state, contact id, kind, value)])], "units": [ids]}."""
    at = plan.created_at
    customer = writer.add(
        Customer,
        name=plan.name.strip(),
        standing="customer",
        matched_into_id=None,
        plan=plan.plan,
        tier=plan.tier,
        customer_since=plan.customer_since,
        monthly_value=Decimal(str(plan.monthly_value)).quantize(Decimal("0.01")),
        notes=plan.notes,
        created_at=at,
    )
    cid = customer["id"]
    writer.event(EventKind.CUSTOMER_CREATED, at, via=VIA, customer_id=cid, plan=plan.plan, tier=plan.tier)
    unit_ids: list[int] = []
    for unit in plan.units:
        row = writer.add(
            ServiceUnit,
            customer_id=cid,
            parent_id=unit_ids[unit.parent] if unit.parent is not None else None,
            kind=unit.kind,
            name=unit.name.strip(),
            hostname=unit.hostname,
            ip_address=unit.ip_address or None,
            labels=unit.labels or {},
            state="ok",
            state_changed_at=None,
            end_users=0,
        )
        writer.event(
            EventKind.UNIT_ADDED,
            at,
            via=VIA,
            customer_id=cid,
            unit_id=row["id"],
            kind=unit.kind,
            name=row["name"],
        )
        if unit.state != "ok":
            row.update(state=unit.state, state_changed_at=at)
            writer.event(
                EventKind.UNIT_STATE_CHANGED,
                at,
                via=VIA,
                customer_id=cid,
                unit_id=row["id"],
                state=unit.state,
                previous="ok",
                reason="recorded at import",
            )
        unit_ids.append(row["id"])
    people = []
    for person_plan in plan.people:
        person = writer.add(Person, name=person_plan.name.strip(), created_at=at)
        writer.add(Membership, person_id=person["id"], customer_id=cid, role=person_plan.role)
        writer.event(
            EventKind.PERSON_ADDED,
            at,
            via=VIA,
            customer_id=cid,
            person_id=person["id"],
            role=person_plan.role,
        )
        contacts = [_contact(writer, c, at, cid, person_id=person["id"]) for c in person_plan.contacts]
        people.append((person["id"], [(c["state"], c["id"], c["kind"], c["value"]) for c in contacts]))
    for contact in plan.account_contacts:
        _contact(writer, contact, at, cid, owner_id=cid)
    return {"id": cid, "tier": plan.tier, "people": people, "units": unit_ids}


# --- cases -------------------------------------------------------------------------------------------------


class CaseContext:
    """What replaying a case needs to know beyond its plan, loaded once for a whole seed run."""

    def __init__(self, *, service_levels: dict[int, tuple[str, str]], person_emails: dict[int, list[tuple]]):
        # customer id -> (tier, plan): what the response clocks' targets depend on
        self.service_levels = service_levels
        # person id -> [(state, contact id, value)] of email contacts, as the reply service chooses among them
        self.person_emails = person_emails
        self.agent_names = dict(Agent.objects.values_list("pk", "display_name"))
        self.skill_ids = dict(Skill.objects.values_list("slug", "pk"))
        self.from_email = settings.DEFAULT_FROM_EMAIL

    def recipient(self, person_id) -> str:
        working = sorted(
            (
                (state, pk, value)
                for state, pk, value in self.person_emails.get(person_id, [])
                if state != "failing"
            ),
            key=lambda item: (-ord(item[0][0]), item[1]),  # verified before unverified, then oldest
        )
        if working:
            return working[0][2]
        raise NotImplementedError("bulk replies need a requester with a working email address")


def _response_due(case: dict, ctx: CaseContext, contact_at):
    # As cases.services._response_due: the demo's teams keep no business hours on their clocks.
    tier, plan = ctx.service_levels[case["customer_id"]]
    first = case["first_response_at"] is None
    return clocks.response_due(
        tier=tier, plan=plan, impact=case["impact"], contact_at=contact_at, first=first
    )


def _message(writer: BulkWriter, case: dict, at, **fields) -> dict:
    values = dict(
        case_id=case["id"],
        channel="email",
        direction="in",
        author_agent_id=None,
        author_person_id=None,
        sender="",
        recipients="",
        subject="",
        raw_source=b"",
        message_id="",
        created_at=at,
        sent_at=None,
        send_error="",
        body_html="",
        thread_rule="",
        thread_confidence=None,
        thread_reason="",
        duration_seconds=None,
        is_chaser=False,
        fold_before=None,
        fold_at=None,  # as the services write it; only intake's mail path works it out
        origin="",
    )
    values.update(fields)
    row = writer.add(Message, **values)
    writer.search_rows.append((row["id"], case["id"], row["subject"], row["body_text"]))
    return row


def _transition(writer, case, status, at, *, actor_id=None, actor_label="", via=""):
    previous = case["status"]
    case["status"] = status
    case["is_open"] = status in CaseStatus.open_values()
    if status == CaseStatus.RESOLVED:
        case["resolved_at"] = at
    if status == CaseStatus.CLOSED:
        case["closed_at"] = at
    if not case["is_open"]:
        case["response_due_at"] = None
    writer.event(
        EventKind.STATUS_CHANGED,
        at,
        actor_id=actor_id,
        actor_label=actor_label,
        via=via,
        case_id=case["id"],
        customer_id=case["customer_id"],
        status=status,
        previous=previous,
    )


def _reopen(writer, case, at, *, actor_id, via, reason):
    case["reopen_count"] += 1
    case["resolved_at"] = None
    case["closed_at"] = None
    _transition(writer, case, CaseStatus.OPEN, at, actor_id=actor_id, actor_label=reason, via=via)
    writer.event(
        EventKind.CASE_REOPENED,
        at,
        actor_id=actor_id,
        actor_label=reason,
        via=via,
        case_id=case["id"],
        customer_id=case["customer_id"],
        reopen_count=case["reopen_count"],
    )


def add_case(writer: BulkWriter, plan: CasePlan, ctx: CaseContext) -> dict:
    now = plan.opened_at
    subject, body = plan.subject.strip(), plan.body.strip()
    case = writer.add(
        Case,
        customer_id=plan.customer,
        requester_id=plan.requester,
        subject=subject[:255],
        status="new",
        is_open=True,
        impact=plan.impact,
        unproven_claim="",
        demand_type="value",
        failure_reason="",
        topic_id=ctx.skill_ids[plan.topic] if plan.topic else None,
        assignee_id=None,
        problem_started_at=min(plan.problem_started_at or now, now),
        created_at=now,
        updated_at=now,
        first_response_at=None,
        last_customer_contact_at=now,
        last_provider_contact_at=None,
        awaiting_answer_since=now,
        resolved_at=None,
        closed_at=None,
        resolution_notes="",
        reopen_count=0,
        merged_into_id=None,
        callback_due_at=None,
        acknowledged_at=None,
        priority=0.0,
        priority_explanation=[],
        affected_reach=0,
        chaser_count=0,
        repeat_of_id=None,
        priority_override_points=None,
        priority_override_reason="",
        priority_override_until=None,
        priority_override_by_id=None,
        topic_confidence=None,
        routing_explanation={},
        assigned_at=None,
        response_due_at=None,
    )
    case["response_due_at"] = _response_due(case, ctx, now)
    cid, customer_id = case["id"], plan.customer
    for unit_id in sorted(set(plan.units)):
        writer.add(CaseUnits, case_id=cid, serviceunit_id=unit_id)
    label = plan.sender or plan.channel
    writer.event(
        EventKind.CASE_OPENED,
        now,
        actor_label=label,
        via=plan.channel,
        case_id=cid,
        customer_id=customer_id,
        impact=plan.impact,
    )
    message = _message(
        writer,
        case,
        now,
        channel=plan.channel,
        author_person_id=plan.requester,
        sender=plan.sender,
        subject=subject[:255],
        body_text=body,
    )
    writer.event(
        EventKind.MESSAGE_RECEIVED,
        now,
        actor_person_id=plan.requester,
        actor_label=label,
        via=plan.channel,
        case_id=cid,
        customer_id=customer_id,
        message_id=message["id"],
        channel=plan.channel,
    )
    for step in plan.steps:
        at, agent = step.at, step.agent_id
        common = {"case_id": cid, "customer_id": customer_id}
        if step.action == "assign":
            if case["assignee_id"] == agent:
                continue
            previous, case["assignee_id"] = case["assignee_id"], agent
            case["assigned_at"] = case["updated_at"] = at
            writer.event(
                EventKind.CASE_ASSIGNED,
                at,
                actor_id=agent,
                via="web",
                **common,
                assignee_id=agent,
                assignee=ctx.agent_names[agent] if agent else "",
                previous_id=previous,
            )
        elif step.action == "reply":
            to = ctx.recipient(plan.requester)
            reply = _message(
                writer,
                case,
                at,
                channel="email",
                direction="out",
                author_agent_id=agent,
                sender=ctx.from_email,
                recipients=to,
                subject=f"[C-{cid}] {case['subject']}"[:255],
                body_text=step.body.strip(),
                sent_at=at,
            )
            case["first_response_at"] = case["first_response_at"] or at
            case["last_provider_contact_at"] = case["updated_at"] = at
            case["awaiting_answer_since"] = None
            case["response_due_at"] = None
            if case["status"] == CaseStatus.NEW:
                _transition(writer, case, CaseStatus.OPEN, at, actor_id=agent, via="web")
            writer.event(
                EventKind.REPLY_SENT, at, actor_id=agent, via="web", **common, message_id=reply["id"], to=to
            )
        elif step.action == "note":
            note = _message(
                writer,
                case,
                at,
                channel="note",
                direction="internal",
                author_agent_id=agent,
                body_text=step.body.strip(),
            )
            writer.event(EventKind.NOTE_ADDED, at, actor_id=agent, via="web", **common, message_id=note["id"])
            case["updated_at"] = at
        elif step.action == "status":
            if step.notes.strip():
                case["resolution_notes"] = step.notes.strip()
            if not case["is_open"] and step.status in CaseStatus.open_values():
                _reopen(writer, case, at, actor_id=agent, via="web", reason="reopened by staff")
                if step.status != CaseStatus.OPEN:
                    _transition(writer, case, step.status, at, actor_id=agent, via="web")
            else:
                _transition(writer, case, step.status, at, actor_id=agent, via="web")
            case["updated_at"] = at
        elif step.action == "customer_message":
            inbound = _message(
                writer,
                case,
                at,
                channel=step.channel,
                author_person_id=plan.requester,
                sender=plan.sender,
                body_text=step.body.strip(),
            )
            writer.event(
                EventKind.MESSAGE_RECEIVED,
                at,
                actor_person_id=plan.requester,
                actor_label=plan.sender or step.channel,
                via=step.channel,
                **common,
                message_id=inbound["id"],
                channel=step.channel,
            )
            case["last_customer_contact_at"] = at
            case["awaiting_answer_since"] = case["awaiting_answer_since"] or at
            due = case["response_due_at"]
            if case["is_open"] and due is not None and at > due:  # as cases.demand: a chaser
                inbound["is_chaser"] = True
                case["chaser_count"] += 1
                if case["demand_type"] != "failure":
                    case["demand_type"], case["failure_reason"] = "failure", "chased after our silence"
                writer.event(
                    EventKind.DEMAND_RECORDED,
                    at,
                    actor_label="frontline",
                    via=step.channel,
                    **common,
                    rule="chaser",
                    message_id=inbound["id"],
                    overdue_minutes=round((at - due).total_seconds() / 60),
                )
            if not case["is_open"]:
                _reopen(writer, case, at, actor_id=None, via=step.channel, reason="the customer wrote again")
            elif case["status"] == CaseStatus.WAITING_CUSTOMER:
                _transition(
                    writer, case, CaseStatus.OPEN, at, actor_label="customer replied", via=step.channel
                )
            if case["response_due_at"] is None:
                case["response_due_at"] = _response_due(case, ctx, at)
            case["updated_at"] = at
        else:
            raise ValueError(f"unknown step {step.action!r}")
    return case
