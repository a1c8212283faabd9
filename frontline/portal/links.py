"""The portal's links: the one we put under every email on a case, and the landing of every signed link.

A link we send a customer opens the portal for the things it is about and nothing else: no password, no
sign-in, and no other case, service or contact of theirs (that takes a one-time sign-in link).
"""

from datetime import timedelta

from django.urls import reverse
from django.utils.translation import gettext as _

from frontline.cases.models import Case
from frontline.core import links
from frontline.notifications.models import Notification, SubjectKind
from frontline.portal import visitor as visitors

CASE_SALT = "frontline.portal.case"
CASE_LINK_AGE = timedelta(days=30)


def case_link(case) -> str:
    return links.make_link("portal/open", {"case": case.pk, "customer": case.customer_id}, salt=CASE_SALT)


def read_case_link(token: str) -> dict:
    return links.read_link(
        token,
        salt=CASE_SALT,
        max_age=CASE_LINK_AGE,
        ids=("case", "customer"),
        expired=_("this link has expired: ask for a sign-in link to see your cases"),
    )


def case_mail_footer(case) -> str:
    """FRONTLINE_CASE_MAIL_FOOTERS: every email on a case carries its portal link."""
    return _("Follow this case and answer online: %(link)s") % {"link": case_link(case)}


def _with_a_notice(things: list[tuple[str, int]], customer_id: int) -> list[tuple[str, int]]:
    """A notice's link reached its holder through one of the account's own contact points: it also lets
    them see and fix how we reach the account (each change is an event; a new address confirms itself), and
    a notice of an action on their services shows what is held and why."""
    notices = [pk for kind, pk in things if kind == "notification"]
    if not notices:
        return []
    extra = [("contacts", customer_id)]
    if Notification.objects.filter(pk__in=notices, subject_kind=SubjectKind.ACTION).exists():
        extra.append(("services", customer_id))
    return extra


def landing(request, customer, things: list[tuple[str, int]]) -> tuple[str, str] | None:
    """FRONTLINE_LINK_LANDINGS: the page of a signed link lets its holder into the portal for its things."""
    if not things:
        return None
    visitors.let_in(request, account_id=customer.pk, grants=things + _with_a_notice(things, customer.pk))
    kind, pk = things[-1]
    if kind == "case":
        return _("See this case in your portal"), reverse("portal:case", kwargs={"ref": Case(pk=pk).ref})
    if kind == "contacts":
        return _("See how we reach you, in your portal"), reverse("portal:contacts")
    return _("See this in your portal"), reverse("portal:home")
