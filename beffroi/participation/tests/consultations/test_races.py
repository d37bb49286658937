"""One opinion and one response per person, even when the same person sends many at once
(threads on PostgreSQL; SQLite runs one writer at a time, and the simulated race of
test_answering runs on both)."""

from __future__ import annotations

import pytest
from django.db import connection

from beffroi.participation.consultations import services
from beffroi.participation.models import Opinion, Response
from beffroi.participation.tests.consultations.helpers import (
    consultation_process,
    full_answers,
    make_project,
    make_survey,
)
from beffroi.participation.tests.factories import participant
from beffroi.testing import at_once, make_cast

concurrent = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite runs one writer at a time"
)


@concurrent
@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_opinion_under_concurrent_submissions() -> None:
    cast = make_cast()
    project = make_project(consultation_process(cast.org))
    alice = participant(cast.resident, cast.org)
    positions = ["for", "against", "abstain"] * 4

    results = at_once(
        len(positions),
        lambda i: services.opinion_give(
            project=project, participant=alice, position=positions[i], comment=str(i)
        ),
    )
    assert [r for r in results if isinstance(r, Exception)] == []
    assert Opinion.objects.filter(project=project, participant=alice).count() == 1
    assert sum(1 for _opinion, created in results if created) == 1


@concurrent
@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_response_under_concurrent_submissions() -> None:
    cast = make_cast()
    survey = make_survey(consultation_process(cast.org))
    alice = participant(cast.resident, cast.org)
    scales = ["1", "2", "3", "4", "5"] * 2

    results = at_once(
        len(scales),
        lambda i: services.response_submit(
            questionnaire=survey.questionnaire,
            participant=alice,
            data=full_answers(survey, **{f"q{survey.scale.pk}": [scales[i]]}),
        ),
    )
    assert [r for r in results if isinstance(r, Exception)] == []
    response = Response.objects.get(questionnaire=survey.questionnaire, participant=alice)
    # One complete set of answers: the last writer's, not a mix.
    assert response.answers.filter(question=survey.scale).count() == 1
    assert response.answers.count() == 10
    assert sum(1 for _response, created in results if created) == 1
