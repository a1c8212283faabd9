"""What the case page shows of a reply and what it folds, judged against GitHub's email_reply_parser
fixtures and what its own tests expect of each (tests/data/email_reply_parser, MIT): top-posted answers show
alone, bottom-posted and inline answers show with what they answer, bullet lists and a "--" inside a line
stay, signatures and Outlook's header blocks fold, and a quote header in Russian is one too. The two parts are
always slices of the stored text."""

import json
from pathlib import Path

import pytest

from frontline.intake.display import split_reply
from frontline.intake.mail import parse as mail_parse

DATA = Path(__file__).parent / "data"


def expectations(corpus: str) -> dict:
    return {
        name: want
        for name, want in json.loads((DATA / corpus / "expected.json").read_text()).items()
        if name[0] != "_"
    }


EXPECTED = {
    (corpus, name): want
    for corpus in ("email_reply_parser", "talon")
    for name, want in expectations(corpus).items()
}


def reply_text(corpus: str, name: str) -> str:
    """The text intake stores for the fixture: email_reply_parser's are bodies, talon's whole messages."""
    if name.endswith(".eml"):
        return mail_parse((DATA / corpus / name).read_bytes()).text
    return (DATA / corpus / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(("corpus", "name"), sorted(EXPECTED))
def test_each_fixture_shows_and_folds_what_its_project_expects(corpus, name):
    text = reply_text(corpus, name)
    above, shown, folded = split_reply(text)
    want = EXPECTED[corpus, name]
    # slices of the text, never rewritten, in its order
    assert (
        text.startswith(above)
        and shown in text[len(above) :]
        and (not folded or text.rstrip().endswith(folded))
    )
    checks = {
        "above": lambda v: above == v,
        "shown": lambda v: shown == v,
        "shown_starts": shown.startswith,
        "shown_ends": shown.endswith,
        "shown_has": lambda words: all(w in shown for w in words),
        "folded": lambda v: folded == v,
        "folded_starts": folded.startswith,
        "folded_has": lambda words: all(w in folded for w in words),
    }
    failed = [key for key, value in want.items() if not checks[key](value)]
    assert failed == [], f"above={above!r} shown={shown[-200:]!r} folded={folded[:200]!r}"


def test_a_quote_header_in_another_language_folds_what_follows():
    text = (
        "Спасибо, теперь работает.\n\n"
        "2 нояб. 2026 г., в 10:00, пользователь Support <support@example.com> написал:\n"
        "> Мы перезапустили сервер.\n"
    )
    _, shown, folded = split_reply(text)
    assert shown == "Спасибо, теперь работает." and folded.startswith("2 нояб. 2026 г.")
    german = "Danke!\n\nAm 02.11.2026 um 10:00 schrieb Support <support@example.com>:\n> Erledigt.\n"
    assert split_reply(german) == (
        "",
        "Danke!",
        "Am 02.11.2026 um 10:00 schrieb Support <support@example.com>:\n> Erledigt.",
    )


def test_of_the_fixtures_every_one_is_judged():
    assert (
        len(expectations("email_reply_parser"))
        == len(list((DATA / "email_reply_parser").glob("*.txt")))
        == 22
    )
    assert len(expectations("talon")) == len(list((DATA / "talon").glob("*.eml"))) == 12
