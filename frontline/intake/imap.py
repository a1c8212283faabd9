"""IMAP polling: fetch unseen mail from a mailbox, store each message raw, then flag it seen.

The order matters: a crash after storing and before flagging fetches the message again next time, and
the pipeline recognises the re-delivery (same Message-ID and body) as a duplicate. Where the server
offers IDLE, the poller waits for the server's word instead of asking every few seconds.
"""

import logging
import threading

from django.conf import settings
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from frontline.cases.models import Channel
from frontline.intake import services
from frontline.intake.models import Source

log = logging.getLogger(__name__)
FETCH_BATCH = 50


def fetch_new(client: IMAPClient, *, mailbox_name: str, done_folder: str = "") -> int:
    """Store every unseen message of the selected folder; answers how many were stored."""
    stored = 0
    uids = client.search(["UNSEEN"])
    for start in range(0, len(uids), FETCH_BATCH):
        batch = uids[start : start + FETCH_BATCH]
        sizes = client.fetch(batch, ["RFC822.SIZE"])
        small = [
            uid
            for uid in batch
            if sizes.get(uid, {}).get(b"RFC822.SIZE", 0) <= settings.INTAKE_MAX_MESSAGE_BYTES
        ]
        for uid in set(batch) - set(small):
            # Left on the server, flagged for a person: never fetched, never silently dropped.
            log.warning(
                "message %s in %s is over the size limit; left on the server, flagged", uid, mailbox_name
            )
            client.add_flags([uid], [b"\\Flagged", b"\\Seen"])
        if not small:
            continue
        bodies = client.fetch(small, ["BODY.PEEK[]"])
        for uid in small:
            raw = bodies[uid][b"BODY[]"]
            services.accept(
                raw, source=Source.IMAP, channel=Channel.EMAIL, envelope_recipients=[mailbox_name]
            )
            client.add_flags([uid], [b"\\Seen"])
            stored += 1
        if done_folder:
            client.move(small, done_folder)
    return stored


def poll(
    *,
    host: str,
    port: int,
    username: str,
    password: str,
    folder: str = "INBOX",
    ssl: bool = True,
    done_folder: str = "",
    idle: bool = False,
    idle_seconds: int = 300,
    stop: threading.Event | None = None,
) -> int:
    """Fetch and read new mail; with idle=True, keep waiting for more until `stop` is set."""
    total = 0
    with IMAPClient(host, port=port, ssl=ssl, timeout=60) as client:
        client.login(username, password)
        client.select_folder(folder)
        total += fetch_new(client, mailbox_name=username, done_folder=done_folder)
        services.process_pending()
        can_idle = b"IDLE" in client.capabilities()
        while idle and not (stop and stop.is_set()):
            if can_idle:
                client.idle()
                try:
                    client.idle_check(timeout=min(idle_seconds, 5 if stop else idle_seconds))
                finally:
                    client.idle_done()
            elif stop:
                stop.wait(idle_seconds)
            total += fetch_new(client, mailbox_name=username, done_folder=done_folder)
            services.process_pending()
    return total


__all__ = ["IMAPClientError", "fetch_new", "poll"]
