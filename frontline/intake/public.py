"""The public channels: the web form and the live chat, which anyone can reach, and phone notes staff write.

Nothing a stranger sends reaches an existing customer's case until the address is proven: the web form
and the chat mail a signed confirmation link (one helper, core/links.py), or the control panel embeds the
chat with a signed identity. Every message is stored raw first, like mail, and read by the same pipeline."""

import hashlib
import hmac
import json
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils.crypto import salted_hmac

from frontline.agents.models import Capability
from frontline.agents.services import require
from frontline.cases import services as cases
from frontline.cases.models import Case, Channel, Direction, Message
from frontline.core import clock
from frontline.core.errors import ServiceError
from frontline.core.links import NOT_VALID, make_link, read_link
from frontline.core.ratelimit import hits
from frontline.core.texts import render_message
from frontline.customers import services as customers
from frontline.customers.models import ContactKind, ContactPoint, ContactState, Customer
from frontline.delivery import services as delivery
from frontline.intake import mail, matching
from frontline.intake.models import ChatSession, RawMessage, RawStatus, Source
from frontline.intake.services import accept, as_raw, process, submit_or_refuse

log = logging.getLogger(__name__)


CONFIRM_SALT = "frontline.intake.web-form"


CONFIRM_MAX_AGE = timedelta(days=3)


def submit_web_form(fields: dict) -> RawMessage:
    """Store what the form was given and send a confirmation link to the address: the form is public and
    anyone can type anyone's address, so nothing reaches a case (or mails a customer) until the owner of the
    address presses the button. Known and unknown addresses are answered alike."""
    payload = {key: str(fields.get(key, ""))[:20_000] for key in ("name", "email", "subject", "body")}
    raw = as_raw(payload)
    email = mail.clean(payload["email"]).lower()
    customers.normalize_contact(ContactKind.EMAIL, email)  # a clear error for a non-address, nothing stored
    if not payload["body"].strip():
        raise ServiceError("write what the problem is", field="body")
    row, _ = accept(raw, source=Source.WEB_FORM, channel=Channel.WEB)
    sent = _send_confirmation(row, email)
    RawMessage.objects.filter(pk=row.pk).update(
        status=RawStatus.UNCONFIRMED,
        reason=f"waiting for {email} to confirm by the emailed link"
        if sent
        else f"no link sent: {email} was sent {settings.FRONTLINE_LINKS_PER_ADDRESS} already this hour",
    )
    row.refresh_from_db()
    return row


def confirmation_link(row: RawMessage) -> str:
    return make_link("contact/confirm", {"raw": row.pk}, salt=CONFIRM_SALT)


def _read_confirmation(token: str, *, salt: str, key: str) -> int:
    data = read_link(
        token,
        salt=salt,
        max_age=CONFIRM_MAX_AGE,
        ids=(key,),
        expired="this link has expired; please write to us again",
    )
    return data[key]


def _send_confirmation(row: RawMessage, email: str) -> bool:
    return _send_link(email, text="intake/confirm_web_form", link=confirmation_link(row))


def _send_link(email: str, *, text: str, link: str) -> bool:
    """A fixed text with one link, never the sender's words: the public pages cannot make us mail anyone
    what a stranger chose, nor mail one address more than FRONTLINE_LINKS_PER_ADDRESS times an hour (the
    limit per client address alone would let many clients flood one mailbox). Answers whether it was sent."""

    if (
        hits(f"rate:links-to:{email.strip().lower()}", window_seconds=3600)
        > settings.FRONTLINE_LINKS_PER_ADDRESS
    ):
        log.warning("no confirmation link sent to %s: its hourly limit is reached", email)
        return False

    subject, body = render_message(text, link=link, team=settings.FRONTLINE_TEAM_SIGNATURE)
    delivery.send_email(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        address=email,
        headers={"Auto-Submitted": "auto-generated", "X-Frontline-Instance": settings.FRONTLINE_INSTANCE_ID},
        message_id=delivery.new_message_id(),
    )
    return True


def raw_for_confirmation(token: str) -> RawMessage:
    row = RawMessage.objects.filter(
        pk=_read_confirmation(token, salt=CONFIRM_SALT, key="raw"), source=Source.WEB_FORM
    ).first()
    if row is None:
        raise ServiceError(NOT_VALID, field="token")
    return row


def confirm_web_form(token: str) -> RawMessage:
    """The link was followed and its button pressed: the address is proven, the message goes on."""
    row = raw_for_confirmation(token)
    if row.status != RawStatus.UNCONFIRMED:
        return row  # confirmed before: pressing twice changes nothing
    with transaction.atomic():
        RawMessage.objects.filter(pk=row.pk, status=RawStatus.UNCONFIRMED).update(status=RawStatus.PENDING)
        row = process(row)
        _verify_email(json.loads(bytes(row.raw))["email"], via="web_form")
    return row


def _verify_email(email: str, *, via: str = "chat") -> None:
    """Whoever pressed a link mailed to this address reads its mail: the address is theirs and it works."""
    email = email.strip().lower()
    for point in ContactPoint.objects.filter(kind=ContactKind.EMAIL, normalized=email).exclude(
        state=ContactState.VERIFIED
    ):
        customers.verify_contact_point(point, via=via)


def log_phone_call(
    *,
    by,
    customer: Customer,
    caller: str,
    summary: str,
    duration_seconds: int = 0,
    case: Case | None = None,
) -> RawMessage:
    """An agent's note of a call from the customer: a contact like any other, threaded like any other."""

    require(by, Capability.WORK_CASES)
    if not summary.strip():
        raise ServiceError("say what the caller wanted", field="summary")
    payload = {
        "agent_id": by.pk,
        "customer_id": customer.pk,
        "case_id": case.pk if case else None,
        "phone": caller,
        "subject": "",
        "body": summary,
        "duration_seconds": max(int(duration_seconds or 0), 0),
        "channel": Channel.PHONE,
    }
    return submit_or_refuse(payload, source=Source.PHONE, field="summary", by=by)


def chat_identity(email: str) -> str:
    """What the provider's control panel signs for a signed-in customer's chat: the HMAC-SHA256 of their
    address under FRONTLINE_CHAT_IDENTITY_SECRET (as chat services' identity verification works). Unset, the
    secret is derived from the signing key, so that only Frontline itself (the demo) can sign."""
    secret = settings.FRONTLINE_CHAT_IDENTITY_SECRET or salted_hmac(CHAT_IDENTITY_SALT, "secret").hexdigest()
    return hmac.new(secret.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()


CHAT_IDENTITY_SALT = "frontline.intake.chat-identity-secret"


def _signed_identity_holds(email: str, identity: str) -> bool:
    return bool(identity) and hmac.compare_digest(chat_identity(email), identity.strip().lower())


def start_chat(*, name: str, email: str, body: str, identity: str = "") -> tuple[ChatSession, RawMessage]:
    """A chat proven by a signed identity goes on like mail; any other is held apart on a case of its own,
    and the address is sent a link that proves it."""
    body = _chat_line(body)
    proven = _signed_identity_holds(email, identity)
    payload = {
        "name": name[:120],
        "email": email,
        "body": body,
        "channel": Channel.CHAT,
        "subject": "",
        "proven": "signed identity" if proven else "",
    }
    row = submit_or_refuse(payload, source=Source.CHAT, field="body")
    now = clock.now()
    session = ChatSession.objects.create(
        token=secrets.token_urlsafe(32),
        case=row.case,
        name=name[:120],
        email=email.strip().lower()[:255],
        started_at=row.message.created_at,
        last_seen_at=now,
    )
    if not proven:
        _send_link(
            session.email,
            text="intake/confirm_chat",
            link=make_link("chat/confirm", {"chat": session.pk}, salt=CHAT_CONFIRM_SALT),
        )
    return session, row


CHAT_CONFIRM_SALT = "frontline.intake.chat-identity"


def chat_for_confirmation(token: str) -> ChatSession:
    pk = _read_confirmation(token, salt=CHAT_CONFIRM_SALT, key="chat")
    session = ChatSession.objects.select_related("case").filter(pk=pk).first()
    if session is None:
        raise ServiceError(NOT_VALID, field="token")
    return session


def confirm_chat(token: str) -> ChatSession:
    """The link was followed and its button pressed: the chat's sender is who they said."""
    session = chat_for_confirmation(token)
    with transaction.atomic():
        case = cases.prove_identity(session.case, how="their emailed link", via="chat")
        _verify_email(session.email)
        matching.join_open_case(case, via="chat")  # held apart until now: where it fits, it joins
    return session


def _chat_line(body: str) -> str:
    if len(body) > settings.FRONTLINE_CHAT_MAX_CHARS:
        raise ServiceError(
            f"a chat message can be at most {settings.FRONTLINE_CHAT_MAX_CHARS:,} characters; "
            "send a longer text or a file by email",
            field="body",
        )
    return body


def chat_message(session: ChatSession, body: str) -> RawMessage:
    body = _chat_line(body)
    payload = {
        "case_id": session.case_id,
        "email": session.email,
        "name": session.name,
        "body": body,
        "channel": Channel.CHAT,
        "subject": "",
    }
    row = submit_or_refuse(payload, source=Source.CHAT, field="body")
    ChatSession.objects.filter(pk=session.pk).update(last_seen_at=clock.now())
    return row


def chat_transcript(session: ChatSession, *, after: int = 0) -> list[dict]:
    """What the visitor may see: this conversation's chat lines only, never the rest of the case."""
    rows = (
        Message.objects.filter(
            case_id=session.case_id, channel=Channel.CHAT, created_at__gte=session.started_at, pk__gt=after
        )
        .select_related("author_agent")
        .order_by("pk")[:200]
    )
    return [
        {
            "id": m.pk,
            "from": "you"
            if m.direction == Direction.INBOUND
            else (m.author_agent.display_name if m.author_agent else "support"),
            "body": m.body_text,
            "at": m.created_at.isoformat(),
        }
        for m in rows
    ]
