"""Alertmanager's webhook, through the real view: stored first, answered at once, read after; repeats
change nothing; what cannot be read is kept and refused; strangers are refused and nothing is kept."""

import json

from frontline.customers.models import UnitState
from frontline.events.models import Event
from frontline.monitoring.models import Alert, AlertGroup, AlertPost, AlertStatus, PostStatus
from frontline.monitoring.services import REVIEW_ALERT, REVIEW_POST
from frontline.monitoring.tests.payloads import alert, group, signed
from frontline.tests.helpers import run_queued_jobs
from frontline.todos.models import ToDo

SITE_DOWN = alert(site="walkerblog.example", instance="web-07")


def test_a_firing_alert_is_stored_answered_at_once_and_then_sets_the_site_down(
    post_json, site_matchers, blog
):
    # given matchers that map site= to a customer's unit
    # when Alertmanager posts a firing group
    response = post_json(group(SITE_DOWN))
    # then it is answered before anything is read, with the stored body's id
    assert response.status_code == 202
    post = AlertPost.objects.get(pk=response.json()["stored_as"])
    assert post.status == PostStatus.PENDING and bytes(post.body) == json.dumps(group(SITE_DOWN)).encode()
    blog.refresh_from_db()
    assert blog.state == UnitState.OK
    # and when a worker reads it, the site is down and the alert is mapped to it
    run_queued_jobs()
    blog.refresh_from_db()
    assert blog.state == UnitState.DOWN
    stored = Alert.objects.get()
    assert stored.status == AlertStatus.FIRING and list(stored.units.all()) == [blog]
    assert stored.starts_at.isoformat() == "2026-12-01T10:00:00+00:00"


def test_the_same_group_posted_again_creates_nothing_new(post_json, site_matchers, blog):
    for _ in range(3):  # every repeat interval, and a retry
        assert post_json(group(SITE_DOWN)).status_code == 202
    run_queued_jobs()
    assert Alert.objects.count() == 1 and AlertGroup.objects.get().posts == 3
    assert Event.objects.filter(kind="monitoring.alert_firing").count() == 1
    assert Event.objects.filter(kind="unit.state_changed", unit=blog).count() == 1


def test_a_resolved_alert_ends_the_state_it_set(post_json, site_matchers, blog):
    post_json(group(SITE_DOWN))
    run_queued_jobs()
    post_json(group(alert(status="resolved", site="walkerblog.example", instance="web-07")))
    run_queued_jobs()
    blog.refresh_from_db()
    assert blog.state == UnitState.OK
    assert Alert.objects.get().status == AlertStatus.RESOLVED


def test_a_unit_stays_down_while_any_alert_about_it_fires(post_json, site_matchers, blog):
    other = alert(name="SiteSlow", site="walkerblog.example", instance="web-07")
    post_json(group(SITE_DOWN, other))
    run_queued_jobs()
    post_json(group(alert(status="resolved", site="walkerblog.example", instance="web-07"), other))
    run_queued_jobs()
    blog.refresh_from_db()
    assert blog.state == UnitState.DOWN


def test_unknown_fields_are_kept_and_a_truncated_group_says_how_many_were_left_out(post_json, site_matchers):
    body = group(dict(SITE_DOWN, silenceURL="http://x/silence"), truncated=7, tenant="eu-1")
    post_json(body)
    run_queued_jobs()
    stored = AlertGroup.objects.get()
    assert stored.truncated_alerts == 7 and stored.extra == {"tenant": "eu-1"}
    assert Alert.objects.get().extra == {"silenceURL": "http://x/silence"}


def test_an_alert_about_nothing_we_know_is_kept_and_raised_once(post_json, site_matchers):
    stray = alert(name="DiskFull", instance="db-99")
    for _ in range(2):
        post_json(group(stray, key='{}:{alertname="DiskFull"}'))
        run_queued_jobs()
    kept = Alert.objects.get()
    assert kept.matcher_id is None and kept.status == AlertStatus.FIRING
    assert ToDo.objects.filter(kind=REVIEW_ALERT).count() == 1


def test_an_hmac_signed_post_is_accepted_and_a_wrong_signature_is_refused_and_not_kept(post_json):
    body = json.dumps(group(SITE_DOWN))
    ok = post_json(group(SITE_DOWN), headers={"X-Frontline-Signature": signed(body.encode())})
    assert ok.status_code == 202
    wrong = post_json(group(SITE_DOWN), headers={"X-Frontline-Signature": signed(body.encode(), "not-it")})
    assert wrong.status_code == 401 and "sha256" in wrong.json()["detail"]
    assert post_json(group(SITE_DOWN), headers={}).status_code == 401
    assert post_json(group(SITE_DOWN), source="nobody").status_code == 401
    assert AlertPost.objects.count() == 1


def test_a_malformed_body_from_a_known_source_is_kept_and_refused_with_the_reason(post_json, client):
    response = post_json({"version": "4", "groupKey": "k", "status": "firing", "alerts": [{"labels": {}}]})
    assert response.status_code == 400 and "labels is empty" in response.json()["detail"]
    not_json = client.post(
        "/monitoring/hooks/alertmanager/",
        data=b"{nope",
        content_type="application/json",
        headers={"Authorization": "Bearer monitoring-secret-for-tests-0123456789"},
    )
    assert not_json.status_code == 400
    assert list(AlertPost.objects.values_list("status", flat=True)) == [PostStatus.REFUSED] * 2
    assert bytes(AlertPost.objects.last().body) == b"{nope"
    assert ToDo.objects.filter(kind=REVIEW_POST).count() == 2


def test_an_older_episode_posted_late_does_not_undo_a_newer_one(post_json, site_matchers, blog):
    post_json(group(alert(starts="2026-12-02T10:00:00Z", site="walkerblog.example", instance="web-07")))
    run_queued_jobs()
    late = alert(
        status="resolved", starts="2026-12-01T10:00:00Z", site="walkerblog.example", instance="web-07"
    )
    post_json(group(late))
    run_queued_jobs()
    blog.refresh_from_db()
    assert blog.state == UnitState.DOWN


def test_the_generic_webhook_reads_one_alert_with_few_fields(post_json, site_matchers, blog):
    from frontline.monitoring import services

    services.add_source(name="uptime", kind="generic", secret="generic-secret-0123456789abcdef")
    response = post_json(
        {"id": "check-42", "labels": {"site": "walkerblog.example"}, "summary": "503 for 2 min"},
        source="uptime",
        headers={"Authorization": "Bearer generic-secret-0123456789abcdef"},
    )
    assert response.status_code == 202
    run_queued_jobs()
    blog.refresh_from_db()
    assert blog.state == UnitState.DOWN
    assert Alert.objects.get().fingerprint == "check-42"
