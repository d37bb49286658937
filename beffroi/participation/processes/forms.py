"""Back-office forms of processes. They parse; the services validate and decide."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from beffroi.participation.models import Blueprint, PhaseType, Process
from beffroi.participation.processes.blueprints import BLUEPRINTS
from beffroi.participation.processes.services import ProcessData, ProcessError
from beffroi.participation.richtext import FORMAT_HELP, editable_text
from beffroi.territory.models import Organisation, Zone

_DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def add_errors(form: forms.Form, error: ProcessError) -> None:
    """A service's refusal shown on the form's fields (or above it)."""
    for name, messages in error.errors.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, message)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=_DATETIME_FORMAT)


class BlueprintForm(forms.Form):
    blueprint = forms.ChoiceField(
        label=_("Kind of process"),
        choices=Blueprint.choices,
        widget=forms.RadioSelect,
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_on = forms.DateField(
        label=_("First phase opens on"),
        help_text=_("The phases follow one another from this date; change them afterwards."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["blueprint"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (value, f"{label} — {BLUEPRINTS[value].summary}") for value, label in Blueprint.choices
        ]
        if not self.is_bound:
            self.initial.setdefault("starts_on", timezone.localdate())

    def starts_at(self) -> datetime:
        day = self.cleaned_data["starts_on"]
        return timezone.make_aware(datetime.combine(day, time(0, 0)))


class ProcessForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.CharField(
        label=_("Address in the site"),
        max_length=80,
        required=False,
        help_text=_(
            "The end of the page's address, e.g. budget-participatif-2026 (lower-case letters, "
            "digits and hyphens). Left empty, it is made from the title."
        ),
    )
    blueprint = forms.ChoiceField(label=_("Kind of process"), choices=Blueprint.choices)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=400,
        required=False,
        help_text=_("One or two sentences shown in the list of processes."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        help_text=FORMAT_HELP,
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    illustration = forms.FileField(
        label=_("Illustration"),
        required=False,
        help_text=_("A JPEG, PNG or WebP image; its metadata is removed."),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    illustration_alt = forms.CharField(
        label=_("Illustration text alternative"),
        max_length=200,
        required=False,
        help_text=_("What the image shows, for people who cannot see it."),
    )
    remove_illustration = forms.BooleanField(label=_("Remove the illustration"), required=False)
    whole_territory = forms.BooleanField(label=_("The whole territory"), required=False)
    zones = forms.ModelMultipleChoiceField(
        label=_("Zones"),
        queryset=Zone.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("When the process concerns only some hamlets or districts."),
    )
    min_age = forms.IntegerField(label=_("Minimum age"), required=False, min_value=1)
    residents_only = forms.BooleanField(
        label=_("Reserved to residents of the process's zones"), required=False
    )
    support_threshold = forms.IntegerField(
        label=_("Supports needed for a study"),
        required=False,
        min_value=1,
        help_text=_("A proposal reaching this number is studied by the services."),
    )
    edit_window_minutes = forms.IntegerField(
        label=_("Edit window (minutes)"),
        min_value=0,
        initial=60 * 24,
        help_text=_("How long an author may edit a proposal after publishing it."),
    )

    def __init__(
        self, *args: Any, organisation: Organisation, process: Process | None = None, **kwargs: Any
    ) -> None:
        if process is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": process.title,
                "slug": process.slug,
                "blueprint": process.blueprint,
                "summary": process.summary,
                "description": editable_text(process.description),
                "illustration_alt": process.illustration_alt,
                "whole_territory": process.whole_territory,
                "zones": list(process.zones.all()),
                "min_age": process.min_age,
                "residents_only": process.residents_only,
                "support_threshold": process.support_threshold,
                "edit_window_minutes": process.edit_window_minutes,
            }
        super().__init__(*args, **kwargs)
        zones = self.fields["zones"]
        assert isinstance(zones, forms.ModelMultipleChoiceField)
        zones.queryset = Zone.objects.filter(organisation=organisation).order_by("kind", "name")
        if process is None or not process.illustration:
            del self.fields["remove_illustration"]

    def data_for_service(self) -> ProcessData:
        data = self.cleaned_data
        return ProcessData(
            title=data["title"],
            slug=data["slug"] or "",
            blueprint=data["blueprint"],
            summary=data["summary"] or "",
            description=data["description"] or "",
            whole_territory=bool(data["whole_territory"]),
            zones=list(data["zones"]),
            min_age=data["min_age"],
            residents_only=bool(data["residents_only"]),
            support_threshold=data["support_threshold"],
            edit_window_minutes=data["edit_window_minutes"],
            illustration_alt=data["illustration_alt"] or "",
        )


class PhaseForm(forms.Form):
    type = forms.ChoiceField(
        label=_("Type"),
        choices=PhaseType.choices,
        help_text=_("The type says what residents may do while the phase is open."),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = forms.DateTimeField(label=_("Opens at"), widget=DateTimeLocalInput())
    ends_at = forms.DateTimeField(label=_("Closes at"), widget=DateTimeLocalInput())
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name of the category"), max_length=100)


class DocumentForm(forms.Form):
    title = forms.CharField(label=_("Title of the document"), max_length=200)
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, OpenDocument or Office (docx, xlsx)."),
        widget=forms.FileInput(attrs={"accept": ".pdf,.odt,.ods,.odp,.docx,.xlsx,application/pdf"}),
    )
