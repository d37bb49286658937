"""Forms of resident registration (public and agents' back office) and of the CSV import.

Fields only parse; the rules (a channel needs its contact, numbers, consent, the territory)
live in the services, whose ``ValidationError`` dict is put back on these fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from beffroi.alerts.models import Channel, Place, Topic
from beffroi.alerts.subscriptions.services import CONSENT_TEXT

CHANNEL_CHOICES = [(c.value, c.label) for c in (Channel.EMAIL, Channel.SMS, Channel.VOICE)]
LANGUAGE_CHOICES = [("fr", "Français"), ("en", "English")]

# Service error keys that have no field of their own.
ERROR_FIELDS = {"point": "lat", "address": "q", "kind": "kind"}
# The fields that together give a place: one error about the place is enough.
PLACE_FIELDS = ("kind", "q", "address", "lat", "lon")


def summary_label[F: forms.Field](field: F, label: str | Promise) -> F:
    """Name ``field`` with ``label`` in the error summary (includes/form_errors.html), when
    its own label is a question or a long text such as the consent, which would bury the
    error it introduces."""
    setattr(field, "summary_label", label)  # noqa: B010 - an attribute Field does not declare
    return field


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ``ValidationError`` back on ``form``'s fields, one error per field:
    a field that already has one (from parsing, or an earlier check) keeps it, and an error
    about the place is dropped when one of the place's fields already says what is wrong."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for key, messages in error.message_dict.items():
        name = ERROR_FIELDS.get(key, key)
        if name not in form.fields:
            for message in messages:
                form.add_error(None, message)
            continue
        related = PLACE_FIELDS if name in PLACE_FIELDS else (name,)
        if any(form.has_error(other) for other in related if other in form.fields):
            continue
        form.add_error(name, messages[0])


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
    channels = summary_label(
        forms.MultipleChoiceField(
            label=_("How do you want to be warned?"),
            choices=CHANNEL_CHOICES,
            error_messages={"required": _("Choose at least one way to be warned.")},
            widget=forms.CheckboxSelectMultiple,
        ),
        _("Ways to be warned"),
    )
    topics = summary_label(
        forms.MultipleChoiceField(
            label=_("What about?"),
            choices=Topic.choices,
            error_messages={"required": _("Choose at least one topic.")},
            widget=forms.CheckboxSelectMultiple,
        ),
        _("Topics"),
    )
    language = forms.ChoiceField(
        label=_("Language of the messages"),
        choices=LANGUAGE_CHOICES,
        initial="fr",
        widget=forms.RadioSelect,
    )

    def add_service_errors(self, error: ValidationError) -> None:
        add_service_errors(self, error)


class AgentFieldsMixin(forms.Form):
    """The fields an agent adds to a resident's form, and its questions put to the agent
    (about the resident) instead of to the resident."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "channels" in self.fields:
            self.fields["channels"].label = _("How should the resident be warned?")

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
        # On the empty one (unless it did not parse: its own error says so), so that the
        # summary links to the field to fill in.
        for name, other in (("lat", "lon"), ("lon", "lat")):
            if data.get(name) is None and data.get(other) is not None and not self.has_error(name):
                self.add_error(name, _("Give both the latitude and the longitude of the point."))
        return data

    def add_service_errors(self, error: ValidationError) -> None:
        add_service_errors(self, error)


class RegistrationForm(PreferencesForm, PlaceForm):
    consent = summary_label(
        forms.BooleanField(
            label=CONSENT_TEXT,
            error_messages={"required": _("Tick the box to agree to the use of your details.")},
        ),
        _("Consent"),
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
    consent = forms.BooleanField(
        required=False,
        label=_(
            "I certify that the commune holds the consent of every person in this file to "
            "be warned on the contact details it lists (signed form, CCAS file)."
        ),
        help_text=_(
            "Their channels then count as verified, with this import as the source: they "
            "receive every alert. Unticked, they receive emergency alerts only until they "
            "verify their number or address themselves."
        ),
    )
