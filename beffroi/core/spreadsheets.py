"""Cells of the CSV files Beffroi exports, safe to open in a spreadsheet."""

from __future__ import annotations

# Characters a spreadsheet reads as the start of a formula (and tab, CR that some treat so).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """``value`` as a CSV cell that no spreadsheet runs: text written by a resident such as
    ``=HYPERLINK(…)`` or ``@SUM(…)`` would be a formula (CSV injection), so a cell starting
    with one of ``FORMULA_STARTS`` gets a leading apostrophe and is shown as text."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text
