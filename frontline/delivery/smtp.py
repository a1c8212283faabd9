"""Django's SMTP backend, keeping what the server answered.

Django's backend calls smtplib's sendmail(), which throws the server's final reply away. For evidence we
need the words ("250 2.0.0 Ok: queued as 4Xb2", "550 5.1.1 <x@y>: user unknown"), so this backend speaks
MAIL, RCPT and DATA itself and leaves the answer on the message as `delivery_answer`.
"""

import smtplib
from dataclasses import dataclass, field

from django.core.mail.backends.smtp import EmailBackend as DjangoSMTPBackend
from django.core.mail.message import sanitize_address


@dataclass
class DeliveryAnswer:
    code: int | None
    text: str
    refused: dict[str, tuple[int, str]] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return self.code is not None and 200 <= self.code < 300


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


class EmailBackend(DjangoSMTPBackend):
    def _send(self, email_message) -> bool:
        if not email_message.recipients():
            return False
        encoding = email_message.encoding or "utf-8"
        from_email = sanitize_address(email_message.from_email, encoding)
        recipients = [sanitize_address(addr, encoding) for addr in email_message.recipients()]
        # A message its sender already built and kept (delivery.send_email) is sent as it was kept.
        data = getattr(email_message, "prepared_bytes", None)
        if data is None:
            data = email_message.message().as_bytes(linesep="\r\n")
        connection = self.connection
        connection.ehlo_or_helo_if_needed()
        code, reply = connection.mail(from_email)
        if code != 250:
            connection.rset()
            email_message.delivery_answer = DeliveryAnswer(code, _text(reply))
            return False
        refused = {}
        for recipient in recipients:
            code, reply = connection.rcpt(recipient)
            if code not in (250, 251):
                refused[recipient] = (code, _text(reply))
        if len(refused) == len(recipients):
            connection.rset()
            first_code, first_text = next(iter(refused.values()))
            email_message.delivery_answer = DeliveryAnswer(first_code, first_text, refused)
            return False
        try:
            code, reply = connection.data(data)
        except smtplib.SMTPResponseException as exc:
            code, reply = exc.smtp_code, exc.smtp_error
        email_message.delivery_answer = DeliveryAnswer(code, _text(reply), refused)
        return 200 <= code < 300
