"""Forms of the proposals pages: they parse what was sent; the services decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _

from beffroi.participation.models import Category, Meeting, Process, Proposal
from beffroi.participation.proposals.selectors import SEED_MAX, SORTS, ProposalFilters
from beffroi.participation.proposals.services import (
    MAX_ATTACHMENTS,
    MAX_IMAGES,
    Place,
    ProposalInput,
    Upload,
)
from beffroi.participation.richtext import FORMAT_HELP
from beffroi.territory.models import Zone
from beffroi.territory.text import fold

SORT_CHOICES = [
    ("supported", _("Most supported")),
    ("newest", _("Newest")),
    ("commented", _("Most commented")),
    ("random", _("Random order")),
]
STATUS_CHOICES = [
    ("", _("All except withdrawn")),
    ("open", _("Awaiting an answer")),
    ("under_study", _("Under study")),
    ("accepted", _("Accepted")),
    ("rejected", _("Rejected")),
    ("feasible", _("Feasible")),
    ("not_feasible", _("Not feasible")),
    ("withdrawn", _("Withdrawn")),
]


class FilterForm(forms.Form):
    """The list's GET parameters; anything unreadable falls back to the default.

    Choices are plain (id, label) lists read once, and the list template writes its own
    ``<select>``s from ``choices_of``: Django's widgets render each option through a
    template, which cost a third of the list page's time with 50 areas."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    category = forms.TypedChoiceField(
        label=_("Category"), coerce=int, required=False, empty_value=None
    )
    zone = forms.TypedChoiceField(label=_("Area"), coerce=int, required=False, empty_value=None)
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    sort = forms.ChoiceField(label=_("Sort by"), choices=SORT_CHOICES, required=False)
    seed = forms.IntegerField(
        required=False, min_value=0, max_value=SEED_MAX, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, process: Process, zones: list[Zone], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        categories = list(
            Category.objects.filter(process=process)
            .order_by("position", "name")
            .values_list("pk", "name")
        )
        self.fields["category"].choices = [("", _("All categories")), *categories]  # type: ignore[attr-defined]
        # In alphabetical order, as the map writes them ("La Croix-Blanche").
        ordered = sorted(zones, key=lambda z: fold(z.name.removeprefix("la ").removeprefix("le ")))
        self.fields["zone"].choices = [  # type: ignore[attr-defined]
            ("", _("The whole territory")),
            *((z.pk, capfirst(z.name)) for z in ordered),
        ]
        self.zone_list = zones

    def choices_of(self) -> dict[str, list[tuple[str, Any, bool]]]:
        """Per select: (value, label, selected) rows for the template."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        result: dict[str, list[tuple[str, Any, bool]]] = {}
        for name in ("category", "zone", "status", "sort"):
            current = data.get(name)
            current = "" if current is None else str(current)
            result[name] = [
                (str(value), label, str(value) == current)
                for value, label in self.fields[name].choices  # type: ignore[attr-defined]
            ]
        return result

    def filters(self, *, default_seed: int) -> ProposalFilters:
        data: dict[str, Any] = self.cleaned_data if self.is_valid() else {}
        sort = data.get("sort") or "supported"
        if sort not in SORTS:
            sort = "supported"
        seed = data.get("seed")
        category = data.get("category")
        zone = data.get("zone")
        return ProposalFilters(
            query=(data.get("q") or "").strip(),
            category_id=category if isinstance(category, int) else None,
            zone_id=zone if isinstance(zone, int) else None,
            status=data.get("status") or "",
            sort=sort,
            seed=seed if isinstance(seed, int) else default_seed,
        )


class ProposalForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=150,
        help_text=_("A short sentence saying what you propose."),
    )
    body = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20_000,
        help_text=_("What, where, for whom, why. Leave a blank line between paragraphs."),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False
    )
    estimated_cost = forms.DecimalField(
        label=_("Estimated cost (€)"),
        required=False,
        min_value=Decimal(0),
        max_digits=12,
        decimal_places=2,
        help_text=_("Your estimate, if you have one: the services will make their own."),
    )
    q = forms.CharField(
        label=_("Address"),
        required=False,
        max_length=200,
        help_text=_("Type the address the proposal concerns, then choose it in the list."),
    )
    address = forms.IntegerField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)

    def __init__(
        self, *args: Any, process: Process, with_files: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        categories = Category.objects.filter(process=process)
        field = self.fields["category"]
        field.queryset = categories  # type: ignore[attr-defined]
        field.required = categories.exists()
        self.with_files = with_files
        if with_files:
            for index in range(1, MAX_IMAGES + 1):
                self.fields[f"image_{index}"] = forms.FileField(
                    label=_("Image %(n)s") % {"n": index},
                    required=False,
                    widget=forms.ClearableFileInput(
                        attrs={"accept": "image/jpeg,image/png,image/webp"}
                    ),
                    help_text=_(
                        "JPEG, PNG or WebP. Its hidden data (position, camera) is removed."
                    ),
                )
                self.fields[f"image_alt_{index}"] = forms.CharField(
                    label=_("What image %(n)s shows") % {"n": index},
                    required=False,
                    max_length=200,
                    help_text=_("For people who cannot see the image."),
                )
            for index in range(1, MAX_ATTACHMENTS + 1):
                self.fields[f"attachment_{index}"] = forms.FileField(
                    label=_("Document %(n)s") % {"n": index},
                    required=False,
                    widget=forms.ClearableFileInput(
                        attrs={"accept": ".pdf,.odt,.ods,.odp,.docx,.xlsx"}
                    ),
                    help_text=_("PDF, OpenDocument, Word or Excel."),
                )

    def image_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"image_{i}"], self[f"image_alt_{i}"]) for i in range(1, MAX_IMAGES + 1)]

    def attachment_fields(self) -> list[forms.BoundField]:
        return [self[f"attachment_{i}"] for i in range(1, MAX_ATTACHMENTS + 1)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("lat") is None) != (data.get("lon") is None):
            raise ValidationError(
                {"lat": _("Give both the latitude and the longitude, or neither.")}
            )
        typed = (data.get("q") or "").strip()
        if typed and data.get("address") is None and data.get("lat") is None:
            # A typed address nobody chose would be dropped without a word.
            raise ValidationError(
                {
                    "q": _(
                        "Choose the address in the list below the field (or empty the field "
                        "to publish without a place)."
                    )
                }
            )
        return data

    def proposal_input(self, *, place_given: bool = True) -> ProposalInput:
        data = self.cleaned_data
        place = None
        if data.get("address") is not None:
            place = Place(address_id=data["address"])
        elif data.get("lat") is not None:
            place = Place(lat=data["lat"], lon=data["lon"])
        elif place_given:
            place = Place()
        images: list[Upload] = []
        attachments: list[Upload] = []
        if self.with_files:
            for index in range(1, MAX_IMAGES + 1):
                upload = data.get(f"image_{index}")
                if upload:
                    images.append(Upload(upload, data.get(f"image_alt_{index}") or ""))
            for index in range(1, MAX_ATTACHMENTS + 1):
                upload = data.get(f"attachment_{index}")
                if upload:
                    attachments.append(Upload(upload))
        category = data.get("category")
        return ProposalInput(
            title=data["title"],
            body=data["body"],
            category_id=category.pk if category else None,
            place=place,
            estimated_cost=data.get("estimated_cost"),
            images=images,
            attachments=attachments,
        )

    def add_service_errors(self, error: ValidationError) -> None:
        """The service's errors on their fields (or the form when the field is not shown)."""
        for name, messages in error.message_dict.items():
            target = name if name in self.fields else None
            if name == "images" or name == "attachments":
                target = None
            for message in messages:
                self.add_error(target, message)


class OnBehalfForm(ProposalForm):
    origin = forms.ChoiceField(
        label=_("Where the proposal was made"),
        choices=[
            (Proposal.Origin.WORKSHOP, Proposal.Origin.WORKSHOP.label),
            (Proposal.Origin.PAPER, Proposal.Origin.PAPER.label),
            (Proposal.Origin.PHONE, Proposal.Origin.PHONE.label),
        ],
        widget=forms.RadioSelect,
    )
    resident_name = forms.CharField(
        label=_("Name to sign with"),
        required=False,
        max_length=80,
        help_text=_('As the resident wishes it to appear ("Marie D."); empty: "a resident".'),
    )
    meeting = forms.ModelChoiceField(
        label=_("Meeting where it was made"), queryset=Meeting.objects.none(), required=False
    )
    resident_contact = forms.CharField(
        label=_("Phone or e-mail to tell them what becomes of it"),
        required=False,
        max_length=254,
        help_text=_(
            "Never published. An e-mail address gets the official answer by e-mail; for a "
            "phone number, the agent who answers is asked to call."
        ),
    )
    consent = forms.BooleanField(
        label=_(
            "The resident agreed that the commune publishes the proposal and contacts them "
            "about it (box ticked on the paper form, or said so)"
        ),
        required=True,
    )

    def __init__(self, *args: Any, process: Process, **kwargs: Any) -> None:
        super().__init__(*args, process=process, **kwargs)
        self.fields["meeting"].queryset = Meeting.objects.filter(process=process)  # type: ignore[attr-defined]
        # The agent types what someone else proposed: the help speaks of the resident.
        self.fields["title"].help_text = _("A short sentence saying what the resident proposes.")
        self.fields["body"].help_text = _(
            "What, where, for whom, why, as the resident wrote or said it."
        )
        self.fields["estimated_cost"].help_text = _("The resident's estimate, if they gave one.")


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Answer"),
        choices=[
            (Proposal.Answer.UNDER_STUDY, Proposal.Answer.UNDER_STUDY.label),
            (Proposal.Answer.ACCEPTED, Proposal.Answer.ACCEPTED.label),
            (Proposal.Answer.REJECTED, Proposal.Answer.REJECTED.label),
        ],
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=_("Explanation"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20_000,
        help_text=format_lazy(
            "{} {}",
            _("Published on the proposal's page and sent to its author and followers."),
            FORMAT_HELP,
        ),
    )


class FeasibilityForm(forms.Form):
    feasibility = forms.ChoiceField(
        label=_("Feasibility"),
        choices=[
            (Proposal.Feasibility.FEASIBLE, Proposal.Feasibility.FEASIBLE.label),
            (Proposal.Feasibility.NOT_FEASIBLE, Proposal.Feasibility.NOT_FEASIBLE.label),
        ],
        widget=forms.RadioSelect,
    )
    services_cost = forms.DecimalField(
        label=_("Cost estimated by the services (€)"),
        required=False,
        min_value=Decimal(0),
        max_digits=12,
        decimal_places=2,
    )
    note = forms.CharField(
        label=_("Review"),
        required=False,
        help_text=FORMAT_HELP,
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20_000,
    )
