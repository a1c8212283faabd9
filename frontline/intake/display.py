"""Showing a customer's message: the new words first, quoted history and signatures folded away.

mail-parser-reply finds where the newest reply ends (the quoted part and the signature, in many languages);
the page then shows the customer's own text up to that point exactly as they wrote it, and the rest of the
same text behind a fold. Nothing is rewritten, and nothing shows twice: the two parts are two slices of the
stored text.
"""

from functools import lru_cache

from mailparser_reply import EmailReplyParser

_PARSER = EmailReplyParser(languages=["en", "de", "fr", "es", "nl", "it"])


@lru_cache(maxsize=2048)
def split_reply(text: str) -> tuple[str, str]:
    """(what the customer wrote now, the quoted text and signature below it): text[:k] and text[k:]."""
    cut = fold_at(text)
    if cut is None:
        return text, ""
    return text[:cut].rstrip(), text[cut:].strip()


def fold_at(text: str) -> int | None:
    """Where the newest reply ends in `text`, or None when there is nothing to fold (or no telling)."""
    try:
        replies = _PARSER.read(text).replies
    except Exception:  # a display aid must never break the page: show it whole
        return None
    latest = (replies[0].body or "").strip() if replies else ""
    if not latest or latest == text.strip():
        return None
    end = _end_of(latest, text)
    if end is None or not text[end:].strip():
        return None
    return end


def _end_of(latest: str, text: str) -> int | None:
    """The offset in `text` just after the last of `latest`'s lines, found in order line by line by their
    words (the parser tidies whitespace, so its text is a guide to where, never what is shown)."""
    wanted = [" ".join(line.split()) for line in latest.splitlines() if line.strip()]
    offset = 0
    end = None
    for line in text.splitlines(keepends=True):
        if wanted and " ".join(line.split()) == wanted[0]:
            wanted.pop(0)
            end = offset + len(line.rstrip("\r\n"))
        offset += len(line)
        if not wanted:
            return end
    return None
