"""XmR charts drawn on the server as SVG, and the same data as CSV.

The SVG is plain markup (no script, nothing fetched): the page puts a table of the same numbers beside it
for screen readers, and the CSV download is that table. A signalled point is a larger square, not only
another colour, so the chart reads without colour too.
"""

import csv
import io
from html import escape

from frontline.measures.xmr import Chart

WIDTH, X_HEIGHT, R_HEIGHT, LEFT, RIGHT, TOP, GAP = 760, 220, 90, 56, 16, 24, 34


def chart_rows(drawn: Chart) -> list[dict]:
    """One row per week: what the table, the CSV and the API show."""
    rows = []
    for index, week in enumerate(drawn.weeks):
        rows.append(
            {
                "week": week.isoformat(),
                "value": drawn.values[index],
                "moving_range": drawn.moving_ranges[index],
                "centre": round(drawn.centre, 3),
                "upper_limit": round(drawn.upper, 3),
                "lower_limit": None if drawn.lower is None else round(drawn.lower, 3),
                "range_upper_limit": round(drawn.range_upper, 3),
                "baseline": drawn.baseline[0] <= index <= drawn.baseline[1],
                "signals": "; ".join(drawn.signals.get(index, [])),
            }
        )
    return rows


def chart_csv(drawn: Chart) -> str:
    return rows_csv(chart_rows(drawn))


def rows_csv(rows: list[dict]) -> str:
    """Rows of a chart (or of weeks with no limits yet) as CSV, a blank where a value is None."""
    out = io.StringIO()
    fields = list(rows[0]) if rows else ["week", "value", "count"]  # no week yet: the header alone
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


def _scale(low: float, high: float, top: float, height: float):
    span = (high - low) or 1.0
    return lambda v: round(top + height - (v - low) / span * height, 1)


def chart_svg(drawn: Chart, *, title: str, unit: str) -> str:
    n = len(drawn.values)
    inner = WIDTH - LEFT - RIGHT
    step = inner / max(n - 1, 1)
    x_of = [round(LEFT + i * step, 1) for i in range(n)]
    lows = [*drawn.values, drawn.centre] + ([drawn.lower] if drawn.lower is not None else [0.0])
    low, high = min(lows), max([*drawn.values, drawn.upper])
    pad = (high - low) * 0.08 or 1.0
    y = _scale(low - pad, high + pad, TOP, X_HEIGHT)
    ranges = [r for r in drawn.moving_ranges if r is not None]
    r_top = TOP + X_HEIGHT + GAP
    ry = _scale(0.0, max([*ranges, drawn.range_upper]) * 1.08 or 1.0, r_top, R_HEIGHT)
    height = r_top + R_HEIGHT + 30
    signalled = len(drawn.signals)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="img" aria-label="{escape(title)}: {n} weeks, {signalled} signalled" class="xmr">',
        f"<title>{escape(title)} ({escape(unit)})</title>",
    ]
    first, last = drawn.baseline
    parts.append(
        f'<rect x="{x_of[first]}" y="{TOP}" width="{max(x_of[last] - x_of[first], 1)}" height="{X_HEIGHT}" '
        'fill="#eef3fb"><title>baseline: the weeks the limits come from</title></rect>'
    )

    def line(value, label, dash):
        at = y(value)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{at}" y2="{at}" stroke="#555" '
            f'stroke-dasharray="{dash}"/><text x="{LEFT - 4}" y="{at + 4}" text-anchor="end" '
            f'font-size="11">{value:.1f}</text><text x="{WIDTH - RIGHT}" y="{at - 3}" text-anchor="end" '
            f'font-size="10" fill="#555">{label}</text>'
        )

    line(drawn.upper, "upper limit", "6 4")
    line(drawn.centre, "mean", "0")
    if drawn.lower is not None:
        line(drawn.lower, "lower limit", "6 4")
    path = " ".join(f"{'M' if i == 0 else 'L'}{x_of[i]},{y(v)}" for i, v in enumerate(drawn.values))
    parts.append(f'<path d="{path}" fill="none" stroke="#1f5fbf" stroke-width="1.5"/>')
    for i, value in enumerate(drawn.values):
        week = drawn.weeks[i].strftime("%d %b %Y")
        if i in drawn.signals:
            why = ", ".join(drawn.signals[i])
            parts.append(
                f'<rect x="{x_of[i] - 5}" y="{y(value) - 5}" width="10" height="10" fill="#c62828">'
                f"<title>week of {week}: {value:g} {escape(unit)}, signal: {escape(why)}</title></rect>"
            )
        else:
            parts.append(
                f'<circle cx="{x_of[i]}" cy="{y(value)}" r="3" fill="#1f5fbf">'
                f"<title>week of {week}: {value:g} {escape(unit)}</title></circle>"
            )
    # The moving-range chart below.
    at = ry(drawn.range_upper)
    parts.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{at}" y2="{at}" stroke="#555" stroke-dasharray="6 4"/>'
        f'<text x="{LEFT - 4}" y="{at + 4}" text-anchor="end" font-size="11">{drawn.range_upper:.1f}</text>'
        f'<text x="{WIDTH - RIGHT}" y="{at - 3}" text-anchor="end" font-size="10" fill="#555">'
        "moving range limit</text>"
    )
    points = [(x_of[i], ry(r)) for i, r in enumerate(drawn.moving_ranges) if r is not None]
    if points:
        path = " ".join(f"{'M' if i == 0 else 'L'}{px},{py}" for i, (px, py) in enumerate(points))
        parts.append(f'<path d="{path}" fill="none" stroke="#777" stroke-width="1"/>')
    for label_at in sorted({0, n // 2, n - 1}):
        parts.append(
            f'<text x="{x_of[label_at]}" y="{height - 8}" text-anchor="middle" font-size="11">'
            f"{drawn.weeks[label_at]:%d %b}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
