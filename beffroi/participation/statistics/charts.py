"""Geometry of the statistics charts, drawn by the templates as SVG and HTML on the server.

No chart library and no script: the strict CSP forbids inline styles, so every length is an
SVG attribute computed here. Each chart is one series (no colour has to be told apart), its
numbers are written beside the bars or stated in the caption, and a data table follows it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from django.utils.formats import number_format

from beffroi.participation.statistics.selectors import Row

# The line chart's drawing box (SVG user units; the SVG scales to its container).
WIDTH = 640
HEIGHT = 240
LEFT = 56
RIGHT = 16
TOP = 12
BOTTOM = 44
PLOT_WIDTH = WIDTH - LEFT - RIGHT
PLOT_HEIGHT = HEIGHT - TOP - BOTTOM
# Markers on each day while they stay distinguishable.
MAX_MARKERS = 62
X_LABELS = 6


def axis_step(peak: int, ticks: int = 4) -> tuple[int, int]:
    """A round step (1, 2, 5 × 10ⁿ) and the axis top, a multiple of it, at or above ``peak``."""
    if peak <= 0:
        return 1, 1
    raw = peak / ticks
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(int(step), 1)
    return step, step * math.ceil(peak / step)


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: int
    day: date


@dataclass(frozen=True)
class LineChart:
    metric: str
    path: str
    points: list[Point]
    show_markers: bool
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    peak: Point | None
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    top: int = TOP
    bottom_edge: int = HEIGHT - BOTTOM
    label_y: int = HEIGHT - BOTTOM + 20


def line_chart(rows: list[Row], metric: str) -> LineChart:
    values = [row.value(metric) for row in rows]
    step, top_value = axis_step(max(values, default=0))
    count = len(rows)
    points: list[Point] = []
    for index, row in enumerate(rows):
        assert row.day is not None
        x = LEFT + (PLOT_WIDTH * index / (count - 1) if count > 1 else PLOT_WIDTH / 2)
        y = TOP + PLOT_HEIGHT * (1 - row.value(metric) / top_value)
        points.append(Point(round(x, 1), round(y, 1), row.value(metric), row.day))
    path = " ".join(
        f"{'M' if index == 0 else 'L'}{point.x},{point.y}" for index, point in enumerate(points)
    )
    y_ticks = [
        Tick(round(TOP + PLOT_HEIGHT * (1 - value / top_value), 1), number_format(value, 0, True))
        for value in range(0, top_value + 1, step)
    ]
    x_ticks: list[Tick] = []
    if points:
        every = max(1, math.ceil((count - 1) / (X_LABELS - 1))) if count > 1 else 1
        chosen = list(range(0, count, every))
        if chosen[-1] != count - 1 and count - 1 - chosen[-1] < every / 2:
            chosen[-1] = count - 1
        elif chosen[-1] != count - 1:
            chosen.append(count - 1)
        x_ticks = [Tick(points[i].x, points[i].day.strftime("%d/%m")) for i in chosen]
    peak = max(points, key=lambda point: point.value) if points else None
    if peak is not None and peak.value == 0:
        peak = None
    return LineChart(
        metric=metric,
        path=path,
        points=points,
        show_markers=count <= MAX_MARKERS,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        peak=peak,
    )


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    hidden: int
    # Length of the bar in percent of the longest (SVG attribute: no inline style).
    length: float


@dataclass(frozen=True)
class BarChart:
    metric: str
    bars: list[Bar]
    total: int


def bar_chart(rows: list[Row], metric: str) -> BarChart:
    values = [row.value(metric) for row in rows]
    peak = max(values, default=0)
    bars = [
        Bar(
            label=row.label,
            value=row.value(metric),
            hidden=row.value(f"{metric}_hidden") if metric in ("proposals", "comments") else 0,
            length=round(100 * row.value(metric) / peak, 2) if peak else 0,
        )
        for row in rows
    ]
    return BarChart(metric=metric, bars=bars, total=sum(values))
