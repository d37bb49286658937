"""Missions: the forms of organisers (association managers and agents)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy

from beffroi.volunteering.missions.services import (
    MAX_AGE,
    MAX_NEEDED,
    MissionInput,
    slot_date_error,
)
from beffroi.volunteering.models import Activity, Certification, Mission, Skill, Urgency

WEEKDAYS = [
    (0, gettext_lazy("Monday")),
    (1, gettext_lazy("Tuesday")),
    (2, gettext_lazy("Wednesday")),
    (3, gettext_lazy("Thursday")),
    (4, gettext_lazy("Friday")),
    (5, gettext_lazy("Saturday")),
    (6, gettext_lazy("Sunday")),
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%H:%M")


class MissionForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title of the mission"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=10000,
        help_text=gettext_lazy(
            "What the volunteers will do, with whom, what to bring, how they are welcomed."
        ),
    )
    activities = forms.MultipleChoiceField(
        label=gettext_lazy("Activities"),
        choices=Activity.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    skills = forms.MultipleChoiceField(
        label=gettext_lazy("Skills sought"),
        choices=Skill.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy("Useful to the mission, not required: anyone may apply."),
    )
    remote = forms.BooleanField(
        label=gettext_lazy("Remote mission (from home, by phone or online)"), required=False
    )
    street_address = forms.CharField(
        label=gettext_lazy("Address of the mission"),
        max_length=250,
        required=False,
        help_text=gettext_lazy(
            "Number and street, for example: 12 rue de la Mairie. It is placed on the map "
            "among the commune's addresses."
        ),
    )
    lat = forms.FloatField(
        label=gettext_lazy("Latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        help_text=gettext_lazy("Optional: left empty, the point is found from the address."),
    )
    lon = forms.FloatField(
        label=gettext_lazy("Longitude"), required=False, min_value=-180, max_value=180
    )
    min_age = forms.IntegerField(
        label=gettext_lazy("Minimum age"),
        required=False,
        min_value=1,
        max_value=MAX_AGE,
        help_text=gettext_lazy("In years, checked on the volunteer's date of birth."),
    )
    certifications = forms.MultipleChoiceField(
        label=gettext_lazy("Required certifications"),
        choices=Certification.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy("Checked on the volunteer's profile, with their expiry date."),
    )
    urgency = forms.ChoiceField(
        label=gettext_lazy("Urgency"),
        choices=Urgency.choices,
        initial=Urgency.NORMAL,
        widget=forms.RadioSelect,
        help_text=gettext_lazy("An urgent mission comes first in the list."),
    )
    contact_name = forms.CharField(
        label=gettext_lazy("Contact person"), max_length=200, required=False
    )
    contact_email = forms.EmailField(label=gettext_lazy("Contact e-mail"), required=False)
    contact_phone = forms.CharField(
        label=gettext_lazy("Contact phone"), max_length=40, required=False
    )

    def __init__(self, *args: Any, mission: Mission | None = None, **kwargs: Any) -> None:
        if mission is not None:
            kwargs.setdefault(
                "initial",
                {name: getattr(mission, name) for name in MissionInput.FIELDS},
            )
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (cleaned.get("lat") is None) != (cleaned.get("lon") is None):
            self.add_error(
                "lon", gettext_lazy("Give both the latitude and the longitude, or neither.")
            )
        elif (
            not cleaned.get("remote")
            and not (cleaned.get("street_address") or "").strip()
            and cleaned.get("lat") is None
            and "street_address" not in self.errors
        ):
            self.add_error(
                "street_address",
                gettext_lazy(
                    "Give the address of the mission, or a point on the map, or tick "
                    "“remote mission”."
                ),
            )
        return cleaned

    def as_input(self, *, reserve_only: bool = False) -> MissionInput:
        data = self.cleaned_data
        return MissionInput(
            title=data["title"],
            description=data["description"],
            activities=list(data["activities"]),
            skills=list(data["skills"]),
            remote=data["remote"],
            street_address=data["street_address"],
            lat=data["lat"],
            lon=data["lon"],
            min_age=data["min_age"],
            certifications=list(data["certifications"]),
            urgency=data["urgency"],
            contact_name=data["contact_name"],
            contact_email=data["contact_email"],
            contact_phone=data["contact_phone"],
            reserve_only=reserve_only,
        )


class SlotForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("Day"), widget=DateInput())
    start = forms.TimeField(label=gettext_lazy("Start time"), widget=TimeInput())
    end = forms.TimeField(label=gettext_lazy("End time"), widget=TimeInput())
    needed = forms.IntegerField(
        label=gettext_lazy("Volunteers needed"), min_value=1, max_value=MAX_NEEDED, initial=2
    )

    prefix = "slot"

    @staticmethod
    def initial_of(starts_at: datetime, ends_at: datetime, needed: int) -> dict[str, Any]:
        start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
        return {"day": start.date(), "start": start.time(), "end": end.time(), "needed": needed}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        day, start, end = cleaned.get("day"), cleaned.get("start"), cleaned.get("end")
        if isinstance(day, date) and (error := slot_date_error(day)):
            self.add_error("day", error)
            return cleaned
        if day is not None and start is not None and end is not None:
            starts_at = timezone.make_aware(datetime.combine(day, start))
            # An end before the start is the next day: a night watch from 22:00 to 6:00.
            ends_day = day + timedelta(days=1) if end <= start else day
            cleaned["starts_at"] = starts_at
            cleaned["ends_at"] = timezone.make_aware(datetime.combine(ends_day, end))
            if starts_at <= timezone.now():
                self.add_error("day", gettext_lazy("The slot must start in the future."))
        return cleaned


class ScheduleForm(forms.Form):
    prefix = "schedule"
    weekdays = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Days of the week"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    start = forms.TimeField(label=gettext_lazy("Start time"), widget=TimeInput())
    end = forms.TimeField(label=gettext_lazy("End time"), widget=TimeInput())
    from_date = forms.DateField(label=gettext_lazy("From"), widget=DateInput())
    until_date = forms.DateField(
        label=pgettext_lazy("date range", "Until"),
        widget=DateInput(),
        help_text=gettext_lazy("26 weeks at most after the first day."),
    )
    needed = forms.IntegerField(
        label=gettext_lazy("Volunteers needed per slot"),
        min_value=1,
        max_value=MAX_NEEDED,
        initial=2,
    )

    def __init__(self, *args: Any, mission: Mission | None = None, **kwargs: Any) -> None:
        if mission is not None and mission.schedule:
            s = mission.schedule
            kwargs.setdefault(
                "initial",
                {
                    "weekdays": s.get("weekdays", []),
                    "start": s.get("start"),
                    "end": s.get("end"),
                    "from_date": max(date.fromisoformat(s["from"]), timezone.localdate())
                    if s.get("from")
                    else None,
                    "until_date": s.get("until"),
                    "needed": s.get("needed", 2),
                },
            )
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if isinstance(start, time) and isinstance(end, time) and end <= start:
            self.add_error("end", gettext_lazy("The slot must end after it starts."))
        first, last = cleaned.get("from_date"), cleaned.get("until_date")
        for name, day in (("from_date", first), ("until_date", last)):
            if isinstance(day, date) and (error := slot_date_error(day)):
                self.add_error(name, error)
                return cleaned
        if isinstance(first, date) and isinstance(last, date) and last < first:
            self.add_error(
                "until_date", gettext_lazy("The end date must be on or after the start date.")
            )
        return cleaned


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason of the cancellation"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=gettext_lazy("The volunteers who applied read it in the message they receive."),
    )

    prefix = "cancel"


class SlotRemoveForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (sent to the volunteers who applied)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )


class UrgencyForm(forms.Form):
    urgency = forms.ChoiceField(label=gettext_lazy("Urgency"), choices=Urgency.choices)
