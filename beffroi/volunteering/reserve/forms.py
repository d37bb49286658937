"""The civil-protection reserve: the forms of the crisis cell."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy

from beffroi.core.phone import phone_display
from beffroi.volunteering.models import ReserveMember, VolunteerProfile
from beffroi.volunteering.reserve.services import EngagementInput, ReserveMissionType

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ProfileChoiceField(forms.ModelChoiceField[VolunteerProfile]):
    def label_from_instance(self, obj: VolunteerProfile) -> str:
        reach = phone_display(obj.phone or obj.landline) or obj.email or "—"
        label = f"{obj.full_name} ({reach})"
        if not obj.crisis_consent:
            # Said before choosing: a call-out cannot reach them until their agreement is
            # recorded.
            label += " — " + str(gettext_lazy("has not agreed to crisis calls"))
        return label


class EngagementForm(forms.Form):
    decision_reference = forms.CharField(
        label=gettext_lazy("Mayor's decision (reference)"),
        max_length=120,
        help_text=gettext_lazy("The number of the order (arrêté), for example ARR-2026-014."),
    )
    decision_date = forms.DateField(label=gettext_lazy("Date of the decision"), widget=DATE)
    engaged_from = forms.DateField(label=gettext_lazy("Engaged from"), widget=DATE)
    engaged_until = forms.DateField(
        label=gettext_lazy("Engaged until"),
        widget=DATE,
        help_text=gettext_lazy("Five years at most, renewable."),
    )
    mission_types = forms.MultipleChoiceField(
        label=gettext_lazy("Mission types"),
        choices=ReserveMissionType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args: Any, member: ReserveMember | None = None, **kwargs: Any) -> None:
        if member is not None:
            kwargs.setdefault(
                "initial",
                {
                    "decision_reference": member.decision_reference,
                    "decision_date": member.decision_date,
                    "engaged_from": member.engaged_from,
                    "engaged_until": member.engaged_until,
                    "mission_types": member.mission_types,
                    "notes": member.notes,
                },
            )
        super().__init__(*args, **kwargs)

    def as_input(self) -> EngagementInput:
        data = self.cleaned_data
        return EngagementInput(
            decision_reference=data["decision_reference"],
            decision_date=data["decision_date"],
            engaged_from=data["engaged_from"],
            engaged_until=data["engaged_until"],
            mission_types=list(data["mission_types"]),
            notes=data["notes"],
        )


class EnrolForm(EngagementForm):
    field_order = ["profile"]
    profile = ProfileChoiceField(
        label=pgettext_lazy("person", "Volunteer"),
        queryset=VolunteerProfile.objects.none(),
        empty_label=gettext_lazy("Choose a volunteer"),
        help_text=gettext_lazy(
            "Volunteers registered with the commune, not yet in the reserve. A call-out "
            "reaches only those who agreed to be called in a crisis: for one marked “has not "
            "agreed to crisis calls”, record their agreement below."
        ),
    )
    crisis_consent = forms.BooleanField(
        label=gettext_lazy("The volunteer agreed to be called by the town hall in a crisis"),
        required=False,
        help_text=gettext_lazy(
            "Only for a volunteer who has not agreed on their profile yet, and only if they "
            "did agree (in their signed engagement, for instance): your name is recorded."
        ),
    )
    consent_date = forms.DateField(
        label=gettext_lazy("Day they agreed"),
        widget=DATE,
        required=False,
        help_text=gettext_lazy("Required when you record their agreement."),
    )

    def __init__(self, *args: Any, profiles: QuerySet[VolunteerProfile], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["profile"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = profiles

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("crisis_consent") and not data.get("consent_date"):
            self.add_error("consent_date", gettext_lazy("Give the day they agreed."))
        return data

    def consent_on(self) -> date | None:
        """The day the volunteer agreed to crisis calls, when the agent records it."""
        if not self.cleaned_data.get("crisis_consent"):
            return None
        day = self.cleaned_data.get("consent_date")
        return day if isinstance(day, date) else None


class EndForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (for the record)"), max_length=300, required=False
    )


class TrainingForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    starts_at = forms.DateTimeField(label=gettext_lazy("Starts at"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=gettext_lazy("Ends at"), widget=DATETIME)
    place = forms.CharField(label=gettext_lazy("Place"), max_length=250, required=False)
    description = forms.CharField(
        label=gettext_lazy("Programme"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", gettext_lazy("The session must end after it starts."))
        return data


PRESENCE = (
    ("present", pgettext_lazy("attendance", "Present")),
    ("absent", pgettext_lazy("attendance", "Absent")),
    ("", pgettext_lazy("attendance", "Not recorded")),
)


class AttendanceForm(forms.Form):
    """One group of radio buttons per reservist (a fieldset whose legend is their name)."""

    def __init__(
        self, *args: Any, rows: list[tuple[ReserveMember, bool | None]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for member, present in rows:
            self.fields[f"member_{member.pk}"] = forms.ChoiceField(
                label=member.profile.full_name,
                choices=PRESENCE,
                widget=forms.RadioSelect,
                required=False,
                initial={True: "present", False: "absent", None: ""}[present],
            )

    def presence(self) -> dict[int, bool | None]:
        values = {"present": True, "absent": False, "": None}
        return {
            int(name.removeprefix("member_")): values[value]
            for name, value in self.cleaned_data.items()
        }


def today_initial() -> dict[str, Any]:
    today = timezone.localdate()
    return {"decision_date": today, "engaged_from": today}
