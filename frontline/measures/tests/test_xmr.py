"""XmR limits and Wheeler's detection rules against values worked out by hand, and the CSV equal to the
chart's data."""

import csv
import datetime
import io

import pytest

from frontline.measures import xmr
from frontline.measures.charts import chart_csv, chart_rows, chart_svg

# Ten baseline weeks worked by hand: sum 114, mean 11.4; moving ranges 2,1,2,1,1,1,2,1,1 sum 12 over 9,
# average 1.3333; limits 11.4 +- 2.660 * 1.3333 = 14.9467 and 7.8533; range limit 3.268 * 1.3333 = 4.3573;
# halfway lines 11.4 +- 1.7733 = 13.1733 and 9.6267.
BASELINE = [10, 12, 11, 13, 12, 11, 10, 12, 11, 12]
AFTER = [30, 5] + [9] * 8 + [14, 13.5, 14, 11]
WEEKS = [datetime.date(2026, 1, 5) + datetime.timedelta(weeks=i) for i in range(len(BASELINE) + len(AFTER))]


@pytest.fixture
def drawn():
    return xmr.chart(WEEKS, BASELINE + AFTER, baseline=(0, 9))


def test_limits_come_from_the_baseline_weeks_only(drawn):
    # statprocon rounds the average moving range to three places before multiplying (1.333, not 1.3333):
    # its limits agree with the hand-worked ones within two thousandths.
    assert drawn.centre == pytest.approx(11.4)
    assert drawn.range_centre == pytest.approx(1.3333, abs=2e-3)
    assert drawn.upper == pytest.approx(14.9467, abs=2e-3)
    assert drawn.lower == pytest.approx(7.8533, abs=2e-3)
    assert drawn.range_upper == pytest.approx(4.3573, abs=2e-3)


def test_each_detection_rule_marks_the_weeks_it_sees(drawn):
    # a point beyond a limit: 30 above, 5 below; and the jumps into and out of them
    assert xmr.BEYOND in drawn.signals[10] and xmr.BEYOND in drawn.signals[11]
    assert xmr.RANGE in drawn.signals[10] and xmr.RANGE in drawn.signals[11]
    # eight (here nine, from the 5) in a row below the mean
    assert all(xmr.RUN in drawn.signals[i] for i in range(12, 20))
    # three of four in the upper quarter (14, 13.5, 14 above 13.1733), none beyond the limit
    assert all(xmr.NEAR in drawn.signals[i] for i in range(20, 24))
    # and nothing in the baseline itself
    assert not any(i in drawn.signals for i in range(10))


def test_a_lower_limit_below_zero_is_not_drawn():
    drawn = xmr.chart(WEEKS[:4], [1, 9, 1, 9], baseline=(0, 3))
    assert drawn.lower is None and drawn.upper == pytest.approx(5 + 2.66 * 8)


def test_too_few_weeks_make_no_chart():
    assert xmr.chart(WEEKS[:2], [1, 2]) is None


def test_the_csv_is_the_charts_data_and_the_svg_marks_each_signal(drawn):
    rows = list(csv.DictReader(io.StringIO(chart_csv(drawn))))
    expected = chart_rows(drawn)
    assert len(rows) == len(expected) == len(WEEKS)
    for got, want in zip(rows, expected, strict=True):
        assert got["week"] == want["week"]
        assert float(got["value"]) == want["value"]
        assert float(got["upper_limit"]) == want["upper_limit"]
        assert got["signals"] == want["signals"]
    svg = chart_svg(drawn, title="Failure demand share", unit="%")
    assert svg.count('fill="#c62828"') == len(drawn.signals)
    assert "<script" not in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")
