"""Bar charts of the statistics page, drawn by the templates as SVG on the server (no chart
library, no script: the strict CSP forbids inline styles, so lengths are SVG attributes).

Each chart is one series: a list whose items read "label: value" as text, the bar only
repeating the number; no colour has to be told apart. The page's tables hold the same
numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils.formats import date_format, number_format


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as read (e.g. "12", "85 %", "7.5 h")
    # Length in percent of the chart's scale (an SVG attribute).
    length: float


@dataclass(frozen=True)
class BarChart:
    key: str
    title: str
    summary: str
    bars: list[Bar]

    @property
    def empty(self) -> bool:
        return not any(bar.value for bar in self.bars)


def month_label(month: date) -> str:
    return date_format(month, "YEAR_MONTH_FORMAT")


def number(value: float, decimals: int = 0) -> str:
    return str(number_format(value, decimals, use_l10n=True, force_grouping=True))


def bar_chart(
    key: str,
    title: str,
    items: Iterable[tuple[str, float, str]],
    *,
    summary: str = "",
    scale: float | None = None,
) -> BarChart:
    """``items``: (label, value, text). ``scale`` fixes the value of a full bar (100 for
    percentages); by default the largest value."""
    rows = list(items)
    top = scale if scale is not None else max((value for _label, value, _text in rows), default=0)
    bars = [
        Bar(
            label=label,
            value=value,
            text=text,
            length=round(min(100.0, 100 * value / top), 2) if top else 0.0,
        )
        for label, value, text in rows
    ]
    return BarChart(key=key, title=title, summary=summary, bars=bars)
