"""Forms of consultations: they parse and label fields; the services hold the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from beffroi.participation.consultations.services import (
    CHOICE_KINDS,
    CONDITION_KINDS,
    OPINION_COMMENT_MAX_LENGTH,
    SCALE_HIGHEST,
    SCALE_LOWEST,
    TAG_NAME_MAX_LENGTH,
    ProjectData,
    QuestionData,
    QuestionnaireData,
)
from beffroi.participation.models import (
    MunicipalProject,
    Opinion,
    Process,
    Question,
    Questionnaire,
)
from beffroi.participation.richtext import FORMAT_HELP, editable_text


class ProjectForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=FORMAT_HELP,
    )
    cost = forms.DecimalField(
        label=_("Cost (€)"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    address_query = forms.CharField(
        label=_("Address"),
        required=False,
        max_length=200,
        help_text=_("Type the address and press “Search”, then choose it in the list."),
    )
    address = forms.TypedChoiceField(
        label=_("Chosen address"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.RadioSelect,
    )
    lat = forms.FloatField(
        label=_("Latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        help_text=_("Without an address: a point, e.g. 45.7640."),
    )
    lon = forms.FloatField(
        label=_("Longitude"),
        required=False,
        min_value=-180,
        max_value=180,
        help_text=_("e.g. 4.8357."),
    )
    image = forms.FileField(
        label=_("Image"),
        required=False,
        help_text=_("JPEG, PNG or WebP; it is re-encoded without its metadata."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    image_alt = forms.CharField(
        label=_("Text alternative of the image"),
        required=False,
        max_length=200,
        help_text=_("What the image shows, for people who cannot see it."),
    )
    remove_image = forms.BooleanField(label=_("Remove the current image"), required=False)

    def __init__(
        self,
        *args: Any,
        address_choices: list[tuple[int, str]] | None = None,
        has_image: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        address_field = self.fields["address"]
        assert isinstance(address_field, forms.TypedChoiceField)
        address_field.choices = address_choices or []
        if not has_image:
            del self.fields["remove_image"]

    @staticmethod
    def initial_of(project: MunicipalProject) -> dict[str, Any]:
        return {
            "title": project.title,
            "description": editable_text(project.description),
            "cost": project.cost,
            "address": project.address_id,
            "lat": project.lat if project.address_id is None else None,
            "lon": project.lon if project.address_id is None else None,
            "image_alt": project.image_alt,
        }

    def data_object(self) -> ProjectData:
        data = self.cleaned_data
        return ProjectData(
            title=data["title"],
            description=data["description"],
            cost=data.get("cost"),
            address_id=data.get("address"),
            lat=data.get("lat"),
            lon=data.get("lon"),
            image_alt=data.get("image_alt", ""),
        )


class OpinionForm(forms.Form):
    position = forms.ChoiceField(
        label=_("Your opinion on this project"),
        choices=Opinion.Position.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Your comment"),
        required=False,
        max_length=OPINION_COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Published with your public name."),
    )


class QuestionnaireForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Introduction"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Why you ask, how long it takes, what will be done with the answers."),
    )
    project = forms.TypedChoiceField(
        label=_("Municipal project"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("The project this questionnaire is about, if any."),
    )
    results_live = forms.BooleanField(
        label=_("Show the results to residents while answers are being collected"),
        required=False,
        help_text=_("Otherwise they are public once the phase of answers is over."),
    )

    def __init__(self, *args: Any, process: Process, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        project_field = self.fields["project"]
        assert isinstance(project_field, forms.TypedChoiceField)
        project_field.choices = [("", _("None"))] + [
            (p.pk, p.title) for p in process.projects.all()
        ]

    @staticmethod
    def initial_of(questionnaire: Questionnaire) -> dict[str, Any]:
        return {
            "title": questionnaire.title,
            "description": editable_text(questionnaire.description),
            "project": questionnaire.project_id,
            "results_live": questionnaire.results_live,
        }

    def data_object(self) -> QuestionnaireData:
        data = self.cleaned_data
        return QuestionnaireData(
            title=data["title"],
            description=data.get("description", ""),
            project_id=data.get("project"),
            results_live=bool(data.get("results_live")),
        )


def _lines(value: str) -> list[str]:
    return [line for line in value.replace("\r\n", "\n").split("\n") if line.strip()]


class QuestionForm(forms.Form):
    """One question; only the fields of its kind are present."""

    text = forms.CharField(label=_("Question"), max_length=300)
    help_text = forms.CharField(label=_("Help"), required=False, max_length=300)
    required = forms.BooleanField(label=_("An answer is required"), required=False)
    choices = forms.CharField(
        label=_("Choices"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "One per line. Answers to a choice whose line is unchanged are kept; "
            "removing a line deletes the answers given to it."
        ),
    )
    rows = forms.CharField(
        label=_("Rows"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One per line: each row is answered with one of the columns."),
    )
    max_choices = forms.IntegerField(
        label=_("Most choices a person may tick"),
        required=False,
        min_value=1,
        help_text=_("Empty: no limit."),
    )
    scale_min = forms.IntegerField(
        label=_("Lowest value"), min_value=SCALE_LOWEST, max_value=SCALE_HIGHEST, initial=1
    )
    scale_max = forms.IntegerField(
        label=_("Highest value"), min_value=SCALE_LOWEST, max_value=SCALE_HIGHEST, initial=5
    )
    scale_min_label = forms.CharField(
        label=_("Word at the lowest value"),
        required=False,
        max_length=60,
        help_text=_("e.g. “Not at all”."),
    )
    scale_max_label = forms.CharField(
        label=_("Word at the highest value"),
        required=False,
        max_length=60,
        help_text=_("e.g. “Very much”."),
    )
    condition_question = forms.TypedChoiceField(
        label=_("Show this question only after the question"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Empty: always shown."),
    )
    condition_choices = forms.TypedMultipleChoiceField(
        label=_("… when its answer includes"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        kind: str,
        earlier: list[Question],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind not in CHOICE_KINDS | {Question.Kind.MATRIX}:
            del self.fields["choices"]
        elif kind == Question.Kind.MATRIX:
            self.fields["choices"].label = _("Columns")
            self.fields["choices"].help_text = _(
                "One per line, e.g. “Never”, “Sometimes”, “Often”."
            )
        if kind != Question.Kind.MATRIX:
            del self.fields["rows"]
        if kind != Question.Kind.MULTIPLE:
            del self.fields["max_choices"]
        if kind != Question.Kind.SCALE:
            for name in ("scale_min", "scale_max", "scale_min_label", "scale_max_label"):
                del self.fields[name]
        sources = [q for q in earlier if q.kind in CONDITION_KINDS]
        if not sources:
            del self.fields["condition_question"]
            del self.fields["condition_choices"]
        else:
            question_field = self.fields["condition_question"]
            choices_field = self.fields["condition_choices"]
            assert isinstance(question_field, forms.TypedChoiceField)
            assert isinstance(choices_field, forms.TypedMultipleChoiceField)
            question_field.choices = [("", _("Always shown"))] + [(q.pk, q.text) for q in sources]
            # Grouped by question, so that the list reads without JavaScript.
            choices_field.choices = [
                (q.text, [(c.pk, c.label) for c in q.choices.all()]) for q in sources
            ]

    @staticmethod
    def initial_of(question: Question) -> dict[str, Any]:
        return {
            "text": question.text,
            "help_text": question.help_text,
            "required": question.required,
            "choices": "\n".join(c.label for c in question.choices.all()),
            "rows": "\n".join(r.label for r in question.rows.all()),
            "max_choices": question.max_choices,
            "scale_min": question.scale_min,
            "scale_max": question.scale_max,
            "scale_min_label": question.scale_min_label,
            "scale_max_label": question.scale_max_label,
            "condition_question": question.condition_question_id,
            "condition_choices": [c.pk for c in question.condition_choices.all()],
        }

    def data_object(self) -> QuestionData:
        data = self.cleaned_data
        return QuestionData(
            text=data["text"],
            help_text=data.get("help_text", ""),
            required=bool(data.get("required")),
            choices=_lines(data.get("choices", "")),
            rows=_lines(data.get("rows", "")),
            max_choices=data.get("max_choices"),
            scale_min=data.get("scale_min", 1),
            scale_max=data.get("scale_max", 5),
            scale_min_label=data.get("scale_min_label", ""),
            scale_max_label=data.get("scale_max_label", ""),
            condition_question_id=data.get("condition_question"),
            condition_choice_ids=list(data.get("condition_choices") or []),
        )


class TagForm(forms.Form):
    name = forms.CharField(label=_("New tag"), max_length=TAG_NAME_MAX_LENGTH)


class TextFilterForm(forms.Form):
    question = forms.TypedChoiceField(
        label=_("Question"), required=False, coerce=int, empty_value=None
    )
    tag = forms.TypedChoiceField(label=_("Tag"), required=False, coerce=int, empty_value=None)

    def __init__(
        self,
        *args: Any,
        questions: list[tuple[int, str]],
        tags: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        question_field = self.fields["question"]
        tag_field = self.fields["tag"]
        assert isinstance(question_field, forms.TypedChoiceField)
        assert isinstance(tag_field, forms.TypedChoiceField)
        question_field.choices = [("", _("All free-text questions")), *questions]
        tag_field.choices = [("", _("All answers")), *tags]
