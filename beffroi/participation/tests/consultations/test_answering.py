"""Answers to a questionnaire are checked by the server, kind by kind, whatever the client
sends; conditional questions follow their rule; one response per person, changeable while
the phase is open."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError

from beffroi.participation.access import ActionRefused
from beffroi.participation.consultations import services
from beffroi.participation.consultations.answering import answers_parse, questions_of
from beffroi.participation.consultations.selectors import question_numbers
from beffroi.participation.models import Answer, AnswerTag, Phase, Process, Response
from beffroi.participation.tests.consultations.helpers import (
    Survey,
    consultation_process,
    full_answers,
    make_survey,
)
from beffroi.participation.tests.factories import participant
from beffroi.testing import Cast


@pytest.fixture
def survey(cast: Cast) -> Survey:
    return make_survey(consultation_process(cast.org))


def _submit(survey: Survey, cast: Cast, data: dict[str, list[str]]) -> Response:
    response, _created = services.response_submit(
        questionnaire=survey.questionnaire,
        participant=participant(cast.resident, cast.org),
        data=data,
    )
    return response


def _errors(survey: Survey, cast: Cast, data: dict[str, list[str]]) -> dict[int, str]:
    with pytest.raises(services.AnswersInvalid) as caught:
        _submit(survey, cast, data)
    assert not Response.objects.exists()
    assert not Answer.objects.exists()
    return caught.value.errors


def test_it_stores_a_complete_response_as_rows(survey: Survey, cast: Cast) -> None:
    response = _submit(survey, cast, full_answers(survey))
    s = survey
    rows = {
        (a.question_id, a.choice_id, a.row_id, a.number, a.text) for a in response.answers.all()
    }
    assert (s.single.pk, s.choice(s.single, "Oui"), None, None, "") in rows
    assert (s.scale.pk, None, None, 4, "") in rows
    assert (s.text.pk, None, None, None, "Plus de bancs à l'ombre.") in rows
    assert (s.ranking.pk, s.choice(s.ranking, "Éclairage"), None, 3, "") in rows
    assert (
        s.matrix.pk,
        s.choice(s.matrix, "Jamais"),
        s.row(s.matrix, "le mercredi"),
        None,
        "",
    ) in rows
    assert response.answers.count() == 1 + 2 + 1 + 1 + 3 + 2


def test_it_refuses_an_unknown_choice_in_a_single_choice(survey: Survey, cast: Cast) -> None:
    s = survey
    other = s.choice(s.multiple, "Légumes")  # a real id, of another question
    for value in (
        [str(other)],
        ["999999"],
        ["abc"],
        [str(s.choice(s.single, "Oui")), str(s.choice(s.single, "Non"))],
    ):
        errors = _errors(s, cast, full_answers(s, **{f"q{s.single.pk}": value}))
        assert set(errors) == {s.single.pk}


def test_it_refuses_too_many_or_unknown_choices_in_a_multiple_choice(
    survey: Survey, cast: Cast
) -> None:
    s = survey
    three = [str(c.pk) for c in s.multiple.choices.all()]
    errors = _errors(s, cast, full_answers(s, **{f"q{s.multiple.pk}": three}))
    assert errors == {s.multiple.pk: "Choose at most 2 answers."}
    errors = _errors(s, cast, full_answers(s, **{f"q{s.multiple.pk}": [three[0], "424242"]}))
    assert errors == {s.multiple.pk: "This answer is not one of the choices."}


def test_it_counts_a_repeated_choice_once(survey: Survey, cast: Cast) -> None:
    s = survey
    legumes = str(s.choice(s.multiple, "Légumes"))
    response = _submit(
        s, cast, full_answers(s, **{f"q{s.multiple.pk}": [legumes, legumes, legumes]})
    )
    assert response.answers.filter(question=s.multiple).count() == 1


@pytest.mark.parametrize("value", ["0", "6", "-1", "3.5", "x", "99999999999999"])
def test_it_refuses_a_scale_value_out_of_range(survey: Survey, cast: Cast, value: str) -> None:
    s = survey
    errors = _errors(s, cast, full_answers(s, **{f"q{s.scale.pk}": [value]}))
    assert errors == {s.scale.pk: "Choose a value from 1 to 5."}


def test_it_refuses_an_incomplete_or_repeated_ranking(survey: Survey, cast: Cast) -> None:
    s = survey
    toit, eclairage, bancs = (
        f"q{s.ranking.pk}_c{s.choice(s.ranking, x)}" for x in ("Toit", "Éclairage", "Bancs")
    )
    for ranks in (("1", "2", ""), ("1", "1", "2"), ("1", "2", "4"), ("0", "1", "2")):
        data = full_answers(s, **{toit: [ranks[0]], eclairage: [ranks[1]], bancs: [ranks[2]]})
        errors = _errors(s, cast, data)
        assert errors == {s.ranking.pk: "Give each option a different rank, from 1 to 3."}
    # Not ranked at all: the question is optional.
    data = full_answers(s, **{toit: [], eclairage: [], bancs: []})
    assert not _submit(s, cast, data).answers.filter(question=s.ranking).exists()


def test_it_refuses_a_matrix_cell_outside_its_columns_and_requires_every_row(
    survey: Survey, cast: Cast
) -> None:
    s = survey
    samedi = f"q{s.matrix.pk}_r{s.row(s.matrix, 'le samedi')}"
    mercredi = f"q{s.matrix.pk}_r{s.row(s.matrix, 'le mercredi')}"
    errors = _errors(s, cast, full_answers(s, **{samedi: [str(s.choice(s.single, "Oui"))]}))
    assert errors == {s.matrix.pk: "This answer is not one of the choices."}
    s.matrix.required = True
    s.matrix.save()
    errors = _errors(s, cast, full_answers(s, **{mercredi: []}))
    assert errors == {s.matrix.pk: "Answer every row of this question."}


def test_it_requires_required_questions_and_limits_free_text(survey: Survey, cast: Cast) -> None:
    s = survey
    errors = _errors(s, cast, full_answers(s, **{f"q{s.single.pk}": ["  "]}))
    assert errors == {s.single.pk: "This question requires an answer."}
    errors = _errors(s, cast, full_answers(s, **{f"q{s.text.pk}": ["x" * 5001]}))
    assert errors == {s.text.pk: "Write at most 5000 characters (you wrote 5001)."}
    s.text.required = True
    s.text.save()
    errors = _errors(s, cast, full_answers(s, **{f"q{s.text.pk}": ["\x00 \r\n"]}))
    assert errors == {s.text.pk: "This question requires an answer."}


def test_it_requires_a_conditional_question_only_when_it_is_shown(
    survey: Survey, cast: Cast
) -> None:
    s = survey
    # "Yes" shows the (required) multiple-choice question: it must be answered.
    errors = _errors(s, cast, full_answers(s, **{f"q{s.multiple.pk}": []}))
    assert errors == {s.multiple.pk: "This question requires an answer."}
    # "No" hides it: not required, and answers sent for it anyway are dropped.
    data = full_answers(s, **{f"q{s.single.pk}": [str(s.choice(s.single, "Non"))]})
    response = _submit(s, cast, data)
    assert not response.answers.filter(question=s.multiple).exists()
    # Even a wrong answer to a hidden question is not an error: it is not read.
    data[f"q{s.multiple.pk}"] = ["not-a-choice"]
    _submit(s, cast, data)


def test_it_hides_a_question_whose_condition_question_is_hidden(survey: Survey, cast: Cast) -> None:
    s = survey
    # A third level: the scale is shown only when "Rencontrer" is ticked at the multiple.
    s.scale.condition_question = s.multiple
    s.scale.required = True
    s.scale.save()
    s.scale.condition_choices.set([s.multiple.choices.get(label="Rencontrer")])
    questions = questions_of(s.questionnaire)
    non = str(s.choice(s.single, "Non"))
    rencontrer = str(s.choice(s.multiple, "Rencontrer"))
    # "No" at the first question hides the multiple, hence the scale, even if "Rencontrer"
    # is sent for the hidden multiple.
    parsed = answers_parse(
        questions,
        full_answers(
            s, **{f"q{s.single.pk}": [non], f"q{s.multiple.pk}": [rencontrer], f"q{s.scale.pk}": []}
        ),
    )
    assert not parsed.errors
    assert s.multiple.pk not in parsed.shown and s.scale.pk not in parsed.shown
    parsed = answers_parse(
        questions,
        full_answers(s, **{f"q{s.multiple.pk}": [rencontrer], f"q{s.scale.pk}": []}),
    )
    assert parsed.errors == {s.scale.pk: "This question requires an answer."}


def test_it_lets_a_resident_change_answers_keeping_tags_of_unchanged_text(
    survey: Survey, cast: Cast
) -> None:
    s = survey
    first = _submit(s, cast, full_answers(s))
    text_answer = first.answers.get(question=s.text)
    tag = services.answer_tag_add(answer=text_answer, name="bancs", user=cast.participation_manager)
    second, created = services.response_submit(
        questionnaire=s.questionnaire,
        participant=participant(cast.resident, cast.org),
        data=full_answers(s, **{f"q{s.scale.pk}": ["2"]}),
    )
    assert not created and second.pk == first.pk
    assert Response.objects.count() == 1
    assert second.answers.get(question=s.scale).number == 2
    assert list(second.answers.get(question=s.text).tags.all()) == [tag]
    # A changed text is a new answer: the old tags do not describe it.
    services.response_submit(
        questionnaire=s.questionnaire,
        participant=participant(cast.resident, cast.org),
        data=full_answers(s, **{f"q{s.text.pk}": ["Un toit végétalisé."]}),
    )
    new_text = Answer.objects.get(question=s.text)
    assert new_text.text == "Un toit végétalisé." and not new_text.tags.exists()
    assert AnswerTag.objects.filter(pk=tag.pk).exists()


def test_it_refuses_answers_once_the_phase_is_closed(survey: Survey, cast: Cast) -> None:
    Phase.objects.filter(process=survey.questionnaire.process).update(mode=Phase.Mode.CLOSED)
    survey.questionnaire.process = Process.objects.get(pk=survey.questionnaire.process_id)
    with pytest.raises(ActionRefused) as caught:
        _submit(survey, cast, full_answers(survey))
    assert caught.value.decision.code == "phase_closed"
    assert not Response.objects.exists()


def test_it_refuses_an_anonymous_person(survey: Survey) -> None:
    with pytest.raises(ActionRefused):
        services.response_submit(
            questionnaire=survey.questionnaire, participant=None, data=full_answers(survey)
        )
    assert not Response.objects.exists()


def test_it_keeps_one_response_when_the_loser_of_a_race_hits_the_constraint(
    survey: Survey, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other request inserted between this one's look-up and its insert: the unique
    constraint refuses the second row and the service updates the winner's instead."""
    alice = participant(cast.resident, cast.org)
    winner = Response.objects.create(questionnaire=survey.questionnaire, participant=alice)
    real_filter = Response.objects.select_for_update

    class _Missed:
        def filter(self, **kwargs: object) -> _Missed:
            return self

        def first(self) -> None:
            return None

    calls = {"n": 0}

    def select_for_update(*args: Any, **kwargs: Any) -> object:
        calls["n"] += 1
        return _Missed() if calls["n"] == 1 else real_filter(*args, **kwargs)

    monkeypatch.setattr(Response.objects, "select_for_update", select_for_update)
    response, created = services.response_submit(
        questionnaire=survey.questionnaire, participant=alice, data=full_answers(survey)
    )
    assert not created and response.pk == winner.pk
    assert Response.objects.count() == 1
    assert response.answers.count() == 10
    with pytest.raises(IntegrityError):
        Response.objects.create(questionnaire=survey.questionnaire, participant=alice)


def test_conditional_questions_are_numbered_under_the_question_before_them(
    survey: Survey,
) -> None:
    # single (1), multiple shown on "Oui" (1.1), then the questions everyone sees go on at 2:
    # hiding the conditional one leaves no gap in what a resident sees.
    questions = questions_of(survey.questionnaire)
    numbers = question_numbers(questions)
    assert numbers[survey.single.pk] == "1"
    assert numbers[survey.multiple.pk] == "1.1"
    assert [numbers[q.pk] for q in questions if q.condition_question_id is None] == [
        str(i) for i in range(1, 1 + sum(q.condition_question_id is None for q in questions))
    ]
