"""The measures over JSON and on the command line: the same rows as the page's charts."""

import csv
import io
import json

import pytest
from django.core.management import call_command

from frontline.core import clock
from frontline.measures import board, figures
from frontline.measures.models import Contact
from frontline.measures.tests.test_pages import TODAY, _history


@pytest.mark.django_db
def test_the_api_gives_the_charts_rows_and_a_customers_problems(sam, sam_person, tom, signed_in):
    made = _history(sam, sam_person, tom, [2, 4, 3, 5, 80])
    with clock.frozen_at(TODAY):
        body = signed_in.get("/api/v1/measures?weeks=13").json()
        one = signed_in.get("/api/v1/measures/charts/end_to_end?weeks=13&by=tier&value=" + sam.tier).json()
        drawn = board.draw("end_to_end", figures.Slice(), board.since_weeks(13))
    charts = {c["measure"]: c for c in body["charts"]}
    assert [w["value"] for w in charts["end_to_end"]["weeks"]] == drawn.chart.values
    assert charts["end_to_end"]["upper_limit"] == drawn.chart.upper
    assert [w["value"] for w in one["weeks"]] == drawn.chart.values  # Sam's tier is everyone here
    assert body["summary"]["problems_finished"] == 5 and body["summary"]["contacts"] == 6
    problems = signed_in.get(f"/api/v1/customers/{sam.pk}/problems").json()
    assert {p["case"] for p in problems} == {c.ref for c in made}
    # a bad slice is a 4xx with words, never a 500
    assert signed_in.get("/api/v1/measures?by=planet&value=x").status_code == 422
    assert signed_in.get("/api/v1/measures?by=topic").status_code == 404


@pytest.mark.django_db
def test_a_correction_over_the_api_answers_the_contact_as_it_now_counts(sam, sam_person, tom, signed_in):
    case = _history(sam, sam_person, tom, [2, 4, 80])[-1]
    chaser = Contact.objects.get(problem_id=case.pk, failure_type="chasing")
    url = f"/api/v1/cases/{case.ref}/contacts/{chaser.message_id}/demand"
    answer = signed_in.post(
        url, {"failure_type": "value", "reason": "new request"}, content_type="application/json"
    )
    assert answer.json() == {
        "message_id": chaser.message_id,
        "failure_type": "",
        "rules_said": "chasing",
        "corrected": True,
    }
    bad = signed_in.post(url, {"failure_type": "mood"}, content_type="application/json")
    assert bad.status_code == 422


@pytest.mark.django_db
def test_the_command_writes_a_row_per_topic_as_csv_and_json(sam, sam_person, tom, web_hosting):
    _history(sam, sam_person, tom, [2, 4, 3])
    out = io.StringIO()
    with clock.frozen_at(TODAY):
        call_command("measures", "--since", "90d", "--by", "tier", "--format", "csv", stdout=out)
        rows = list(csv.DictReader(io.StringIO(out.getvalue())))
        out = io.StringIO()
        call_command("measures", "--since", "13w", "--format", "json", stdout=out)
    mine = next(r for r in rows if r["value"] == sam.tier)
    assert (mine["problems"], mine["end_to_end_hours_p50"]) == ("3", "3.0")
    assert json.loads(out.getvalue())["rows"][0]["problems"] == 3
