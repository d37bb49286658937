"""Forms of workshops and meetings (back office)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from beffroi.participation.meetings.services import MeetingData, MeetingError
from beffroi.participation.models import Meeting, Process, Proposal
from beffroi.participation.richtext import FORMAT_HELP
from beffroi.territory.models import Address, Organisation
from beffroi.territory.selectors import address_search

ADDRESS_SUGGESTIONS = 8
_DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _datetime_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=_DATETIME_FORMAT)


class ErrorsFromService:
    """Put a service's ``MeetingError`` on the form's fields."""

    fields: dict[str, forms.Field]

    def add_service_errors(self, error: MeetingError) -> None:
        for name, messages in error.errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)  # type: ignore[attr-defined]


class MeetingForm(ErrorsFromService, forms.Form):
    process = forms.ModelChoiceField(
        label=_("Process"), queryset=Process.objects.none(), empty_label=None
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(
        label=_("Format"),
        choices=Meeting.Kind.choices,
        initial=Meeting.Kind.IN_PERSON,
        widget=forms.RadioSelect,
    )
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=_datetime_widget())
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=_datetime_widget())
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the meeting is for and who it is for."),
    )
    place_name = forms.CharField(
        label=_("Place"),
        required=False,
        max_length=200,
        help_text=_("For instance: Salle des fêtes, first floor. For a meeting in person."),
    )
    address_query = forms.CharField(
        label=_("Search the address"),
        required=False,
        max_length=200,
        help_text=_(
            "Type the number and street, then choose the address in the list below. Without "
            "JavaScript, press “Find the address” to see the list."
        ),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    address = forms.ModelChoiceField(
        label=_("Address found"),
        required=False,
        queryset=Address.objects.none(),
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose an address of the commune in the list.")},
    )
    address_text = forms.CharField(
        label=_("Address shown to residents"),
        required=False,
        max_length=300,
        help_text=_("Filled in from the address chosen above; or type it yourself."),
    )
    lat = forms.FloatField(
        label=_("Latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        help_text=_("A point on the map when the place has no address (click on the map)."),
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    lon = forms.FloatField(
        label=_("Longitude"),
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    online_url = forms.URLField(
        label=_("Online meeting link"),
        required=False,
        max_length=200,
        assume_scheme="https",
        help_text=_("For a meeting online or in person and online."),
    )
    agenda = forms.CharField(
        label=_("Agenda"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One item per line."),
    )
    accessibility = forms.CharField(
        label=_("Accessibility"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Step-free access, hearing loop, sign language interpreting, childcare, how to ask "
            "for an adaptation."
        ),
    )
    capacity = forms.IntegerField(
        label=_("Number of seats"),
        required=False,
        min_value=1,
        help_text=_("Leave empty for no limit. When full, residents join a waiting list."),
    )
    registration_open = forms.BooleanField(
        label=_("Registration open"), required=False, initial=True
    )

    def __init__(
        self,
        *args: Any,
        organisation: Organisation,
        meeting: Meeting | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        process = self.fields["process"]
        assert isinstance(process, forms.ModelChoiceField)
        if meeting is None:
            process.queryset = Process.objects.filter(organisation=organisation).exclude(
                status=Process.Status.ARCHIVED
            )
        else:
            del self.fields["process"]
        field = self.fields["address"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Address.objects.filter(organisation=organisation).select_related(
            "street", "commune"
        )
        self.address_query_text = str(self._value_of("address_query")).strip()
        # Only the search results are offered: every address of the commune would be a page
        # of thousands of radio buttons.
        choices: list[tuple[int | str, str]] = []
        if self.address_query_text:
            choices = [
                (match.address_id, match.label)
                for match in address_search(
                    organisation=organisation,
                    query=self.address_query_text,
                    limit=ADDRESS_SUGGESTIONS,
                )
            ]
        chosen = self._value_of("address")
        if str(chosen).isdigit() and all(str(pk) != str(chosen) for pk, _label in choices):
            address = field.queryset.filter(pk=int(chosen)).first()
            if address is not None:
                choices.insert(0, (address.pk, address.label))
        field.choices = choices
        self.fields["address_query"].widget.attrs.update(
            {
                "hx-get": reverse("participation_meetings_backoffice:address_suggest"),
                "hx-trigger": "input changed delay:300ms, search",
                "hx-target": "#address-choices",
                "hx-swap": "innerHTML",
                "aria-controls": "address-choices",
            }
        )

    def _value_of(self, name: str) -> Any:
        if self.is_bound:
            return self.data.get(self.add_prefix(name), "")
        value = self.initial.get(name, self.fields[name].initial if name in self.fields else "")
        return "" if value is None else value

    def to_data(self) -> MeetingData:
        data = self.cleaned_data
        address: Address | None = data.get("address")
        return MeetingData(
            title=data["title"],
            kind=data["kind"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            description=data["description"],
            place_name=data["place_name"],
            address_id=address.pk if address is not None else None,
            address_text=data["address_text"],
            lat=data["lat"],
            lon=data["lon"],
            online_url=data["online_url"],
            agenda=data["agenda"],
            accessibility=data["accessibility"],
            capacity=data["capacity"],
            registration_open=data["registration_open"],
        )

    @staticmethod
    def initial_for(meeting: Meeting) -> dict[str, Any]:
        from django.utils import timezone

        return {
            "title": meeting.title,
            "kind": meeting.kind,
            "starts_at": timezone.localtime(meeting.starts_at).strftime(_DATETIME_FORMAT),
            "ends_at": timezone.localtime(meeting.ends_at).strftime(_DATETIME_FORMAT),
            "description": meeting.description,
            "place_name": meeting.place_name,
            "address_text": meeting.address_text,
            "lat": meeting.lat,
            "lon": meeting.lon,
            "online_url": meeting.online_url,
            "agenda": meeting.agenda,
            "accessibility": meeting.accessibility,
            "capacity": meeting.capacity,
            "registration_open": meeting.registration_open,
        }


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason told to the registered residents"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MinutesForm(ErrorsFromService, forms.Form):
    minutes = forms.CharField(
        label=_("Minutes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=format_lazy("{} {}", _("What was said and decided."), FORMAT_HELP),
    )
    publish = forms.BooleanField(label=_("Publish the minutes on the meeting page"), required=False)
    attendance = forms.IntegerField(
        label=_("Number of people present"),
        required=False,
        min_value=0,
        help_text=_("Counted on the sign-in sheet, registered or not."),
    )


class OnBehalfForm(ErrorsFromService, forms.Form):
    contact = forms.CharField(
        label=_("Phone number or e-mail address of the resident"),
        max_length=200,
        help_text=_(
            "A resident with an account, or registered for alerts. The resident is told the "
            "registration is made on their behalf."
        ),
    )


class AttendanceForm(forms.Form):
    present = forms.TypedMultipleChoiceField(
        label=_("Present"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["present"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = choices


class AttachProposalForm(ErrorsFromService, forms.Form):
    proposal = forms.ModelChoiceField(
        label=_("Proposal of the process"), queryset=Proposal.objects.none()
    )

    def __init__(self, *args: Any, queryset: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["proposal"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = queryset
