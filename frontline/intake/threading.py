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

from frontline.cases.models import Case, Message
from frontline.cases.services import follow_merges
from frontline.core import clock
from frontline.intake.models import Reference

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


@dataclass(frozen=True)
class Thread:
    case: Case | None
    rule: str  # reference, address, reply, original, similar, or "" for a new case
    confidence: float | None = None
    reason: str = ""
    # A second case this message proves to be the same thread: a reply to it was read before it came.
    same_thread: Case | None = None


NEW = Thread(None, "")


def _words(text: str) -> set[str]:
    return {w.strip(".-") for w in _WORD.findall(text.lower())[:400]} - _COMMON


def _open_case(pk: int) -> Case | None:
    case = Case.objects.select_related("customer").filter(pk=pk).first()
    return follow_merges(case) if case else None


def by_reference(subject: str, recipients: list[str]) -> Thread:
    for address in recipients:
        match = CASE_REF_IN_ADDRESS.search(address)
        if match and (case := _open_case(int(match.group(1)))):
            return Thread(case, "address", 1.0, f"sent to {address}")
    match = CASE_REF_IN_SUBJECT.search(subject)
    if match and (case := _open_case(int(match.group(1)))):
        return Thread(case, "reference", 1.0, f"case reference C-{match.group(1)} in the subject")
    return NEW


def by_message_ids(message_id: str, references: list[str]) -> Thread:
    """The case of a message this one names, or of a message that named this one (read before it)."""
    answering = None
    if references:
        known = (
            Message.objects.filter(message_id__in=references[-30:])
            .order_by("-created_at", "-pk")
            .values_list("case_id", "message_id")
            .first()
        )
        if known and (case := _open_case(known[0])):
            answering = Thread(case, "reply", 1.0, f"a reply to {known[1]}")
    answered = None
    if message_id:
        earlier = (
            Reference.objects.filter(referenced=message_id)
            .order_by("pk")
            .values_list("message__case_id", flat=True)
            .first()
        )
        if earlier and (case := _open_case(earlier)):
            answered = Thread(case, "original", 1.0, "a reply to this message arrived before it")
    if answering and answered and answering.case.pk != answered.case.pk:
        return Thread(answering.case, "reply", 1.0, answering.reason, same_thread=answered.case)
    return answering or answered or NEW


def by_similarity(customer_id: int | None, subject: str, text: str) -> Thread:
    """The customer's open case about the same problem, if one scores above the threshold."""
    if customer_id is None:
        return NEW
    since = clock.now() - GUESS_WINDOW
    candidates = list(
        Case.objects.filter(customer_id=customer_id, is_open=True, updated_at__gte=since)
        .select_related("customer")
        .prefetch_related("affected_units")
        .order_by("-updated_at")[:10]
    )
    if not candidates:
        return NEW
    words = _words(f"{subject}\n{text}")
    lowered = f"{subject}\n{text}".lower()
    first_texts = dict(
        Message.objects.filter(case__in=candidates)
        .order_by("case_id", "created_at")
        .values_list("case_id", "body_text")
    )  # the last value per case wins: the newest message
    best = NEW
    for case in candidates:
        score, reasons = 0.0, []
        named = [u.name for u in case.affected_units.all() if u.name and u.name.lower() in lowered]
        if named:
            score += 0.5
            reasons.append("names " + ", ".join(named[:3]))
        theirs = _words(f"{case.subject}\n{first_texts.get(case.pk, '')[:3000]}")
        shared = words & theirs
        if len(shared) >= 2:  # one shared word ("down") is not a topic
            similarity = len(shared) / (len(words) * len(theirs)) ** 0.5
            if similarity >= 0.1:
                score += 0.4 * min(similarity * 2, 1.0)
                reasons.append(f"similar words ({', '.join(sorted(shared)[:4])})")
        if not reasons:
            continue  # recency alone says nothing about the problem
        if case.updated_at >= clock.now() - timedelta(hours=24):
            score += 0.1
            reasons.append("active today")
        if len(candidates) == 1:
            score += 0.15
            reasons.append("their only open case")
        score = round(min(score, 0.99), 2)
        if score >= GUESS_THRESHOLD and (best.confidence or 0) < score:
            best = Thread(case, "similar", score, "; ".join(reasons))
    return best
