"""Writes of consultations: municipal projects, opinions, questionnaires, their questions,
residents' responses and the tags agents put on free-text answers.

Residents' writes (``opinion_give``, ``response_submit``) ask ``access.check`` first: the
active phase of the process decides, whatever the client sends. One opinion per participant
and project, one response per participant and questionnaire: the database holds the rule
(unique constraints), and the services turn the loser of a race into an update of the
winner's row instead of an error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from beffroi.accounts.models import User
from beffroi.participation import access
from beffroi.participation.consultations.answering import (
    Data,
    answers_parse,
    questions_of,
)
from beffroi.participation.files import FileRefused, image_checked
from beffroi.participation.models import (
    Action,
    Answer,
    AnswerTag,
    Choice,
    Evaluation,
    MatrixRow,
    MunicipalProject,
    Opinion,
    Participant,
    Process,
    Question,
    Questionnaire,
    Response,
)
from beffroi.participation.richtext import clean_html
from beffroi.territory.models import Address

# Bounds of a scale an agent may build: 0–10 is the widest in common use (NPS-like).
SCALE_LOWEST = 0
SCALE_HIGHEST = 10
SCALE_MAX_STEPS = 11
CHOICES_MAX = 30
OPINION_COMMENT_MAX_LENGTH = 2000
TAG_NAME_MAX_LENGTH = 60


class ConsultationError(Exception):
    """Bad input: ``errors`` maps a form field (or ``None``) to translated messages."""

    def __init__(self, errors: dict[str | None, list[str]]) -> None:
        super().__init__("; ".join(m for ms in errors.values() for m in ms))
        self.errors = errors


class AnswersInvalid(Exception):
    """A response refused: ``errors`` maps question ids to a translated message."""

    def __init__(self, errors: dict[int, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _fail(field_name: str | None, message: str) -> ConsultationError:
    return ConsultationError({field_name: [message]})


# ---------------------------------------------------------------------------------------------
# Municipal projects


@dataclass(frozen=True)
class ProjectData:
    title: str
    description: str
    cost: Decimal | None = None
    address_id: int | None = None
    lat: float | None = None
    lon: float | None = None
    image_alt: str = ""


def _project_apply(
    project: MunicipalProject,
    data: ProjectData,
    *,
    image: UploadedFile[bytes] | None,
    remove_image: bool,
) -> None:
    errors: dict[str | None, list[str]] = {}
    title = data.title.strip()
    if not title:
        errors.setdefault("title", []).append(_("Give the project a title."))
    description = clean_html(data.description)
    if not description:
        errors.setdefault("description", []).append(_("Describe the project."))
    if data.cost is not None and data.cost < 0:
        errors.setdefault("cost", []).append(_("The cost cannot be negative."))
    address: Address | None = None
    if data.address_id is not None:
        address = Address.objects.filter(
            pk=data.address_id, organisation_id=project.process.organisation_id
        ).first()
        if address is None:
            errors.setdefault("address", []).append(_("This address is not in the territory."))
    elif (data.lat is None) != (data.lon is None):
        errors.setdefault("lat", []).append(_("Give both the latitude and the longitude."))
    elif (
        data.lat is not None
        and data.lon is not None
        and not (-90 <= data.lat <= 90 and -180 <= data.lon <= 180)
    ):
        errors.setdefault("lat", []).append(_("This point is not on the map."))
    checked = None
    if image is not None:
        try:
            checked = image_checked(image, stem="project")
        except FileRefused as refused:
            errors.setdefault("image", []).append(str(refused))
    keeps_image = (bool(project.image) and not remove_image) or checked is not None
    if keeps_image and not data.image_alt.strip():
        errors.setdefault("image_alt", []).append(
            _("Describe the image for people who cannot see it.")
        )
    if errors:
        raise ConsultationError(errors)
    project.title = title
    project.description = description
    project.cost = data.cost
    project.address = address
    if address is not None:
        project.lat, project.lon = address.lat, address.lon
    else:
        project.lat, project.lon = data.lat, data.lon
    if checked is not None:
        if project.image:
            project.image.delete(save=False)
        project.image.save(checked.name, checked.content, save=False)
    elif remove_image and project.image:
        project.image.delete(save=False)
        project.image = ""  # type: ignore[assignment]
    project.image_alt = data.image_alt.strip() if project.image else ""


def project_create(
    *,
    process: Process,
    data: ProjectData,
    image: UploadedFile[bytes] | None = None,
) -> MunicipalProject:
    position = (process.projects.aggregate(m=Max("position"))["m"] or 0) + 1
    project = MunicipalProject(process=process, position=position)
    _project_apply(project, data, image=image, remove_image=False)
    project.save()
    return project


def project_update(
    *,
    project: MunicipalProject,
    data: ProjectData,
    image: UploadedFile[bytes] | None = None,
    remove_image: bool = False,
) -> MunicipalProject:
    _project_apply(project, data, image=image, remove_image=remove_image)
    project.save()
    return project


# ---------------------------------------------------------------------------------------------
# Opinions


def opinion_give(
    *,
    project: MunicipalProject,
    participant: Participant | None,
    position: str,
    comment: str = "",
) -> tuple[Opinion, bool]:
    """The participant's opinion on ``project``, given or changed; ``True`` when new.

    Refused (``access.ActionRefused``) outside a phase allowing opinions; a second opinion
    by the same person changes the first, even when both arrive at once."""
    person = access.check(participant, project.process, Action.OPINION)
    if position not in Opinion.Position.values:
        raise _fail("position", _("Choose for, against or abstain."))
    comment = comment.replace("\x00", "").replace("\r\n", "\n").strip()
    if len(comment) > OPINION_COMMENT_MAX_LENGTH:
        raise _fail(
            "comment",
            _("Write at most %(max)d characters.") % {"max": OPINION_COMMENT_MAX_LENGTH},
        )
    with transaction.atomic():
        opinion = (
            Opinion.objects.select_for_update().filter(project=project, participant=person).first()
        )
        if opinion is None:
            try:
                with transaction.atomic():
                    return (
                        Opinion.objects.create(
                            project=project, participant=person, position=position, comment=comment
                        ),
                        True,
                    )
            except IntegrityError:
                # Another request of the same person won the race: change its opinion.
                opinion = Opinion.objects.select_for_update().get(
                    project=project, participant=person
                )
        opinion.position = position
        opinion.comment = comment
        opinion.save(update_fields=["position", "comment", "updated_at"])
        return opinion, False


# ---------------------------------------------------------------------------------------------
# Questionnaires and their questions


@dataclass(frozen=True)
class QuestionnaireData:
    title: str
    description: str = ""
    project_id: int | None = None
    results_live: bool = False


def _questionnaire_apply(questionnaire: Questionnaire, data: QuestionnaireData) -> None:
    title = data.title.strip()
    if not title:
        raise _fail("title", _("Give the questionnaire a title."))
    project = None
    if data.project_id is not None:
        project = MunicipalProject.objects.filter(
            pk=data.project_id, process_id=questionnaire.process_id
        ).first()
        if project is None:
            raise _fail("project", _("This project is not part of the process."))
    questionnaire.title = title
    questionnaire.description = clean_html(data.description)
    questionnaire.project = project
    questionnaire.results_live = data.results_live


def questionnaire_create(*, process: Process, data: QuestionnaireData) -> Questionnaire:
    questionnaire = Questionnaire(process=process)
    _questionnaire_apply(questionnaire, data)
    questionnaire.save()
    return questionnaire


def questionnaire_update(*, questionnaire: Questionnaire, data: QuestionnaireData) -> Questionnaire:
    _questionnaire_apply(questionnaire, data)
    questionnaire.save()
    return questionnaire


@dataclass(frozen=True)
class QuestionData:
    text: str
    help_text: str = ""
    required: bool = False
    # Options of choice and ranking questions; columns of a matrix.
    choices: list[str] = field(default_factory=list)
    # Rows of a matrix.
    rows: list[str] = field(default_factory=list)
    max_choices: int | None = None
    scale_min: int = 1
    scale_max: int = 5
    scale_min_label: str = ""
    scale_max_label: str = ""
    condition_question_id: int | None = None
    condition_choice_ids: list[int] = field(default_factory=list)


CHOICE_KINDS = frozenset({Question.Kind.SINGLE, Question.Kind.MULTIPLE, Question.Kind.RANKING})
# Questions whose answers can show a later question.
CONDITION_KINDS = frozenset({Question.Kind.SINGLE, Question.Kind.MULTIPLE})


def _lines(values: list[str]) -> list[str]:
    """Non-empty distinct labels, in order (a repeated label would be two identical buttons)."""
    return list(dict.fromkeys(v.strip()[:200] for v in values if v and v.strip()))


def _question_check(
    question: Question, data: QuestionData
) -> tuple[list[str], list[str], Question | None, list[Choice]]:
    errors: dict[str | None, list[str]] = {}

    def add(name: str | None, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not data.text.strip():
        add("text", _("Write the question."))
    kind = question.kind
    choices = _lines(data.choices) if kind in CHOICE_KINDS | {Question.Kind.MATRIX} else []
    rows = _lines(data.rows) if kind == Question.Kind.MATRIX else []
    if kind in CHOICE_KINDS and len(choices) < 2:
        add("choices", _("Give at least two choices, one per line."))
    if kind == Question.Kind.MATRIX:
        if len(choices) < 2:
            add("choices", _("Give at least two columns, one per line."))
        if not rows:
            add("rows", _("Give at least one row, one per line."))
    if len(choices) > CHOICES_MAX or len(rows) > CHOICES_MAX:
        add("choices", _("Give at most %(max)d lines.") % {"max": CHOICES_MAX})
    if kind == Question.Kind.MULTIPLE and data.max_choices is not None:
        if data.max_choices < 1:
            add("max_choices", _("Allow at least one choice."))
        elif choices and data.max_choices > len(choices):
            add("max_choices", _("There are fewer choices than this."))
    if (
        kind == Question.Kind.SCALE
        and question.pk is not None
        and (data.scale_min, data.scale_max) != (1, 5)
        and question_protected(question)
    ):
        add("scale_max", question_protected(question))
    elif kind == Question.Kind.SCALE and not (
        SCALE_LOWEST <= data.scale_min < data.scale_max <= SCALE_HIGHEST
    ):
        add(
            "scale_max",
            _("The scale goes up from its lowest value, between %(low)d and %(high)d.")
            % {"low": SCALE_LOWEST, "high": SCALE_HIGHEST},
        )
    condition: Question | None = None
    condition_choices: list[Choice] = []
    if data.condition_question_id is not None:
        condition = (
            Question.objects.filter(
                pk=data.condition_question_id, questionnaire_id=question.questionnaire_id
            )
            .exclude(pk=question.pk)
            .first()
        )
        if condition is None or condition.kind not in CONDITION_KINDS:
            add("condition_question", _("Choose a single or multiple choice question."))
            condition = None
        elif question.pk is not None and (condition.position, condition.pk) > (
            question.position,
            question.pk,
        ):
            add("condition_question", _("The condition must be an earlier question."))
            condition = None
        else:
            condition_choices = list(condition.choices.filter(pk__in=data.condition_choice_ids))
            if not condition_choices or len(condition_choices) != len(
                set(data.condition_choice_ids)
            ):
                add(
                    "condition_choices",
                    _("Tick the answers of that question that show this one."),
                )
    elif data.condition_choice_ids:
        add("condition_question", _("Choose the question these answers belong to."))
    if errors:
        raise ConsultationError(errors)
    return choices, rows, condition, condition_choices


def _sync_labels(
    model: type[Choice] | type[MatrixRow], question: Question, labels: list[str]
) -> None:
    """Keep the options whose label is unchanged (their answers stay), add the new ones,
    delete the ones no longer listed; order follows the list."""
    existing = {item.label: item for item in model.objects.filter(question=question)}
    for position, label in enumerate(labels):
        item = existing.pop(label, None)
        if item is None:
            model.objects.create(question=question, label=label, position=position)
        elif item.position != position:
            item.position = position
            item.save(update_fields=["position"])
    for item in existing.values():
        item.delete()


def _question_apply(question: Question, data: QuestionData) -> None:
    choices, rows, condition, condition_choices = _question_check(question, data)
    question.text = data.text.strip()[:300]
    question.help_text = data.help_text.strip()[:300]
    question.required = data.required
    question.max_choices = data.max_choices if question.kind == Question.Kind.MULTIPLE else None
    if question.kind == Question.Kind.SCALE:
        question.scale_min, question.scale_max = data.scale_min, data.scale_max
        question.scale_min_label = data.scale_min_label.strip()[:60]
        question.scale_max_label = data.scale_max_label.strip()[:60]
    question.condition_question = condition
    question.save()
    question.condition_choices.set(condition_choices)
    if question.kind in CHOICE_KINDS | {Question.Kind.MATRIX}:
        _sync_labels(Choice, question, choices)
    if question.kind == Question.Kind.MATRIX:
        _sync_labels(MatrixRow, question, rows)


def question_create(*, questionnaire: Questionnaire, kind: str, data: QuestionData) -> Question:
    """A question added at the end of ``questionnaire``."""
    if kind not in Question.Kind.values:
        raise _fail("kind", _("Choose a kind of question."))
    with transaction.atomic():
        Questionnaire.objects.select_for_update().filter(pk=questionnaire.pk).first()
        position = (questionnaire.questions.aggregate(m=Max("position"))["m"] or 0) + 1
        question = Question(questionnaire=questionnaire, kind=kind, position=position)
        _question_apply(question, data)
        return question


def question_update(*, question: Question, data: QuestionData) -> Question:
    with transaction.atomic():
        _question_apply(question, data)
        # A dependant whose condition choices were all deleted would never show: it loses
        # its condition instead (the agent sees it unconditional in the builder).
        for dependant in question.dependants.all():
            if not dependant.condition_choices.exists():
                dependant.condition_question = None
                dependant.save(update_fields=["condition_question"])
        return question


def question_protected(question: Question) -> str:
    """Why ``question`` may not be deleted nor have its scale changed ("" when it may): a
    realisation's satisfaction is read on its page, in the list and in the budget's report."""
    if Evaluation.objects.filter(satisfaction=question).exists():
        return _(
            "This question measures residents' satisfaction with the realisation: its page, "
            "the list of realisations and the budget's report show it. It cannot be deleted "
            "and its scale stays from 1 to 5; its wording may change."
        )
    return ""


def question_delete(*, question: Question) -> list[Question]:
    """Delete ``question``; the questions it conditioned become unconditional (returned).
    Refused for a realisation's satisfaction question (``question_protected``)."""
    protected = question_protected(question)
    if protected:
        raise _fail(None, protected)
    with transaction.atomic():
        dependants = list(question.dependants.all())
        for dependant in dependants:
            dependant.condition_question = None
            dependant.save(update_fields=["condition_question"])
            dependant.condition_choices.clear()
        question.delete()
        return dependants


def question_move(*, question: Question, offset: int) -> bool:
    """Swap ``question`` with its neighbour (``offset`` -1: up, +1: down). Refused when it
    would put a question before the one its display depends on; False at either end."""
    if offset not in (-1, 1):
        raise _fail(None, _("Move one place up or down."))
    with transaction.atomic():
        Questionnaire.objects.select_for_update().filter(pk=question.questionnaire_id).first()
        ordered = list(
            Question.objects.filter(questionnaire_id=question.questionnaire_id).order_by(
                "position", "pk"
            )
        )
        index = next(i for i, q in enumerate(ordered) if q.pk == question.pk)
        other_index = index + offset
        if not 0 <= other_index < len(ordered):
            return False
        first, second = sorted((index, other_index))
        earlier, later = ordered[first], ordered[second]
        if later.condition_question_id == earlier.pk:
            raise _fail(
                None,
                _("“%(later)s” depends on the answer to “%(earlier)s”: it must stay after it.")
                % {"later": later.text, "earlier": earlier.text},
            )
        ordered[first], ordered[second] = later, earlier
        for position, item in enumerate(ordered, start=1):
            if item.position != position:
                item.position = position
                item.save(update_fields=["position"])
        return True


# ---------------------------------------------------------------------------------------------
# Responses


def response_submit(
    *, questionnaire: Questionnaire, participant: Participant | None, data: Data
) -> tuple[Response, bool]:
    """Store the participant's answers (``data``: the form's fields); ``True`` when new.

    Refused (``access.ActionRefused``) outside a phase allowing answers; ``AnswersInvalid``
    with one message per question for anything the form does not allow (nothing stored).
    A second submission replaces the first's answers; a free-text answer left unchanged
    keeps the tags agents put on it."""
    person = access.check(participant, questionnaire.process, Action.ANSWER)
    return response_store(questionnaire=questionnaire, person=person, data=data)


def response_store(
    *, questionnaire: Questionnaire, person: Participant, data: Data
) -> tuple[Response, bool]:
    """``response_submit`` once the caller decided that ``person`` may answer (a
    realisation's evaluation has its own rules): ``AnswersInvalid`` or the stored answers."""
    questions = questions_of(questionnaire)
    parsed = answers_parse(questions, data)
    if parsed.errors:
        raise AnswersInvalid(parsed.errors)
    with transaction.atomic():
        response = (
            Response.objects.select_for_update()
            .filter(questionnaire=questionnaire, participant=person)
            .first()
        )
        created = False
        if response is None:
            try:
                with transaction.atomic():
                    response = Response.objects.create(
                        questionnaire=questionnaire, participant=person
                    )
                    created = True
            except IntegrityError:
                # The same person's other submission won the race: replace its answers.
                response = Response.objects.select_for_update().get(
                    questionnaire=questionnaire, participant=person
                )
        # Free-text answers given again word for word keep their row, hence their tags.
        keep: dict[tuple[int, str], int] = {}
        if not created:
            wanted = {(row.question_id, row.text) for row in parsed.rows if row.text}
            for answer in response.answers.filter(question__kind=Question.Kind.TEXT):
                if (answer.question_id, answer.text) in wanted:
                    keep[(answer.question_id, answer.text)] = answer.pk
            response.answers.exclude(pk__in=keep.values()).delete()
            response.save(update_fields=["updated_at"])
        Answer.objects.bulk_create(
            Answer(
                response=response,
                question_id=row.question_id,
                choice_id=row.choice_id,
                row_id=row.row_id,
                number=row.number,
                text=row.text,
            )
            for row in parsed.rows
            if (row.question_id, row.text) not in keep
        )
        return response, created


# ---------------------------------------------------------------------------------------------
# Tags on free-text answers


def answer_tag_add(*, answer: Answer, name: str, user: User) -> AnswerTag:
    """Put the tag ``name`` (created in the questionnaire on first use) on ``answer``."""
    name = " ".join(name.split())[:TAG_NAME_MAX_LENGTH]
    if not name:
        raise _fail("name", _("Write the tag."))
    if answer.question.kind != Question.Kind.TEXT:
        raise _fail(None, _("Only free-text answers are tagged."))
    questionnaire_id = answer.question.questionnaire_id
    # Compared case-insensitively in Python: SQLite folds the case of ASCII letters only.
    folded = name.casefold()
    tag = next(
        (
            t
            for t in AnswerTag.objects.filter(questionnaire_id=questionnaire_id)
            if t.name.casefold() == folded
        ),
        None,
    )
    if tag is None:
        try:
            with transaction.atomic():
                tag = AnswerTag.objects.create(questionnaire_id=questionnaire_id, name=name)
        except IntegrityError:
            tag = AnswerTag.objects.get(questionnaire_id=questionnaire_id, name=name)
    answer.tags.add(tag)
    answer.tagged_by = user
    answer.save(update_fields=["tagged_by"])
    return tag


def answer_tag_remove(*, answer: Answer, tag_id: int, user: User) -> bool:
    tag = AnswerTag.objects.filter(
        pk=tag_id, questionnaire_id=answer.question.questionnaire_id
    ).first()
    if tag is None or not answer.tags.filter(pk=tag.pk).exists():
        return False
    answer.tags.remove(tag)
    answer.tagged_by = user
    answer.save(update_fields=["tagged_by"])
    return True


# ---------------------------------------------------------------------------------------------
# GDPR


def export_consultations(user: User) -> dict[str, Any]:
    """The opinions and questionnaire answers of ``user`` (GDPR art. 15 and 20)."""
    opinions = Opinion.objects.filter(participant__user=user).select_related("project")
    responses = (
        Response.objects.filter(participant__user=user)
        .select_related("questionnaire")
        .prefetch_related("answers__question", "answers__choice", "answers__row")
    )
    return {
        "opinions": [
            {
                "project": o.project.title,
                "position": o.position,
                "comment": o.comment,
                "given_at": o.created_at.isoformat(),
                "updated_at": o.updated_at.isoformat(),
            }
            for o in opinions
        ],
        "responses": [
            {
                "questionnaire": r.questionnaire.title,
                "submitted_at": r.submitted_at.isoformat(),
                "updated_at": r.updated_at.isoformat(),
                "answers": [
                    {
                        "question": a.question.text,
                        "choice": a.choice.label if a.choice else None,
                        "row": a.row.label if a.row else None,
                        "number": a.number,
                        "text": a.text,
                    }
                    for a in r.answers.all()
                ],
            }
            for r in responses
        ],
    }
