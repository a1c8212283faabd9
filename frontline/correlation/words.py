"""Similar words, for cases that name no unit: a small signature of each case's words, compared by overlap.

The signature keeps the words that say what is wrong (relay, denied, bounce, 550, timeout) and drops the
ones every message has (greetings, our name) and the ones only one customer has (their domain, their
numbers): two customers hit by one fault describe the symptom, not themselves.
"""

import re

_WORD = re.compile(r"[a-z][a-z'-]{2,}|\b[2-5]\d\d\b|\b[245]\.\d{1,3}\.\d{1,3}\b")
_STOP_WORDS = """
    the and for you your our are was were has have had not but with from this that these those
    there their they them then than what when where which who why how can could would should will
    shall may might all any some since about into onto over under again just also only very much
    more most such here hello dear thanks thank regards best kind please team support hi hey sir
    madam ok okay yes no got get its it's i'm we're don't doesn't didn't can't cannot isn't wasn't
    did does doing done one two three today yesterday tomorrow morning afternoon evening now still
    already ever even every each other site sites email mail message messages account help problem
    issue sent send sending know let like ago hour hours minute minutes see through seems works
    working
"""
_STOP = frozenset(_STOP_WORDS.split())
# Addresses, links and domain names: one customer's own, never the symptom.
_THEIRS = re.compile(r"\S+@\S+|https?://\S+|\b(?:[a-z0-9-]+\.)+[a-z]{2,}\b")
MAX_WORDS = 24
SIMILAR = 0.5  # overlap coefficient at or above which two cases read as the same problem


def signature(text: str) -> list[str]:
    """The case's telling words, at most MAX_WORDS, in first-seen order."""
    seen: dict[str, None] = {}
    for match in _WORD.finditer(_THEIRS.sub(" ", text.lower()[:2000])):
        word = match.group().strip("'-")
        if len(word) >= 3 and word not in _STOP:
            seen.setdefault(word, None)
            if len(seen) >= MAX_WORDS:
                break
    return list(seen)


def overlap(a, b) -> float:
    """|a and b| / the smaller: a short message wholly inside a long one is the same problem."""
    if not a or not b:
        return 0.0
    a, b = set(a), set(b)
    return len(a & b) / min(len(a), len(b))


def headline(signature, most: int = 4) -> str:
    """A words group's name: its first case's first telling words."""
    return " ".join(signature[:most])
