"""What the provider learns: the rules to fix, and a changed rule simulated over the contexts stored then."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from frontline.core import clock
from frontline.customers import services as customers
from frontline.policy import reports, services
from frontline.policy.models import Decision
from frontline.policy.tests.helpers import HOUR, T0, scan

pytestmark = pytest.mark.django_db

DAY = 24 * HOUR


def _site(n: int) -> str:
    return f"client{n:02d}.rivera-sites.example"


def test_rules_to_fix_counts_firings_overrides_and_how_the_overrides_turned_out(
    rivera, scan_rule, priya, tom
):
    # given the scan rule fired on four sites, and a team lead did less on two of them
    scan(*[(_site(n), True) for n in (1, 2, 3, 4)])
    first, second = Decision.objects.order_by("unit__name")[:2]
    with clock.frozen_at(T0 + HOUR):
        for decision in (first, second):
            services.override_decision(
                decision, by=priya, kind="do_less", action="require_cleanup", reason="the agency cleans today"
            )
    # and client01 was reported infected again within the month, client02 not
    scan((_site(1), True), at=T0 + 10 * DAY, batch="scan-2")
    # and a goodwill credit named the rule
    tom.goodwill_allowance = 100
    tom.save()
    with clock.frozen_at(T0 + 2 * HOUR):
        services.grant_goodwill(
            rivera, by=tom, goodwill="credit", value=20, reason="downtime", rule=scan_rule
        )
    # when the report is read 40 days on
    [row] = reports.rules_to_fix(now=T0 + 40 * DAY)
    # then: 5 firings (the repeat fired too), 2 overridden, one repeated and one held
    assert (row.fired, row.overridden, row.repeated, row.held, row.reopened, row.too_early) == (
        5,
        2,
        1,
        1,
        0,
        0,
    )
    assert row.override_rate == pytest.approx(0.4) and row.goodwill == 1 and row.goodwill_value == 20.0
    assert row.verdict == "change it: overridden often, and the overrides hold"
    # read ten days on, the held one is too early to call
    [early] = reports.rules_to_fix(now=T0 + 10 * DAY + HOUR)
    assert (early.repeated, early.held, early.too_early) == (1, 0, 1)
    # and the command prints it
    out = StringIO()
    call_command("policy", "report", stdout=out)
    assert "Contain infected sites" in out.getvalue() and "40%" in out.getvalue()


def test_simulation_replays_the_contexts_stored_then_not_todays_state(rivera, scan_rule, nadia):
    # given a rule that fires only for reseller accounts, and three scans with different confidence
    with clock.frozen_at(T0 - DAY):
        services.save_rule(
            rule=scan_rule,
            by=nadia,
            name=scan_rule.name,
            trigger="malware_scan",
            action="contain",
            severity="standard",
            condition='event.infected && event.confidence >= 0.8 && customer.plan == "reseller"',
        )
    for n, confidence in ((1, 0.7), (2, 0.85), (3, 0.95)):
        with clock.frozen_at(T0 + n * HOUR):
            services.receive_events(
                [
                    {
                        "trigger": "malware_scan",
                        "facts": {"infected": True, "confidence": confidence},
                        "unit": {"name": _site(n)},
                    }
                ],
                source="scanner",
            )
    assert Decision.objects.count() == 2
    # and the account has since moved to another plan (today's state would say "no")
    customers.update_customer(rivera, plan="business")
    scan_rule.refresh_from_db()
    # when a stricter condition is simulated
    with clock.frozen_at(T0 + 5 * DAY):
        result = reports.simulate(
            scan_rule,
            since=timedelta(days=90),
            condition='event.infected && event.confidence >= 0.9 && customer.plan == "reseller"',
        )
    # then the stored contexts answer: one fewer firing (the 0.85 one), nothing new
    assert (result.events, result.fired_before, result.fired_after) == (3, 2, 1)
    assert [unit for _, unit, _ in result.no_longer] == [rivera.units.get(name=_site(2)).pk]
    assert result.newly == [] and result.failed == 0
    # and a looser one fires on all three
    with clock.frozen_at(T0 + 5 * DAY):
        looser = reports.simulate(scan_rule, since=timedelta(days=90), condition="event.infected")
    assert looser.fired_after == 3 and len(looser.newly) == 1


def test_the_simulate_command_prints_the_differences_and_refuses_a_bad_condition(rivera, scan_rule):
    scan((_site(1), True), (_site(2), True))
    out = StringIO()
    with clock.frozen_at(T0 + DAY):
        call_command(
            "policy",
            "simulate",
            "Contain infected sites",
            "--since",
            "90d",
            "--condition",
            "event.infected && event.files > 10",
            stdout=out,
        )
    text = out.getvalue()
    assert (
        "2 replayed" in text
        and "Fired then: 2; would fire now: 0" in text
        and "would no longer fire: 2" in text
    )
    with pytest.raises(CommandError, match="column 28: unknown name 'evnt'"):
        call_command(
            "policy", "simulate", "Contain infected sites", "--condition", "event.infected && 1 < 2 && evnt.x"
        )
    with pytest.raises(CommandError, match="no rule named"):
        call_command("policy", "simulate", "Nope")
