"""Per-channel text handling and what is refused at entry."""

import pytest

from frontline.core.errors import ServiceError
from frontline.notifications import services
from frontline.notifications.transports import (
    Outgoing,
    TransportError,
    WebhookTransport,
    check_apprise_url,
    fit_sms,
    sms_parts,
    sms_text,
)


def test_sms_text_has_no_non_breaking_or_odd_spaces_and_no_control_characters():
    text = sms_text("Server\u00a0web-07\u202fis down.\x07\tBack by 14:00\u2009UTC.\n\n\n\nThanks")
    assert text == "Server web-07 is down. Back by 14:00 UTC.\n\nThanks"


def test_sms_parts_count_gsm_and_unicode_segments():
    assert sms_parts("a" * 160) == ("GSM-7", 1)
    assert sms_parts("a" * 161) == ("GSM-7", 2)
    assert sms_parts("a" * 306) == ("GSM-7", 2) and sms_parts("a" * 307) == ("GSM-7", 3)
    assert sms_parts("€" * 80) == ("GSM-7", 1)  # two septets each: 160
    assert sms_parts("€" * 81) == ("GSM-7", 2)
    assert sms_parts("Zürich ✓") == ("UCS-2", 1)
    assert sms_parts("ü" * 69 + "✓") == ("UCS-2", 1) and sms_parts("✓" * 71) == ("UCS-2", 2)


def test_a_long_text_is_cut_to_four_parts_keeping_the_link_whole():
    link = "https://support.example/notify/ack/abc123/"
    fitted = fit_sms("Long explanation. " * 100, link)
    assert fitted.endswith(f"...\nConfirm: {link}")  # "…" would make all of it UCS-2
    assert sms_parts(fitted) == ("GSM-7", 4) and len(fitted) > 550
    short = fit_sms("Back at 14:00.", link)
    assert short == f"Back at 14:00.\nConfirm: {link}"
    # unicode costs more per character, so less of it fits
    unicode = fit_sms("Störung behoben ✓ " * 60, link)
    assert sms_parts(unicode) == ("UCS-2", 4) and unicode.endswith(link)


def test_a_notice_is_written_to_fit_gsm_7_where_it_can():
    # given a notice with the punctuation our texts and mail clients use
    notice = (
        "Planned maintenance – “relay” smtp-2 at 02:00… Only the mail relay is affected; it’s brief. " * 6
    )
    link = "https://support.example/notify/ack/abc123/"
    # when it is fitted for SMS
    fitted = fit_sms(notice, link)
    # then it is GSM-7, spelt plainly, and far more of it fits in four parts than in UCS-2
    assert (
        sms_parts(fitted)[0] == "GSM-7" and '- "relay" smtp-2 at 02:00... Only' in fitted and "it's" in fitted
    )
    assert fitted.count("Only the mail relay is affected") >= 4
    # and a text in letters GSM-7 lacks stays as written
    assert fit_sms("Сервер снова работает — спасибо", "") == "Сервер снова работает — спасибо"


def test_apprise_urls_are_checked_at_entry_with_a_clear_message():
    check_apprise_url("json://127.0.0.1:9/sms/{number}", "number")
    with pytest.raises(ServiceError, match="must contain"):
        check_apprise_url("json://127.0.0.1:9/sms/", "number")
    with pytest.raises(ServiceError, match="does not recognise"):
        check_apprise_url("nosuchservice://x/{number}", "number")


def test_a_misconfigured_sms_url_fails_the_system_check(settings):
    from frontline.notifications.apps import check_transport_settings

    settings.FRONTLINE_SMS_URL = "nosuchservice://x/{number}"
    [error] = check_transport_settings(None)
    assert "FRONTLINE_SMS_URL" in error.msg and "does not recognise" in error.msg
    settings.FRONTLINE_SMS_URL = ""
    assert check_transport_settings(None) == []


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([], "at least one rung"),
        ([{"channel": "pigeon"}], "channel must be one of"),
        ([{"channel": "sms", "wait_minutes": -5}], "wait_minutes"),
        ([{"channel": "sms", "contacts": "everyone"}], "contacts must be"),
        (["email"], "must be an object"),
    ],
)
def test_a_ladder_with_bad_rungs_is_refused_with_the_rung_named(steps, message):
    with pytest.raises(ServiceError, match=message):
        services.validate_steps(steps)


@pytest.mark.django_db
def test_the_ladder_is_chosen_by_urgency_and_a_subject_specific_one_wins():
    from frontline.notifications.models import Ladder

    services.ensure_default_ladders()
    assert services.choose_ladder("incident", "critical").steps[1]["channel"] == "sms"
    critical = services.choose_ladder("incident", "critical")
    assert services.time_to_human_rung(critical).total_seconds() == 4 * 3600
    special = Ladder.objects.create(
        name="maintenance",
        subject_kind="maintenance",
        urgency="routine",
        steps=[{"channel": "email", "wait_minutes": 0}],
        created_at="2026-11-01T00:00Z",
    )
    assert services.choose_ladder("maintenance", "routine") == special
    assert services.choose_ladder("incident", "routine") != special


def _outgoing(address: str) -> Outgoing:
    return Outgoing(key="k-1", address=address, title="t", body="b", ack_url="", secret="s" * 40)


@pytest.mark.parametrize(
    "status, permanent",
    [(410, True), (404, True), (429, False), (408, False), (503, False)],
)
def test_a_webhook_refusal_says_whether_trying_again_could_work(receiver, status, permanent):
    # given a receiver that answers the webhook's path with a refusal
    receiver.answers["/hook"] = (status, 0.0)
    # when a webhook notice is posted to it
    with pytest.raises(TransportError) as refused:
        WebhookTransport().send(_outgoing(f"{receiver.url}/hook"))
    # then the answer is kept with its code, and only a client error other than 408/429 is permanent
    assert refused.value.code == status and refused.value.permanent is permanent
    assert f"HTTP {status}" in str(refused.value) and "refused by the test receiver" in str(refused.value)


def test_a_webhook_accepted_is_answered_and_signed_with_the_key(receiver):
    answer = WebhookTransport().send(_outgoing(f"{receiver.url}/hook"))
    [hook] = receiver.to("/hook")
    assert answer.code == 200 and '"ok": true' in answer.text
    assert hook.headers["Idempotency-Key"] == "k-1" and hook.headers["X-Frontline-Signature"].startswith(
        "sha256="
    )


def test_a_webhook_address_that_is_no_url_fails_permanently_instead_of_escaping():
    # given a contact point whose address urllib cannot post to (no scheme)
    # when a notice is sent there, then the failure is the transport's own, permanent: the point is condemned
    with pytest.raises(TransportError) as refused:
        WebhookTransport().send(_outgoing("hooks.example.com/x"))
    assert refused.value.permanent and "not an address a webhook can be posted to" in str(refused.value)
