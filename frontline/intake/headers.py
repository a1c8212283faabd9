"""One safe line from a header value, for every reader of mail (mail.py, bounces.py)."""


def clean(value) -> str:
    """A header value as one safe line: raw 8-bit bytes decoded as UTF-8 or replaced, no line breaks."""
    text = str(value or "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return " ".join(text.replace("\x00", "").split())
