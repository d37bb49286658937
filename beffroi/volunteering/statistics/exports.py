"""CSV exports of the volunteering statistics, for Excel as French agents open it: UTF-8 with
a byte-order mark, ``;`` separators, cells a spreadsheet would run as a formula defused
(``core.spreadsheets.csv_cell``: mission titles are typed by associations). No personal
data: missions, associations, months and counts only."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from beffroi.core.spreadsheets import csv_cell
from beffroi.volunteering.statistics.selectors import VolunteeringStatistics

EXPORTS = ("missions", "heures", "appels")


def _csv(header: list[str], rows: Iterable[list[object]]) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([csv_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return out.getvalue()


def _number(value: float | None) -> str:
    """A decimal number as a French spreadsheet reads it (a comma); empty for none."""
    if value is None:
        return ""
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def export_name(statistics: VolunteeringStatistics, kind: str) -> str:
    period = statistics.period
    return (
        f"benevolat-{kind}-{period.start:%Y-%m-%d}-{period.end:%Y-%m-%d}"
        f"-export-{timezone.localdate():%Y-%m-%d}.csv"
    )


def export_csv(statistics: VolunteeringStatistics, kind: str) -> str:
    if kind == "missions":
        return _csv(
            [
                gettext("Mission"),
                gettext("Association"),
                gettext("Status"),
                gettext("Slots"),
                gettext("Places needed"),
                gettext("Places held"),
                gettext("Fill rate (%)"),
            ],
            (
                [
                    row.label,
                    row.association,
                    row.status,
                    row.slots,
                    row.needed,
                    row.held,
                    _number(row.rate),
                ]
                for row in statistics.missions.fill_per_mission
            ),
        )
    if kind == "heures":
        return _csv(
            [
                gettext("Month"),
                gettext("Association"),
                gettext("Hours"),
                gettext("Volunteers present"),
                gettext("Attendances"),
            ],
            (
                [row.label, row.association, _number(row.hours), row.volunteers, row.attendances]
                for row in statistics.hours.per_association_month
            ),
        )
    if kind == "appels":
        return _csv(
            [
                gettext("Call-out"),
                gettext("Mission"),
                gettext("Started at"),
                gettext("Status"),
                gettext("Waves"),
                gettext("Volunteers contacted"),
                gettext("Reached"),
                gettext("Yes"),
                gettext("No"),
                gettext("No answer"),
                gettext("Not reached"),
                gettext("Median response time (minutes)"),
            ],
            (
                [
                    row.callout_id,
                    row.mission,
                    date_format(timezone.localtime(row.started_at), "Y-m-d H:i"),
                    row.status,
                    row.waves,
                    row.contacted,
                    row.reached,
                    row.yes,
                    row.no,
                    row.no_answer,
                    row.failed,
                    _number(row.median_minutes),
                ]
                for row in statistics.callouts.rows
            ),
        )
    raise ValueError(kind)
