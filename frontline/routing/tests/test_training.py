"""Training on the provider's own resolved cases, versions, retraining, eval-router and the similar cases."""

import datetime
import io
import itertools
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from frontline.cases import services as cases
from frontline.cases.models import Case
from frontline.core import clock
from frontline.customers.models import Customer
from frontline.events.models import Event, EventKind
from frontline.routing import services
from frontline.routing.models import RouterModel
from frontline.routing.tasks import retrain_router
from frontline.routing.tests.helpers import NOW

pytestmark = pytest.mark.django_db


def test_training_writes_a_version_with_its_measured_quality(trained, settings):
    assert trained.version == 1 and trained.cases_used > 500
    assert trained.metrics["held_out"] > 100 and trained.metrics["top1"] > 0.8
    assert 0 <= trained.metrics["ece"] < 0.2
    assert (services.models_dir() / trained.path).stat().st_size == trained.size_bytes
    assert Event.objects.filter(kind=EventKind.ROUTER_TRAINED, data__version=1).exists()


def test_retraining_makes_a_new_version_that_is_used_at_once(trained):
    assert services.current_model().version == 1
    with clock.frozen_at(NOW):
        second = services.train_router(via="test")
    assert second.version == 2 and services.current_model().version == 2
    assert (services.models_dir() / trained.path).exists()  # the old version stays for a rollback


def test_a_version_trained_elsewhere_is_used_once_this_process_asks_again(trained, monkeypatch):
    # given this process uses version 1, and has just asked which is newest
    assert services.current_model().version == 1
    # when another process's training makes the newest version 2 (here: the row renumbered)
    RouterModel.objects.filter(pk=trained.pk).update(version=2)
    # then this process goes on with version 1 until its recheck time, without asking the database
    assert services.current_model().version == 1
    later = services.time.monotonic() + services.NEWEST_MODEL_RECHECK_SECONDS + 1
    monkeypatch.setattr(services.time, "monotonic", lambda: later)
    assert services.current_model().version == 2


def test_a_version_whose_files_are_missing_is_warned_of_once_a_minute_not_at_every_message(
    trained, monkeypatch, caplog
):
    # given this process uses version 1, and a newest version recorded by another machine whose files this
    # one cannot see
    assert services.current_model().version == 1
    RouterModel.objects.filter(pk=trained.pk).update(version=2, path="elsewhere.joblib")
    services.forget_newest_model()
    # when a hundred messages ask for the model
    with caplog.at_level("WARNING", logger="frontline.routing.services"):
        models = [services.current_model() for _ in range(100)]
    # then they go on with the version this process has, and one warning says why
    assert {m.version for m in models} == {1}
    assert [r.getMessage() for r in caplog.records].count(
        f"router v2 is recorded but its files are missing from {services.models_dir()}"
    ) == 1
    # and the files are looked for again a minute later
    later = services.time.monotonic() + services.MISSING_MODEL_RETRY_SECONDS + 1
    monkeypatch.setattr(services.time, "monotonic", lambda: later)
    services.current_model()
    assert len([r for r in caplog.records if "files are missing" in r.getMessage()]) == 2


def test_the_periodic_retraining_waits_for_something_new_to_learn(trained, northwind_tom):
    with clock.frozen_at(NOW + datetime.timedelta(hours=1)):
        assert retrain_router.call() == 1  # nothing resolved since version 1
        case = Case.objects.filter(is_open=True).exclude(topic=None).first()
        cases.change_status(case, status="resolved", by=northwind_tom, resolution_notes="Fixed the vhost")
        assert retrain_router.call() == 2


def test_too_little_history_is_refused_with_a_reason(db):
    with pytest.raises(Exception, match="at least 20 resolved cases"):
        services.train_router()


def test_a_new_case_is_classified_routed_and_explained(trained):
    customer = Customer.objects.order_by("pk").first()
    with clock.frozen_at(NOW):
        case = cases.open_case(
            customer=customer,
            subject="Certificate expired",
            body="The SSL certificate on our shop has expired and browsers show a warning.",
            channel="email",
        )
        case = services.triage_new_case(case)
    assert case.topic.slug == "ssl" and case.topic_confidence > 0.5
    assert case.assignee is not None and case.assignee.skills.filter(slug="ssl").exists()
    assert case.routing_explanation["reason"].startswith(str(case.assignee))
    assert Event.objects.filter(case=case, kind=EventKind.TOPIC_SET, data__topic="ssl").exists()


def test_below_the_threshold_a_case_waits_in_triage_with_the_alternatives(trained, settings):
    settings.FRONTLINE_ROUTER_THRESHOLD = 0.999
    customer = Customer.objects.order_by("pk").first()
    with clock.frozen_at(NOW):
        case = services.triage_new_case(
            cases.open_case(
                customer=customer, subject="Hello", body="Something is wrong, please call.", channel="email"
            )
        )
    assert case.topic is None and case.assignee is None
    assert case.routing_explanation["pool"] == "triage"
    assert "not sure of the topic" in case.routing_explanation["reason"]


def test_the_case_page_shows_how_similar_cases_were_solved(trained, client, northwind_tom):
    client.force_login(northwind_tom.user)
    solved = Case.objects.filter(status="closed", topic__slug="dns").order_by("pk").first()
    customer = Customer.objects.order_by("pk").first()
    with clock.frozen_at(NOW):
        case = cases.open_case(
            customer=customer, subject=solved.subject, body=solved.messages.first().body_text, channel="email"
        )
    found = services.similar_cases(case)
    assert found and found[0]["similarity"] > 0.5 and found[0]["case"].topic.slug == "dns"
    assert all(a["similarity"] >= b["similarity"] for a, b in itertools.pairwise(found))
    page = client.get(reverse("cases:detail", args=[case.ref])).content.decode()
    assert "Solved before" in page and found[0]["case"].resolution_notes in page.replace("&#x27;", "'")


def test_eval_router_reports_accuracy_confusion_and_calibration(trained, tmp_path):
    test_file = tmp_path / "mine.jsonl"
    test_file.write_text(
        "\n".join(
            json.dumps(row)
            for row in [
                {"text": "Our invoice shows the wrong amount", "label": "billing"},
                {"text": "The MX records are gone from the zone", "label": "dns"},
                {"text": "Packet loss on the fibre line", "label": "network"},
                {"text": "Something we never trained on", "label": "telepathy"},
            ]
        )
    )
    out = io.StringIO()
    call_command("eval-router", "--test-file", str(test_file), stdout=out)
    report = out.getvalue()
    assert "cases: 4" in report and "top-1 accuracy:" in report and "top-3 accuracy:" in report
    assert "expected calibration error:" in report and "confusion matrix" in report
    assert "labels the model has never seen (always wrong): telepathy" in report
    out = io.StringIO()
    call_command("eval-router", "--test-file", str(test_file), "--json", stdout=out)
    as_json = json.loads(out.getvalue())
    assert (
        as_json["count"] == 4
        and as_json["top1"] <= 0.75
        and len(as_json["confusion"]) == len(as_json["labels"])
    )


def test_eval_router_reads_csv_lists_topics_and_refuses_bad_files(trained, tmp_path):
    good = tmp_path / "mine.csv"
    good.write_text('text,label\n"Charged twice, please refund",billing\n')
    out = io.StringIO()
    call_command("eval-router", "--test-file", str(good), stdout=out)
    assert "cases: 1" in out.getvalue()
    out = io.StringIO()
    call_command("eval-router", "--list-topics", stdout=out)
    assert out.getvalue().splitlines()[0] == "abuse-security\tAbuse and security"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine", "label": "dns"}\nnot json\n')
    with pytest.raises(CommandError, match="line 2"):
        call_command("eval-router", "--test-file", str(bad))
    headerless = tmp_path / "bad.csv"
    headerless.write_text("a,b\n")
    with pytest.raises(CommandError, match="header with the columns text and label"):
        call_command("eval-router", "--test-file", str(headerless))


def test_train_router_command_prints_the_version_and_its_quality(history):
    out = io.StringIO()
    with clock.frozen_at(NOW):
        call_command("train-router", stdout=out)
    assert out.getvalue().startswith("router v1: ") and "top-1" in out.getvalue()
    assert RouterModel.objects.count() == 1
