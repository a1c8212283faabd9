"""Reading delivery reports: which of our sends failed, for which recipient, and how.

Two shapes arrive. RFC 3464 delivery status notifications (multipart/report with a message/delivery-status
part) say it in fields: one block per recipient with Action, Status and Diagnostic-Code. Many mail servers
still send plain text instead (qmail, Exim, OpenSMTPD, Gmail's and Yahoo's notices, broken MIME reports):
for those, flufl.bounce (GNU Mailman's bounce detectors, which know each MTA's usual wording) finds the
failed recipients and whether the failure is temporary or permanent, and the status is read from the reply
line the server quoted ("550 5.1.1 <user@example.com>... User Unknown") or, failing that, its words.

Only mail that looks automatic is read as a possible bounce (a null Return-Path, a mailer daemon's From,
Auto-Submitted, X-Failed-Recipients, a report's structure or a bounce's usual subject): a person writing
"user unknown" in a message of their own is a person writing.
"""

import logging
import re
from email.message import EmailMessage
from email.utils import parseaddr

from flufl.bounce import all_failures

from frontline.intake.headers import clean

# flufl.bounce logs every detector it runs at INFO: one line per detector per bounce.
logging.getLogger("flufl.bounce").setLevel(logging.WARNING)

_ENHANCED = re.compile(r"(?<![\d.])#?([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_REPLY = re.compile(r"(?<!\d)([45]\d\d)[ -]")
_QUOTED_ID = re.compile(r"(?im)^message-id:\s*(<[^<>\s]{1,250}>)")
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver|delivery (status notification|has failed|failure)|failure notice|returned mail|"
    r"mail delivery (failed|failure|system)|could not be delivered|non[- ]?delivery|delivery problem|"
    r"returned to sender|message not delivered)",
    re.IGNORECASE,
)
_DAEMONS = ("mailer-daemon", "postmaster", "mail delivery subsystem", "mail delivery system")
# The words servers use when the address itself is wrong, for a notice that quotes no status code.
_NO_SUCH_USER = re.compile(
    r"(user unknown|unknown user|no such (user|mailbox|recipient)|does not exist|doesn't exist|"
    r"recipient (address )?rejected|invalid (recipient|mailbox|address)|address rejected|"
    r"mailbox unavailable|not our customer|unrouteable address|no mailbox here|"
    r"account (has been )?(disabled|deleted)|user not found)",
    re.IGNORECASE,
)
_NO_SUCH_HOST = re.compile(
    r"(host (or domain name )?not found|domain (name )?not found|no such domain|unrouteable domain|"
    r"host unknown|name or service not known|nxdomain)",
    re.IGNORECASE,
)


def _text_of(msg: EmailMessage) -> str:
    parts = []
    for part in msg.walk():
        if part.get_content_maintype() == "text" or part.get_content_type() == "message/delivery-status":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                parts.append(payload.decode("utf-8", "replace"))
            elif isinstance(part.get_payload(), str):
                parts.append(part.get_payload())
    return "\n".join(parts)


def looks_automatic(msg: EmailMessage, subject: str) -> bool:
    """Cheap signs that a mail server, not a person, wrote this: only then is it read as a bounce."""
    if msg.get("X-Failed-Recipients") or msg.get_content_type() in (
        "multipart/report",
        "message/delivery-status",
    ):
        return True
    if null_return_path(msg):
        return True
    name, address = parseaddr(clean(msg.get("From", "")))
    who = f"{name} {address}".lower()
    if any(daemon in who for daemon in _DAEMONS):
        return True
    if not _BOUNCE_SUBJECT.search(subject):
        return False
    auto = clean(msg.get("Auto-Submitted", "")).lower()
    return auto.startswith("auto-") or not msg.get("In-Reply-To")


def null_return_path(msg: EmailMessage) -> bool:
    """Sent with the empty return path "<>" (as the delivering server recorded it): RFC 5321 keeps that for
    a mail server's notices, which must never be answered; a person's mail always has a return path."""
    for header in ("Return-Path", "X-Envelope-From"):
        value = msg.get(header)
        if value is not None and clean(value).strip() in ("<>", ""):
            return True
    return False


def report_type(msg: EmailMessage) -> str:
    """A multipart/report's report-type (delivery-status, disposition-notification, feedback-report...)."""
    if msg.get_content_type() != "multipart/report":
        return ""
    return clean(msg.get_param("report-type", "") or "").lower() or "unknown"


def specific_status(status: str, *texts: str) -> str:
    """The most specific enhanced status code: a generic x.0.0 (or none) gives way to the code the
    server's own words carry ("550 5.1.1 User Unknown", "#5.1.0 Address rejected")."""
    status = status.strip()
    if status and not status.endswith(".0.0"):
        return status
    for text in texts:
        for match in _ENHANCED.finditer(text or ""):
            found = ".".join(match.groups())
            if not status or (found[0] == status[0] and not found.endswith(".0.0")):
                status = found
                break
    if status.startswith("5") and status.endswith(".0.0"):  # generic: the server's words may say more
        words = " ".join(texts)
        if _NO_SUCH_HOST.search(words):
            return "5.1.2"
        if _NO_SUCH_USER.search(words):
            return "5.1.1"
    return status


def _status_from_words(text: str, permanent: bool) -> str:
    if permanent and _NO_SUCH_HOST.search(text):
        return "5.1.2"
    if permanent and _NO_SUCH_USER.search(text):
        return "5.1.1"
    match = _REPLY.search(text)
    if match and match.group(1)[0] == ("5" if permanent else "4"):
        return f"{match.group(1)[0]}.0.0"
    return "5.0.0" if permanent else "4.0.0"


def _about(msg: EmailMessage, text: str) -> str:
    """The Message-ID of the mail the report is about: from the returned message or its headers, or from
    headers quoted in the notice's text (never the notice's own)."""
    own = clean(msg.get("Message-ID", ""))
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "text/rfc822-headers"):
            inner = part.get_payload()
            if isinstance(inner, list) and inner:
                found = clean(inner[0].get("Message-ID", ""))
            else:
                match = _QUOTED_ID.search(inner if isinstance(inner, str) else "")
                found = match.group(1) if match else ""
            if found:
                return found
    for match in _QUOTED_ID.finditer(text):
        if match.group(1) != own:
            return match.group(1)
    return ""


def read(msg: EmailMessage, subject: str, report_cls) -> tuple[list, str]:
    """(reports, the Message-ID they are about) for a delivery report; ([], "") for anything else."""
    if not looks_automatic(msg, subject) or report_type(msg) not in ("", "delivery-status"):
        return [], ""  # a person writing, or another kind of report (an abuse report, a read receipt)
    reports = _rfc3464(msg, report_cls)
    text = _text_of(msg)
    if not reports:
        reports = _plain_text(msg, text, report_cls)
    return (reports, _about(msg, text)) if reports else ([], "")


def _rfc3464(msg: EmailMessage, report_cls) -> list:
    reports = []
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in part.get_payload() if isinstance(part.get_payload(), list) else []:
            recipient = clean(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
            status = clean(block.get("Status", "")).split()
            diagnostic = clean(block.get("Diagnostic-Code", ""))
            if not recipient and not status:
                continue
            reports.append(
                report_cls(
                    recipient=recipient.split(";")[-1].strip().strip("<>").lower(),
                    action=clean(block.get("Action", "")).lower(),
                    status=specific_status(status[0] if status else "", diagnostic),
                    diagnostic=diagnostic,
                )
            )
    return reports


def _plain_text(msg: EmailMessage, text: str, report_cls) -> list:
    try:
        temporary, permanent = all_failures(msg)
    except Exception:
        temporary, permanent = frozenset(), frozenset()
    failed = {address.decode("utf-8", "replace").strip("<>").lower(): True for address in permanent}
    for address in temporary:
        failed.setdefault(address.decode("utf-8", "replace").strip("<>").lower(), False)
    if not failed:  # Exim names them in a header even when its words are unusual
        for address in clean(msg.get("X-Failed-Recipients", "")).split(","):
            if "@" in address:
                failed[address.strip().strip("<>").lower()] = True
    if not failed:
        failed = _named_with_a_reply(msg, text)
    reports = []
    lowered = text.lower()
    # In the order the notice names them (the detectors answer with sets).
    in_order = sorted(failed.items(), key=lambda item: (lowered.find(item[0]) % (len(lowered) + 1), item[0]))
    for address, is_permanent in in_order:
        said = _about_recipient(text, address, alone=len(failed) == 1)
        code = specific_status("", said)
        if code and (code[0] == "5") != is_permanent and code[0] in "45":
            is_permanent = code[0] == "5"  # the server's own code decides the class
        status = code or _status_from_words(said, is_permanent)
        reports.append(
            report_cls(
                recipient=address,
                action="failed" if is_permanent else "delayed",
                status=status,
                diagnostic=" ".join(said.split())[:2000],
            )
        )
    return reports


_ADDRESS = re.compile(r"<?([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})>?")
_COPY_FOLLOWS = re.compile(
    r"(?im)^.*(below this line is a copy|copy of the original message|original message follows|"
    r"-+ ?original message|returned message|message headers follow|^received: )"
)


def _named_with_a_reply(msg: EmailMessage, text: str) -> dict[str, bool]:
    """The last resort for a notice no detector knows: each address it names above the returned copy
    with a server's reply code on its line or the next three ("<user@example.com>: ... 550 5.1.1 ...")."""
    notice = _notice(text)
    ours = {parseaddr(clean(msg.get(h, "")))[1].lower() for h in ("From", "To")}
    lines = notice.splitlines()
    failed: dict[str, bool] = {}
    for index, line in enumerate(lines):
        for found in _ADDRESS.finditer(line):
            address = found.group(1).lower()
            if address in ours or address in failed:
                continue
            reply = _REPLY.search(" ".join(lines[index : index + 4]) + " ")
            if reply:
                failed[address] = reply.group(1).startswith("5")
    return failed


def _notice(text: str) -> str:
    """The notice itself, without the copy of our message it returns."""
    match = _COPY_FOLLOWS.search(text)
    return text[: match.start()] if match else text


def _about_recipient(text: str, address: str, *, alone: bool) -> str:
    """What the notice says about one recipient: each line naming them and the three after it; the whole
    notice when that holds no reply code and they are the only recipient it names ("Delivery to the
    following recipient failed permanently: ... The error that the other server returned was: 550 5.1.1")."""
    notice = _notice(text)
    lines = notice.splitlines()
    said = []
    for index, line in enumerate(lines):
        if address in line.lower():
            said.extend(lines[index : index + 4])
    joined = "\n".join(said)
    if alone and not _ENHANCED.search(joined) and not _REPLY.search(joined + " "):
        return notice[:4000]
    return joined or notice[:4000]
