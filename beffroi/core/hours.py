"""Opening hours written in OpenStreetMap's ``opening_hours`` notation (the one the open data
of public offices uses: ``Mo,Tu,Th 09:00-12:00,14:00-17:30; Sa 09:30-11:30 "civil status
only"``), read back in the reader's language: weekday names from Django's catalogue, times
as the language writes them ("9 h – 12 h" in French, "9:00–12:00" in English).

Only the part of the notation a town hall needs is read: weekdays (single, lists, ranges),
time ranges, ``off``/``closed`` and a quoted comment. Any other text is not opening hours
in that notation: ``opening_hours_lines`` returns None and the text is shown as typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.dates import WEEKDAYS
from django.utils.text import capfirst
from django.utils.translation import pgettext

_DAYS = ("mo", "tu", "we", "th", "fr", "sa", "su")
_DAY = r"(?:Mo|Tu|We|Th|Fr|Sa|Su)"
_DAYS_PART = rf"{_DAY}(?:-{_DAY})?(?:,{_DAY}(?:-{_DAY})?)*"
_TIME = r"(?:[01]?\d|2[0-4]):[0-5]\d"
_SPAN = rf"{_TIME}-{_TIME}"
_RULE = re.compile(
    rf"^(?P<days>{_DAYS_PART})"
    rf"(?:\s+(?P<times>{_SPAN}(?:\s*,\s*{_SPAN})*|off|closed))?"
    r'(?:\s+"(?P<comment>[^"]*)")?$',
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Rule:
    days: list[tuple[int, int]]  # (first, last) weekday indexes, Monday = 0
    spans: list[tuple[tuple[int, int], tuple[int, int]]]  # ((h, m), (h, m)); empty: closed
    comment: str


def _parse(text: str) -> list[_Rule] | None:
    rules = []
    for part in re.split(r"\s*[;\n]\s*", text.strip()):
        if not part:
            continue
        match = _RULE.match(part)
        if match is None:
            return None
        days = []
        for chunk in match["days"].split(","):
            first, _sep, last = chunk.partition("-")
            days.append((_DAYS.index(first.lower()), _DAYS.index((last or first).lower())))
        times = (match["times"] or "").lower()
        spans = []
        if times not in ("off", "closed"):
            for span in re.split(r"\s*,\s*", times) if times else []:
                start, end = span.split("-")
                spans.append((_hm(start), _hm(end)))
        rules.append(_Rule(days=days, spans=spans, comment=match["comment"] or ""))
    return rules or None


def _hm(text: str) -> tuple[int, int]:
    hour, minute = text.split(":")
    return int(hour), int(minute)


def _time(hour: int, minute: int) -> str:
    if minute == 0:
        return pgettext("opening hours", "%(hour)d:00") % {"hour": hour}
    return pgettext("opening hours", "%(hour)d:%(minute)02d") % {"hour": hour, "minute": minute}


def _day(index: int) -> str:
    # Lower case in French ("lundi") and capitalised in English, as the catalogue gives it.
    return str(WEEKDAYS[index])


def _days(days: list[tuple[int, int]]) -> str:
    names = []
    for first, last in days:
        if first == last:
            names.append(_day(first))
        elif (last - first) % 7 == 1:
            names += [_day(first), _day(last)]
        else:
            names.append(
                pgettext("opening hours", "from %(first)s to %(last)s")
                % {"first": _day(first), "last": _day(last)}
            )
    return ", ".join(names)


def opening_hours_lines(text: str) -> list[str] | None:
    """One line per rule in the active language ("Lundi, mardi : 9 h – 12 h et 14 h –
    17 h 30"), or None when ``text`` is not in the notation."""
    rules = _parse(text or "")
    if rules is None:
        return None
    lines = []
    for rule in rules:
        if rule.spans:
            hours = pgettext("opening hours", " and ").join(
                pgettext("opening hours", "%(start)s–%(end)s")
                % {"start": _time(*start), "end": _time(*end)}
                for start, end in rule.spans
            )
        else:
            hours = pgettext("opening hours", "closed")
        line = pgettext("opening hours", "%(days)s: %(hours)s") % {
            "days": capfirst(_days(rule.days)),
            "hours": hours,
        }
        if rule.comment:
            line += " " + pgettext("opening hours", "(%(comment)s)") % {"comment": rule.comment}
        lines.append(line)
    return lines
