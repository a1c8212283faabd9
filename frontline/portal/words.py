"""The words a customer reads for our stored values (a unit's kind and state, a delivery's outcome, an
incident's state...), each marked for translation here: the models' choice labels are the staff's English,
and a portal page in another language must not show them."""

from django.utils.translation import gettext_lazy as _

SAY = {
    "unit_kind": {
        "account": _("hosting account"),
        "server": _("server"),
        "site": _("web site"),
        "mailbox": _("mailbox"),
        "domain": _("domain"),
        "relay": _("mail relay"),
        "line": _("line"),
        "port": _("port"),
        "host": _("host"),
    },
    "unit_state": {
        "ok": _("working"),
        "degraded": _("working badly"),
        "down": _("down"),
        "contained": _("contained"),
        "suspended": _("suspended"),
    },
    "contact_kind": {"email": _("email"), "phone": _("phone"), "webhook": _("webhook"), "chat": _("chat")},
    "contact_state": {
        "unverified": _("not yet confirmed"),
        "verified": _("confirmed by you"),
        "failing": _("failing: our messages do not reach it"),
        "retired": _("no longer used"),
    },
    "attempt": {
        "sending": _("handed over, no answer yet"),
        "accepted": _("accepted by the receiving server"),
        "refused": _("refused"),
        "deferred": _("temporarily refused"),
        "bounced": _("bounced"),
        "delayed": _("delayed"),
        "delivered": _("delivered"),
        "unknown": _("outcome unknown"),
    },
    "notice": {
        "active": _("waiting for your confirmation"),
        "acknowledged": _("you confirmed reading it"),
        "exhausted": _("no answer from you"),
        "cancelled": _("withdrawn"),
    },
    "channel": {
        "email": _("email"),
        "chat": _("chat"),
        "phone": _("phone"),
        "sms": _("SMS"),
        "web": _("web"),
        "api": _("your systems"),
        "monitoring": _("monitoring"),
    },
    "incident": {
        "investigating": _("investigating"),
        "identified": _("cause found, fixing"),
        "monitoring": _("fixed, watching"),
        "resolved": _("resolved"),
    },
    "maintenance": {
        "CONFIRMED": _("scheduled"),
        "IN-PROCESS": _("in progress"),
        "COMPLETED": _("completed"),
        "CANCELLED": _("cancelled"),
    },
    "impact": {
        "NO-IMPACT": _("no impact expected"),
        "REDUCED-REDUNDANCY": _("reduced redundancy"),
        "DEGRADED": _("degraded service"),
        "OUTAGE": _("outage"),
    },
    "action": {
        "contain": _("contained"),
        "suspend": _("suspended"),
        "rate_limit": _("rate-limited"),
    },
    "trigger": {
        "abuse_report": _("an abuse report"),
        "malware_scan": _("a malware scan"),
        "payment_overdue": _("an overdue payment"),
        "resource_abuse": _("resource use far beyond its share"),
        "monitoring_state": _("monitoring"),
    },
}


def say(value, vocabulary: str) -> str:
    """The customer's words for `value`; the value itself when there are none."""
    return str(SAY[vocabulary].get(value, value))
