"""Plays plans through the services, exactly as the workspace, the API and the channels would."""

from frontline.agents.models import Agent, Skill
from frontline.cases import services as cases
from frontline.cases.models import Case
from frontline.core import clock
from frontline.customers import services as customers
from frontline.customers.models import Customer, Person, ServiceUnit
from frontline.demo.plans import CasePlan, ContactPlan, CustomerPlan

VIA = "seed"


def _contact(plan: ContactPlan, **owner):
    point = customers.add_contact_point(kind=plan.kind, value=plan.value, label=plan.label, via=VIA, **owner)
    if plan.state == "verified":
        customers.verify_contact_point(point, via=VIA)
    elif plan.state == "failing":
        customers.mark_contact_failing(point, reason=plan.failure_reason, via=VIA)
    return point


def create_customer(plan: CustomerPlan) -> Customer:
    with clock.frozen_at(plan.created_at):
        customer = customers.create_customer(
            name=plan.name,
            plan=plan.plan,
            tier=plan.tier,
            customer_since=plan.customer_since,
            monthly_value=plan.monthly_value,
            notes=plan.notes,
            via=VIA,
        )
        units: list[ServiceUnit] = []
        for unit_plan in plan.units:
            unit = customers.add_unit(
                customer,
                kind=unit_plan.kind,
                name=unit_plan.name,
                parent=units[unit_plan.parent] if unit_plan.parent is not None else None,
                hostname=unit_plan.hostname,
                ip_address=unit_plan.ip_address,
                labels=unit_plan.labels,
                via=VIA,
            )
            if unit_plan.state != "ok":
                customers.set_unit_state(unit, unit_plan.state, reason="recorded at import", via=VIA)
            units.append(unit)
        for person_plan in plan.people:
            person = customers.add_person(customer, name=person_plan.name, role=person_plan.role, via=VIA)
            for contact in person_plan.contacts:
                _contact(contact, person=person)
        for contact in plan.account_contacts:
            _contact(contact, customer=customer)
    return customer


def play_case(plan: CasePlan) -> Case:
    customer = Customer.objects.get(pk=plan.customer)
    requester = Person.objects.get(pk=plan.requester) if plan.requester else None
    with clock.frozen_at(plan.opened_at):
        case = cases.open_case(
            customer=customer,
            subject=plan.subject,
            body=plan.body,
            channel=plan.channel,
            impact=plan.impact,
            requester=requester,
            sender=plan.sender,
            units=list(ServiceUnit.objects.filter(pk__in=plan.units)),
            topic=Skill.objects.get(slug=plan.topic) if plan.topic else None,
            problem_started_at=plan.problem_started_at,
        )
    for step in plan.steps:
        agent = Agent.objects.get(pk=step.agent_id) if step.agent_id else None
        with clock.frozen_at(step.at):
            if step.action == "assign":
                cases.assign_case(case, assignee=agent, by=agent)
            elif step.action == "reply":
                cases.reply_to_case(case, by=agent, body=step.body)
            elif step.action == "note":
                cases.add_internal_note(case, by=agent, body=step.body)
            elif step.action == "status":
                cases.change_status(case, status=step.status, by=agent, resolution_notes=step.notes)
            elif step.action == "customer_message":
                cases.record_inbound_message(
                    case, channel=step.channel, body=step.body, requester=requester, sender=plan.sender
                )
            else:
                raise ValueError(f"unknown step {step.action!r}")
    case.refresh_from_db()
    return case
