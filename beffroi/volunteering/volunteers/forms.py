"""Volunteer profiles: the resident's form, the front desk's, and the absences'.

The weekly grid is one checkbox per day and period (``grid_<day>_<period>``), rendered as a
table whose rows are the days and columns the periods: it works without JavaScript and each
box has its own name for a screen reader ("Saturday morning").
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy

from beffroi.core.phone import phone_e164, phone_parse
from beffroi.volunteering.matching.selectors import MAX_RADIUS_KM, WEEKDAYS, grid_label
from beffroi.volunteering.models import (
    DAYS_PER_WEEK,
    PERIODS,
    Activity,
    Certification,
    Skill,
    VolunteerProfile,
    grid_bit,
)
from beffroi.volunteering.volunteers.services import (
    LANGUAGES,
    MAX_HOURS_MONTH,
    CertificationInput,
    ProfileInput,
)


def grid_field_name(day: int, period: int) -> str:
    return f"grid_{day}_{period}"


def cert_field_names(kind: str) -> tuple[str, str, str]:
    return f"cert_{kind}", f"cert_{kind}_obtained", f"cert_{kind}_expires"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class ProfileForm(forms.Form):
    full_name = forms.CharField(
        label=gettext_lazy("Full name"),
        max_length=200,
        widget=forms.TextInput({"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=gettext_lazy("E-mail"),
        required=False,
        widget=forms.EmailInput({"autocomplete": "email"}),
        help_text=gettext_lazy("Proposals and reminders go there; without it, by SMS."),
    )
    phone = forms.CharField(
        label=gettext_lazy("Mobile phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput({"autocomplete": "tel", "inputmode": "tel"}),
        help_text=gettext_lazy("For example: 06 12 34 56 78. Call-outs in a crisis come by SMS."),
    )
    landline = forms.CharField(
        label=gettext_lazy("Landline phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput({"autocomplete": "tel", "inputmode": "tel"}),
        help_text=gettext_lazy(
            "For example: 03 29 12 34 56. Organisers may call you there; no SMS is sent to it."
        ),
    )
    birth_date = forms.DateField(
        label=gettext_lazy("Date of birth"),
        required=False,
        widget=DateInput({"autocomplete": "bday"}),
        help_text=gettext_lazy("Some missions have a minimum age. Format: 2001-03-25."),
    )
    home_label = forms.CharField(
        label=gettext_lazy("Home address"),
        max_length=250,
        required=False,
        widget=forms.TextInput({"autocomplete": "street-address"}),
        help_text=gettext_lazy(
            "Used only to measure the distance to missions; never shown to associations."
        ),
    )
    home_lat = forms.FloatField(
        label=gettext_lazy("Latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        help_text=gettext_lazy("Optional: left empty, the point is found from the address."),
    )
    home_lon = forms.FloatField(
        label=gettext_lazy("Longitude"), required=False, min_value=-180, max_value=180
    )
    radius_km = forms.FloatField(
        label=gettext_lazy("How far I will travel (km)"),
        min_value=1,
        max_value=MAX_RADIUS_KM,
        initial=5,
    )
    interests = forms.MultipleChoiceField(
        label=gettext_lazy("What I would like to help with"),
        choices=Activity.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    skills = forms.MultipleChoiceField(
        label=gettext_lazy("What I know how to do"),
        choices=Skill.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    languages = forms.MultipleChoiceField(
        label=gettext_lazy("Languages I speak"),
        choices=LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    max_hours_month = forms.IntegerField(
        label=gettext_lazy("The most hours I will give a month"),
        required=False,
        min_value=1,
        max_value=MAX_HOURS_MONTH,
        help_text=gettext_lazy("Left empty: no limit."),
    )
    visibility = forms.ChoiceField(
        label=gettext_lazy("Who may find my profile"),
        choices=VolunteerProfile.Visibility.choices,
        widget=forms.RadioSelect,
        initial=VolunteerProfile.Visibility.MATCHABLE,
    )
    crisis_consent = forms.BooleanField(
        label=gettext_lazy(
            "I agree to be called by the town hall in a crisis (flood, storm, heatwave)"
        ),
        required=False,
        help_text=gettext_lazy("You can withdraw this consent at any time by unticking it."),
    )

    def __init__(self, *args: Any, profile: VolunteerProfile | None = None, **kwargs: Any) -> None:
        if profile is not None:
            kwargs.setdefault("initial", initial_of(profile))
        super().__init__(*args, **kwargs)
        for day in range(DAYS_PER_WEEK):
            for period in range(len(PERIODS)):
                self.fields[grid_field_name(day, period)] = forms.BooleanField(
                    label=grid_label(day, period), required=False
                )
        for kind, label in Certification.choices:
            held, obtained, expires = cert_field_names(kind)
            self.fields[held] = forms.BooleanField(
                label=pgettext_lazy("certification", "I hold it"), required=False
            )
            self.fields[obtained] = forms.DateField(
                label=gettext_lazy("Obtained on"), required=False, widget=DateInput()
            )
            self.fields[expires] = forms.DateField(
                label=gettext_lazy("Expires on"),
                required=False,
                widget=DateInput(),
                help_text=gettext_lazy("Left empty: does not expire."),
            )
            for name in (held, obtained, expires):
                self.fields[name].summary_label = f"{label} — {self.fields[name].label}"  # type: ignore[attr-defined]

    def clean_phone(self) -> str:
        raw = str(self.cleaned_data.get("phone") or "").strip()
        if not raw:
            return ""
        try:
            return phone_e164(phone_parse(raw, mobile=True))
        except ValidationError as exc:
            if exc.code == "not_mobile":
                raise ValidationError(
                    gettext_lazy(
                        "This number is not a mobile number: it cannot receive SMS. Enter it "
                        "as the landline phone."
                    ),
                    code="not_mobile",
                ) from exc
            raise

    def clean_landline(self) -> str:
        raw = str(self.cleaned_data.get("landline") or "").strip()
        if not raw:
            return ""
        return phone_e164(phone_parse(raw))

    def clean_birth_date(self) -> Any:
        value = self.cleaned_data.get("birth_date")
        if value and value > timezone.localdate():
            raise ValidationError(gettext_lazy("The date of birth cannot be in the future."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("home_lat") is None) != (data.get("home_lon") is None):
            self.add_error(
                "home_lon", gettext_lazy("Give both the latitude and the longitude, or neither.")
            )
        for kind, _label in Certification.choices:
            held, obtained, expires = cert_field_names(kind)
            if data.get(obtained) and data.get(expires) and data[expires] < data[obtained]:
                self.add_error(expires, gettext_lazy("It cannot expire before it was obtained."))
            if not data.get(held) and (data.get(obtained) or data.get(expires)):
                self.add_error(held, gettext_lazy("Tick it if you hold this certification."))
        return data

    # -- the grid and the certifications, for the template --

    def grid_rows(self) -> list[tuple[str, int, list[forms.BoundField]]]:
        return [
            (
                str(WEEKDAYS[day]),
                day,
                [self[grid_field_name(day, period)] for period in range(len(PERIODS))],
            )
            for day in range(DAYS_PER_WEEK)
        ]

    def grid_columns(self) -> list[str]:
        return [str(label) for _key, label, _start, _end in PERIODS]

    def certification_rows(self) -> list[tuple[str, str, list[forms.BoundField]]]:
        return [
            (kind, str(label), [self[name] for name in cert_field_names(kind)])
            for kind, label in Certification.choices
        ]

    def availability(self) -> int:
        bits = 0
        for day in range(DAYS_PER_WEEK):
            for period in range(len(PERIODS)):
                if self.cleaned_data.get(grid_field_name(day, period)):
                    bits |= grid_bit(day, period)
        return bits

    def to_input(self) -> ProfileInput:
        data = self.cleaned_data
        return ProfileInput(
            full_name=data["full_name"].strip(),
            email=data.get("email") or "",
            phone=data.get("phone") or "",
            landline=data.get("landline") or "",
            birth_date=data.get("birth_date"),
            home_label=(data.get("home_label") or "").strip(),
            home_lat=data.get("home_lat"),
            home_lon=data.get("home_lon"),
            radius_km=float(data["radius_km"]),
            availability=self.availability(),
            interests=list(data.get("interests") or []),
            skills=list(data.get("skills") or []),
            languages=list(data.get("languages") or []),
            certifications=[
                CertificationInput(
                    kind=kind,
                    obtained_on=data.get(cert_field_names(kind)[1]),
                    expires_on=data.get(cert_field_names(kind)[2]),
                )
                for kind, _label in Certification.choices
                if data.get(cert_field_names(kind)[0])
            ],
            max_hours_month=data.get("max_hours_month"),
            visibility=data["visibility"],
            crisis_consent=bool(data.get("crisis_consent")),
            notes=(data.get("notes") or "").strip(),
        )


def initial_of(profile: VolunteerProfile) -> dict[str, Any]:
    initial: dict[str, Any] = {
        name: getattr(profile, name) for name in ProfileInput.FIELDS if name != "availability"
    }
    initial["crisis_consent"] = profile.crisis_consent
    initial["notes"] = profile.notes
    for day in range(DAYS_PER_WEEK):
        for period in range(len(PERIODS)):
            initial[grid_field_name(day, period)] = bool(
                profile.availability & grid_bit(day, period)
            )
    if profile.pk:
        for cert in profile.certifications.all():
            held, obtained, expires = cert_field_names(cert.kind)
            initial[held] = True
            initial[obtained] = cert.obtained_on
            initial[expires] = cert.expires_on
    return initial


class AgentProfileForm(ProfileForm):
    """The front desk's: the volunteer on the phone or at the desk, without an account."""

    channel = forms.ChoiceField(
        label=gettext_lazy("How the volunteer reached us"),
        choices=[
            (VolunteerProfile.Channel.PHONE, VolunteerProfile.Channel.PHONE.label),
            (VolunteerProfile.Channel.DESK, VolunteerProfile.Channel.DESK.label),
        ],
        widget=forms.RadioSelect,
        initial=VolunteerProfile.Channel.PHONE,
    )
    notes = forms.CharField(
        label=gettext_lazy("Agent's notes"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=3000,
        required=False,
        help_text=gettext_lazy("Only agents read them. Facts useful to reach the volunteer."),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["crisis_consent"].label = gettext_lazy(
            "The volunteer agreed to be called by the town hall in a crisis"
        )
        self.fields["crisis_consent"].help_text = gettext_lazy(
            "Read them the consent and tick only if they said yes: your name is recorded."
        )
        self.fields["visibility"].label = gettext_lazy("Who may find the profile")
        self.fields["interests"].label = gettext_lazy("What they would like to help with")
        self.fields["skills"].label = gettext_lazy("What they know how to do")
        self.fields["languages"].label = gettext_lazy("Languages spoken")
        self.fields["landline"].help_text = gettext_lazy(
            "For example: 03 29 12 34 56. Organisers may call the person there; no SMS is sent "
            "to it."
        )
        self.fields["max_hours_month"].label = gettext_lazy("The most hours a month")
        self.fields["radius_km"].label = gettext_lazy("How far they will travel (km)")
        for kind, _label in Certification.choices:
            self.fields[cert_field_names(kind)[0]].label = pgettext_lazy("certification", "Held")
        if editing:
            del self.fields["channel"]


class AbsenceForm(forms.Form):
    starts_on = forms.DateField(label=gettext_lazy("From"), widget=DateInput())
    ends_on = forms.DateField(label=gettext_lazy("Until (included)"), widget=DateInput())
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", gettext_lazy("The end cannot be before the start."))
        return data
