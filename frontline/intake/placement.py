"""Which case a new contact belongs to. The rules, in order of certainty:

1. our case reference in the subject ("[C-12]") or in the address it was sent to (support+C-12@...);
2. In-Reply-To / References naming a message we received or sent;
3. the other way round: an earlier message named this one, so this is the original of a reply that
   arrived first, and joins it;
4. a guess: a known customer's open case about the same problem (an affected unit named, similar words,
   recent activity), taken only above a threshold and shown with its confidence, so an agent can split it.

Every answer carries the rule and the reason in words, which the timeline shows.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from frontline.cases.models import Case
from frontline.core import clock, rows

CASE_REF_IN_SUBJECT = re.compile(r"(?:\[|\b)C-(\d{1,18})\b", re.IGNORECASE)
CASE_REF_IN_ADDRESS = re.compile(r"\+C-(\d{1,18})@", re.IGNORECASE)
# The least a guess must score to join a case rather than open a new one.
GUESS_THRESHOLD = 0.45
GUESS_WINDOW = timedelta(days=7)
_WORD = re.compile(r"[a-z0-9][a-z0-9.\-]{3,}")
_COMMON = frozenset(
    [
        "this",
        "that",
        "with",
        "have",
        "from",
        "your",
        "what",
        "when",
        "will",
        "they",
        "them",
        "been",
        "were",
        "there",
        "their",
        "would",
        "could",
        "should",
        "about",
        "which",
        "please",
        "thanks",
        "thank",
        "hello",
        "regards",
        "still",
        "just",
        "also",
        "into",
        "only",
        "than",
        "then",
        "some",
        "more",
        "very",
        "again",
        "sent",
        "mail",
        "email",
        "message",
        "help",
        "support",
        "team",
        "dear",
    ]
)


# Where a contact belongs: a case (or none, for a new case) and the rule and words that put it there.
# (Named apart from an operating-system thread, and from a mail thread, which is one of the rules.)
@dataclass(frozen=True)
class Placement:
    case: Case | None
    rule: str  # reference, address, reply, original, similar, or "" for a new case
    confidence: float | None = None
    reason: str = ""
    # A second case this message proves to be the same thread: a reply to it was read before it came.
    same_thread: Case | None = None


NEW = Placement(None, "")


def _words(text: str) -> set[str]:
    return {w.strip(".-") for w in _WORD.findall(text.lower())[:400]} - _COMMON


def _open_case(pk: int) -> Case | None:
    """The case to put a contact on, following merges. An unsaved stand-in with the ids that threading
    needs: the service that records the message locks and reads the case itself."""
    seen = set()
    while pk not in seen:
        seen.add(pk)
        found = rows.fetch_one("SELECT id, customer_id, merged_into_id FROM cases_case WHERE id = %s", [pk])
        if found is None:
            return None
        if found[2] is None:
            return rows.new(Case, pk=found[0], customer_id=found[1])
        pk = found[2]
    return None


def by_reference(subject: str, recipients: list[str]) -> Placement:
    for address in recipients:
        match = CASE_REF_IN_ADDRESS.search(address)
        if match and (case := _open_case(int(match.group(1)))):
            return Placement(case, "address", 1.0, f"sent to {address}")
    match = CASE_REF_IN_SUBJECT.search(subject)
    if match and (case := _open_case(int(match.group(1)))):
        return Placement(case, "reference", 1.0, f"case reference C-{match.group(1)} in the subject")
    return NEW


# Plain SQL for the two lookups every mail makes: they run once per message at intake's full rate, where
# the ORM's query building cost more than the indexed lookups themselves.
_KNOWN_IDS = (
    "SELECT message_id, case_id, direction FROM cases_message "
    "WHERE message_id IN ({}) ORDER BY created_at, id"
)
_NAMED_BY = (
    "SELECT m.case_id FROM intake_reference r JOIN cases_message m ON m.id = r.message_id "
    "WHERE r.referenced = %s ORDER BY r.id LIMIT 1"
)


@dataclass(frozen=True)
class KnownIds:
    """What the database knows of the Message-IDs a new mail carries."""

    ours: bool  # its own Message-ID is one we sent: our mail came back
    answering: tuple[int, str] | None  # (case id, Message-ID) of the newest message it answers
    answered_by: int | None  # case id of a message that named this one before it arrived


def known_ids(message_id: str, references: list[str]) -> KnownIds:
    wanted = list(dict.fromkeys([*references[-30:], message_id] if message_id else references[-30:]))
    ours, answering, answered_by = False, None, None
    if wanted:
        for mid, case_id, direction in rows.fetch_all(
            _KNOWN_IDS.format(", ".join(["%s"] * len(wanted))), wanted
        ):
            if mid == message_id:
                ours = ours or direction == "out"
            else:
                answering = (case_id, mid)  # ordered by time: the newest wins
    if message_id:
        found = rows.fetch_one(_NAMED_BY, [message_id])
        answered_by = found[0] if found else None
    return KnownIds(ours, answering, answered_by)


def by_message_ids(known: KnownIds) -> Placement:
    """The case of a message this one names, or of a message that named this one (read before it)."""
    answering = answered = None
    if known.answering and (case := _open_case(known.answering[0])):
        answering = Placement(case, "reply", 1.0, f"a reply to {known.answering[1]}")
    if known.answered_by and (case := _open_case(known.answered_by)):
        answered = Placement(case, "original", 1.0, "a reply to this message arrived before it")
    if answering and answered and answering.case.pk != answered.case.pk:
        return Placement(answering.case, "reply", 1.0, answering.reason, same_thread=answered.case)
    return answering or answered or NEW


# A case held apart for an unproven sender is never a guess: the customer's words must not land there.
_CANDIDATES = (
    "SELECT id, subject, CASE WHEN updated_at >= %s THEN 1 ELSE 0 END FROM cases_case "
    "WHERE customer_id = %s AND is_open AND updated_at >= %s AND unproven_claim = '' AND id <> %s "
    "ORDER BY updated_at DESC LIMIT 10"
)
_UNIT_NAMES = (
    "SELECT cu.case_id, u.name FROM cases_case_affected_units cu "
    "JOIN customers_serviceunit u ON u.id = cu.serviceunit_id WHERE cu.case_id IN ({})"
)
# What each case is about: its first message.
_FIRST_TEXTS = (
    "SELECT case_id, body_text FROM cases_message WHERE id IN "
    "(SELECT MIN(id) FROM cases_message WHERE case_id IN ({}) GROUP BY case_id)"
)


def by_similarity(customer_id: int | None, subject: str, text: str, *, leaving_out: int = 0) -> Placement:
    """The customer's open case about the same problem, if one scores above the threshold (never the case
    `leaving_out`, the one being placed). (Plain SQL: every new message from a known customer asks this.)"""
    if customer_id is None:
        return NEW
    now = clock.now()
    candidates = rows.fetch_all(
        _CANDIDATES, [now - timedelta(hours=24), customer_id, now - GUESS_WINDOW, leaving_out]
    )
    if not candidates:
        return NEW
    ids = [row[0] for row in candidates]
    marks = ", ".join(["%s"] * len(ids))
    units: dict[int, list[str]] = {}
    for case_id, name in rows.fetch_all(_UNIT_NAMES.format(marks), ids):
        units.setdefault(case_id, []).append(name)
    first_texts = dict(rows.fetch_all(_FIRST_TEXTS.format(marks), ids))
    words = _words(f"{subject}\n{text}")
    lowered = f"{subject}\n{text}".lower()
    best = NEW
    for case_id, case_subject, active_today in candidates:
        score, reasons = 0.0, []
        named = [name for name in units.get(case_id, []) if name and name.lower() in lowered]
        if named:
            score += 0.5
            reasons.append("names " + ", ".join(named[:3]))
        theirs = _words(f"{case_subject}\n{(first_texts.get(case_id) or '')[:3000]}")
        shared = words & theirs
        if len(shared) >= 2:  # one shared word ("down") is not a topic
            similarity = len(shared) / (len(words) * len(theirs)) ** 0.5
            if similarity >= 0.1:
                score += 0.4 * min(similarity * 2, 1.0)
                reasons.append(f"similar words ({', '.join(sorted(shared)[:4])})")
        if not reasons:
            if not subject.strip() and len(candidates) == 1 and active_today:
                # A line with no subject of its own (a chat, a text, an API message), from someone with
                # one case going on today: the conversation goes on. A guess, shown, split off in one go.
                best = Placement(
                    Case(pk=case_id, customer_id=customer_id),
                    "similar",
                    GUESS_THRESHOLD,
                    "no subject of its own; their only open case, active today",
                )
            continue  # recency alone says nothing about the problem
        if active_today:
            score += 0.1
            reasons.append("active today")
        if len(candidates) == 1:
            score += 0.15
            reasons.append("their only open case")
        score = round(min(score, 0.99), 2)
        if score >= GUESS_THRESHOLD and (best.confidence or 0) < score:
            best = Placement(Case(pk=case_id, customer_id=customer_id), "similar", score, "; ".join(reasons))
    return best
