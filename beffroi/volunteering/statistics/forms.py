"""Statistics: the period the figures cover."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

# Beyond this the per-month charts become unreadable and the page slow to compute.
LONGEST_DAYS = 5 * 366


class PeriodForm(forms.Form):
    """The dates are rendered ISO (``YYYY-MM-DD``), the only value a ``type="date"`` field
    reads whatever the language."""

    start = forms.DateField(
        label=gettext_lazy("From"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    end = forms.DateField(
        label=gettext_lazy("To (included)"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                self.add_error("end", gettext_lazy("The end of the period comes before its start."))
            elif end - start > timedelta(days=LONGEST_DAYS):
                self.add_error("end", gettext_lazy("Choose a period of five years at most."))
        return cleaned
