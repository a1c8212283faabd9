"""Notifications over JSON: notify one customer, fan out to many, follow progress, record a confirmation."""

from datetime import datetime

from ninja import Router, Schema, Status
from pydantic import Field

from frontline.cases.lookup import access_case
from frontline.core.api import BodyId, Id, In, Limit, get_or_404
from frontline.customers.models import Customer
from frontline.notifications import services
from frontline.notifications.fanouts import chosen_cases
from frontline.notifications.models import FanOut, Notification, SubjectKind, Urgency

router = Router(tags=["notifications"])


class AttemptOut(Schema):
    rung: int | None = Field(None, description="1 for the ladder's first rung")
    channel: str
    address: str
    status: str
    reply_code: int | None
    reply_text: str
    attempted_at: datetime
    idempotency_key: str


class NotificationOut(Schema):
    id: int
    customer_id: int
    subject_kind: str
    subject_id: str
    title: str
    urgency: str
    ladder: str
    status: str
    next_rung: int | None
    next_due_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_via: str
    attempts: list[AttemptOut]


def _out(notification: Notification) -> dict:
    return {
        "id": notification.pk,
        "customer_id": notification.customer_id,
        "subject_kind": notification.subject_kind,
        "subject_id": notification.subject_id,
        "title": notification.title,
        "urgency": notification.urgency,
        "ladder": notification.ladder_name,
        "status": notification.status,
        "next_rung": notification.next_step + 1 if notification.status == "active" else None,
        "next_due_at": notification.next_due_at,
        "acknowledged_at": notification.acknowledged_at,
        "acknowledged_via": notification.acknowledged_via,
        "attempts": [
            {
                "rung": None if a.step is None else a.step + 1,
                "channel": a.channel,
                "address": a.address,
                "status": a.status,
                "reply_code": a.reply_code,
                "reply_text": a.reply_text,
                "attempted_at": a.attempted_at,
                "idempotency_key": a.idempotency_key,
            }
            for a in notification.attempts.order_by("pk")
        ],
    }


class NotifyIn(In):
    customer_id: int
    title: str
    body: str
    urgency: Urgency = Urgency.URGENT
    subject_kind: SubjectKind = SubjectKind.CASE
    subject_id: str = Field(description="The case reference (C-12) or the incident's or maintenance's id")


@router.post("/notifications", response={201: NotificationOut}, summary="Notify one customer")
def notify(request, payload: NotifyIn):
    customer = get_or_404(Customer.objects, pk=payload.customer_id)
    case = None
    if payload.subject_kind == SubjectKind.CASE:
        case = access_case(request.agent, payload.subject_id, related=())
    notification = services.notify(
        customer,
        subject_kind=payload.subject_kind,
        subject_id=payload.subject_id,
        title=payload.title,
        body=payload.body,
        urgency=payload.urgency,
        case=case,
        by=request.agent,
        via="api",
    )
    return Status(201, _out(notification))


@router.get("/notifications/{int:notification_id}", response=NotificationOut)
def get_notification(request, notification_id: int):
    return _out(get_or_404(Notification.objects, pk=notification_id))


class PhoneConfirmationIn(In):
    who: str = Field(description="Who confirmed on the phone")
    note: str = ""


@router.post("/notifications/{int:notification_id}/phone-confirmation", response=NotificationOut)
def phone_confirmation(request, notification_id: int, payload: PhoneConfirmationIn):
    notification = get_or_404(Notification.objects, pk=notification_id)
    services.record_phone_confirmation(notification, by=request.agent, who=payload.who, note=payload.note)
    notification.refresh_from_db()
    return _out(notification)


class FanOutIn(In):
    subject_kind: SubjectKind
    subject_id: str
    title: str
    body: str
    urgency: Urgency = Urgency.URGENT
    customer_ids: list[BodyId] = Field([], max_length=2_000_000)
    unit_ids: list[BodyId] = Field(
        [], max_length=2_000_000, description="Service units whose owners are notified"
    )
    case_refs: list[str] = Field(
        [],
        max_length=100_000,
        description="Cases whose customers are notified (C-12); each shows the notice",
    )


class Failure(Schema):
    customer: str
    customer_id: int | None
    channel: str
    address: str
    status: str
    answer: str
    at: str


class ProgressOut(Schema):
    id: int
    total: int
    stored: int
    started: int
    sent: int
    delivered: int
    acknowledged: int
    failing: int
    exhausted: int
    climbing: int
    percent_started: float
    percent_acknowledged: float
    failures: list[Failure]


@router.post("/notifications/fanouts", response={201: ProgressOut}, summary="Notify every customer affected")
def fan_out(request, payload: FanOutIn):
    fanout = services.fan_out(
        subject_kind=payload.subject_kind,
        subject_id=payload.subject_id,
        title=payload.title,
        body=payload.body,
        urgency=payload.urgency,
        customers=payload.customer_ids,
        units=payload.unit_ids,
        cases=chosen_cases(payload.case_refs, request.agent),
        by=request.agent,
        via="api",
    )
    return Status(201, {"id": fanout.pk, **services.fanout_progress(fanout)})


@router.get("/notifications/fanouts/{int:fanout_id}", response=ProgressOut)
def fanout_progress(request, fanout_id: int):
    fanout = get_or_404(FanOut.objects, pk=fanout_id)
    return {"id": fanout.pk, **services.fanout_progress(fanout)}


class EvidenceRow(Schema):
    at: datetime
    what: str
    channel: str
    address: str
    subject: str
    rung: int | str
    status: str
    answer: str
    code: int | str
    later: str


@router.get(
    "/customers/{customer_id}/notifications",
    response=list[NotificationOut],
    summary="A customer's notifications, newest first",
)
def customer_notifications(request, customer_id: Id, limit: Limit = 50):
    customer = get_or_404(Customer.objects, pk=customer_id)
    found = Notification.objects.filter(customer=customer).order_by("-created_at", "-pk")[:limit]
    return [_out(n) for n in found]


@router.get(
    "/customers/{customer_id}/evidence",
    response=list[EvidenceRow],
    summary="Every attempt to reach the customer and every answer, oldest first",
)
def customer_evidence(request, customer_id: Id):
    customer = get_or_404(Customer.objects, pk=customer_id)
    return services.evidence_timeline(customer)
