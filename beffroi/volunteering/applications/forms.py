"""Applications: the forms of volunteers and organisers (all work without JavaScript)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from beffroi.volunteering.applications.hours import (
    hours_help,
    hours_refused,
    hours_text,
    hours_valid,
    slot_hours,
)
from beffroi.volunteering.models import Slot


class ApplyForm(forms.Form):
    slot = forms.TypedChoiceField(
        label=gettext_lazy("Which slot?"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose a slot.")},
    )
    message = forms.CharField(
        label=gettext_lazy("A word to the organiser"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
        help_text=gettext_lazy("Why this mission, what you already did, a question."),
    )

    def __init__(self, *args: Any, slots: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["slot"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = slots


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        error_messages={"required": gettext_lazy("Give a reason.")},
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why do you cancel?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
        help_text=gettext_lazy("The organiser reads it; it helps them find someone else."),
    )


class AttendanceForm(forms.Form):
    present = forms.TypedChoiceField(
        label=gettext_lazy("Attendance"),
        choices=[
            ("1", gettext_lazy("Present")),
            ("0", gettext_lazy("Absent")),
        ],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Say whether the volunteer came.")},
    )
    hours = forms.CharField(
        label=gettext_lazy("Hours"),
        max_length=8,
        required=False,
        # Said per slot (``hours.hours_help``): its length, and the most one may credit.
    )

    def clean_hours(self) -> Decimal | None:
        """Hours as typed in France ("2,5") or elsewhere ("2.5"), within ``hours``' rule for
        the slot (the same sentence as the service's when refused)."""
        value = str(self.cleaned_data.get("hours") or "").strip().replace(",", ".")
        if not value:
            return None
        try:
            hours = Decimal(value)
        except InvalidOperation:
            raise forms.ValidationError(
                gettext_lazy("Enter a number of hours, such as 2,5.")
            ) from None
        if not hours_valid(self.slot, hours):
            raise forms.ValidationError(hours_refused(self.slot))
        return hours.quantize(Decimal("0.01"))

    def __init__(self, *args: Any, slot: Slot, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.slot = slot
        field = self.fields["hours"]
        field.widget.attrs["placeholder"] = hours_text(slot_hours(slot))
        field.help_text = hours_help(slot)


class MessageForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your message"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        error_messages={"required": gettext_lazy("Write your message.")},
    )


class TestimonialForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your testimonial"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=gettext_lazy(
            "What you did, what you liked: the organiser may publish it on the mission's page."
        ),
        error_messages={"required": gettext_lazy("Write your testimonial.")},
    )
