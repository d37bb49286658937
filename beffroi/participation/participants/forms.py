"""Forms of the participants' pages: SMS sign-in (number, then code) and the profile."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def form_service_errors(
    form: forms.Form, error: ValidationError, aliases: dict[str, str] | None = None
) -> None:
    """A service's ``ValidationError`` on the form's fields (``aliases``: the service's
    field name → the form's), the others on the whole form."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for name, messages in error.message_dict.items():
        field = (aliases or {}).get(name, name)
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class ServiceErrorsMixin:
    def add_service_errors(self, error: ValidationError) -> None:
        form_service_errors(self, error)  # type: ignore[arg-type]


class SmsNumberForm(ServiceErrorsMixin, forms.Form):
    number = forms.CharField(
        label=_("Mobile number"),
        max_length=30,
        help_text=_("The number you registered for alerts, for instance 06 12 34 56 78."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )


class SmsCodeForm(ServiceErrorsMixin, forms.Form):
    code = forms.CharField(
        label=_("Code received by SMS"),
        max_length=12,
        help_text=_("Six digits."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
    )


class ProfileForm(ServiceErrorsMixin, forms.Form):
    display_name = forms.CharField(
        label=_("Public name"),
        max_length=80,
        required=False,
        help_text=_(
            "Shown beside your proposals and comments, for instance “Marie D.”. Left empty, "
            "they are signed “a resident”."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    birth_year = forms.IntegerField(
        label=_("Year of birth"),
        required=False,
        help_text=_("Asked only by processes open from a minimum age. For instance: 1984."),
        widget=forms.NumberInput(attrs={"autocomplete": "bday-year", "inputmode": "numeric"}),
    )
    # "none", or the id of an address of the search results (radio buttons of the template).
    address = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
