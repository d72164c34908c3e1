"""HR dashboard: counts per requirement and the chart of statuses by department."""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template
from flask.typing import ResponseReturnValue

import smattest.reports.dashboard as dashboard
import smattest.reports.trend as trend

from ...reports.dashboard import STATUSES, Counts, RequirementSummary
from ...rule.compliance import LABELS
from ...timeutil import local_today
from ..access import hr_required
from ..base import blueprint
from .trend_chart import trend_chart

#: Past days of the trend the dashboard works out itself when they are missing, counted
#: in people × days: at the rate measured at 50,000 staff (4.3 s a day on a loaded
#: two-core machine) about 1.7 s, paid once by the first view after a change. Beyond
#: it, the scheduler's nightly ``trend`` job, ``flask smattest report trend`` or the
#: trend export works them out.
INLINE_TREND_BUDGET = 20_000

#: The chart's drawing units; the SVG scales to the width it is given.
CHART_WIDTH = 340
LEGEND_HEIGHT = 28
#: Where each status's legend entry starts, sized for the longest label ("Due soon").
LEGEND_X = (0, 84, 176, 262)
GROUP_HEIGHT = 44
BAR_OFFSET = 20
BAR_HEIGHT = 16
#: A segment at least this wide shows its count inside.
LABEL_MIN_WIDTH = 22
#: Longer department names are shortened in the chart (the table has them whole).
LABEL_MAX_CHARS = 30


@dataclass(frozen=True)
class Segment:
    """One status's share of a department's bar."""

    status: str
    count: int
    percent: str
    x: float
    width: float


@dataclass(frozen=True)
class Bar:
    """A department's stacked bar: its label, people, and one segment per status present."""

    label: str
    total: int
    y: int
    segments: list[Segment]


@dataclass(frozen=True)
class Chart:
    """A stacked horizontal bar chart of statuses, one bar per department."""

    width: int
    height: int
    bars: list[Bar]


def _segments(counts: Counts) -> list[Segment]:
    segments, x = [], 0.0
    for status in STATUSES:
        count = counts.count(status)
        if not count:
            continue
        width = CHART_WIDTH * count / counts.total
        segments.append(Segment(status, count, counts.percent_label(status), x, width))
        x += width
    return segments


def _shorten(label: str) -> str:
    return label if len(label) <= LABEL_MAX_CHARS else label[: LABEL_MAX_CHARS - 1] + "…"


def bar_chart(summary: RequirementSummary) -> Chart:
    """The chart's geometry for one requirement: bars in department order."""
    bars = [
        Bar(
            label=_shorten(group.label),
            total=group.counts.total,
            y=LEGEND_HEIGHT + n * GROUP_HEIGHT,
            segments=_segments(group.counts),
        )
        for n, group in enumerate(summary.departments)
    ]
    return Chart(CHART_WIDTH, LEGEND_HEIGHT + len(bars) * GROUP_HEIGHT, bars)


def _chart_context() -> dict[str, object]:
    return {
        "statuses": STATUSES,
        "labels": LABELS,
        "legend_x": LEGEND_X,
        "bar_offset": BAR_OFFSET,
        "bar_height": BAR_HEIGHT,
        "label_min_width": LABEL_MIN_WIDTH,
    }


@blueprint.get("/hr/")
@hr_required
def hr_dashboard() -> ResponseReturnValue:
    """Who is current, due soon, overdue or exempt, per requirement and by department."""
    summaries = dashboard.summary()
    people = summaries[0].overall.total if summaries else None
    trends: list[trend.RequirementTrend] = []
    if people:
        found = trend.weeks(summaries=summaries)
        if found.to_do and people * found.to_do <= INLINE_TREND_BUDGET:
            trend.fill()
            found = trend.weeks(summaries=summaries)
        trends = found.requirements
    return render_template(
        "smattest/hr/dashboard.html",
        summaries=summaries,
        charts=[bar_chart(s) for s in summaries],
        trends=trends,
        trend_charts=[trend_chart(t) for t in trends],
        people=people,
        today=local_today(),
        **_chart_context(),
    )
