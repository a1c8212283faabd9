"""Decoding what mail clients really send: the charset a message names is often a smaller cousin of the one
its bytes are in (GB2312 named over GBK bytes, ISO-8859-1 over Windows-1252), so labels are read the way
browsers read them (the WHATWG Encoding Standard's aliases), and bytes that still do not decode are
replaced, never allowed to lose the message."""

import codecs
from email.header import decode_header

# WHATWG: these labels mean the larger encoding that contains them.
WHATWG = {
    "gb2312": "gbk",
    "gb_2312-80": "gbk",
    "x-gbk": "gbk",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "big5": "big5hkscs",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
}


def codec(label: str | None) -> str:
    """The codec to decode bytes labelled `label` with: its WHATWG meaning, else itself if Python knows
    it, else UTF-8."""
    name = (label or "").strip().strip('"').lower()
    name = WHATWG.get(name, name)
    try:
        return codecs.lookup(name).name if name else "utf-8"
    except LookupError:
        return "utf-8"


def decode(data: bytes, label: str | None) -> str:
    return data.decode(codec(label), "replace")


def header_text(raw: str) -> str:
    """A raw header value with its encoded words (=?charset?...?=) decoded by their WHATWG meaning, and
    8-bit bytes a client put in unencoded read as UTF-8 or, failing that, Windows-1252."""
    try:
        pieces = decode_header(raw)
    except (ValueError, LookupError, AssertionError):
        pieces = [(raw, None)]
    words = []
    for piece, label in pieces:
        if isinstance(piece, bytes):
            words.append(decode(piece, label) if label else _unlabelled(piece))
        else:
            words.append(_unlabelled(piece.encode("utf-8", "surrogateescape")))
    return "".join(words)


def _unlabelled(data: bytes) -> str:
    """UTF-8, also when a byte or two are astray (a name cut short mid-letter); else Windows-1252."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", "replace")
    astray = text.count("\ufffd")
    read = sum(1 for char in text if ord(char) > 127) - astray
    return text if read >= 4 * astray else data.decode("cp1252", "replace")


def eight_bit(value: str) -> str:
    """A value the parser read with raw 8-bit bytes left in (an Outlook Express attachment name): those
    bytes as UTF-8 when they are, else as Windows-1252; a clean value as it is."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _unlabelled(value.encode("utf-8", "surrogateescape"))
    return value
