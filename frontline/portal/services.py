"""What a customer does in the portal. Each is a service function the views call, and each passes to the
owning app's own service: a reply is stored raw by intake before it is read, a confirmation is the cases
app's, a contact change the customers app's, a re-scan request the policy app's.

Every function takes the `Visitor` and the thing by id, and refuses what the visitor may not touch with
the same answer as a thing that does not exist (Http404 "not found"): another customer's ids tell nothing.
"""

import base64
import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from frontline.cases import confirmation
from frontline.cases.models import Case
from frontline.core import clock
from frontline.core.errors import ServiceError
from frontline.core.ratelimit import hits
from frontline.core.texts import render_message
from frontline.customers import services as customers
from frontline.customers.models import ContactKind, ContactPoint, ContactState
from frontline.delivery import services as delivery
from frontline.intake import services as intake
from frontline.intake.models import Source
from frontline.notifications import services as notifications
from frontline.notifications.models import Notification
from frontline.notifications.verification import request_verification
from frontline.policy import services as policy
from frontline.policy.models import Decision
from frontline.portal import events, queries
from frontline.portal.models import SignInLink
from frontline.portal.visitor import Visitor, accounts_of

SIGN_IN_LINK_LIFE = timedelta(minutes=20)
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
NOT_FOUND = "not found"


# ---- signing in -------------------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_sign_in(address: str) -> bool:
    """Mail a one-time link to `address` if it is a working email address we hold; answers whether one went
    (the page answers the same either way). At most FRONTLINE_LINKS_PER_ADDRESS an hour to one address."""
    normalized = address.strip().lower()
    if not normalized or "@" not in normalized or len(normalized) > 254:
        raise ServiceError(_("enter the email address we write to you at"), field="email")
    point = (
        ContactPoint.objects.filter(kind=ContactKind.EMAIL, normalized=normalized)
        .exclude(state__in=ContactState.unusable())
        .select_related("person", "customer")
        .order_by("pk")
        .first()
    )
    if point is None or not accounts_of(point):
        return False
    if hits(f"rate:links-to:{normalized}", window_seconds=3600) > settings.FRONTLINE_LINKS_PER_ADDRESS:
        return False
    token = secrets.token_urlsafe(32)
    now = clock.now()
    SignInLink.objects.create(
        point=point, digest=_digest(token), created_at=now, expires_at=now + SIGN_IN_LINK_LIFE
    )
    link = f"{settings.SITE_URL.rstrip('/')}/portal/sign-in/{token}/"
    subject, body = render_message(
        "portal/sign_in",
        link=link,
        minutes=int(SIGN_IN_LINK_LIFE.total_seconds() // 60),
        provider=settings.FRONTLINE_PROVIDER_NAME,
        team=settings.FRONTLINE_TEAM_SIGNATURE,
    )
    delivery.send_email(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        address=point.value,
        headers={"Auto-Submitted": "auto-generated", "X-Frontline-Instance": settings.FRONTLINE_INSTANCE_ID},
        message_id=delivery.new_message_id(),
        contact_point=point,
    )
    events.sign_in_sent(point=point, customer=customers.owner_account(point))
    return True


def _link(token: str) -> SignInLink:
    link = SignInLink.objects.select_related("point__person").filter(digest=_digest(token)).first()
    if link is None:
        raise ServiceError(_("this sign-in link is not valid"), field="token")
    if link.used_at is not None:
        raise ServiceError(_("this sign-in link was used already: ask for a new one"), field="token")
    if link.expires_at < clock.now():
        raise ServiceError(_("this sign-in link has expired: ask for a new one"), field="token")
    return link


def check_sign_in(token: str) -> ContactPoint:
    """The address a sign-in link was sent to, without using it (the page a GET shows)."""
    return _link(token).point


@transaction.atomic
def use_sign_in(token: str) -> ContactPoint:
    """Use a sign-in link, once: two presses at the same moment sign in one of them."""
    link = _link(token)
    used = SignInLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=clock.now())
    if not used:
        raise ServiceError(_("this sign-in link was used already: ask for a new one"), field="token")
    point = link.point
    events.signed_in(point=point, customer=customers.owner_account(point))
    return point


# ---- cases ------------------------------------------------------------------------------------------------


def _case(visitor: Visitor, ref: str) -> Case:
    case = queries.case_for(visitor, ref)
    if case is None:
        raise Http404(NOT_FOUND)
    return case


def reply(visitor: Visitor, ref: str, *, body: str, files=()) -> Case:
    """The customer writes on their case. Stored raw (with its files) by intake before it is read, like
    any contact; a reply on a finished case reopens it."""
    return _write_on(_case(visitor, ref), visitor, body=body, files=files)


def _write_on(case: Case, visitor: Visitor, *, body: str, files=()) -> Case:
    body = body.strip()
    if not body:
        raise ServiceError(_("write what you want to tell us"), field="body")
    if len(files) > MAX_FILES:
        raise ServiceError(_("attach at most %(n)s files") % {"n": MAX_FILES}, field="files")
    attachments = []
    for upload in files:
        if upload.size > MAX_FILE_BYTES:
            raise ServiceError(_("%(name)s is larger than 10 MB") % {"name": upload.name}, field="files")
        attachments.append(
            {
                "filename": upload.name,
                "content_type": upload.content_type or "application/octet-stream",
                "data": base64.b64encode(upload.read()).decode("ascii"),
            }
        )
    payload = {
        "case_id": case.pk,
        "customer_id": case.customer_id,
        "person_id": visitor.person_id,
        "body": body[:20000],
        "channel": "web",
        "attachments": attachments,
    }
    if not attachments:
        payload.pop("attachments")
    intake.submit_or_refuse(payload, source=Source.PORTAL, field="body")
    return case


def confirm(visitor: Visitor, ref: str, *, answer: str, words: str = "") -> Case:
    return confirmation.confirm_fix(_case(visitor, ref), answer=answer, words=words, via="portal")


# ---- notices ----------------------------------------------------------------------------------------------


def acknowledge(visitor: Visitor, notification_id: int) -> Notification:
    notification = queries.notification_for(visitor, notification_id)
    if notification is None:
        raise Http404(NOT_FOUND)
    return notifications.acknowledge(notification, via="portal", who=_("the customer, in the portal"))


# ---- contact points ---------------------------------------------------------------------------------------


def _point(visitor: Visitor, point_id: int) -> ContactPoint:
    point = queries.contact_for(visitor, point_id)
    if point is None:
        raise Http404(NOT_FOUND)
    return point


def add_contact(visitor: Visitor, *, kind: str, value: str, label: str = "") -> ContactPoint:
    """A new address or number of the signed-in person (or of the account, signed in through its shared
    mailbox); its owner is asked to confirm it before any ladder relies on it."""
    if kind not in (ContactKind.EMAIL, ContactKind.PHONE):
        raise ServiceError(_("add an email address or a phone number"), field="kind")
    person = queries.person(visitor)
    return customers.add_contact_point(
        kind=kind,
        value=value,
        person=person,
        customer=None if person else queries.account(visitor),
        label=label.strip()[:40],
        ask_to_verify=True,
        acting_person=person,
        via="portal",
    )


def correct_contact(visitor: Visitor, point_id: int, *, value: str) -> ContactPoint:
    return customers.correct_contact_point(
        _point(visitor, point_id), value=value, acting_person=queries.person(visitor), via="portal"
    )


def retire_contact(visitor: Visitor, point_id: int) -> ContactPoint:
    return customers.retire_contact_point(
        _point(visitor, point_id), acting_person=queries.person(visitor), via="portal"
    )


def verify_contact(visitor: Visitor, point_id: int):
    point = _point(visitor, point_id)
    if point.state == ContactState.RETIRED:
        raise ServiceError(_("this contact point is retired"), field="contact")
    return request_verification(point, via="portal")


# ---- what is held on a service ----------------------------------------------------------------------------


def _decision(visitor: Visitor, decision_id: int) -> Decision:
    decision = queries.decision_for(visitor, decision_id)
    if decision is None:
        raise Http404(NOT_FOUND)
    return decision


def ask_rescan(visitor: Visitor, decision_id: int, *, words: str = ""):
    return policy.request_rescan(_decision(visitor, decision_id), person=queries.person(visitor), words=words)


def ask_person(visitor: Visitor, decision_id: int, *, words: str) -> Case:
    """A question about a held unit goes onto the case that decision opened, for a person to answer."""
    decision = _decision(visitor, decision_id)
    if decision.case_id is None:
        raise ServiceError(_("write to us on your case instead"), field="decision")
    return _write_on(decision.case, visitor, body=words)
