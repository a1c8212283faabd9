"""Showing a customer's message: the new words first, the quoted history and signature below them folded.

Below the answer, what is folded is the trailing block, as GitHub's email_reply_parser and mail clients
read a reply: reading up from the end, quoted lines ("> ..."), quote headers ("On ... wrote:", "Am ...
schrieb ...:", "... написал:"), a signature (after "-- ", "-Name", "Sent from my iPhone") and an Outlook-style
header block of the message replied to (and everything below it) are history, until the first line the
customer wrote.
So a top-posted answer shows alone, an inline answer shows with the quotes it answers, and bullet lists and
separators in their own text stay. A bottom-posted answer (the quote first, then nothing quoted below the
answer) shows alone too, the quote folded above it. The page shows text[j:k] exactly as written and folds
text[:j] and text[k:]: slices of the stored text, nothing rewritten, nothing twice.
"""

import re
from functools import lru_cache
from typing import NamedTuple

_WROTE = (
    r"(wrote|schrieb|a écrit|escribió|escribio|schreef|ha scritto|escreveu|napisał|skrev|kirjoitti|"
    r"написал|написала|napsal|írta|yazdı)"
)
# A quote header, on one line or wrapped over up to three ("On Tue, ... 4:22 PM, Example Dev\n<x@y>wrote:").
# The verb ends it ("... wrote:"), or a name follows it ("Am ... schrieb Support <s@x>:").
_QUOTE_HEADER = re.compile(rf"(?is)^\s*\S.{{0,400}}\b{_WROTE}(\s*:?|\b.{{0,150}}:)\s*$")
_QUOTE_HEADER_START = re.compile(
    r"(?i)^\s*(on|am|le|el|op|il|em|w dniu|den|dne|\d{1,4}[./-]\d{1,2}|\d{1,2}\s+\w+|пользователь|"
    r"\S+@\S+)\b"
)
# The header block Outlook and other clients put above the message replied to, or their separators.
_SEPARATOR = re.compile(
    r"(?i)^\s*(-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|"
    r"oorspronkelijk bericht|messaggio originale|forwarded message)\s*-{2,}|_{10,}|-{10,})\s*$"
)
_HEADER_FIELD = re.compile(
    r"(?i)^\s*\*?(from|von|de|van|da|od|från|sent|gesendet|envoyé|date|datum|to|an|à|subject|betreff|objet)"
    r"\*?\s*:"
)
_SIGNATURE_START = re.compile(r"^(--\s*|__\s*|-\w[^\n]{0,60})$")
_SENT_FROM = re.compile(
    r"(?i)^\s*(sent from my [\w' -]{2,50}|von meinem [\w' -]{2,40} gesendet|envoyé de mon [\w' -]{2,40})\s*$"
)
_LONGEST_SIGNATURE = 10


class Reply(NamedTuple):
    above: str  # the quote a bottom-posted answer answers, shown folded above it
    shown: str  # what the customer wrote now
    below: str  # the quoted history and signature below it, shown folded


@lru_cache(maxsize=2048)
def split_reply(text: str) -> Reply:
    """The three parts of a reply: text[:start], text[start:end] and text[end:]."""
    return parts(text, *folds(text))


def parts(text: str, start: int | None, end: int | None) -> Reply:
    """The reply cut where `folds` said (None: nothing folded on that side)."""
    start, end = start or 0, len(text) if end is None else end
    shown = text[start:end].rstrip()
    return Reply(text[:start].strip(), shown.lstrip("\r\n") if start else shown, text[end:].strip())


def folds(text: str) -> tuple[int | None, int | None]:
    """(where the customer's own words start, when a quote they answer comes first; where they end, when
    history follows them): offsets into `text`, None where nothing is folded."""
    start = answer_below(text)
    end = fold_at(text[start:] if start else text)
    return start, None if end is None else (start or 0) + end


def answer_below(text: str) -> int | None:
    """A bottom-posted answer (Thunderbird's "On ... wrote:", the quote, then "Hello"): the text opens with
    the quote it answers, and nothing below that is quoted. Where the answer starts, else None (an inline
    answer, quotes and answers taking turns, shows with its quotes)."""
    plain, starts = _lines(text)
    index = next((i for i, line in enumerate(plain) if line.strip()), len(plain))
    for end in range(index, min(index + 3, len(plain))):
        if _quote_header_above(plain, end) == index:
            index = end + 1
            break
    quoted = False
    while index < len(plain) and (not plain[index].strip() or plain[index].lstrip().startswith(">")):
        quoted = quoted or plain[index].lstrip().startswith(">")
        index += 1
    rest = plain[index:]
    if not quoted or not any(line.strip() for line in rest):
        return None
    if any(line.lstrip().startswith(">") for line in rest):
        return None
    return starts[index]


def fold_at(text: str) -> int | None:
    """Where the customer's own words end in `text`, or None when nothing below them is history."""
    plain, starts = _lines(text)
    end = _above_signature(plain, _outlook_block(plain))
    index = _last_own_line(plain, end)
    # a signature just above the quotes ("-Name" then "On ... wrote:") is folded with them
    signed = _above_signature(plain, index + 1)
    if signed <= index:
        index = _last_own_line(plain, signed)
    if index < 0:
        return None  # nothing of theirs above the history: show it all
    cut = starts[index] + len(plain[index])
    return cut if text[cut:].strip() else None


def _lines(text: str) -> tuple[list[str], list[int]]:
    """The text's lines without their line breaks, and where each starts in the text."""
    plain, starts, offset = [], [], 0
    for line in text.splitlines(keepends=True):
        plain.append(line.rstrip("\r\n"))
        starts.append(offset)
        offset += len(line)
    return plain, starts


def _last_own_line(plain: list[str], end: int) -> int:
    """Reading up from `end`: past blank lines, quoted lines and quote headers, the last line of theirs."""
    index = end - 1
    while index >= 0:
        line = plain[index]
        if not line.strip() or line.lstrip().startswith(">"):
            index -= 1
            continue
        header = _quote_header_above(plain, index)
        if header is None:
            return index
        index = header - 1
    return index


def _outlook_block(plain: list[str]) -> int:
    """The first line of a separator or a From:/Sent: header block, below which is the message replied to;
    the end of the text when there is none."""
    for index, line in enumerate(plain):
        if index == 0:
            continue
        if _SEPARATOR.match(line):
            return index
        if _HEADER_FIELD.match(line) and re.match(r"(?i)^\s*\*?(from|von|de|van|da|od|från)\*?\s*:", line):
            fields = sum(1 for following in plain[index : index + 6] if _HEADER_FIELD.match(following))
            if fields >= 3:
                return index
    return len(plain)


def _above_signature(plain: list[str], end: int) -> int:
    """A signature at the end ("-- " then a few lines, "-Name", "Sent from my iPhone") is folded too."""
    content = [i for i in range(end) if plain[i].strip()]
    if not content:
        return end
    last = content[-1]
    if _SENT_FROM.match(plain[last]) and len(plain[last].split()) <= 8 and "," not in plain[last]:
        return last
    for index in range(max(0, end - _LONGEST_SIGNATURE - 1), end):
        if _SIGNATURE_START.match(plain[index].rstrip()) and any(plain[i].strip() for i in range(index)):
            below = [plain[i] for i in range(index + 1, end) if plain[i].strip()]
            if len(below) <= _LONGEST_SIGNATURE and not any(line.lstrip().startswith(">") for line in below):
                return index
    return end


def _quote_header_above(plain: list[str], index: int) -> int | None:
    """If line `index` ends a quote header (alone or wrapped over up to three lines), its first line."""
    for first in range(max(0, index - 2), index + 1):  # the longest header first
        joined = " ".join(line.strip() for line in plain[first : index + 1])
        if not _QUOTE_HEADER.match(joined):
            continue
        if _QUOTE_HEADER_START.match(plain[first]) or (first == index and len(joined) <= 200):
            return first
    return None
