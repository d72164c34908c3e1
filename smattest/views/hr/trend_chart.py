"""The geometry of the dashboard's trend chart: 52 weekly stacked bars of status shares.

Drawn on the server as SVG (``smattest/hr/_trend.html``), with the same numbers
in a table after it for screen readers and for anyone who wants the figures.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...reports.dashboard import STATUSES
from ...reports.trend import RequirementTrend

#: Drawing units; the SVG scales to the width it is given.
WIDTH = 340
LEGEND_HEIGHT = 28
PLOT_TOP = 34
PLOT_HEIGHT = 120
AXIS_HEIGHT = 22
#: The room one week takes, and the bar's width inside it.
STEP = WIDTH / 52
BAR_WIDTH = STEP - 1.2


@dataclass(frozen=True)
class Piece:
    """One status's share of one week's bar."""

    status: str
    count: int
    percent: str
    y: float
    height: float


@dataclass(frozen=True)
class WeekBar:
    """One week's bar; no pieces when that day is not worked out yet."""

    label: str
    x: float
    total: int
    pieces: list[Piece]
    #: False when that past day is not worked out yet.
    known: bool


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    plot_top: int
    plot_height: int
    bar_width: float
    bars: list[WeekBar]
    #: (x, text) of the dates written under the axis: the first week, the middle, today.
    ticks: list[tuple[float, str, str]]


def _date(day: object) -> str:
    return f"{day.day} {day:%b %Y}"  # type: ignore[attr-defined]


def _percent(count: int, total: int) -> str:
    share = 100 * count / total if total else 0.0
    if count and share < 1:
        return "<1%"
    if count < total and share > 99:
        return ">99%"
    return f"{share:.0f}%"


def trend_chart(trend: RequirementTrend) -> TrendChart:
    """The chart's geometry for one requirement: a bar per week, oldest on the left."""
    bars = []
    for n, week in enumerate(trend.weeks):
        pieces: list[Piece] = []
        if week.counts is not None and week.total:
            bottom = float(PLOT_TOP + PLOT_HEIGHT)
            for status in STATUSES:  # overdue at the bottom, where its change shows best
                count = week.counts[status]
                if not count:
                    continue
                height = PLOT_HEIGHT * count / week.total
                bottom -= height
                pieces.append(Piece(status, count, _percent(count, week.total), bottom, height))
        bars.append(WeekBar(_date(week.day), n * STEP, week.total, pieces, week.counts is not None))
    ends = [0, len(bars) // 2, len(bars) - 1]
    anchors = ("start", "middle", "end")
    ticks = [
        (min(max(bars[i].x + BAR_WIDTH / 2, 0.0), float(WIDTH)), bars[i].label, anchor)
        for i, anchor in zip(ends, anchors, strict=True)
    ]
    height = PLOT_TOP + PLOT_HEIGHT + AXIS_HEIGHT
    return TrendChart(WIDTH, height, PLOT_TOP, PLOT_HEIGHT, BAR_WIDTH, bars, ticks)
