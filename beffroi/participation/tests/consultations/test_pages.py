"""The public pages of consultations: the process's projects and questionnaires, the
answering page (works without JavaScript), refusals and XSS."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from beffroi.participation.models import Phase, Question, Response
from beffroi.participation.tests.consultations.helpers import (
    consultation_process,
    full_answers,
    logged_in,
    make_project,
    make_survey,
)
from beffroi.participation.tests.factories import verified
from beffroi.testing import Cast

PUBLIC = "participation_consultations"


def test_it_lists_a_process_projects_and_questionnaires(cast: Cast) -> None:
    process = consultation_process(cast.org)
    project = make_project(process)
    survey = make_survey(process)
    page = Client().get(reverse(f"{PUBLIC}:process_index", args=[process.slug])).content.decode()
    assert reverse(f"{PUBLIC}:project_detail", args=[project.pk]) in page
    assert reverse(f"{PUBLIC}:questionnaire_answer", args=[survey.questionnaire.pk]) in page
    assert Client().get(reverse(f"{PUBLIC}:process_index", args=["inconnue"])).status_code == 404


def test_it_answers_a_questionnaire_through_the_page(cast: Cast) -> None:
    survey = make_survey(consultation_process(cast.org))
    url = reverse(f"{PUBLIC}:questionnaire_answer", args=[survey.questionnaire.pk])
    client = logged_in(verified(cast.resident))
    page = client.get(url).content.decode()
    # Every kind is rendered as plain form controls, the condition said in words.
    assert f'name="q{survey.single.pk}"' in page
    assert f'name="q{survey.ranking.pk}_c{survey.choice(survey.ranking, "Toit")}"' in page
    assert f'name="q{survey.matrix.pk}_r{survey.row(survey.matrix, "le samedi")}"' in page
    assert "Answer only if your answer to question 1 includes “Oui”." in page
    assert f'data-condition-name="q{survey.single.pk}"' in page
    # A bad answer: the page says which question and keeps what was typed.
    bad = full_answers(survey, **{f"q{survey.scale.pk}": ["9"]})
    response = client.post(url, bad)
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem with your answers" in body
    assert f'href="#question-{survey.scale.pk}"' in body
    assert "Choose a value from 1 to 5." in body
    assert "Plus de bancs à l&#x27;ombre." in body
    assert not Response.objects.exists()
    response = client.post(url, full_answers(survey))
    assert response.status_code == 302
    assert Response.objects.count() == 1
    page = client.get(url).content.decode()
    assert "Thank you: your answers are recorded." in page
    assert "Change my answers" in page
    # The stored answers are shown ticked.
    assert f'id="q{survey.scale.pk}-4" value="4" checked' in page


def test_it_refuses_answers_in_a_closed_phase_through_the_page(cast: Cast) -> None:
    survey = make_survey(consultation_process(cast.org))
    Phase.objects.filter(process=survey.questionnaire.process).update(mode=Phase.Mode.CLOSED)
    url = reverse(f"{PUBLIC}:questionnaire_answer", args=[survey.questionnaire.pk])
    client = logged_in(verified(cast.resident))
    assert "This is not possible in the current phase" in client.get(url).content.decode()
    response = client.post(url, full_answers(survey))
    assert response.status_code == 403
    assert not Response.objects.exists()


def test_it_answers_404_for_another_communes_questionnaire(cast: Cast) -> None:
    elsewhere = make_survey(consultation_process(cast.other_org, slug="ailleurs"))
    client = logged_in(verified(cast.resident))
    for name in ("questionnaire_answer", "questionnaire_results"):
        url = reverse(f"{PUBLIC}:{name}", args=[elsewhere.questionnaire.pk])
        assert client.get(url).status_code == 404
    url = reverse(f"{PUBLIC}:questionnaire_answer", args=[elsewhere.questionnaire.pk])
    assert client.post(url, full_answers(elsewhere)).status_code == 404
    assert not Response.objects.exists()


def test_it_renders_xss_in_questions_and_choices_inert(cast: Cast) -> None:
    survey = make_survey(consultation_process(cast.org), results_live=True)
    payload = '<script>alert("q")</script><img src=x onerror=alert(1)>'
    Question.objects.filter(pk=survey.scale.pk).update(
        text=payload, help_text=payload, scale_min_label=payload
    )
    survey.single.choices.filter(label="Oui").update(label=payload)
    survey.questionnaire.title = payload
    survey.questionnaire.save()
    client = logged_in(verified(cast.resident))
    for url in (
        reverse(f"{PUBLIC}:questionnaire_answer", args=[survey.questionnaire.pk]),
        reverse(f"{PUBLIC}:questionnaire_results", args=[survey.questionnaire.pk]),
        reverse(
            "participation_consultations_backoffice:questionnaire_builder",
            args=[survey.questionnaire.pk],
        ),
    ):
        viewer = client if "backoffice" not in url else logged_in(cast.participation_manager)
        page = viewer.get(url).content.decode()
        assert "<script>alert" not in page, url
        assert "<img src=x" not in page, url
        assert "&lt;script&gt;" in page, url


@pytest.mark.french
def test_it_speaks_french_on_the_project_page(cast: Cast) -> None:
    project = make_project(consultation_process(cast.org))
    page = (
        logged_in(verified(cast.resident))
        .get(reverse(f"{PUBLIC}:project_detail", args=[project.pk]))
        .content.decode()
    )
    assert "Ce qu’en pensent les habitants" in page
    assert "Donner mon avis" in page
    assert "Aucun avis n’a encore été donné." in page
