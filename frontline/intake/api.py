"""`POST /api/v1/messages`: a customer's message from an integration, into the same pipeline as mail.

The body is stored exactly as sent before it is read, so a message that cannot be read is still kept (and
the caller told why, with a 400). The same Idempotency-Key again answers the first outcome without a
second message; the same key with a different body is a 409, since the caller has mixed two messages up.
"""

from ninja import Router, Schema
from ninja.responses import Status

from frontline.cases.models import Channel
from frontline.core import jsonbody
from frontline.intake import services
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
    if not created and bytes(row.raw) != raw:
        return Status(
            409, {"detail": "this Idempotency-Key was used for a different message", "stored_as": row.pk}
        )
    if row.status == RawStatus.QUARANTINED:
        return Status(400, {"detail": row.reason, "stored_as": row.pk})
    return Status(201 if created else 200, _out(row))
