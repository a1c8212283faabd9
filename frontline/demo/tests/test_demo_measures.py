"""The demo's history tells a story the measures can see: web-hosting customers chased us before our first
answer until PROACTIVE_WEEKS ago and hardly since, so web hosting's failure-demand chart signals."""

import datetime

import pytest

from frontline.core import clock
from frontline.demo.provider import PROACTIVE_WEEKS, seed
from frontline.measures import board, figures, refresh, xmr
from frontline.measures.defaults import install
from frontline.measures.models import DemandRule

NOW = datetime.datetime(2026, 11, 5, 12, 0, tzinfo=datetime.UTC)


@pytest.mark.django_db(transaction=True)
def test_the_demo_history_shows_web_hostings_failure_demand_falling_with_a_signal():
    install(DemandRule, NOW)  # a transactional test before this one may have emptied every table
    with clock.frozen_at(NOW):
        seed(customers=300, cases=6000, open_share=0.01, months=6, now=NOW, processes=1)
        refresh.rebuild()
        drawn = board.draw("failure_share", figures.Slice("topic", "web-hosting"), board.since_weeks(26))
        everyone = board.draw("failure_share", figures.Slice(), board.since_weeks(26))
    chart = drawn.chart
    switch = next(
        i
        for i, week in enumerate(chart.weeks)
        if week >= (NOW - datetime.timedelta(weeks=PROACTIVE_WEEKS)).date()
    )
    before, after = chart.values[:switch], chart.values[switch + 1 :]
    # then the share fell by more than half, and the chart says so: weeks in a row below the baseline's mean
    assert sum(after) / len(after) < sum(before) / len(before) / 2
    assert any(xmr.RUN in chart.signals.get(i, []) for i in range(switch + 1, len(chart.values)))
    assert not any(i in chart.signals for i in range(chart.baseline[0], chart.baseline[1] + 1))
    assert everyone.chart.signalled  # visible on the whole provider's chart too
