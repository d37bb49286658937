"""Reading a resident's answers to a questionnaire, whatever the client sends.

The answering form posts plain fields (``q<id>`` for choice, scale and text questions,
``q<id>_c<choice>`` for the rank of each option of a ranking, ``q<id>_r<row>`` for each row
of a matrix). ``answers_parse`` turns them into answer rows or one translated error per
question: unknown choice ids, several answers to a single choice, too many choices, a scale
value out of its bounds, an incomplete ranking and an unanswered required question are all
refused here, so that a hand-made request cannot store what the form does not allow.

A conditional question is shown only when the answer to its condition question includes one
of its condition choices (and that question is itself shown); the rule is applied in question
order, answers to hidden questions are dropped and a hidden required question is not
required. The page's script only mirrors this rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from beffroi.participation.models import Answer, Question, Questionnaire

# Longest free-text answer kept: a page of text, enough for a considered opinion.
TEXT_MAX_LENGTH = 5000

Data = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class AnswerRow:
    question_id: int
    choice_id: int | None = None
    row_id: int | None = None
    number: int | None = None
    text: str = ""


@dataclass
class Parsed:
    answers: dict[int, list[AnswerRow]] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)
    # Questions shown by their condition (every unconditional question included).
    shown: set[int] = field(default_factory=set)

    @property
    def rows(self) -> list[AnswerRow]:
        return [row for rows in self.answers.values() for row in rows]


def questions_of(questionnaire: Questionnaire) -> list[Question]:
    """The questions in order, with what answering and results need, in four queries."""
    return list(
        questionnaire.questions.order_by("position", "pk").prefetch_related(
            "choices", "rows", "condition_choices"
        )
    )


def field_name(question: Question) -> str:
    return f"q{question.pk}"


def rank_name(question: Question, choice_id: int) -> str:
    return f"q{question.pk}_c{choice_id}"


def row_name(question: Question, row_id: int) -> str:
    return f"q{question.pk}_r{row_id}"


def _values(data: Data, name: str) -> list[str]:
    return [v.strip() for v in data.get(name, ()) if v is not None and v.strip()]


def _int(value: str) -> int | None:
    value = value.strip()
    if not value or len(value) > 12:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def is_shown(question: Question, chosen: Mapping[int, set[int]], shown: set[int]) -> bool:
    """Is ``question`` shown, given the choices taken so far (``chosen``: question id →
    choice ids) and the questions already found shown?"""
    condition_id = question.condition_question_id
    if condition_id is None:
        return True
    if condition_id not in shown:
        return False
    wanted = {choice.pk for choice in question.condition_choices.all()}
    return bool(chosen.get(condition_id, set()) & wanted)


def answers_parse(questions: Sequence[Question], data: Data) -> Parsed:
    """The answer rows to store, or the errors to show, for ``questions`` (in order)."""
    parsed = Parsed()
    chosen: dict[int, set[int]] = {}
    for question in questions:
        if not is_shown(question, chosen, parsed.shown):
            continue
        parsed.shown.add(question.pk)
        try:
            rows = _parse_one(question, data)
        except _Refused as refused:
            parsed.errors[question.pk] = refused.message
            continue
        if not rows and question.required:
            parsed.errors[question.pk] = (
                _("Answer every row of this question.")
                if question.kind == Question.Kind.MATRIX
                else _("This question requires an answer.")
            )
            continue
        parsed.answers[question.pk] = rows
        chosen[question.pk] = {row.choice_id for row in rows if row.choice_id is not None}
    return parsed


class _Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _choice_ids(question: Question) -> list[int]:
    return [choice.pk for choice in question.choices.all()]


def _parse_one(question: Question, data: Data) -> list[AnswerRow]:
    kind = question.kind
    name = field_name(question)
    qid = question.pk
    if kind == Question.Kind.SINGLE:
        values = _values(data, name)
        if not values:
            return []
        if len(set(values)) > 1:
            raise _Refused(_("Choose only one answer."))
        choice = _int(values[0])
        if choice not in _choice_ids(question):
            raise _Refused(_("This answer is not one of the choices."))
        return [AnswerRow(qid, choice_id=choice)]
    if kind == Question.Kind.MULTIPLE:
        values = list(dict.fromkeys(_values(data, name)))
        valid = _choice_ids(question)
        choices = [_int(v) for v in values]
        if any(c not in valid for c in choices):
            raise _Refused(_("This answer is not one of the choices."))
        limit = question.max_choices
        if limit and len(choices) > limit:
            raise _Refused(
                ngettext(
                    "Choose at most %(count)d answer.", "Choose at most %(count)d answers.", limit
                )
                % {"count": limit}
            )
        return [AnswerRow(qid, choice_id=c) for c in choices]
    if kind == Question.Kind.SCALE:
        values = _values(data, name)
        if not values:
            return []
        number = _int(values[0]) if len(set(values)) == 1 else None
        if number is None or not question.scale_min <= number <= question.scale_max:
            raise _Refused(
                _("Choose a value from %(min)d to %(max)d.")
                % {"min": question.scale_min, "max": question.scale_max}
            )
        return [AnswerRow(qid, number=number)]
    if kind == Question.Kind.TEXT:
        values = _values(data, name)
        # A NUL byte cannot be stored by PostgreSQL and is never typed by a person.
        text = "\n".join(values).replace("\x00", "").replace("\r\n", "\n").strip()
        if not text:
            return []
        if len(text) > TEXT_MAX_LENGTH:
            raise _Refused(
                _("Write at most %(max)d characters (you wrote %(count)d).")
                % {"max": TEXT_MAX_LENGTH, "count": len(text)}
            )
        return [AnswerRow(qid, text=text)]
    if kind == Question.Kind.RANKING:
        return _parse_ranking(question, data)
    if kind == Question.Kind.MATRIX:
        return _parse_matrix(question, data)
    raise _Refused(_("This question cannot be answered."))


def _parse_ranking(question: Question, data: Data) -> list[AnswerRow]:
    choices = _choice_ids(question)
    count = len(choices)
    given = {c: _values(data, rank_name(question, c)) for c in choices}
    if not any(given.values()):
        return []
    ranks: dict[int, int] = {}
    for choice, values in given.items():
        rank = _int(values[0]) if len(values) == 1 else None
        if rank is None or not 1 <= rank <= count:
            break
        ranks[choice] = rank
    if len(ranks) != count or len(set(ranks.values())) != count:
        raise _Refused(
            _("Give each option a different rank, from 1 to %(count)d.") % {"count": count}
        )
    return [AnswerRow(question.pk, choice_id=c, number=r) for c, r in ranks.items()]


def _parse_matrix(question: Question, data: Data) -> list[AnswerRow]:
    columns = _choice_ids(question)
    rows: list[AnswerRow] = []
    rows_ids = [row.pk for row in question.rows.all()]
    for row_id in rows_ids:
        values = _values(data, row_name(question, row_id))
        if not values:
            continue
        column = _int(values[0]) if len(set(values)) == 1 else None
        if column not in columns:
            raise _Refused(_("This answer is not one of the choices."))
        rows.append(AnswerRow(question.pk, choice_id=column, row_id=row_id))
    if rows and question.required and len(rows) != len(rows_ids):
        raise _Refused(_("Answer every row of this question."))
    return rows


def answers_as_data(
    answers: Iterable[Answer], questions: Sequence[Question]
) -> dict[str, list[str]]:
    """Stored answers in the form's own field names: to show a resident their answers."""
    by_id = {q.pk: q for q in questions}
    data: dict[str, list[str]] = {}
    for answer in answers:
        question = by_id.get(answer.question_id)
        if question is None:
            continue
        kind = question.kind
        if kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
            data.setdefault(field_name(question), []).append(str(answer.choice_id))
        elif kind == Question.Kind.SCALE:
            data[field_name(question)] = [str(answer.number)]
        elif kind == Question.Kind.TEXT:
            data[field_name(question)] = [answer.text]
        elif kind == Question.Kind.RANKING and answer.choice_id is not None:
            data[rank_name(question, answer.choice_id)] = [str(answer.number)]
        elif kind == Question.Kind.MATRIX and answer.row_id is not None:
            data[row_name(question, answer.row_id)] = [str(answer.choice_id)]
    return data
