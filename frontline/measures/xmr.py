"""XmR (process behaviour) charts: natural process limits and Wheeler's detection rules.

The arithmetic is statprocon's: the centre line is the baseline's mean, the limits the mean plus and minus
2.660 times its average moving range, the moving-range chart's upper limit 3.268 times it. Limits come from
the chosen baseline weeks only; every week is judged against them. tests/test_xmr.py checks the figures
against values worked out by hand.
"""

import datetime
from dataclasses import dataclass, field

from statprocon import XmR

# Wheeler's rules as the page names them.
BEYOND = "beyond a limit"  # one point outside the natural process limits: a dominant cause
RUN = "eight on one side"  # eight successive points on one side of the centre line: a sustained shift
NEAR = "three of four near a limit"  # three of four successive points in an outer quarter: a moderate shift
RANGE = "jump"  # a moving range above its upper limit: a sudden change from one week to the next


@dataclass
class Chart:
    weeks: list[datetime.date]
    values: list[float]
    centre: float
    upper: float
    lower: float | None  # None where it would be below what the measure can be (no lower limit shown)
    moving_ranges: list[float | None]
    range_centre: float
    range_upper: float
    baseline: tuple[int, int]  # first and last index of the baseline weeks
    signals: dict[int, list[str]] = field(default_factory=dict)  # point index -> the rules it shows

    @property
    def signalled(self) -> list[int]:
        return sorted(self.signals)

    @property
    def baseline_weeks(self) -> tuple[datetime.date, datetime.date]:
        return self.weeks[self.baseline[0]], self.weeks[self.baseline[1]]


def chart(
    weeks: list[datetime.date],
    values: list[float],
    *,
    baseline: tuple[int, int] | None = None,
    floor: float | None = 0.0,
) -> Chart | None:
    """The chart of these weekly values, limits from the baseline (first and last index, both in; default:
    the first twelve weeks, or all when fewer). None with fewer than three weeks: no limits to speak of."""
    if len(values) < 3:
        return None
    first, last = baseline if baseline is not None else (0, min(len(values), 12) - 1)
    first, last = max(0, first), min(len(values) - 1, last)
    if last - first < 1:
        first, last = 0, len(values) - 1
    xmr = XmR(values, subset_start_index=first, subset_end_index=last + 1)
    lower = float(xmr.lower_natural_process_limit()[0])
    result = Chart(
        weeks=weeks,
        values=[float(v) for v in values],
        centre=float(xmr.x_central_line()[0]),
        upper=float(xmr.upper_natural_process_limit()[0]),
        lower=None if floor is not None and lower <= floor else lower,
        moving_ranges=[None if r is None else float(r) for r in xmr.moving_ranges()],
        range_centre=float(xmr.mr_central_line()[0]),
        range_upper=float(xmr.upper_range_limit()[0]),
        baseline=(first, last),
    )
    found = (
        (BEYOND, xmr.rule_1_x_indices_beyond_limits()),
        (RUN, xmr.rule_2_runs_about_central_line()),
        (NEAR, xmr.rule_3_runs_near_limits()),
        (RANGE, xmr.rule_1_mr_indices_beyond_limits()),
    )
    for name, flags in found:
        for index, flagged in enumerate(flags):
            if flagged:
                result.signals.setdefault(index, []).append(name)
    return result
