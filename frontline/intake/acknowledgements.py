"""Acknowledgements of new contacts, sent in batches.

Intake decides that a customer is told "we have your problem" in the transaction that files the contact, and
writes an `AcknowledgementDue` row there. A worker takes them a batch at a time and sends the batch in one
SMTP session. A job per acknowledgement cost each new case about a millisecond of its web process (handing
the job to Redis) and each acknowledgement a job and an SMTP session of the worker's.

A web process asks for a batch to be taken (`send_acknowledgements`) at most once every
FRONTLINE_ACK_BATCH_SECONDS; a recurring job takes what such a request did not cover (the last contacts
of a quiet spell, a request lost with a worker), so an acknowledgement waits at most about that job's
interval. A batch is taken by deleting its rows: a worker killed in the middle of one leaves the rest of
it unsent, as a job lost with its worker did.
"""

import logging
import time

from django.conf import settings
from django.db import connection, transaction

from frontline.cases import services as cases
from frontline.cases.models import Case
from frontline.core import clock, rows
from frontline.delivery import services as delivery
from frontline.scheduling.later import later

log = logging.getLogger(__name__)

BATCH = 100

_QUEUE = "INSERT INTO intake_acknowledgementdue (case_id, person_name, due_at) VALUES (%s, %s, %s)"
_TAKE = (
    "DELETE FROM intake_acknowledgementdue WHERE id IN "
    "(SELECT id FROM intake_acknowledgementdue ORDER BY id LIMIT %s{lock}) RETURNING case_id, person_name"
)
# When this process last asked for a batch to be taken (monotonic seconds).
_asked = {"at": float("-inf")}


def queue(case_id: int, person_name: str) -> None:
    """In the caller's transaction: the acknowledgement is due, and a batch is asked for if this process
    has not asked within FRONTLINE_ACK_BATCH_SECONDS."""
    rows.execute(_QUEUE, [case_id, person_name[:120], clock.now()])
    now = time.monotonic()
    if now - _asked["at"] >= settings.FRONTLINE_ACK_BATCH_SECONDS:
        _asked["at"] = now
        later("frontline.intake.tasks.send_acknowledgements")


def send_due(limit: int = BATCH) -> int:
    """Take up to `limit` due acknowledgements and send them in one SMTP session; a full batch asks for the
    next at once. Answers how many were taken."""
    lock = "" if connection.vendor == "sqlite" else " FOR UPDATE SKIP LOCKED"  # workers take apart
    with transaction.atomic():
        taken = rows.fetch_all(_TAKE.format(lock=lock), [limit])
    if len(taken) == limit:
        later("frontline.intake.tasks.send_acknowledgements")
    session = None
    try:
        for case_id, person_name in sorted(taken):
            if session is None:
                session = _open_session()
            try:
                message = cases.confirm_receipt(Case(pk=case_id), person_name=person_name, connection=session)
            except Case.DoesNotExist:
                continue  # merged away or deleted since: nobody to tell
            except Exception:  # a bug of ours with one case must not cost the others theirs
                log.exception("could not acknowledge case %s", case_id)
                message = None
            if message is None or message.send_error:
                # A failed session may be in any state: the next send opens a fresh one.
                delivery.close_session(session)
                session = None
    finally:
        delivery.close_session(session)
    return len(taken)


def _open_session():
    """One SMTP session for the batch; None when the server cannot be reached (each send then tries on
    its own and records what it met)."""
    try:
        return delivery.open_session()
    except Exception as exc:  # recorded on each attempt by the sends themselves
        log.warning("mail server unreachable for a batch of acknowledgements: %s", exc)
        return None
