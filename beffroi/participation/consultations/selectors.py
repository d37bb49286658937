"""Reads of consultations: opinion tallies, questionnaire results, free-text answers, the
answering form's state and the CSV export of free-text answers.

Results are counted by the database (one grouped query per questionnaire), so that a
questionnaire with thousands of responses costs the same few queries as one with ten.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from beffroi.core.spreadsheets import csv_cell
from beffroi.participation.access import open_actions
from beffroi.participation.consultations.answering import (
    Data,
    field_name,
    questions_of,
    rank_name,
    row_name,
)
from beffroi.participation.models import (
    Action,
    Answer,
    AnswerTag,
    MunicipalProject,
    Opinion,
    Phase,
    Process,
    Question,
    Questionnaire,
    Response,
)


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: its label, count and share (0–100) of ``whole``."""

    label: str
    count: int
    percent: float
    # Ranking: average rank and Borda score.
    average_rank: float | None = None
    borda: int | None = None


# ---------------------------------------------------------------------------------------------
# Projects and opinions


def process_consultations(
    process: Process,
) -> tuple[list[MunicipalProject], list[Questionnaire]]:
    projects = list(process.projects.all())
    # Realisations' evaluations are reached from the realisations.
    questionnaires = list(
        process.questionnaires.filter(evaluation__isnull=True).select_related("project")
    )
    return projects, questionnaires


@dataclass(frozen=True)
class OpinionTally:
    total: int
    bars: list[Bar]


def opinion_tally(project: MunicipalProject) -> OpinionTally:
    counts = dict(
        Opinion.objects.filter(project=project, hidden_at__isnull=True)
        .values_list("position")
        .annotate(n=Count("id"))
        .values_list("position", "n")
    )
    total = sum(counts.values())
    return OpinionTally(
        total=total,
        bars=[
            Bar(str(label), counts.get(value, 0), _percent(counts.get(value, 0), total))
            for value, label in Opinion.Position.choices
        ],
    )


def opinion_comments(project: MunicipalProject, *, limit: int = 50) -> QuerySet[Opinion]:
    return (
        Opinion.objects.filter(project=project, hidden_at__isnull=True)
        .exclude(comment="")
        .select_related("participant")
        .order_by("-updated_at")[:limit]
    )


# ---------------------------------------------------------------------------------------------
# When results are public


def _phase_over(phase: Phase, now: datetime) -> bool:
    if phase.mode == Phase.Mode.CLOSED:
        return True
    if phase.mode == Phase.Mode.OPEN:
        return False
    return phase.ends_at <= now


def results_public(questionnaire: Questionnaire, now: datetime | None = None) -> bool:
    """Residents see the results once answering is over (no phase allowing answers open,
    and one of them has ended), or at once when the agents chose to show them live."""
    process = questionnaire.process
    if process.status == Process.Status.DRAFT:
        return False
    if questionnaire.results_live:
        return True
    now = now or timezone.now()
    if Action.ANSWER in open_actions(process, now):
        return False
    answering = [phase for phase in process.phases.all() if Action.ANSWER in phase.actions]
    return process.status == Process.Status.ARCHIVED or any(
        _phase_over(phase, now) for phase in answering
    )


# ---------------------------------------------------------------------------------------------
# Results


@dataclass
class QuestionResult:
    question: Question
    # As numbered on the answering page (``question_numbers``).
    number: str = ""
    # Responses with an answer to this question.
    answered: int = 0
    bars: list[Bar] = field(default_factory=list)
    mean: float | None = None
    # Matrix: the column labels, and per row its label, counts and percents per column.
    columns: list[str] = field(default_factory=list)
    matrix: list[tuple[str, int, list[tuple[int, float]]]] = field(default_factory=list)


@dataclass
class Results:
    questionnaire: Questionnaire
    respondents: int
    questions: list[QuestionResult]


def questionnaire_results(questionnaire: Questionnaire) -> Results:
    """Counts and percentages per choice, the scale's distribution and mean, the ranking's
    average rank and Borda score (n − rank points per response), the matrix as a table."""
    questions = questions_of(questionnaire)
    respondents = Response.objects.filter(questionnaire=questionnaire).count()
    answered = dict(
        Answer.objects.filter(question__questionnaire=questionnaire)
        .values("question_id")
        .annotate(n=Count("response_id", distinct=True))
        .values_list("question_id", "n")
    )
    cells: dict[int, list[tuple[int | None, int | None, int | None, int]]] = defaultdict(list)
    grouped = (
        Answer.objects.filter(question__questionnaire=questionnaire)
        .exclude(question__kind=Question.Kind.TEXT)
        .values("question_id", "choice_id", "row_id", "number")
        .annotate(n=Count("id"))
        .values_list("question_id", "choice_id", "row_id", "number", "n")
    )
    for question_id, choice_id, row_id, number, n in grouped:
        cells[question_id].append((choice_id, row_id, number, n))
    results = []
    numbers = question_numbers(questions)
    for question in questions:
        result = QuestionResult(
            question=question, number=numbers[question.pk], answered=answered.get(question.pk, 0)
        )
        _fill(result, cells.get(question.pk, []))
        results.append(result)
    return Results(questionnaire=questionnaire, respondents=respondents, questions=results)


def _fill(
    result: QuestionResult, cells: list[tuple[int | None, int | None, int | None, int]]
) -> None:
    question = result.question
    whole = result.answered
    kind = question.kind
    choices = list(question.choices.all())
    if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
        counts: dict[int | None, int] = defaultdict(int)
        for choice_id, _row, _number, n in cells:
            counts[choice_id] += n
        result.bars = [Bar(c.label, counts[c.pk], _percent(counts[c.pk], whole)) for c in choices]
    elif kind == Question.Kind.SCALE:
        by_value: dict[int | None, int] = defaultdict(int)
        for _choice, _row, number, n in cells:
            by_value[number] += n
        values = range(question.scale_min, question.scale_max + 1)
        result.bars = [Bar(str(v), by_value[v], _percent(by_value[v], whole)) for v in values]
        total = sum(by_value[v] for v in values)
        if total:
            result.mean = round(sum(v * by_value[v] for v in values) / total, 2)
    elif kind == Question.Kind.RANKING:
        size = len(choices)
        rank_sum: dict[int | None, int] = defaultdict(int)
        ranked: dict[int | None, int] = defaultdict(int)
        borda: dict[int | None, int] = defaultdict(int)
        firsts: dict[int | None, int] = defaultdict(int)
        for choice_id, _row, number, n in cells:
            if number is None:
                continue
            rank_sum[choice_id] += number * n
            ranked[choice_id] += n
            borda[choice_id] += (size - number) * n
            if number == 1:
                firsts[choice_id] += n
        best = max(borda.values(), default=0)
        bars = [
            Bar(
                c.label,
                firsts[c.pk],
                # The bar shows the Borda score against the best one.
                _percent(borda[c.pk], best),
                average_rank=round(rank_sum[c.pk] / ranked[c.pk], 2) if ranked[c.pk] else None,
                borda=borda[c.pk],
            )
            for c in choices
        ]
        result.bars = sorted(bars, key=lambda b: (-(b.borda or 0), b.label))
    elif kind == Question.Kind.MATRIX:
        grid: dict[tuple[int | None, int | None], int] = defaultdict(int)
        for choice_id, row_id, _number, n in cells:
            grid[(row_id, choice_id)] += n
        result.columns = [c.label for c in choices]
        for row in question.rows.all():
            row_counts = [grid[(row.pk, c.pk)] for c in choices]
            row_total = sum(row_counts)
            result.matrix.append(
                (row.label, row_total, [(n, _percent(n, row_total)) for n in row_counts])
            )


# ---------------------------------------------------------------------------------------------
# Free-text answers (back office)


def text_answers(
    questionnaire: Questionnaire,
    *,
    question_id: int | None = None,
    tag_id: int | None = None,
) -> QuerySet[Answer]:
    answers = (
        Answer.objects.filter(
            question__questionnaire=questionnaire, question__kind=Question.Kind.TEXT
        )
        .exclude(text="")
        .select_related("question", "response")
        .prefetch_related("tags")
        .order_by("question__position", "question_id", "-response__updated_at", "pk")
    )
    if question_id is not None:
        answers = answers.filter(question_id=question_id)
    if tag_id is not None:
        answers = answers.filter(tags__id=tag_id)
    return answers


def questionnaire_tags(questionnaire: Questionnaire) -> QuerySet[AnswerTag]:
    return questionnaire.tags.annotate(n=Count("answers")).order_by("name")


def text_answers_csv(answers: QuerySet[Answer]) -> Iterator[str]:
    """The free-text answers as CSV lines (header first): question, answer, tags, date. As
    the other exports: ``;``-separated and a byte-order mark first, so that a spreadsheet in
    French opens it in columns with its accents."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")

    def line(values: Sequence[object]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_cell(v) for v in values])
        return buffer.getvalue()

    yield "\ufeff" + line([_("Question"), _("Answer"), _("Tags"), _("Answered on")])
    for answer in answers.iterator(chunk_size=500):
        yield line(
            [
                answer.question.text,
                answer.text,
                ", ".join(tag.name for tag in answer.tags.all()),
                timezone.localtime(answer.response.updated_at).strftime("%Y-%m-%d %H:%M"),
            ]
        )


# ---------------------------------------------------------------------------------------------
# The answering form


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    checked: bool
    input_id: str


def question_numbers(questions: Sequence[Question]) -> dict[int, str]:
    """How each question is numbered for people: "1", "2"… for the questions everyone sees,
    and "2.1", "2.2"… for the conditional ones after question 2, so that hiding a conditional
    question never leaves a gap in the numbers a resident sees."""
    numbers: dict[int, str] = {}
    main = 0
    sub = 0
    for question in questions:
        if question.condition_question_id is None or main == 0:
            main += 1
            sub = 0
            numbers[question.pk] = str(main)
        else:
            sub += 1
            numbers[question.pk] = f"{main}.{sub}"
    return numbers


@dataclass
class QuestionView:
    """What the answering template needs of one question."""

    question: Question
    number: str
    name: str
    error: str = ""
    options: list[Option] = field(default_factory=list)
    text: str = ""
    # Ranking: per option its select's name and id, and the rank chosen ("" if none).
    ranks: list[tuple[str, str, str, str]] = field(default_factory=list)
    rank_values: list[int] = field(default_factory=list)
    # Matrix: per row its label, its radio group's name and options.
    rows: list[tuple[str, str, list[Option]]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    # Condition: the question number and choice labels that show it, and their ids for JS.
    condition_number: str | None = None
    condition_labels: list[str] = field(default_factory=list)
    condition_values: str = ""

    @property
    def uses_fieldset(self) -> bool:
        return self.question.kind != Question.Kind.TEXT

    @property
    def described_by(self) -> str:
        """The ids of the help, condition and error sentences, for aria-describedby."""
        ids = []
        if self.question.help_text:
            ids.append(f"{self.name}-help")
        if self.condition_number is not None:
            ids.append(f"{self.name}-condition")
        if self.error:
            ids.append(f"{self.name}-error")
        return " ".join(ids)


def question_views(
    questions: Sequence[Question], data: Data, errors: Mapping[int, str]
) -> list[QuestionView]:
    numbers = question_numbers(questions)
    views = []
    for question in questions:
        name = field_name(question)
        values = set(data.get(name, ()))
        view = QuestionView(
            question=question,
            number=numbers[question.pk],
            name=name,
            error=errors.get(question.pk, ""),
        )
        kind = question.kind
        if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
            view.options = [
                Option(str(c.pk), c.label, str(c.pk) in values, f"{name}-{c.pk}")
                for c in question.choices.all()
            ]
        elif kind == Question.Kind.SCALE:
            view.options = [
                Option(str(v), str(v), str(v) in values, f"{name}-{v}")
                for v in range(question.scale_min, question.scale_max + 1)
            ]
        elif kind == Question.Kind.TEXT:
            view.text = next(iter(data.get(name, ())), "")
        elif kind == Question.Kind.RANKING:
            choices = list(question.choices.all())
            view.rank_values = list(range(1, len(choices) + 1))
            for c in choices:
                key = rank_name(question, c.pk)
                view.ranks.append((key, f"{key}-id", c.label, next(iter(data.get(key, ())), "")))
        elif kind == Question.Kind.MATRIX:
            columns = list(question.choices.all())
            view.columns = [c.label for c in columns]
            for row in question.rows.all():
                key = row_name(question, row.pk)
                chosen = set(data.get(key, ()))
                view.rows.append(
                    (
                        row.label,
                        key,
                        [
                            Option(str(c.pk), c.label, str(c.pk) in chosen, f"{key}-{c.pk}")
                            for c in columns
                        ],
                    )
                )
        if question.condition_question_id is not None:
            view.condition_number = numbers.get(question.condition_question_id)
            condition_choices = list(question.condition_choices.all())
            view.condition_labels = [c.label for c in condition_choices]
            view.condition_values = " ".join(str(c.pk) for c in condition_choices)
        views.append(view)
    return views


def response_of(questionnaire: Questionnaire, participant_id: int | None) -> Response | None:
    if participant_id is None:
        return None
    return (
        Response.objects.filter(questionnaire=questionnaire, participant_id=participant_id)
        .prefetch_related("answers")
        .first()
    )


def questionnaires_with_counts(process: Process) -> QuerySet[Questionnaire]:
    return process.questionnaires.annotate(
        n_questions=Count("questions", distinct=True),
        n_responses=Count("responses", distinct=True),
    ).select_related("project")


def projects_with_counts(process: Process) -> QuerySet[MunicipalProject]:
    return process.projects.annotate(
        n_opinions=Count("opinions", filter=Q(opinions__hidden_at__isnull=True))
    )
