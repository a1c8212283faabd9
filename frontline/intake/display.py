"""Showing a customer's message: the new words first, quoted history and signatures folded away.

mail-parser-reply finds the quoted part and the signature (in many languages); nothing is deleted, the
page shows the rest behind a fold.
"""

from functools import lru_cache

from mailparser_reply import EmailReplyParser

_PARSER = EmailReplyParser(languages=["en", "de", "fr", "es", "nl", "it"])


@lru_cache(maxsize=2048)
def split_reply(text: str) -> tuple[str, str]:
    try:
        replies = _PARSER.read(text).replies
    except Exception:  # a display aid must never break the page: show it whole
        return text, ""
    if not replies:
        return text, ""
    latest = (replies[0].body or "").strip()
    if not latest or latest == text.strip():
        return text, ""
    rest = text.strip()[len(latest) :].strip() if text.strip().startswith(latest) else text
    return latest, rest
