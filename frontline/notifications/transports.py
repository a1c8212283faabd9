"""Channels a notification can go out on: small classes with one `send()` and one error type.

A transport hands one message to the world and says what the other side answered. It records nothing
itself: the ladder engine writes the attempt before calling it and the answer after, so the evidence
log is the same for every channel. `TransportError.permanent` says whether trying the same address again
could ever work; a permanent failure marks the contact point failing.
"""

import hashlib
import hmac
import json
import re
import time
import unicodedata
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.core.mail import EmailMessage

from frontline.cases.models import Case
from frontline.core.errors import ServiceError
from frontline.customers.models import Customer
from frontline.delivery.models import AttemptStatus
from frontline.delivery.services import close_session, hand_over, open_session
from frontline.todos import services as todos
from frontline.todos.models import ToDoKind


@dataclass(frozen=True)
class Outgoing:
    key: str  # idempotency key: the same on every try of one rung to one address
    address: str  # the contact point's normalised value (an address, +digits, a URL)
    title: str
    body: str  # plain text, ending with the acknowledgement link
    ack_url: str
    message_id: str = ""  # email only: the Message-ID a reply or a bounce will name
    reply_to: str = ""
    customer_name: str = ""
    numbers: tuple[str, ...] = ()  # the staff-call rung: every number we hold
    secret: str = ""  # a webhook contact point's signing key
    notification_id: int | None = None
    customer_id: int | None = None
    case_id: int | None = None
    # Email only: (filename, bytes, content type), from the apps behind FRONTLINE_NOTICE_ATTACHMENTS.
    attachments: tuple[tuple[str, bytes, str], ...] = ()


@dataclass(frozen=True)
class Answer:
    code: int | None
    text: str  # the other side's words, for the evidence log


class TransportError(Exception):
    """The send failed. `permanent`: this address will not work if tried again. `inferred`: the transport
    gave no reason (Apprise answers only yes or no), so permanence is our guess and the record says so."""

    def __init__(self, text: str, *, permanent: bool, code: int | None = None, inferred: bool = False):
        super().__init__(text)
        self.text, self.permanent, self.code, self.inferred = text, permanent, code, inferred


class Transport:
    channel = ""
    contact_kind = ""  # which contact points this channel sends to ("" for the staff-call rung)

    def send(self, outgoing: Outgoing) -> Answer:
        raise NotImplementedError

    def close(self) -> None:
        """Release what a batch of sends shared (an SMTP session)."""


class EmailTransport(Transport):
    """Our SMTP backend: the server's reply ("250 2.0.0 Ok: queued as …") is the answer."""

    channel, contact_kind = "email", "email"

    def __init__(self):
        self._connection = None

    def send(self, outgoing: Outgoing) -> Answer:

        email = EmailMessage(
            subject=outgoing.title,
            body=outgoing.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[outgoing.address],
            reply_to=[outgoing.reply_to] if outgoing.reply_to else None,
            headers={
                "Message-ID": outgoing.message_id,
                "Auto-Submitted": "auto-generated",
                "X-Frontline-Instance": settings.FRONTLINE_INSTANCE_ID,
                "X-Frontline-Key": outgoing.key,
            },
        )
        for filename, data, content_type in outgoing.attachments:
            email.attach(filename, data, content_type)
        if self._connection is None:
            try:  # one SMTP session for the whole batch
                self._connection = open_session()
            except Exception as exc:
                raise TransportError(f"could not connect to the mail server: {exc}", permanent=False) from exc
        status, code, text = hand_over(email, self._connection)
        if status == AttemptStatus.ACCEPTED:
            return Answer(code, text)
        self.close()  # a failed session may be in any state; the next send opens a fresh one
        raise TransportError(text, permanent=code is not None and code >= 500, code=code)

    def close(self) -> None:
        close_session(self._connection)
        self._connection = None


# SMS: GSM 03.38's basic set fits 160 characters in one message (153 per part when split); anything else
# means UCS-2, 70 (67 per part). A non-breaking space alone would turn a message into UCS-2.
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€")  # two septets each
SMS_MAX_PARTS = 4
# What our texts and people's names use that GSM-7 lacks, spelt as a phone shows it in GSM-7.
_GSM7_SPELLING = str.maketrans(
    {
        "…": "...",
        "‘": "'",
        "’": "'",
        "‚": ",",
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "–": "-",
        "—": "-",
        "−": "-",
        "•": "-",
        "·": "-",
        "‹": "<",
        "›": ">",
    }
)


def sms_text(text: str) -> str:
    """Plain text as a phone shows it: no non-breaking or odd spaces, no control characters."""
    text = unicodedata.normalize("NFKC", text)  # also turns U+00A0 and U+202F into plain spaces
    text = "".join(" " if ch.isspace() and ch != "\n" else ch for ch in text)
    text = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch)[0] != "C")
    return re.sub(r"[ ]{2,}", " ", re.sub(r"\n{3,}", "\n\n", text)).strip()


def sms_parts(text: str) -> tuple[str, int]:
    """(encoding, how many messages) the text takes."""
    if all(ch in _GSM7 or ch in _GSM7_EXTENDED for ch in text):
        septets = sum(2 if ch in _GSM7_EXTENDED else 1 for ch in text)
        return "GSM-7", 1 if septets <= 160 else -(-septets // 153)
    units = len(text.encode("utf-16-le")) // 2
    return "UCS-2", 1 if units <= 70 else -(-units // 67)


def gsm_spelling(text: str) -> str:
    """The text in GSM-7 where plain spelling keeps its meaning (curly quotes, dashes, the ellipsis): a part
    then holds 160 characters, not 70. A text with letters GSM-7 lacks (Cyrillic, a tick) stays as written."""
    spelt = text.translate(_GSM7_SPELLING)
    return spelt if sms_parts(spelt)[0] == "GSM-7" else text


def fit_sms(text: str, ack_url: str) -> str:
    """The message in GSM-7 where it can be, cut to SMS_MAX_PARTS parts, always keeping the acknowledgement
    link whole at the end. The cut is marked "..." in GSM-7: one "…" would turn the whole text into UCS-2."""
    text, tail = gsm_spelling(sms_text(text)), f"\nConfirm: {ack_url}" if ack_url else ""
    encoding, parts = sms_parts(text + tail)
    if parts <= SMS_MAX_PARTS:
        return text + tail
    mark = "..." if encoding == "GSM-7" else "…"
    low, high = 0, len(text)
    while low < high:  # the longest prefix that still fits
        middle = (low + high + 1) // 2
        if sms_parts(text[:middle].rstrip() + mark + tail)[1] <= SMS_MAX_PARTS:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + mark + tail


def check_apprise_url(template: str, placeholder: str) -> None:
    """Refuse, with a clear message, an Apprise URL template Apprise cannot use."""
    import apprise

    if "{" + placeholder + "}" not in template:
        raise ServiceError(f"the URL must contain {{{placeholder}}} where the recipient goes", field="url")
    example = "15550100" if placeholder == "number" else "someone"
    if not apprise.Apprise().add(template.replace("{" + placeholder + "}", example)):
        raise ServiceError(f"Apprise does not recognise {template!r} as a notification URL", field="url")


class AppriseTransport(Transport):
    """SMS and chat through an Apprise URL template of the provider's, e.g. twilio://…/{number}.

    Apprise answers only True or False. Its log says why; we capture that for the record and infer from
    it whether the failure is permanent (an HTTP 4xx other than 408 and 429, or a URL it refuses).
    """

    def __init__(self, channel: str, template: str, placeholder: str, contact_kind: str):
        self.channel, self.template, self.placeholder, self.contact_kind = (
            channel,
            template,
            placeholder,
            contact_kind,
        )

    def _url(self, outgoing: Outgoing) -> str:
        recipient = quote(outgoing.address.lstrip("+") if self.placeholder == "number" else outgoing.address)
        url = self.template.replace("{" + self.placeholder + "}", recipient)
        timeout = settings.FRONTLINE_TRANSPORT_TIMEOUT
        extra = f"cto={timeout}&rto={timeout}"
        if url.startswith(("json://", "jsons://", "form://", "forms://", "xml://", "xmls://")):
            extra += f"&+Idempotency-Key={quote(outgoing.key)}"
        return url + ("&" if "?" in url else "?") + extra

    def send(self, outgoing: Outgoing) -> Answer:
        import apprise

        if not self.template:
            raise TransportError(f"no {self.channel} service is configured", permanent=False)
        notifier = apprise.Apprise()
        url = self._url(outgoing)
        if not notifier.add(url):
            raise TransportError(f"Apprise refused the URL for {outgoing.address}", permanent=True)
        text = fit_sms(outgoing.body, outgoing.ack_url) if self.channel == "sms" else outgoing.body
        started = time.monotonic()
        with apprise.LogCapture(level=apprise.logging.INFO) as log:
            sent = notifier.notify(title=outgoing.title, body=text)
        said = " ".join(line.strip() for line in log.getvalue().splitlines() if line.strip())[-1000:]
        seconds = time.monotonic() - started
        parts = ""
        if self.channel == "sms":
            encoding, count = sms_parts(text)
            parts = f" ({count} part{'s' if count > 1 else ''}, {encoding})"
        if sent:
            return Answer(None, f"Apprise: sent{parts} in {seconds:.2f} s")
        code = _http_code(said)
        permanent = code is not None and 400 <= code < 500 and code not in (408, 429)
        raise TransportError(
            f"Apprise: failed{parts}. {said or 'no reason given'} "
            f"(Apprise answers only success or failure; recorded as "
            f"{'permanent' if permanent else 'temporary'} by our reading of its log)",
            permanent=permanent,
            code=code,
            inferred=True,
        )


def _http_code(log_text: str) -> int | None:
    match = re.search(r"(?:error|HTTP)\D{0,12}(\d{3})\b", log_text)
    return int(match.group(1)) if match else None


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def post_signed(
    url: str, body: bytes, *, secret: str, key: str, headers: dict | None = None
) -> tuple[int, str]:
    """POST a JSON body signed over "timestamp.body" and return the receiver's status code with the start of
    its answer, whatever the code. Raises OSError (refused, timed out, unresolvable) or ValueError (not a URL
    this can post to) when no receiver answered: callers tell those apart from an answer."""
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Frontline",
            "Idempotency-Key": key,
            **(headers or {}),
            "X-Frontline-Timestamp": timestamp,
            "X-Frontline-Signature": sign(secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.FRONTLINE_TRANSPORT_TIMEOUT) as response:
            return response.status, response.read(500).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:  # an answer all the same: urlopen raises for any code not 2xx
        return exc.code, exc.read(500).decode("utf-8", "replace")


def verify_signature(
    secret: str, *, timestamp: str, body: bytes, signature: str, tolerance: int = 300, now=None
) -> bool:
    """What a receiver does: recompute the HMAC over timestamp and body, and refuse old timestamps."""
    try:
        age = abs((now if now is not None else time.time()) - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookTransport(Transport):
    """A JSON POST signed with HMAC-SHA256 over "timestamp.body" (header X-Frontline-Signature)."""

    channel, contact_kind = "webhook", "webhook"

    def __init__(self, *, url: str = "", secret: str = "", channel: str = "webhook", contact_kind="webhook"):
        self.fixed_url, self.fixed_secret = url, secret
        self.channel, self.contact_kind = channel, contact_kind

    def payload(self, outgoing: Outgoing) -> dict:
        return {
            "key": outgoing.key,
            "title": outgoing.title,
            "text": outgoing.body,
            "acknowledge_url": outgoing.ack_url,
        }

    def send(self, outgoing: Outgoing) -> Answer:
        url = self.fixed_url or outgoing.address
        if not url:
            raise TransportError(f"no {self.channel} webhook is configured", permanent=False)
        body = json.dumps(self.payload(outgoing), ensure_ascii=False).encode()
        try:
            code, said = post_signed(url, body, secret=self.fixed_secret or outgoing.secret, key=outgoing.key)
        except TimeoutError as exc:
            raise TransportError(
                f"timed out after {settings.FRONTLINE_TRANSPORT_TIMEOUT} s", permanent=False
            ) from exc
        except OSError as exc:
            raise TransportError(f"could not connect: {exc}", permanent=False) from exc
        except ValueError as exc:  # "unknown url type": trying it again cannot work
            raise TransportError(f"not an address a webhook can be posted to: {exc}", permanent=True) from exc
        answer = f"HTTP {code} {said}".strip()
        if 200 <= code < 300:
            return Answer(code, answer)
        raise TransportError(answer, permanent=400 <= code < 500 and code not in (408, 429), code=code)


class VoiceTransport(WebhookTransport):
    """A call placed by the voice provider's webhook: it reads the text to the number."""

    def __init__(self):
        super().__init__(
            url=settings.FRONTLINE_VOICE_WEBHOOK_URL,
            secret=settings.FRONTLINE_VOICE_WEBHOOK_SECRET,
            channel="voice",
            contact_kind="phone",
        )

    def payload(self, outgoing: Outgoing) -> dict:
        return {"key": outgoing.key, "to": outgoing.address, "say": sms_text(outgoing.body)}


class PersonTransport(Transport):
    """The last rung: a to-do for a person at the provider to phone the customer at every number we hold."""

    channel, contact_kind = "person", ""

    def send(self, outgoing: Outgoing) -> Answer:

        numbers = ", ".join(outgoing.numbers) or "none on record: find one"
        todo = todos.raise_todo(
            kind=ToDoKind.NOTIFY_CALL,
            title=f"Call {outgoing.customer_name} about: {outgoing.title}"[:255],
            detail=(
                f"Nobody acknowledged this notification on any channel. Numbers: {numbers}.\n"
                "When they confirm, record it on the notification as a phone confirmation.\n\n"
                f"{outgoing.body}"
            ),
            customer=Customer.objects.get(pk=outgoing.customer_id),
            case=Case.objects.get(pk=outgoing.case_id) if outgoing.case_id else None,
            evidence={"notification_id": outgoing.notification_id, "key": outgoing.key},
        )
        return Answer(None, f"to-do #{todo.pk} opened for staff: call {numbers}")


def transport_for(channel: str) -> Transport:
    if channel == "email":
        return EmailTransport()
    if channel == "sms":
        return AppriseTransport("sms", settings.FRONTLINE_SMS_URL, "number", "phone")
    if channel == "chat":
        return AppriseTransport("chat", settings.FRONTLINE_CHAT_URL, "handle", "chat")
    if channel == "voice":
        return VoiceTransport()
    if channel == "webhook":
        return WebhookTransport()
    if channel == "person":
        return PersonTransport()
    raise ServiceError(f"no transport for channel {channel!r}", field="channel")
