"""Reading one inbound email: what intake needs from it, and nothing it has to trust.

The standard library's parser (policy.default) does the MIME work. Everything that comes out of a header
is cleaned of raw 8-bit bytes and line breaks before anything else sees it, HTML is sanitised with nh3
(the original stays in the raw message), and attachments are read but never expanded or executed.
"""

import email
import hashlib
import html as html_entities
import re
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

import nh3

from frontline.intake import bounces, charsets, display
from frontline.intake.headers import clean as clean


class _HeaderClasses(HeaderRegistry):
    """The standard library's header registry makes a new class for every header it parses (Python 3.11:
    `type(...)` on each look, most of a message's parsing time); the class depends only on the kind of
    header, so here each kind's is made once. Unknown header names all share the default kind's class, so
    what a message names cannot grow this."""

    def __init__(self):
        super().__init__()
        self._made: dict[type, type] = {}

    def __getitem__(self, name):
        kind = self.registry.get(name.lower(), self.default_class)
        made = self._made.get(kind)
        if made is None:
            made = self._made[kind] = super().__getitem__(name)
        return made


# policy.default, with header classes made once.
POLICY = policy.default.clone(header_factory=_HeaderClasses())


class ReceivedMessage(EmailMessage):
    """A message as received, which intake only reads. policy.default builds a new header object on every
    look (a Content-Type is parsed ten times in reading one message, 0.2 ms each): here each header is
    parsed once. Whatever changes headers forgets what was parsed."""

    _MISSING = object()

    def get(self, name, failobj=None):
        parsed = self.__dict__.setdefault("_parsed_headers", {})
        key = name.lower()
        if key not in parsed:
            parsed[key] = super().get(name, self._MISSING)
        value = parsed[key]
        return failobj if value is self._MISSING else value

    def _forget(self):
        self.__dict__.pop("_parsed_headers", None)

    def __setitem__(self, name, val):
        self._forget()
        super().__setitem__(name, val)

    def __delitem__(self, name):
        self._forget()
        super().__delitem__(name)

    def replace_header(self, _name, _value):
        self._forget()
        super().replace_header(_name, _value)

    def set_raw(self, name, value):
        self._forget()
        super().set_raw(name, value)

    def set_boundary(self, boundary):
        self._forget()
        super().set_boundary(boundary)

    def clear(self):
        self._forget()
        super().clear()

    def _make_multipart(self, subtype, disallowed_subtypes, boundary):
        self._forget()
        super()._make_multipart(subtype, disallowed_subtypes, boundary)

    def clear_content(self):
        self._forget()
        super().clear_content()


class UnreadableMail(Exception):
    """The message cannot become a customer contact as it stands; the reason goes to the quarantine."""


@dataclass
class MailAttachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""
    inline: bool = False


@dataclass
class DeliveryReport:
    """One recipient's line of an RFC 3464 delivery status notification."""

    recipient: str
    action: str  # failed, delayed, delivered, relayed, expanded
    status: str  # e.g. 5.1.1
    diagnostic: str = ""


@dataclass
class ParsedMail:
    message_id: str
    in_reply_to: list[str]
    references: list[str]
    subject: str
    from_address: str
    from_name: str
    to: list[str]
    text: str
    html: str = ""  # sanitised; safe to show
    attachments: list[MailAttachment] = field(default_factory=list)
    automatic: str = ""  # why this was written by a machine, or ""
    mailing_list: str = ""  # the list it came through, or ""
    loop_marker: str = ""  # our own X-Loop / instance header, when a message of ours came back
    reports: list[DeliveryReport] = field(default_factory=list)  # set only for delivery status notifications
    report_message_id: str = ""  # the Message-ID of the mail the report is about, when it says
    # An ARF abuse report (RFC 5965): its machine-readable fields, lower-cased names; None for other mail.
    abuse_report: dict | None = None
    abuse_problem: str = ""  # why an ARF report could not be read, when it could not
    defects: list[str] = field(default_factory=list)
    # Where the page folds `text` (display.folds): worked out with the parsing, in the reading-ahead process
    # when there is one (a long quoted thread takes milliseconds to split).
    folds: tuple[int | None, int | None] = (None, None)

    @property
    def is_delivery_report(self) -> bool:
        return bool(self.reports)


_MSGID = re.compile(r"<[^<>\s]{1,250}>")
_OUT_OF_OFFICE = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto(matic)?[ -]?reply|autoreply|abwesenheit|absence)",
    re.IGNORECASE,
)


def message_ids(value) -> list[str]:
    return _MSGID.findall(clean(value))


def body_digest(raw: bytes) -> str:
    """Digest of the body only: a re-delivery gains Received headers, its body stays the same."""
    head_end = raw.find(b"\r\n\r\n")
    cut = head_end + 4 if head_end >= 0 else raw.find(b"\n\n") + 2
    return hashlib.sha256(raw[max(cut, 0) :]).hexdigest()


def quick_message_id(raw: bytes) -> str:
    """The Message-ID without a full parse, for the store-first path of the listener."""
    head = raw[: raw.find(b"\n\n") if b"\n\n" in raw[:65536] else 65536]
    match = re.search(rb"(?im)^message-id:[ \t]*(<[^<>\s]{1,250}>)", head)
    return match.group(1).decode("ascii", "replace") if match else ""


def _decoded_text(part: EmailMessage) -> str:
    """A text part's words: its bytes decoded by what its charset label means to mail clients (WHATWG), so
    a GB2312 label over GBK bytes, or Latin-1 over Windows-1252, reads as the sender saw it."""
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return charsets.decode(payload, part.get_content_charset()).replace("\x00", "")
    return str(part.get_payload() or "").replace("\x00", "")


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file an Outlook .msg is


def _raw_header(msg: EmailMessage, name: str, *, all_of: bool = False):
    values = [value for key, value in msg.raw_items() if key.lower() == name.lower()]
    return values if all_of else (values[0] if values else "")


_RAW_NAME = re.compile(r'(?i)\b(?:file)?name\*?="?([^";]+)"?')


def _filename(part: EmailMessage) -> str:
    """An attachment's name; one a client wrote in raw 8-bit bytes is read as UTF-8 or Windows-1252 from
    the header as it came, not left with the parser's replacement characters."""
    name = part.get_filename() or ""
    if "\ufffd" in name:
        for header in ("Content-Disposition", "Content-Type"):
            found = _RAW_NAME.search(_raw_header(part, header))
            if found:
                return clean(charsets.eight_bit(found.group(1)))
    return clean(name)


def _sender(msg: EmailMessage) -> tuple[str, str]:
    """(name, address) of who wrote: the first From that holds an address (a broken first From is passed
    over), else Reply-To, else Sender. A name given as a comment ("marc@example.com (Marc Smith)") counts."""
    for header in ("From", "Reply-To", "Sender"):
        for value in _raw_header(msg, header, all_of=True):
            # The address is read before the name's encoded words are decoded: "=?UTF-8?B?...?=" may
            # stand for "Foo, Bar", whose comma would otherwise split one address in two.
            name, address = parseaddr(value.replace("\r", " ").replace("\n", " "))
            address = clean(address)
            if "@" in address and not address.startswith("@") and not address.endswith("@"):
                return clean(charsets.header_text(name)), address.lower()
    return "", ""


def sanitise_html(html: str) -> str:
    return nh3.clean(html, url_schemes={"http", "https", "mailto", "cid"})


def html_to_text(html: str) -> str:
    """Plain text of an HTML-only message, for search and the timeline; tags gone, blocks on lines."""
    text = re.sub(r"(?is)<(script|style|head)\b.*?</\1\s*>", " ", html)
    text = re.sub(r"(?i)<\s*(br|/p|/div|/li|/tr|/h\d)\b[^>]*>", "\n", text)
    text = re.sub(r"<[^>]*>", " ", text)
    text = html_entities.unescape(text)
    return "\n".join(" ".join(line.split()) for line in text.splitlines()).strip()


def _automatic_reason(msg: EmailMessage, subject: str) -> str:
    auto_submitted = clean(msg.get("Auto-Submitted", "")).lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    if msg.get("X-Auto-Response-Suppress") is not None and (
        msg.get("X-Autoreply") or msg.get("X-Autorespond") or _OUT_OF_OFFICE.match(subject)
    ):
        return "auto-response (X-Auto-Response-Suppress)"
    for header in ("X-Autoreply", "X-Autorespond", "X-Autogenerated"):
        if msg.get(header) is not None:
            return f"{header} header"
    precedence = clean(msg.get("Precedence", "")).lower()
    if precedence in ("bulk", "junk", "auto_reply"):
        return f"Precedence: {precedence}"
    if _OUT_OF_OFFICE.match(subject):
        return "out-of-office subject"
    kind = bounces.report_type(msg)
    if kind == "disposition-notification" or any(
        part.get_content_type() == "message/disposition-notification" for part in msg.walk()
    ):
        return "a read receipt (RFC 8098)"
    if kind not in ("", "delivery-status", "feedback-report"):
        return f"an automatic report ({kind})"
    if bounces.null_return_path(msg):
        return "a mail server's notice (sent with the empty return path <>)"
    # A mail server's own address, or one nobody reads. Not postmaster@: hosting and ISP customers write
    # from it themselves, and a postmaster's bounce is known by its structure (bounces.py), not its name.
    sender = parseaddr(clean(msg.get("From", "")))[1].lower()
    if sender.startswith(("mailer-daemon@", "noreply@", "no-reply@")):
        return f"sent by {sender.split('@')[0]}"
    return ""


def _feedback_report(msg: EmailMessage) -> tuple[dict | None, str]:
    """RFC 5965: a multipart/report of report-type feedback-report carries a message/feedback-report part of
    header-style fields (Feedback-Type, Source-IP, Reported-Domain...). Fields may repeat (Reported-URI):
    each field is kept as a list of its values."""
    report_type = str(msg.get_param("report-type", "")).lower()
    if msg.get_content_type() != "multipart/report" or report_type != "feedback-report":
        return None, ""
    for part in msg.walk():
        if part.get_content_type() != "message/feedback-report":
            continue
        payload = part.get_payload()
        if isinstance(payload, list) and payload:
            items = payload[0].items()
        else:
            text = payload if isinstance(payload, str) else ""
            items = email.message_from_string(text.lstrip() + "\n\n", policy=POLICY).items()
        fields: dict[str, list[str]] = {}
        for name, value in items:
            fields.setdefault(name.lower(), []).append(clean(value))
        if not fields.get("feedback-type"):
            return {}, "the feedback report has no Feedback-Type"
        if not (fields.get("source-ip") or fields.get("reported-domain")):
            return {}, "the feedback report names no Source-IP and no Reported-Domain: nothing to act on"
        return fields, ""
    return {}, "a feedback report without its message/feedback-report part"


def _leaves(msg: EmailMessage, depth: int = 0):
    """The parts of a message that hold content, in order. A forwarded message (message/rfc822) is one
    leaf, kept whole as an attachment: its text is somebody else's mail, not what the customer wrote."""
    if msg.get_content_type() == "message/rfc822" and depth > 0:
        yield msg
        return
    if msg.is_multipart():
        if depth > 50:  # nesting this deep is an attack, not a message
            return
        for part in msg.get_payload():
            if isinstance(part, EmailMessage):
                yield from _leaves(part, depth + 1)
        return
    yield msg


def parse(raw: bytes, *, loop_marker_value: str = "") -> ParsedMail:
    """Read one message. Raises UnreadableMail when there is no sender or nothing a person wrote."""
    if not raw.strip():
        raise UnreadableMail("empty message")
    if raw.startswith(OLE2):
        raise UnreadableMail("an Outlook .msg file, not an Internet mail message: save it as .eml in Outlook")
    msg = email.message_from_bytes(raw, _class=ReceivedMessage, policy=POLICY)
    defects = [type(d).__name__ for d in msg.defects]
    if not msg.keys():
        raise UnreadableMail("not an Internet mail message (RFC 5322): it has no header lines")
    try:
        to_header = clean(msg.get("To", ""))
        subject = clean(charsets.header_text(_raw_header(msg, "Subject")))[:255]
    except (IndexError, ValueError, TypeError) as exc:  # malformed structured headers
        raise UnreadableMail(f"unreadable headers: {exc}") from exc
    from_name, from_address = _sender(msg)
    reports, about = bounces.read(msg, subject, DeliveryReport)
    abuse_report, abuse_problem = _feedback_report(msg)
    automatic = _automatic_reason(msg, subject)
    if "@" not in from_address and not reports:
        raise UnreadableMail("no sender address (From is missing or not an address)")

    text_parts, html_parts, attachments = [], [], []
    for part in _leaves(msg):
        ctype = part.get_content_type()
        disposition = part.get_content_disposition()
        filename = _filename(part)
        if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
            (text_parts if ctype == "text/plain" else html_parts).append(_decoded_text(part))
            continue
        if ctype in ("message/delivery-status", "text/rfc822-headers", "message/feedback-report"):
            continue
        # Everything else is kept as a file, never expanded: zip bombs stay zipped, nested mail stays mail.
        if ctype == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            data = inner.as_bytes(policy=policy.compat32) if inner is not None else b""
            filename = filename or "attached-message.eml"
        else:
            data = part.get_payload(decode=True) or b""
        attachments.append(
            MailAttachment(
                filename=filename or f"part-{len(attachments) + 1}",
                content_type=ctype,
                data=data,
                content_id=clean(part.get("Content-ID", "")).strip("<>"),
                inline=disposition == "inline" or bool(part.get("Content-ID")),
            )
        )
    html = sanitise_html("\n".join(html_parts)) if html_parts else ""
    text = "\n\n".join(t.strip() for t in text_parts if t.strip())
    if not text and html_parts:
        text = html_to_text("\n".join(html_parts))
    if not text and subject:  # "Server down" in the subject and nothing below it is still a message
        text = subject
    if not text and not attachments and not reports:
        raise UnreadableMail("no text, HTML, attachment or subject in the message")
    loop = clean(msg.get("X-Loop", "")) or clean(msg.get("X-Frontline-Instance", ""))
    text = text or "(attachments only)"
    return ParsedMail(
        message_id=(message_ids(msg.get("Message-ID", "")) or [""])[0],
        in_reply_to=message_ids(msg.get("In-Reply-To", "")),
        references=message_ids(msg.get("References", ""))[-30:],
        subject=subject,
        from_address=from_address,
        from_name=clean(from_name)[:120],
        to=[address.lower() for _, address in getaddresses([to_header, clean(msg.get("Cc", ""))]) if address],
        text=text,
        html=html,
        attachments=attachments,
        automatic=automatic,
        mailing_list=clean(msg.get("List-Id", "")) or ("list" if msg.get("List-Unsubscribe") else ""),
        loop_marker=loop if loop_marker_value and loop == loop_marker_value else "",
        reports=reports,
        report_message_id=about,
        abuse_report=abuse_report,
        abuse_problem=abuse_problem,
        defects=defects,
        folds=display.folds(text),
    )


def parse_many(loop_marker_value: str, items: list[tuple[int, bytes]]) -> dict:
    """For a parsing process without Django: id -> ParsedMail, or the UnreadableMail that says why not.
    Anything else unexpected is left out; the caller parses that one itself and records what happens."""
    results = {}
    for key, raw in items:
        try:
            results[key] = parse(raw, loop_marker_value=loop_marker_value)
        except UnreadableMail as exc:
            results[key] = exc
        except Exception:
            continue
    return results
