"""Associations: the forms of residents, managers and agents."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from beffroi.volunteering.associations.rna import RNA_NUMBER, siren_valid
from beffroi.volunteering.associations.services import AssociationInput
from beffroi.volunteering.models import Activity, Association, Membership

IMAGE_TYPES = "image/jpeg,image/png,image/webp"


class AssociationForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name of the association"), max_length=250)
    short_name = forms.CharField(
        label=gettext_lazy("Short name or acronym"), max_length=120, required=False
    )
    rna = forms.CharField(
        label=gettext_lazy("RNA number"),
        max_length=10,
        required=False,
        help_text=gettext_lazy(
            "On the receipt of the prefecture: a W followed by 9 characters, such as W551000123."
        ),
    )
    siren = forms.CharField(
        label=gettext_lazy("SIREN number"),
        max_length=11,
        required=False,
        help_text=gettext_lazy("9 digits, for associations that employ staff or receive grants."),
    )
    purpose = forms.CharField(
        label=gettext_lazy("Purpose"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text=gettext_lazy("What the association does, in a few sentences."),
    )
    activities = forms.MultipleChoiceField(
        label=gettext_lazy("Activities"),
        choices=Activity.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    street_address = forms.CharField(
        label=gettext_lazy("Street address"),
        max_length=250,
        required=False,
        help_text=gettext_lazy("Number and street, for example: 12 rue de la Mairie."),
    )
    address_complement = forms.CharField(
        label=gettext_lazy("Address complement"), max_length=250, required=False
    )
    postcode = forms.RegexField(
        label=gettext_lazy("Postcode"),
        regex=r"^[0-9]{5}$",
        required=False,
        error_messages={"invalid": gettext_lazy("A postcode is 5 digits.")},
    )
    city = forms.CharField(label=gettext_lazy("Town"), max_length=200, required=False)
    lat = forms.FloatField(
        label=gettext_lazy("Latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        help_text=gettext_lazy(
            "Optional: left empty, the point is found from the address among the commune's."
        ),
    )
    lon = forms.FloatField(
        label=gettext_lazy("Longitude"), required=False, min_value=-180, max_value=180
    )
    email = forms.EmailField(label=gettext_lazy("Contact e-mail"), required=False)
    phone = forms.CharField(label=gettext_lazy("Contact phone"), max_length=40, required=False)
    contact_name = forms.CharField(
        label=gettext_lazy("Contact person"), max_length=200, required=False
    )
    website = forms.URLField(
        label=gettext_lazy("Website"), max_length=300, required=False, assume_scheme="https"
    )
    opening_hours = forms.CharField(
        label=gettext_lazy("Opening hours"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
        help_text=gettext_lazy("For example: Wednesday 14:00–18:00, Saturday morning."),
    )
    public_served = forms.CharField(
        label=gettext_lazy("Public served"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
        help_text=gettext_lazy("For example: everyone, families, people over 60."),
    )
    wheelchair_accessible = forms.BooleanField(
        label=gettext_lazy("The premises are accessible to wheelchair users"), required=False
    )
    accessibility = forms.CharField(
        label=gettext_lazy("Accessibility"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
        help_text=gettext_lazy("Hearing loop, sign language, easy-to-read documents…"),
    )
    logo = forms.FileField(
        label=gettext_lazy("Logo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": IMAGE_TYPES}),
        help_text=gettext_lazy("JPEG, PNG or WebP."),
    )
    remove_logo = forms.BooleanField(label=gettext_lazy("Remove the current logo"), required=False)

    def __init__(self, *args: Any, association: Association | None = None, **kwargs: Any) -> None:
        if association is not None:
            kwargs.setdefault("initial", self.initial_of(association))
        super().__init__(*args, **kwargs)
        if association is not None and association.source == Association.Source.RNA:
            # The registry's number is what a re-import finds the profile by.
            self.fields["rna"].disabled = True
            self.fields["rna"].help_text = gettext_lazy("From the national register.")

    def clean_rna(self) -> str:
        value: str = self.cleaned_data["rna"].strip().upper().replace(" ", "")
        if value and not RNA_NUMBER.fullmatch(value):
            raise forms.ValidationError(
                gettext_lazy("An RNA number is a W followed by 9 characters, such as W551000123.")
            )
        return value

    def clean_siren(self) -> str:
        value: str = "".join(self.cleaned_data["siren"].split())
        if value and not siren_valid(value):
            raise forms.ValidationError(
                gettext_lazy("This SIREN number is not valid (9 digits, checksum).")
            )
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (cleaned.get("lat") is None) != (cleaned.get("lon") is None):
            self.add_error(
                "lon", gettext_lazy("Give both the latitude and the longitude, or neither.")
            )
        return cleaned

    def as_input(self) -> AssociationInput:
        data = self.cleaned_data
        return AssociationInput(
            **{name: data[name] for name in AssociationInput.PROFILE_FIELDS},
            activities=list(data["activities"]),
        )

    @staticmethod
    def initial_of(association: Association) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(association, name) for name in AssociationInput.PROFILE_FIELDS
        }
        initial["activities"] = association.activity_values
        return initial


class NewAssociationForm(AssociationForm):
    message = forms.CharField(
        label=gettext_lazy("Your role in the association"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=gettext_lazy(
            "For example: president since 2021. The commune checks it before the profile is "
            "published."
        ),
    )


class ClaimForm(forms.Form):
    message = forms.CharField(
        label=gettext_lazy("Your role in the association"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=gettext_lazy(
            "For example: president since 2021, elected at the general meeting. The commune "
            "checks it before you can edit the profile."
        ),
    )


class ManagerForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("E-mail address of the person"),
        help_text=gettext_lazy("The invitation is sent to this address."),
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Role"),
        choices=Membership.Role.choices,
        initial=Membership.Role.EDITOR,
        help_text=gettext_lazy(
            "Editors edit the profile and run its missions and needs; owners also choose who "
            "manages it."
        ),
    )


class RnaImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("RNA “waldec” file"),
        help_text=gettext_lazy(
            "The CSV export of the national register of associations (data.gouv.fr), for the "
            "department or the commune."
        ),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )
    insee = forms.RegexField(
        label=gettext_lazy("INSEE code of the commune"),
        regex=r"^[0-9][0-9ABab][0-9]{3}$",
        required=False,
        help_text=gettext_lazy("Left empty: the communes of the organisation."),
        error_messages={"invalid": gettext_lazy("An INSEE code has 5 characters.")},
    )
    partial = forms.BooleanField(
        label=gettext_lazy("Import the accepted lines even if some are refused"),
        required=False,
        help_text=gettext_lazy(
            "Unticked (the default): one refused line refuses the whole file, nothing is written."
        ),
    )


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason of the refusal"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=gettext_lazy("The resident reads it."),
    )
