"""Needs: the organisers' and the offerers' forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy, pgettext_lazy

from beffroi.volunteering.models import Association, Need, Urgency
from beffroi.volunteering.needs.services import NeedInput

COMMUNE = ""


class NeedForm(forms.Form):
    association = forms.ChoiceField(
        label=gettext_lazy("Who needs it"),
        required=False,
        help_text=gettext_lazy("The association that asks, or the commune itself."),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of need"),
        choices=Need.Kind.choices,
        widget=forms.RadioSelect,
    )
    title = forms.CharField(
        label=gettext_lazy("Title"),
        max_length=200,
        help_text=gettext_lazy("For example: a van to collect the food bank's goods."),
    )
    description = forms.CharField(
        label=gettext_lazy("Description"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text=gettext_lazy("What is needed, what for, and any condition (insurance, size…)."),
    )
    quantity = forms.CharField(
        label=gettext_lazy("Quantity"),
        max_length=120,
        required=False,
        help_text=gettext_lazy("For example: 20 tables, one van of 12 m³, a hall for 80 people."),
    )
    street_address = forms.CharField(
        label=gettext_lazy("Where"),
        max_length=250,
        required=False,
        help_text=gettext_lazy(
            "Number and street in the commune, for example: 12 rue de la Mairie. Left empty: "
            "no place."
        ),
    )
    needed_from = forms.DateField(
        label=gettext_lazy("Needed from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    needed_until = forms.DateField(
        label=gettext_lazy("Needed until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    urgency = forms.ChoiceField(
        label=gettext_lazy("Urgency"),
        choices=Urgency.choices,
        initial=Urgency.NORMAL,
        widget=forms.RadioSelect,
        help_text=gettext_lazy("Urgent needs come first in the list."),
    )

    def __init__(
        self,
        *args: Any,
        associations: list[Association],
        commune_allowed: bool,
        need: Need | None = None,
        **kwargs: Any,
    ) -> None:
        if need is not None:
            kwargs.setdefault(
                "initial",
                {
                    **{name: getattr(need, name) for name in NeedInput.FIELDS},
                    "association": str(need.association_id or COMMUNE),
                },
            )
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, str]] = []
        if commune_allowed:
            choices.append((COMMUNE, str(gettext_lazy("The commune"))))
        choices += [(str(a.pk), a.name) for a in associations]
        field = self.fields["association"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices
        field.required = not commune_allowed
        if need is not None:
            # Who asks is set at creation: offers already made were made to them.
            field.disabled = True
            field.choices = [
                (str(need.association_id or COMMUNE), str(need.association or _commune()))
            ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("needed_from"), cleaned.get("needed_until")
        if start and end and end < start:
            self.add_error(
                "needed_until", gettext_lazy("The end of the period comes before its start.")
            )
        return cleaned

    def association_id(self) -> int | None:
        value = self.cleaned_data.get("association") or COMMUNE
        return int(value) if value != COMMUNE else None

    def as_input(self) -> NeedInput:
        data = self.cleaned_data
        return NeedInput(
            kind=data["kind"],
            title=data["title"],
            description=data["description"],
            quantity=data["quantity"],
            street_address=data["street_address"],
            needed_from=data["needed_from"],
            needed_until=data["needed_until"],
            urgency=data["urgency"],
        )


def _commune() -> str:
    return str(gettext_lazy("The commune"))


class OfferForm(forms.Form):
    on_behalf = forms.ChoiceField(
        label=gettext_lazy("You offer"),
        required=False,
        widget=forms.RadioSelect,
    )
    message = forms.CharField(
        label=gettext_lazy("What you offer"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=3000,
        help_text=gettext_lazy(
            "What, how many, when it is free, and any condition (collect it, return it…)."
        ),
    )
    contact = forms.CharField(
        label=gettext_lazy("How to reach you"),
        max_length=200,
        required=False,
        help_text=gettext_lazy(
            "A phone number or the times you can be reached; the organisers also have your "
            "account's e-mail address."
        ),
    )

    def __init__(self, *args: Any, associations: list[Association], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["on_behalf"]
        assert isinstance(field, forms.ChoiceField)
        if associations:
            field.choices = [("", pgettext_lazy("offer", "As myself"))] + [
                (str(a.pk), a.name) for a in associations
            ]
            field.initial = ""
        else:
            del self.fields["on_behalf"]

    def association_id(self) -> int | None:
        value = self.cleaned_data.get("on_behalf") or ""
        return int(value) if value else None


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=gettext_lazy("Your answer"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
        help_text=gettext_lazy(
            "The person who offered receives it by e-mail. Required to decline."
        ),
    )
