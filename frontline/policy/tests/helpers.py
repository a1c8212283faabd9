"""Helpers for the policy tests: the clock's start, a scanner's report, applying what is due, an ARF mail."""

import datetime

from frontline.core import clock
from frontline.policy import services

T0 = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)


HOUR = datetime.timedelta(hours=1)


def scan(*results, at=T0, batch="scan-1"):
    """The scanner's report: (site name, infected) pairs."""
    with clock.frozen_at(at):
        return services.receive_events(
            [
                {
                    "trigger": "malware_scan",
                    "kind": "scan",
                    "facts": {
                        "infected": infected,
                        "signature": "PHP.Injector" if infected else "",
                        "confidence": 0.97 if infected else 1.0,
                        "scanner": "maldet",
                        "files": 4 if infected else 0,
                    },
                    "unit": {"name": name},
                }
                for name, infected in results
            ],
            source="scanner",
            batch=batch,
        )


def apply_due(at):
    """What the worker does at `at`: the notices' rungs due by then go out, then the actions due are applied.
    (The rungs run here, not through the task queue: these tests run inside one transaction that never
    commits, and jobs are enqueued on commit.)"""
    from frontline.notifications import services as notifications

    with clock.frozen_at(at):
        while True:
            token, claimed = notifications.claim_due()
            if not claimed:
                break
            notifications.run_rungs(claimed, token)
        return services.apply_due_decisions()


def arf(
    *,
    source_ip="192.0.2.18",
    category="worm",
    feedback_type="abuse",
    arrival=None,
    message_id="<arf-1@cert.example>",
    feedback_part=True,
) -> bytes:
    """An ARF (RFC 5965) report as a CERT sends it: text, the machine-readable part, the offending headers.
    The attack was seen twenty minutes before now (the test's clock), unless `arrival` says otherwise."""
    from email.utils import format_datetime

    arrival = arrival or format_datetime(clock.now() - datetime.timedelta(minutes=20))
    fields = f"Feedback-Type: {feedback_type}\r\nUser-Agent: CERT-Reporter/2.1\r\nVersion: 1\r\n"
    if source_ip:
        fields += f"Source-IP: {source_ip}\r\n"
    fields += f"Arrival-Date: {arrival}\r\nIncidents: 12\r\n"
    if category:
        fields += f"Category: {category}\r\n"
    machine = f"--R\r\nContent-Type: message/feedback-report\r\n\r\n{fields}\r\n" if feedback_part else ""
    return (
        "From: CERT Abuse Desk <abuse@cert.example>\r\n"
        "To: abuse@northwind.example\r\n"
        f"Subject: Abuse report: {source_ip or 'unknown'} spreading a worm\r\n"
        f"Message-ID: {message_id}\r\n"
        "Date: Mon, 02 Nov 2026 08:45:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="R"\r\n\r\n'
        "--R\r\nContent-Type: text/plain\r\n\r\n"
        f"Host {source_ip} has been scanning port 445 across the internet for two hours.\r\n"
        f"{machine}"
        "--R\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        "From: someone@192.0.2.18\r\nSubject: x\r\n"
        "--R--\r\n"
    ).encode()
