"""Builders of the consultations tests: a consultation process with its phase open, a
municipal project, and a questionnaire with a question of every kind."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.test import Client

from beffroi.accounts.models import User
from beffroi.participation.consultations import services
from beffroi.participation.models import (
    Blueprint,
    MunicipalProject,
    PhaseType,
    Process,
    Question,
    Questionnaire,
)
from beffroi.participation.richtext import clean_html
from beffroi.participation.tests.factories import make_process
from beffroi.territory.models import Organisation


def consultation_process(
    organisation: Organisation, *, slug: str = "halle", open_phase: int | None = 0
) -> Process:
    """A consultation process whose consultation phase is open (``open_phase=0``), or not
    yet open (None), or over (1: the analysis phase after it is open)."""
    return make_process(
        organisation,
        slug=slug,
        title="Rénovation de la halle du marché",
        blueprint=Blueprint.CONSULTATION,
        phases=(PhaseType.CONSULTATION, PhaseType.ANALYSIS),
        open_phase=open_phase,
    )


def make_project(process: Process, **fields: object) -> MunicipalProject:
    values: dict[str, object] = {
        "title": "Rénover la halle du marché",
        "description": clean_html("Une halle couverte, ouverte les jours de marché."),
        "cost": Decimal("450000"),
        "lat": 45.001,
        "lon": 4.002,
    }
    values.update(fields)
    return MunicipalProject.objects.create(process=process, **values)  # type: ignore[arg-type]


@dataclass
class Survey:
    questionnaire: Questionnaire
    single: Question  # "Do you go to the market?" yes / no
    multiple: Question  # "What for?" max 2 of 3, shown only when single == yes
    scale: Question  # 1..5
    text: Question
    ranking: Question  # 3 options
    matrix: Question  # 2 rows × 3 columns

    def choice(self, question: Question, label: str) -> int:
        return question.choices.get(label=label).pk

    def row(self, question: Question, label: str) -> int:
        return question.rows.get(label=label).pk


def make_survey(process: Process, *, results_live: bool = False) -> Survey:
    questionnaire = services.questionnaire_create(
        process=process,
        data=services.QuestionnaireData(
            title="Vos usages du marché", description="Cinq minutes.", results_live=results_live
        ),
    )

    def add(kind: str, **data: object) -> Question:
        return services.question_create(
            questionnaire=questionnaire,
            kind=kind,
            data=services.QuestionData(**data),  # type: ignore[arg-type]
        )

    single = add(
        Question.Kind.SINGLE, text="Allez-vous au marché ?", required=True, choices=["Oui", "Non"]
    )
    multiple = add(
        Question.Kind.MULTIPLE,
        text="Pour quoi faire ?",
        required=True,
        choices=["Légumes", "Fromage", "Rencontrer"],
        max_choices=2,
        condition_question_id=single.pk,
        condition_choice_ids=[single.choices.get(label="Oui").pk],
    )
    scale = add(
        Question.Kind.SCALE,
        text="Êtes-vous satisfait de la halle actuelle ?",
        scale_min=1,
        scale_max=5,
        scale_min_label="Pas du tout",
        scale_max_label="Tout à fait",
    )
    text = add(Question.Kind.TEXT, text="Une idée pour la halle ?")
    ranking = add(
        Question.Kind.RANKING, text="Classez les priorités", choices=["Toit", "Éclairage", "Bancs"]
    )
    matrix = add(
        Question.Kind.MATRIX,
        text="À quelle fréquence…",
        choices=["Jamais", "Parfois", "Souvent"],
        rows=["le samedi", "le mercredi"],
    )
    return Survey(questionnaire, single, multiple, scale, text, ranking, matrix)


def full_answers(survey: Survey, **overrides: list[str]) -> dict[str, list[str]]:
    """A valid, complete set of answers (every question shown)."""
    s = survey
    data = {
        f"q{s.single.pk}": [str(s.choice(s.single, "Oui"))],
        f"q{s.multiple.pk}": [
            str(s.choice(s.multiple, "Légumes")),
            str(s.choice(s.multiple, "Fromage")),
        ],
        f"q{s.scale.pk}": ["4"],
        f"q{s.text.pk}": ["Plus de bancs à l'ombre."],
        f"q{s.ranking.pk}_c{s.choice(s.ranking, 'Toit')}": ["1"],
        f"q{s.ranking.pk}_c{s.choice(s.ranking, 'Éclairage')}": ["3"],
        f"q{s.ranking.pk}_c{s.choice(s.ranking, 'Bancs')}": ["2"],
        f"q{s.matrix.pk}_r{s.row(s.matrix, 'le samedi')}": [str(s.choice(s.matrix, "Souvent"))],
        f"q{s.matrix.pk}_r{s.row(s.matrix, 'le mercredi')}": [str(s.choice(s.matrix, "Jamais"))],
    }
    data.update(overrides)
    return data


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
