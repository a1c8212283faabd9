"""What the case page shows of a reply and what it folds, judged against GitHub's email_reply_parser
fixtures and what its own tests expect of each (tests/data/email_reply_parser, MIT): top-posted answers show
alone, bottom-posted and inline answers show with what they answer, bullet lists and a "--" inside a line
stay, signatures and Outlook's header blocks fold, and a quote header in Russian is one too. The two parts are
always slices of the stored text."""

import json
from pathlib import Path

import pytest

from frontline.intake.display import split_reply

DATA = Path(__file__).parent / "data" / "email_reply_parser"
EXPECTED = {
    name: want for name, want in json.loads((DATA / "expected.json").read_text()).items() if name[0] != "_"
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_fixture_shows_and_folds_what_its_project_expects(name):
    text = (DATA / name).read_text(encoding="utf-8")
    shown, folded = split_reply(text)
    want = EXPECTED[name]
    assert text.startswith(shown) and (not folded or folded in text)  # slices, never rewritten
    checks = {
        "shown": lambda v: shown == v,
        "shown_starts": shown.startswith,
        "shown_ends": shown.endswith,
        "shown_has": lambda words: all(w in shown for w in words),
        "folded": lambda v: folded == v,
        "folded_starts": folded.startswith,
        "folded_has": lambda words: all(w in folded for w in words),
    }
    failed = [key for key, value in want.items() if not checks[key](value)]
    assert failed == [], f"shown={shown[-200:]!r} folded={folded[:200]!r}"


def test_a_quote_header_in_another_language_folds_what_follows():
    text = (
        "Спасибо, теперь работает.\n\n"
        "2 нояб. 2026 г., в 10:00, пользователь Support <support@example.com> написал:\n"
        "> Мы перезапустили сервер.\n"
    )
    shown, folded = split_reply(text)
    assert shown == "Спасибо, теперь работает." and folded.startswith("2 нояб. 2026 г.")
    german = "Danke!\n\nAm 02.11.2026 um 10:00 schrieb Support <support@example.com>:\n> Erledigt.\n"
    assert split_reply(german) == (
        "Danke!",
        "Am 02.11.2026 um 10:00 schrieb Support <support@example.com>:\n> Erledigt.",
    )


def test_of_the_fixtures_every_one_is_judged():
    assert len(EXPECTED) == len(list(DATA.glob("*.txt"))) == 22
