"""Texts we send or show as words, rendered from templates so they can be proofread and translated.

Every text lives in an app's `templates/texts/<app>/<name>.txt` and is rendered by the "texts" template
engine (settings.TEMPLATES): the same language as pages, but plain text, so nothing is HTML-escaped. Words
are marked for translation with Django's i18n tags (English ships). A message with a subject or title has
it on its first line, then a blank line, then the body.
"""

import re

from django.template import engines


def render_text(name: str, **context) -> str:
    """The text, without the blank lines template tags leave: none at its ends, one at most between
    paragraphs, and no spaces at line ends."""
    text = engines["texts"].get_template(f"texts/{name}.txt").render(context)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def render_paragraph(name: str, **context) -> str:
    """One paragraph: the template's lines and spaces joined by single spaces (reasons shown inline)."""
    return " ".join(render_text(name, **context).split())


def render_message(name: str, **context) -> tuple[str, str]:
    """(subject, body) of a message whose template has the subject on its first line."""
    subject, _, body = render_text(name, **context).partition("\n")
    return subject.strip(), body.strip()
