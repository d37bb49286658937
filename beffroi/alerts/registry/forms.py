"""Forms of the vulnerable persons registry."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from beffroi.alerts.models import VulnerablePerson
from beffroi.alerts.registry.selectors import NEEDS, RegistryFilter, registry_zones
from beffroi.alerts.registry.services import (
    RegistryError,
    RemovalReason,
    VulnerablePersonData,
)
from beffroi.core.phone import phone_e164, phone_parse
from beffroi.territory.models import Address, Organisation, Zone
from beffroi.territory.selectors import address_search

ADDRESS_SUGGESTIONS = 8


class PhoneField(forms.CharField):
    """A phone number typed any usual way, cleaned to E.164 (overseas numbers included)."""

    widget = forms.TextInput(attrs={"type": "tel", "autocomplete": "off"})
    default_error_messages = {
        "invalid_phone": _(
            "Enter a valid phone number, for instance 06 12 34 56 78, 0262 12 34 56 or "
            "+262 692 12 34 56."
        )
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        text = super().clean(value)
        if not text:
            return ""
        try:
            return phone_e164(phone_parse(text))
        except ValidationError:
            raise forms.ValidationError(
                self.error_messages["invalid_phone"], code="invalid"
            ) from None


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class VulnerablePersonForm(forms.Form):
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    first_name = forms.CharField(label=_("First name"), max_length=100)
    birth_date = forms.DateField(label=_("Date of birth"), widget=_date_widget())
    situation = forms.ChoiceField(
        label=_("Registered as"),
        choices=VulnerablePerson.Situation.choices,
        widget=forms.RadioSelect,
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
        label=_("Address"),
        queryset=Address.objects.none(),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Search the address, then choose it in the list."),
            "invalid_choice": _("Choose an address of the commune in the list."),
        },
    )
    address_complement = forms.CharField(
        label=_("Address complement"),
        required=False,
        max_length=200,
        help_text=_("Building, floor, door code: what helps a visitor find the person."),
    )
    phone = PhoneField(label=_("Phone"))
    email = forms.EmailField(label=_("E-mail address"), required=False)
    preferred_channel = forms.ChoiceField(
        label=_("Preferred channel"),
        choices=VulnerablePerson.Channel.choices,
        initial=VulnerablePerson.Channel.LANDLINE,
        widget=forms.RadioSelect,
        help_text=_(
            "How to reach the person in an emergency. A person with a hearing impairment is "
            "not reached by a call, a person with a visual impairment not by a written message."
        ),
    )
    lives_alone = forms.BooleanField(label=_("Lives alone"), required=False)
    reduced_mobility = forms.BooleanField(label=_("Reduced mobility"), required=False)
    electricity_dependent = forms.BooleanField(
        label=_("Electricity-dependent medical equipment"),
        required=False,
        help_text=_("Oxygen concentrator, ventilator, dialysis, electric bed…"),
    )
    hearing_impaired = forms.BooleanField(label=_("Hearing impairment"), required=False)
    visually_impaired = forms.BooleanField(label=_("Visual impairment"), required=False)
    contact_name = forms.CharField(
        label=_("Person to contact in an emergency"), required=False, max_length=200
    )
    contact_relation = forms.CharField(
        label=_("Relation to the person"),
        required=False,
        max_length=100,
        help_text=_("Daughter, neighbour, friend…"),
    )
    contact_phone = PhoneField(label=_("Phone of the person to contact"))
    doctor_name = forms.CharField(label=_("Doctor"), required=False, max_length=200)
    doctor_phone = PhoneField(label=_("Doctor's phone"))
    home_help = forms.CharField(
        label=_("Home help or care service"),
        required=False,
        max_length=200,
        help_text=_("The service that comes to the person's home (home help, nursing)."),
    )
    home_help_phone = PhoneField(label=_("Home help service's phone"))
    requested_on = forms.DateField(label=_("Date of the request"), widget=_date_widget())
    request_source = forms.ChoiceField(
        label=_("Request made by"),
        choices=VulnerablePerson.RequestSource.choices,
        initial=VulnerablePerson.RequestSource.SELF,
        widget=forms.RadioSelect,
    )
    requested_by = forms.CharField(
        label=_("Name and capacity of the third party"),
        required=False,
        max_length=200,
        help_text=_("Required when the request was made by someone other than the person."),
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only what helps the intervention (access, pets, hours). No medical details."),
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        field = self.fields["address"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Address.objects.filter(organisation=organisation).select_related(
            "street", "commune"
        )
        self.address_query_text = self._value_of("address_query").strip()
        # Only the search results are offered (and the address already chosen): listing every
        # address of the commune would make a page of thousands of radio buttons.
        choices: list[tuple[int, str]] = []
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
        self.address_matched = bool(choices)
        self.fields["address_query"].widget.attrs.update(
            {
                "hx-get": reverse("registry:address_suggest"),
                "hx-trigger": "input changed delay:300ms, search",
                "hx-target": "#address-choices",
                "hx-swap": "innerHTML",
                "aria-controls": "address-choices",
            }
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # With no address listed there is no radio button to link the error to: the error
        # belongs to the search box, where the agent must act.
        if not self.address_matched and "address" in self.errors:
            for message in self.errors.pop("address"):
                self.add_error("address_query", message)
        return cleaned

    def _value_of(self, name: str) -> Any:
        if self.is_bound:
            return self.data.get(self.add_prefix(name), "")
        value = self.initial.get(name, self.fields[name].initial)
        if isinstance(value, Address):
            return value.pk
        return "" if value is None else value

    def to_data(self) -> VulnerablePersonData:
        values = {key: value for key, value in self.cleaned_data.items() if key != "address_query"}
        return VulnerablePersonData(**values)

    def add_registry_errors(self, error: RegistryError) -> None:
        for name, messages in error.errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)

    @staticmethod
    def initial_for(person: VulnerablePerson | None) -> dict[str, Any]:
        if person is None:
            return {"requested_on": timezone.localdate()}
        data = VulnerablePersonData.from_person(person).__dict__.copy()
        data["address"] = person.address_id
        return data


class RegistryFilterForm(forms.Form):
    q = forms.CharField(label=_("Search a name or a street"), required=False, max_length=100)
    needs = forms.MultipleChoiceField(
        label=_("Needs (all of them)"),
        required=False,
        choices=NEEDS,
        widget=forms.CheckboxSelectMultiple,
    )
    zone = forms.ModelChoiceField(
        label=_("Zone"),
        required=False,
        queryset=Zone.objects.none(),
        empty_label=_("All zones"),
    )
    situation = forms.ChoiceField(
        label=_("Registered as"),
        required=False,
        choices=[("", _("All")), *VulnerablePerson.Situation.choices],
    )
    to_reconfirm = forms.BooleanField(
        label=_("Only registrations to be reconfirmed (not confirmed for over a year)"),
        required=False,
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone = self.fields["zone"]
        assert isinstance(zone, forms.ModelChoiceField)
        zone.queryset = registry_zones(organisation=organisation)

    def to_filter(self, *, address_id: int | None = None) -> RegistryFilter:
        if not self.is_valid():
            return RegistryFilter(address_id=address_id)
        data = self.cleaned_data
        zone: Zone | None = data["zone"]
        return RegistryFilter(
            query=data["q"].strip(),
            needs=tuple(data["needs"]),
            zone_id=zone.pk if zone is not None else None,
            situation=data["situation"],
            to_reconfirm=data["to_reconfirm"],
            address_id=address_id,
        )


class RemovalForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason for the removal"),
        choices=RemovalReason.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Kept in the audit trail after the removal: do not write the person's name or "
            "anything that identifies them."
        ),
    )
