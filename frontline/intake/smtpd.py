"""The SMTP (or LMTP) listener an MTA delivers to: store first, answer 250 after, read later.

aiosmtpd speaks the protocol. Its size limit answers 552 to a message larger than the intake limit,
both when the client announces the size (MAIL FROM ... SIZE=) and when the data runs over, so a message
is never accepted and then dropped. Storing runs in one database thread beside the event loop; reading
the stored messages runs in another thread, so a slow parse never delays a 250.

Under a flood it pushes back rather than queueing in memory: a session beyond SMTPD_MAX_SESSIONS is told
421 and closed, and MAIL is answered 451 while SMTPD_MAX_WAITING messages wait for the store. Both are
temporary answers: the sending server keeps the message and tries again, so nothing is lost.
"""

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from django.conf import settings
from django.db import close_old_connections

from frontline.cases.models import Channel
from frontline.core.db import LockTimeout, queued_writes
from frontline.intake import services
from frontline.intake.models import Source

log = logging.getLogger(__name__)


class IntakeHandler:
    def __init__(self, on_stored=None):
        # One writer thread: on SQLite a second one would only wait for the same lock.
        self.storer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake-store")
        self.on_stored = on_stored or (lambda: None)
        # Counted on the event loop's thread only: no lock needed.
        self.sessions = 0
        self.waiting = 0

    def admit(self) -> bool:
        if self.sessions >= settings.SMTPD_MAX_SESSIONS:
            return False
        self.sessions += 1
        return True

    def leave(self) -> None:
        self.sessions -= 1

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.waiting >= settings.SMTPD_MAX_WAITING:
            log.warning("refused a message for now: %s are waiting to be stored", self.waiting)
            return "451 4.3.2 too busy to take mail now; try again later"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    def _store(self, raw: bytes, sender: str, recipients: list[str]) -> int:
        close_old_connections()
        with queued_writes():
            row, _ = services.accept(
                raw,
                source=Source.SMTP,
                channel=Channel.EMAIL,
                envelope_sender=sender,
                envelope_recipients=recipients,
            )
        return row.pk

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content or b""
        loop = asyncio.get_running_loop()
        self.waiting += 1
        try:
            pk = await loop.run_in_executor(
                self.storer, self._store, raw, envelope.mail_from or "", list(envelope.rcpt_tos)
            )
        except services.TooLarge as exc:
            return f"552 5.3.4 {exc.message}"
        except LockTimeout as exc:
            log.warning("refused a message for now: %s", exc)
            return "451 4.3.0 too busy to store the message now; try again later"
        except Exception:
            log.exception("could not store an inbound message")
            # A temporary failure: the sending MTA keeps the message and tries again. Nothing is lost.
            return "451 4.3.0 could not store the message now; try again later"
        finally:
            self.waiting -= 1
        self.on_stored()
        return f"250 2.0.0 stored as #{pk}"


class Processor(threading.Thread):
    """Reads stored messages as they arrive, in chunks, in its own thread and database connection."""

    def __init__(self):
        super().__init__(name="intake-process", daemon=True)
        self.wake = threading.Event()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.wake.wait(timeout=5)
            self.wake.clear()
            try:
                close_old_connections()
                services.process_pending()
            except Exception:
                log.exception("processing stored messages failed; retrying shortly")

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()


class _Bounded:
    """Sessions beyond the handler's limit are told 421 before the greeting and closed."""

    # aiosmtpd has no hook at connection time: the session's coroutine is where the greeting is sent.
    async def _handle_client(self) -> None:
        if not self.event_handler.admit():
            await self.push("421 4.3.2 too many connections; try again later")
            self.transport.close()
            return
        try:
            await super()._handle_client()
        finally:
            self.event_handler.leave()


class BoundedSMTP(_Bounded, SMTP):
    pass


class BoundedLMTP(_Bounded, LMTP):
    pass


class IntakeController(Controller):
    def __init__(self, handler, *, lmtp: bool = False, **kwargs):
        self.lmtp = lmtp
        super().__init__(handler, **kwargs)

    def factory(self):
        server_class = BoundedLMTP if self.lmtp else BoundedSMTP
        return server_class(
            self.handler,
            data_size_limit=settings.INTAKE_MAX_MESSAGE_BYTES,
            decode_data=False,
            hostname=settings.SMTPD_HOSTNAME,
            ident="Frontline intake",
        )


def start(*, host: str, port: int, lmtp: bool = False, process: bool = True):
    """Start the listener (and the reading thread); answers (controller, processor or None)."""
    processor = Processor() if process else None
    handler = IntakeHandler(on_stored=processor.wake.set if processor else None)
    controller = IntakeController(handler, hostname=host, port=port, lmtp=lmtp)
    controller.start()
    if processor:
        processor.start()
    return controller, processor
