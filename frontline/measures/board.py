"""The three weekly charts of a slice, with their limits from the chosen baseline: what the page, the API
and the command show."""

import datetime
from dataclasses import dataclass

from frontline.core import clock
from frontline.measures import figures
from frontline.measures.charts import chart_rows, chart_svg
from frontline.measures.derive import monday
from frontline.measures.models import Baseline
from frontline.measures.xmr import Chart, chart

DEFAULT_WEEKS = 26


@dataclass
class Drawn:
    measure: str
    key: str  # "failure_share|topic=web-hosting": what a baseline and an improvement are about
    title: str
    unit: str
    weeks: list[datetime.date]
    values: list[float]
    counts: list[int]
    chart: Chart | None
    baseline: Baseline | None

    @property
    def svg(self) -> str:
        return chart_svg(self.chart, title=self.title, unit=self.unit) if self.chart else ""

    @property
    def rows(self) -> list[dict]:
        if self.chart is None:
            return [
                {"week": w.isoformat(), "value": v, "count": n}
                for w, v, n in zip(self.weeks, self.values, self.counts, strict=True)
            ]
        rows = chart_rows(self.chart)
        for row, n in zip(rows, self.counts, strict=True):
            row["count"] = n
        return rows


def since_weeks(weeks: int) -> datetime.date:
    """The Monday `weeks` weeks back, counting this one."""
    return monday(clock.now()) - datetime.timedelta(weeks=weeks - 1)


def chart_key(measure: str, where: figures.Slice) -> str:
    return f"{measure}|{where.key}"


def draw(measure: str, where: figures.Slice, since: datetime.date) -> Drawn:
    if measure not in figures.MEASURES:
        raise ValueError(f"measure: one of {', '.join(figures.MEASURES)}")
    title, unit = figures.MEASURES[measure]
    weeks, values, counts = figures.weekly(measure, where, since)
    # The week under way is not a week yet: a Monday's few problems would look like a signal.
    this_week = since_weeks(1)
    complete = [i for i, week in enumerate(weeks) if week < this_week]
    weeks, values, counts = (
        [weeks[i] for i in complete],
        [values[i] for i in complete],
        [counts[i] for i in complete],
    )
    key = chart_key(measure, where)
    baseline = Baseline.objects.filter(chart=key).order_by("-set_at", "-pk").first()
    span = None
    if baseline is not None:
        inside = [i for i, w in enumerate(weeks) if baseline.first_week <= w <= baseline.last_week]
        span = (inside[0], inside[-1]) if len(inside) >= 2 else None
    drawn = chart(weeks, values, baseline=span, floor=0.0)
    return Drawn(measure, key, title, unit, weeks, values, counts, drawn, baseline)


def board(where: figures.Slice, since: datetime.date) -> list[Drawn]:
    return [draw(measure, where, since) for measure in figures.MEASURES]
