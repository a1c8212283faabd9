"""The portal is translatable, and translated: every string it can show is in the German catalogue, and a
page in German shows no English of ours (only the customer's own data: names, subjects, what they wrote)."""

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.utils import translation

from frontline.cases import services as cases
from frontline.cases.models import Case, Message
from frontline.delivery.models import DeliveryAttempt
from frontline.notifications.models import Notification

pytestmark = pytest.mark.django_db

PORTAL = Path(__file__).resolve().parents[1]
CATALOGUE = PORTAL / "locale" / "de" / "LC_MESSAGES" / "django.po"


def _msgids(po: str) -> set[str]:
    found = set()
    for block in po.split("\n\n"):
        match = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        text = "".join(re.findall(r'"(.*)"', match.group(1))) if match else ""
        if text and "#~" not in block:
            found.add(text)
    return found


def test_every_string_the_portal_can_show_is_in_the_catalogue_and_translated(tmp_path):
    # given the portal's code and templates, read afresh by Django's own extraction
    copy = tmp_path / "portal"
    shutil.copytree(PORTAL, copy, ignore=shutil.ignore_patterns("tests", "__pycache__", "static"))
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "de", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"DJANGO_SETTINGS_MODULE": "frontline.settings", "PATH": "/usr/bin:/bin"},
    )
    extracted = _msgids((copy / "locale/de/LC_MESSAGES/django.po").read_text())
    committed = CATALOGUE.read_text()
    # then nothing is missing from the committed catalogue, and every entry there has its German
    assert extracted - _msgids(committed) == set(), "run makemessages in frontline/portal and translate"
    assert "fuzzy" not in committed
    assert not re.search(r'msgstr(\[\d\])? ""\n\n', committed.split("\n\n", 1)[1] + "\n\n")


def test_the_compiled_catalogue_is_the_committed_one(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(CATALOGUE)], check=True)
    assert compiled.read_bytes() == CATALOGUE.with_suffix(".mo").read_bytes(), "run msgfmt (compilemessages)"


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.nodes: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style", "title")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style", "title")

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.nodes.append(" ".join(data.split()))


def _texts(html: str) -> set[str]:
    parser = _Text()
    parser.feed(html)
    return set(parser.nodes)


def test_a_page_in_german_shows_no_english_of_ours(sam_portal, sam, sam_person, blog, tom, contained_site):
    # given Sam has a case with a conversation, a held site and contact points
    case = cases.open_case(
        customer=sam, requester=sam_person, subject="Blog down", body="503", channel="email"
    )
    cases.reply_to_case(case, by=tom, body="On it.")
    data = {
        "Sam Walker",
        "Blog down",
        "503",
        "On it.",
        "Tom Becker",
        case.ref,
        "walkerblog.example",
        "acct-walker",
        "Sam@WalkerBlog.example",
        "+44 7700 900456",
        "mobile",
        "Frontline",
        "Deutsch",
        "English",
        "Atom",
    }
    pages = [
        "/portal/",
        f"/portal/cases/{case.ref}/",
        "/portal/services/",
        "/portal/incidents/",
        "/portal/contacts/",
    ]
    for path in pages:
        sam_portal.post("/portal/language", {"language": "en"})
        english = _texts(sam_portal.get(path).content.decode())
        sam_portal.post("/portal/language", {"language": "de"})
        german = _texts(sam_portal.get(path).content.decode())
        # then what reads the same in both is the customer's data, times, or words we wrote when we sent them
        # (a notice, a message, a case's subject), which stay as they were sent
        same = {
            text
            for text in english & german
            if re.search(r"[A-Za-z]{3}", text)
            and text not in data
            and not re.fullmatch(r"[\d\-: ·UTC()]+", text)
        }
        written = _written_when_sent(sam)
        assert {t for t in same if not any(t in words for words in written)} == set(), path


def _written_when_sent(customer) -> list[str]:
    notices = [text for n in Notification.objects.filter(customer=customer) for text in (n.title, n.body)]
    subjects = list(Case.objects.filter(customer=customer).values_list("subject", flat=True))
    bodies = list(Message.objects.filter(case__customer=customer).values_list("body_text", flat=True))
    answers = list(DeliveryAttempt.objects.filter(customer=customer).values_list("reply_text", flat=True))
    return [" ".join(text.split()) for text in notices + subjects + bodies + answers]


def test_a_portal_page_in_german_leaves_the_next_request_of_the_thread_in_english(sam_portal):
    # given Sam reads the portal in German
    sam_portal.post("/portal/language", {"language": "de"})
    assert '<html lang="de"' in sam_portal.get("/portal/").content.decode()
    # then the thread that served it speaks the site's language again for whatever it serves next (a staff
    # page would otherwise show German words and numbers: "33,3")
    assert translation.get_language() == "en-gb"
