"""Events in: ARF abuse reports by email (through the real SMTP listener), scans and billing."""

import smtplib

import pytest

from frontline.core import clock
from frontline.customers.models import UnitState
from frontline.intake.models import RawMessage, RawStatus
from frontline.intake.tests.helpers import listener  # noqa: F401 (the real SMTP listener fixture)
from frontline.policy.models import Decision, DecisionStatus, PolicyEvent, PolicyEventStatus
from frontline.policy.tests.helpers import HOUR, T0, apply_due, arf
from frontline.tests.helpers import wait_for
from frontline.todos.models import ToDo, ToDoKind


def _send(controller, raw: bytes) -> RawMessage:
    with smtplib.SMTP("127.0.0.1", controller.port) as client:
        client.sendmail("abuse@cert.example", ["abuse@northwind.example"], raw)
    row = RawMessage.objects.latest("pk")
    wait_for(lambda: RawMessage.objects.get(pk=row.pk).status != RawStatus.PENDING, 10, "intake reads it")
    row.refresh_from_db()
    return row


@pytest.mark.django_db(transaction=True)
def test_an_arf_report_by_email_becomes_a_policy_event_on_the_host(listener, castle, worm_rule, settings):  # noqa: F811
    settings.FRONTLINE_TRUSTED_REPORTERS = ["@cert.example"]
    # when a CERT's ARF report about 192.0.2.18 arrives by SMTP (the listener runs on the real clock)
    row = _send(listener, arf())
    # then it is kept raw, read as a policy event (not a customer case message) and judged on that host
    assert row.status == RawStatus.POLICY and b"Feedback-Type: abuse" in bytes(row.raw)
    event = PolicyEvent.objects.get(raw_message=row)
    assert event.status == PolicyEventStatus.JUDGED and event.unit.name == "192.0.2.18"
    assert event.context["event"]["category"] == "worm" and event.context["event"]["active_attack"] is True
    assert (
        event.context["event"]["reporter"] == "abuse@cert.example"
        and event.context["event"]["incidents"] == 12
    )
    decision = Decision.objects.get(event=event)
    assert decision.emergency and decision.unit.state == UnitState.CONTAINED
    assert row.case_id == decision.case_id and "policy event" in row.reason


@pytest.mark.django_db(transaction=True)
def test_an_arf_report_that_does_not_parse_is_kept_raw_and_queued_for_a_person(listener, castle, worm_rule):  # noqa: F811
    with clock.frozen_at(T0):
        row = _send(listener, arf(source_ip="", feedback_part=True, message_id="<arf-2@cert.example>"))
    assert row.status == RawStatus.QUARANTINED and "names no Source-IP" in row.reason
    event = PolicyEvent.objects.get(raw_message=row)
    assert event.status == PolicyEventStatus.UNREADABLE
    assert ToDo.objects.get(kind=ToDoKind.REVIEW_EVENT).evidence == {"policy_event_id": event.pk}
    assert not Decision.objects.exists()


@pytest.mark.django_db
def test_a_worm_report_by_mail_from_an_untrusted_sender_gets_notice_first(castle, worm_rule, settings):
    from frontline.intake.tests.helpers import deliver

    settings.FRONTLINE_TRUSTED_REPORTERS = ["abuse@other-cert.example"]
    with clock.frozen_at(T0):
        deliver(arf(arrival=None))
    decision = Decision.objects.get()
    assert not decision.emergency and decision.status == DecisionStatus.SCHEDULED
    assert "abuse@cert.example is not among the trusted reporters" in decision.why
    assert decision.unit.state == UnitState.OK


@pytest.mark.django_db
def test_an_old_worm_report_is_no_emergency(castle, worm_rule, settings):
    from frontline.intake.tests.helpers import deliver

    settings.FRONTLINE_TRUSTED_REPORTERS = ["@cert.example"]
    with clock.frozen_at(T0):
        raw = arf(message_id="<arf-3@cert.example>")
    with clock.frozen_at(T0 + 72 * HOUR):
        deliver(raw)
    decision = Decision.objects.get()
    assert not decision.emergency and decision.status == DecisionStatus.SCHEDULED
    assert "does not say the attack is going on now" in decision.why


@pytest.mark.django_db
def test_the_same_report_delivered_twice_is_judged_once(castle, worm_rule):
    from frontline.intake.tests.helpers import deliver

    with clock.frozen_at(T0):
        deliver(arf())
        second = deliver(arf())
    assert second.status == RawStatus.DUPLICATE
    assert PolicyEvent.objects.count() == 1 and Decision.objects.count() == 1
    assert apply_due(T0) == 0


@pytest.fixture
def payment_rule(nadia):
    from frontline.policy import services

    with clock.frozen_at(T0 - 100 * HOUR):
        return services.save_rule(
            by=nadia,
            name="Suspend after 30 days unpaid",
            trigger="payment_overdue",
            condition='event.days_overdue >= 30 && !("hospital" in history.tags)',
            action="suspend",
            severity="notice",
        )


@pytest.mark.django_db
def test_billing_overdue_suspends_after_notice_and_a_payment_lifts_it(rivera, payment_rule):
    from frontline.policy import services

    # when billing says an invoice is 20 days late: nothing
    with clock.frozen_at(T0):
        services.receive_billing_event(
            kind="invoice_overdue", customer_id=rivera.pk, invoice="INV-1", days_overdue=20
        )
    assert not Decision.objects.exists()
    # when it is 31 days late: the account is suspended after three days' notice
    with clock.frozen_at(T0 + 24 * 11 * HOUR):
        [event] = services.receive_billing_event(
            kind="invoice_overdue", customer_id=rivera.pk, invoice="INV-1", days_overdue=31, amount=310
        )
    decision = Decision.objects.get()
    assert decision.unit.kind == "account" and decision.status == DecisionStatus.SCHEDULED
    assert decision.due_at == event.received_at + 72 * HOUR
    assert event.context["history"]["same_customer_30d"] == 1
    apply_due(decision.due_at)
    decision.unit.refresh_from_db()
    assert decision.unit.state == UnitState.SUSPENDED
    # when the payment arrives: lifted
    with clock.frozen_at(decision.due_at + HOUR):
        services.receive_billing_event(
            kind="payment_received", customer_id=rivera.pk, invoice="INV-1", amount=310
        )
    decision.refresh_from_db()
    decision.unit.refresh_from_db()
    assert decision.status == DecisionStatus.LIFTED and decision.unit.state == UnitState.OK
    assert "payment received" in decision.end_reason


@pytest.mark.django_db
def test_a_customer_tagged_hospital_is_spared_by_the_rule_condition(rivera, payment_rule):
    from frontline.customers import services as customers
    from frontline.policy import services

    customers.update_customer(rivera, notes="Runs the booking site of a #hospital")
    with clock.frozen_at(T0):
        [event] = services.receive_billing_event(
            kind="invoice_overdue", customer_id=rivera.pk, invoice="INV-2", days_overdue=45
        )
    assert event.context["history"]["tags"] == ["hospital"] and not Decision.objects.exists()


@pytest.mark.django_db
def test_billing_for_an_unknown_account_is_kept_and_raised(payment_rule):
    from frontline.policy import services

    with clock.frozen_at(T0):
        [event] = services.receive_billing_event(
            kind="invoice_overdue", customer_id=999, invoice="X", days_overdue=40
        )
    assert (
        event.status == PolicyEventStatus.UNMATCHED
        and ToDo.objects.filter(kind=ToDoKind.REVIEW_EVENT).exists()
    )
