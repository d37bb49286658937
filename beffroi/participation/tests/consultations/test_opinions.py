"""Opinions on a municipal project: for, against or abstain with a comment, one per person,
changeable while the phase is open; the project page shows the tally in words and bars."""

from __future__ import annotations

import pytest
from django.urls import reverse

from beffroi.participation.access import ActionRefused
from beffroi.participation.consultations import services
from beffroi.participation.models import MunicipalProject, Opinion, Phase
from beffroi.participation.tests.consultations.helpers import (
    consultation_process,
    logged_in,
    make_project,
)
from beffroi.participation.tests.factories import participant, verified
from beffroi.testing import Cast

XSS = [
    '<script>alert("x")</script>',
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
]


@pytest.fixture
def project(cast: Cast) -> MunicipalProject:
    return make_project(consultation_process(cast.org))


def _url(project: MunicipalProject) -> str:
    return reverse("participation_consultations:opinion_give", args=[project.pk])


def test_it_records_then_changes_an_opinion(cast: Cast, project: MunicipalProject) -> None:
    client = logged_in(verified(cast.resident))
    response = client.post(_url(project), {"position": "for", "comment": "Enfin !"})
    assert response.status_code == 302
    opinion = Opinion.objects.get()
    assert (opinion.position, opinion.comment) == ("for", "Enfin !")
    response = client.post(_url(project), {"position": "against", "comment": ""}, follow=True)
    assert Opinion.objects.count() == 1
    opinion.refresh_from_db()
    assert (opinion.position, opinion.comment) == ("against", "")
    assert "Your opinion is changed." in response.content.decode()


def test_it_refuses_a_bad_position_and_changes_nothing(
    cast: Cast, project: MunicipalProject
) -> None:
    client = logged_in(verified(cast.resident))
    response = client.post(_url(project), {"position": "maybe"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Opinion.objects.exists()
    with pytest.raises(services.ConsultationError):
        services.opinion_give(
            project=project, participant=participant(cast.resident, cast.org), position="maybe"
        )
    assert not Opinion.objects.exists()


def test_it_refuses_an_opinion_in_a_closed_phase(cast: Cast, project: MunicipalProject) -> None:
    Phase.objects.filter(process=project.process).update(mode=Phase.Mode.CLOSED)
    client = logged_in(verified(cast.resident))
    response = client.post(_url(project), {"position": "for"}, follow=True)
    assert "This is not possible in the current phase of the process." in response.content.decode()
    assert not Opinion.objects.exists()
    page = client.get(reverse("participation_consultations:project_detail", args=[project.pk]))
    assert 'name="position"' not in page.content.decode()


def test_it_refuses_an_anonymous_visitor(
    client: object, cast: Cast, project: MunicipalProject
) -> None:
    from django.test import Client

    response = Client().post(_url(project), {"position": "for"}, follow=True)
    assert "Sign in, or confirm your mobile number" in response.content.decode()
    assert not Opinion.objects.exists()
    with pytest.raises(ActionRefused):
        services.opinion_give(project=project, participant=None, position="for")


def test_it_answers_404_for_another_organisations_project(cast: Cast) -> None:
    elsewhere = make_project(consultation_process(cast.other_org, slug="ailleurs"))
    client = logged_in(verified(cast.resident))
    assert (
        client.get(
            reverse("participation_consultations:project_detail", args=[elsewhere.pk])
        ).status_code
        == 404
    )
    assert client.post(_url(elsewhere), {"position": "for"}).status_code == 404
    assert not Opinion.objects.exists()
    manager = logged_in(cast.participation_manager)
    assert (
        manager.get(
            reverse("participation_consultations_backoffice:project_edit", args=[elsewhere.pk])
        ).status_code
        == 404
    )


def test_it_hides_a_draft_process_project_from_residents(
    cast: Cast, project: MunicipalProject
) -> None:
    project.process.status = "draft"
    project.process.save()
    url = reverse("participation_consultations:project_detail", args=[project.pk])
    assert logged_in(verified(cast.resident)).get(url).status_code == 404
    assert logged_in(cast.participation_manager).get(url).status_code == 200


def test_it_shows_the_tally_with_numbers_and_percentages(
    cast: Cast, project: MunicipalProject
) -> None:
    for user, position in (
        (cast.resident, "for"),
        (cast.resident2, "for"),
        (cast.moderator, "against"),
    ):
        services.opinion_give(
            project=project, participant=participant(user, cast.org), position=position
        )
    page = (
        logged_in(verified(cast.resident))
        .get(reverse("participation_consultations:project_detail", args=[project.pk]))
        .content.decode()
    )
    assert "3 opinions given." in page
    assert "2 opinions (66.7 %)" in page
    assert "1 opinion (33.3 %)" in page
    assert "0 opinions (0.0 %)" in page
    # The bar's width repeats the share; the table says it again.
    assert 'width="66.7"' in page
    assert "<caption>Opinions on the project</caption>" in page
    # The page shows the resident's own opinion, the map, the cost.
    assert "Your current opinion: For." in page
    assert 'data-point-lat="45.001"' in page
    assert "450,000 €" in page  # no cents on a round amount


@pytest.mark.parametrize("payload", XSS)
def test_it_renders_xss_in_comments_and_titles_inert(cast: Cast, payload: str) -> None:
    project = make_project(consultation_process(cast.org), title=payload, image_alt=payload)
    services.opinion_give(
        project=project,
        participant=participant(cast.resident, cast.org),
        position="for",
        comment=payload,
    )
    page = (
        logged_in(verified(cast.resident2))
        .get(reverse("participation_consultations:project_detail", args=[project.pk]))
        .content.decode()
    )
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "<svg/onload" not in page
    assert 'href="javascript:' not in page


def test_it_exports_a_persons_opinions_and_answers(cast: Cast, project: MunicipalProject) -> None:
    from beffroi.accounts import gdpr
    from beffroi.participation.tests.consultations.helpers import full_answers, make_survey

    services.opinion_give(
        project=project,
        participant=participant(cast.resident, cast.org),
        position="against",
        comment="Trop cher",
    )
    survey = make_survey(project.process)
    services.response_submit(
        questionnaire=survey.questionnaire,
        participant=participant(cast.resident, cast.org),
        data=full_answers(survey),
    )
    exported = gdpr.exporters()["participation_consultations"](cast.resident)
    assert exported["opinions"][0]["position"] == "against"
    assert exported["opinions"][0]["comment"] == "Trop cher"
    answers = exported["responses"][0]["answers"]
    assert {
        "question": "Une idée pour la halle ?",
        "choice": None,
        "row": None,
        "number": None,
        "text": "Plus de bancs à l'ombre.",
    } in answers
    assert gdpr.exporters()["participation_consultations"](cast.resident2) == {
        "opinions": [],
        "responses": [],
    }
