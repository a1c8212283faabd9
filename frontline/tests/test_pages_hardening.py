"""What the pages send and follow: a Content-Security-Policy on every page, remote images only on request,
and no redirect to another site through a form's `next`."""

import pytest

from frontline.customers import services as customers
from frontline.intake.tests.helpers import deliver, mail

pytestmark = pytest.mark.django_db

TRACKED = '<p>Hello</p><img src="https://pixel.tracker.example/open?id=42" alt="">'


def test_every_page_forbids_inline_and_foreign_scripts(client, signed_in):
    for page in (client.get("/login/"), signed_in.get("/"), client.get("/contact/")):
        policy = page["Content-Security-Policy"]
        assert (
            "script-src 'self'" in policy
            and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        )
        assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    # the chat widget alone may be framed, by the sites the provider names
    assert "frame-ancestors *" in client.get("/chat/")["Content-Security-Policy"]


def test_no_page_template_carries_an_inline_script_or_style():
    from pathlib import Path

    import frontline

    inline = [
        str(path)
        for path in Path(frontline.__file__).parent.rglob("templates/**/*.html")
        if "<script>" in path.read_text()
        or "<script " in path.read_text().replace("<script src=", "")
        or ' style="' in path.read_text()
        or "<style" in path.read_text()
    ]
    assert inline == []


def test_a_tracking_pixel_is_a_placeholder_until_someone_loads_the_images(signed_in, sam):
    case = deliver(mail(body="Hello", html=TRACKED)).case
    page = signed_in.get(f"/cases/{case.ref}/")
    html = page.content.decode()
    assert "pixel.tracker.example/open" not in html
    assert "[image from pixel.tracker.example]" in html and "Load images" in html
    assert "https:" not in page["Content-Security-Policy"].split("img-src")[1].split(";")[0]
    message = case.messages.get()
    loaded = signed_in.get(f"/cases/{case.ref}/?images={message.pk}")
    assert 'src="https://pixel.tracker.example/open?id=42"' in loaded.content.decode()
    assert "https:" in loaded["Content-Security-Policy"].split("img-src")[1]


@pytest.mark.parametrize("target", ["http://evil.example/", "//evil.example/", "https:evil.example"])
def test_next_never_leads_to_another_site(signed_in, sam, smtp_server, target):
    point = customers.add_contact_point(customer=sam, kind="email", value="ops@walkerblog.example")
    answer = signed_in.post(f"/contacts/{point.pk}/verify", {"next": target})
    assert answer.status_code == 302 and "evil.example" not in answer["Location"]
    ours = signed_in.post(f"/contacts/{point.pk}/verify", {"next": "/customers/1/notifications/"})
    assert ours["Location"] == "/customers/1/notifications/"
