"""IMAP against a real Dovecot (Debian's dovecot-imapd), started on loopback by the fixture."""

import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
from imapclient import IMAPClient

from frontline.cases.models import Case
from frontline.intake import imap
from frontline.intake.models import RawMessage, RawStatus, Source
from frontline.intake.tests.helpers import mail
from frontline.tests.helpers import free_port

pytestmark = pytest.mark.django_db(transaction=True)

USER, PASSWORD = "support@northwind.example", "imap-test-secret"


@pytest.fixture
def dovecot():
    """A throwaway Dovecot serving one Maildir over plain IMAP on a free loopback port."""
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    assert os.path.exists(binary), "the IMAP tests need Debian's dovecot-imapd (make test installs it)"
    mail_user = pwd.getpwnam("dovecot")
    # Not pytest's tmp_path: its parents are private to root, and Dovecot reads as its own user.
    root = Path(tempfile.mkdtemp(prefix="frontline-dovecot-"))
    os.chmod(root, 0o755)
    for sub in ("run", "state", "home"):
        (root / sub).mkdir(parents=True)
    os.chown(root / "home", mail_user.pw_uid, mail_user.pw_gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = free_port()
    (root / "dovecot.conf").write_text(
        f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
first_valid_uid = {mail_user.pw_uid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""
    )
    config = str(root / "dovecot.conf")
    subprocess.run([binary, "-c", config], check=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            IMAPClient("127.0.0.1", port=port, ssl=False, timeout=2).logout()
            break
        except OSError:
            time.sleep(0.1)
    yield port
    subprocess.run([binary, "-c", config, "stop"], check=False)
    shutil.rmtree(root, ignore_errors=True)


def append(port: int, *raws: bytes) -> None:
    with IMAPClient("127.0.0.1", port=port, ssl=False) as client:
        client.login(USER, PASSWORD)
        for raw in raws:
            client.append("INBOX", raw)


def test_imap_polling_reads_unseen_mail_once_and_flags_it_seen(dovecot, sam):
    # (the second is a reply to the first: a case number written in the subject would depend on what earlier
    # tests left in the id sequence)
    append(
        dovecot,
        mail(message_id="<i1@x>"),
        mail(message_id="<i2@x>", subject="Re: Blog down", in_reply_to="<i1@x>", body="more"),
    )

    fetched = imap.poll(host="127.0.0.1", port=dovecot, username=USER, password=PASSWORD, ssl=False)
    again = imap.poll(host="127.0.0.1", port=dovecot, username=USER, password=PASSWORD, ssl=False)

    assert (fetched, again) == (2, 0)
    rows = RawMessage.objects.filter(source=Source.IMAP)
    assert {row.status for row in rows} == {RawStatus.PROCESSED}
    assert Case.objects.count() == 1 and Case.objects.get().messages.count() == 2
    with IMAPClient("127.0.0.1", port=dovecot, ssl=False) as client:
        client.login(USER, PASSWORD)
        client.select_folder("INBOX")
        assert client.search(["UNSEEN"]) == []


def test_imap_idle_picks_up_mail_as_it_arrives(dovecot, sam):
    stop = threading.Event()
    poller = threading.Thread(
        target=imap.poll,
        kwargs=dict(
            host="127.0.0.1", port=dovecot, username=USER, password=PASSWORD, ssl=False, idle=True, stop=stop
        ),
    )
    poller.start()
    try:
        time.sleep(0.5)
        append(dovecot, mail(message_id="<idle1@x>"))
        deadline = time.monotonic() + 15
        while (
            time.monotonic() < deadline and not RawMessage.objects.filter(status=RawStatus.PROCESSED).exists()
        ):
            time.sleep(0.1)
    finally:
        stop.set()
        poller.join(timeout=20)

    assert RawMessage.objects.get().status == RawStatus.PROCESSED
