"""CSV exports of the statistics: one file per breakdown (per day, per zone, per age band),
all series as columns, or one series alone. For Excel as French agents open it: UTF-8 with a
byte-order mark, ``;`` separators; cells a spreadsheet would run as a formula are defused."""

from __future__ import annotations

import csv
import io

from django.utils import timezone
from django.utils.translation import gettext

from beffroi.core.spreadsheets import csv_cell
from beffroi.participation.statistics.selectors import (
    METRICS,
    ProcessStatistics,
)

# Words of the file names (French: the files are named for the commune's agents).
DIMENSION_FILE_NAMES = {"days": "par-jour", "zones": "par-zone", "ages": "par-tranche-d-age"}
METRIC_FILE_NAMES = {
    "participants": "participants",
    "proposals": "propositions",
    "supports": "soutiens",
    "comments": "commentaires",
}
# Series whose count includes hidden content, exported with an "of which hidden" column.
WITH_HIDDEN = ("proposals", "comments")


def statistics_csv_name(statistics: ProcessStatistics, dimension: str, metric: str | None) -> str:
    parts = ["statistiques", statistics.process.slug, DIMENSION_FILE_NAMES[dimension]]
    if metric is not None:
        parts.append(METRIC_FILE_NAMES[metric])
    parts.append(f"{timezone.localdate():%Y-%m-%d}")
    return "-".join(parts) + ".csv"


def statistics_csv(
    *, statistics: ProcessStatistics, dimension: str, metric: str | None = None
) -> str:
    """The rows of ``dimension`` (``days``, ``zones``, ``ages``) as CSV text, BOM first."""
    metrics = [(key, label) for key, label in METRICS if metric is None or key == metric]
    key_header = {
        "days": gettext("Day"),
        "zones": gettext("Zone"),
        "ages": gettext("Age band"),
    }[dimension]
    header = [key_header]
    for key, label in metrics:
        header.append(str(label))
        if key in WITH_HIDDEN:
            header.append(gettext("%(series)s: of which hidden") % {"series": label})
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([csv_cell(cell) for cell in header])
    for row in statistics.rows(dimension):
        line: list[object] = [row.day.isoformat() if row.day else row.label]
        for key, _label in metrics:
            line.append(row.value(key))
            if key in WITH_HIDDEN:
                line.append(row.value(f"{key}_hidden"))
        writer.writerow([csv_cell(cell) for cell in line])
    return out.getvalue()
