"""Forms of resident registration (public and agents' back office) and of the CSV import.

Fields only parse; the rules (a channel needs its contact, numbers, consent, the territory)
live in the services, whose ``ValidationError`` dict is put back on these fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from beffroi.alerts.models import Channel, Place, Topic
from beffroi.alerts.subscriptions.services import CONSENT_TEXT

CHANNEL_CHOICES = [(c.value, c.label) for c in (Channel.EMAIL, Channel.SMS, Channel.VOICE)]
LANGUAGE_CHOICES = [("fr", "Français"), ("en", "English")]

# Service error keys that have no field of their own.
ERROR_FIELDS = {"point": "lat", "address": "q", "kind": "kind"}


class PreferencesForm(forms.Form):
    full_name = forms.CharField(
        label=_("Name"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    sms_number = forms.CharField(
        label=_("Mobile number for SMS"),
        required=False,
        max_length=30,
        help_text=_(
            "For instance 06 12 34 56 78, or 0692 12 34 56 in Réunion: overseas numbers are "
            "recognised."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    voice_number = forms.CharField(
        label=_("Number for voice calls"),
        required=False,
        max_length=30,
        help_text=_("A landline or a mobile; kept for voice alerts."),
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    channels = forms.MultipleChoiceField(
        label=_("How do you want to be warned?"),
        choices=CHANNEL_CHOICES,
        error_messages={"required": _("Choose at least one way to be warned.")},
        widget=forms.CheckboxSelectMultiple,
    )
    topics = forms.MultipleChoiceField(
        label=_("What about?"),
        choices=Topic.choices,
        error_messages={"required": _("Choose at least one topic.")},
        widget=forms.CheckboxSelectMultiple,
    )
    language = forms.ChoiceField(
        label=_("Language of the messages"),
        choices=LANGUAGE_CHOICES,
        initial="fr",
        widget=forms.RadioSelect,
    )

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                self.add_error(None, message)
            return
        for key, messages in error.message_dict.items():
            name = ERROR_FIELDS.get(key, key)
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class AgentFieldsMixin(forms.Form):
    confirmed_on_phone = forms.BooleanField(
        label=_("The resident confirmed these numbers and address on the phone"),
        required=False,
        help_text=_(
            "Tick only if you read them back and the resident confirmed: the channels are "
            "then marked verified. Otherwise a code and a link are sent to verify them."
        ),
    )


class PlaceForm(forms.Form):
    kind = forms.ChoiceField(label=_("This place is"), choices=Place.Kind.choices, initial="home")
    q = forms.CharField(
        label=_("Address"),
        required=False,
        max_length=200,
        help_text=_(
            "For instance: 12 rue de la Mairie. Search, then choose your address in the list."
        ),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "street-address"}),
    )
    address = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    lat = forms.FloatField(
        label=_("Latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        help_text=_("No address (an isolated farm…)? Click its place on the map, or type it."),
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    lon = forms.FloatField(
        label=_("Longitude"),
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("lat") is None) != (data.get("lon") is None):
            raise ValidationError(_("Give both the latitude and the longitude of the point."))
        return data

    def add_service_errors(self, error: ValidationError) -> None:
        PreferencesForm.add_service_errors(self, error)  # type: ignore[arg-type]


class RegistrationForm(PreferencesForm, PlaceForm):
    consent = forms.BooleanField(
        label=CONSENT_TEXT,
        error_messages={"required": _("Tick the box to agree to the use of your details.")},
    )

    field_order = [
        "full_name",
        "email",
        "sms_number",
        "voice_number",
        "channels",
        "topics",
        "language",
        "kind",
        "q",
        "address",
        "lat",
        "lon",
        "consent",
    ]

    def clean(self) -> dict[str, Any]:
        return PlaceForm.clean(self)


class AgentRegistrationForm(RegistrationForm, AgentFieldsMixin):
    pass


class AgentPreferencesForm(PreferencesForm, AgentFieldsMixin):
    pass


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code received by SMS"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
    )


class SubscriberSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, e-mail or number"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search"}),
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns read by name: nom and prénom (or full_name), email, telephone or mobile, "
            "fixe, adresse, code postal, commune, thèmes, langue, canaux. Separated by ; or , "
            "in UTF-8 or ISO-8859-1. At most 10 MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
