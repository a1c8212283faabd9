"""`POST /api/v1/messages`: a customer's message from an integration, into the same pipeline as mail.

The body is stored exactly as sent before it is read, so a message that cannot be read is still kept (and
the caller told why, with a 400). The same Idempotency-Key again answers the first outcome without a
second message; the same key with a different body is a 409, since the caller has mixed two messages up.
"""

from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from frontline.cases.models import Channel
from frontline.core import jsonbody
from frontline.core.api import In, get_or_404
from frontline.customers.models import Customer, Person
from frontline.intake import matching, services
from frontline.intake.models import RawMessage, RawStatus, Source

router = Router(tags=["intake"])


class ArrivalOut(Schema):
    id: int
    status: str
    reason: str
    case: str | None
    message_id: int | None


class ErrorOut(Schema):
    detail: str
    stored_as: int | None = None


def _out(row: RawMessage) -> dict:
    return {
        "id": row.pk,
        "status": row.status,
        "reason": row.reason,
        "case": f"C-{row.case_id}" if row.case_id else None,
        "message_id": row.message_id,
    }


def _key(request) -> str:
    key = request.headers.get("Idempotency-Key", "")
    if not key:
        try:
            payload = jsonbody.loads(request.body)
            key = str(payload.get("idempotency_key") or "") if isinstance(payload, dict) else ""
        except jsonbody.BadJson:
            key = ""  # stored as sent all the same; reading it says what is wrong
    return key.strip()[:200]


@router.post(
    "/messages",
    response={200: ArrivalOut, 201: ArrivalOut, 400: ErrorOut, 409: ErrorOut},
    summary="A message from a customer (idempotent by Idempotency-Key)",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["body"],
                        "properties": services.API_FIELDS,
                        "additionalProperties": False,
                    }
                }
            }
        }
    },
)
def post_message(request):
    raw = request.body
    key = _key(request)
    row, created = services.receive_in_one_transaction(
        raw, source=Source.API, channel=Channel.API, idempotency_key=key, by=request.agent
    )
    if not created and not row.purged_at and bytes(row.raw) != raw:  # purged: nothing left to compare
        return Status(
            409, {"detail": "this Idempotency-Key was used for a different message", "stored_as": row.pk}
        )
    if row.status == RawStatus.QUARANTINED:
        return Status(400, {"detail": row.reason, "stored_as": row.pk})
    return Status(201 if created else 200, _out(row))


class MatchIn(In):
    into_customer_id: int = Field(ge=1, le=2**62, description="The account the sender belongs to")
    person_id: int | None = Field(
        None,
        ge=1,
        le=2**62,
        description="One of its people the sender is; none: a new person of it",
    )


class MatchedCaseOut(Schema):
    ref: str
    merged_into: str | None = Field(description="The account's open case about the same problem it joined")


class MatchOut(Schema):
    customer_id: int
    person_id: int
    cases: list[MatchedCaseOut]


@router.post(
    "/customers/{int:customer_id}/match",
    response=MatchOut,
    summary="Say who an unmatched sender is: their cases move to that account",
)
def match_sender(request, customer_id: int, payload: MatchIn):
    sender = get_or_404(Customer.objects, pk=customer_id)
    into = get_or_404(Customer.objects, pk=payload.into_customer_id)
    person = get_or_404(Person.objects, pk=payload.person_id) if payload.person_id else None
    matched = matching.match_sender(sender, into=into, person=person, by=request.agent, via="api")
    return {
        "customer_id": into.pk,
        "person_id": matched.person.pk,
        "cases": [
            {"ref": c.ref, "merged_into": f"C-{c.merged_into_id}" if c.merged_into_id else None}
            for c in matched.cases
        ],
    }
