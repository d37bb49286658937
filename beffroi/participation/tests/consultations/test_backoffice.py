"""The agents' back office: municipal projects, the questionnaire builder (every kind of
question, conditions, order), for participation managers only and only in their commune."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from beffroi.alerts.tests.factories import make_address
from beffroi.participation.models import Choice, MunicipalProject, Question
from beffroi.participation.tests.consultations.helpers import (
    consultation_process,
    logged_in,
    make_project,
    make_survey,
)
from beffroi.testing import Cast

BO = "participation_consultations_backoffice"


@pytest.fixture
def manager(cast: Cast) -> Client:
    return logged_in(cast.participation_manager)


def _png(exif_gps: bool = True) -> SimpleUploadedFile:
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    out = io.BytesIO()
    exif = Image.Exif()
    if exif_gps:
        exif[0x010E] = "secret description"
    image.save(out, format="JPEG", exif=exif)
    return SimpleUploadedFile("halle.jpg", out.getvalue(), content_type="image/jpeg")


def _project_post(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Rénover la halle",
        "description": "Une halle <script>alert(1)</script> couverte.\n\nDeux paragraphes.",
        "cost": "450000",
        "address_query": "",
        "lat": "",
        "lon": "",
        "image_alt": "",
        "action": "save",
    }
    data.update(overrides)
    return data


def test_it_creates_a_project_with_a_point_and_a_re_encoded_image(
    cast: Cast, manager: Client
) -> None:
    process = consultation_process(cast.org)
    url = reverse(f"{BO}:project_create", args=[process.pk])
    assert manager.get(url).status_code == 200
    response = manager.post(
        url, _project_post(lat="45.01", lon="4.02", image=_png(), image_alt="La halle en 1920")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    project = MunicipalProject.objects.get()
    assert (project.lat, project.lon, project.address_id) == (45.01, 4.02, None)
    assert "<script>" not in project.description
    assert "Une halle" in project.description and "alert" not in project.description
    assert project.image_alt == "La halle en 1920"
    with Image.open(project.image.path) as stored:
        assert stored.format == "JPEG"
        assert not stored.getexif()


def test_it_refuses_an_image_without_text_alternative_and_a_half_point(
    cast: Cast, manager: Client
) -> None:
    process = consultation_process(cast.org)
    url = reverse(f"{BO}:project_create", args=[process.pk])
    response = manager.post(url, _project_post(image=_png()))
    assert response.status_code == 200
    assert "Describe the image for people who cannot see it." in response.content.decode()
    response = manager.post(url, _project_post(lat="45"))
    assert "Give both the latitude and the longitude." in response.content.decode()
    fake = SimpleUploadedFile("x.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    response = manager.post(url, _project_post(image=fake, image_alt="x"))
    assert "This file is not a readable image." in response.content.decode()
    assert not MunicipalProject.objects.exists()


def test_it_places_a_project_at_an_address_found_by_search(cast: Cast, manager: Client) -> None:
    process = consultation_process(cast.org)
    address = make_address(cast.org, 4.01, 45.02, "Le Moulin")
    url = reverse(f"{BO}:project_create", args=[process.pk])
    # An address typed but not chosen: the form asks to choose it.
    response = manager.post(url, _project_post(address_query="Moulin"))
    assert response.status_code == 200
    assert not MunicipalProject.objects.exists()
    response = manager.post(url, _project_post(address_query="Moulin", address=str(address.pk)))
    assert response.status_code == 302
    project = MunicipalProject.objects.get()
    assert project.address == address and (project.lat, project.lon) == (45.02, 4.01)
    # Another commune's address is refused.
    foreign = make_address(cast.other_org, 4.0, 45.0, "Ailleurs")
    response = manager.post(
        reverse(f"{BO}:project_edit", args=[project.pk]),
        _project_post(address=str(foreign.pk)),
    )
    assert response.status_code == 200
    project.refresh_from_db()
    assert project.address == address


def test_it_closes_the_back_office_to_residents_and_other_communes(cast: Cast) -> None:
    process = consultation_process(cast.org)
    project = make_project(process)
    survey = make_survey(process)
    resident = logged_in(cast.resident)
    moderator = logged_in(cast.moderator)
    urls = [
        reverse(f"{BO}:index"),
        reverse(f"{BO}:project_edit", args=[project.pk]),
        reverse(f"{BO}:questionnaire_builder", args=[survey.questionnaire.pk]),
        reverse(f"{BO}:results", args=[survey.questionnaire.pk]),
        reverse(f"{BO}:text_answers_csv", args=[survey.questionnaire.pk]),
    ]
    for url in urls:
        assert resident.get(url).status_code == 403
        assert moderator.get(url).status_code == 403
    other = logged_in(cast.other_admin)
    other.defaults["HTTP_HOST"] = "autreville.localhost"
    from beffroi.testing import login_verified

    login_verified(other, cast.other_admin)
    for url in urls[1:]:
        assert other.get(url).status_code == 404


def _question_post(**data: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "text": "Question ?",
        "help_text": "",
        "scale_min": "1",
        "scale_max": "5",
    }
    values.update(data)
    return values


def test_it_builds_a_question_of_every_kind(cast: Cast, manager: Client) -> None:
    survey = make_survey(consultation_process(cast.org))
    questionnaire = survey.questionnaire
    url = reverse(f"{BO}:question_create", args=[questionnaire.pk])
    posts: list[tuple[str, dict[str, Any]]] = [
        ("single", {"choices": "A\nB\n\nB\n"}),
        ("multiple", {"choices": "A\nB\nC", "max_choices": "2", "required": "on"}),
        (
            "scale",
            {
                "scale_min": "0",
                "scale_max": "10",
                "scale_min_label": "Non",
                "scale_max_label": "Oui",
            },
        ),
        ("text", {}),
        ("ranking", {"choices": "X\nY\nZ"}),
        ("matrix", {"choices": "Jamais\nSouvent", "rows": "Lundi\nMardi"}),
    ]
    for kind, data in posts:
        assert manager.get(url, {"kind": kind}).status_code == 200
        response = manager.post(url, _question_post(kind=kind, text=f"Q {kind}", **data))
        assert response.status_code == 302, (kind, response.content.decode()[-3000:])
    created = {q.kind: q for q in questionnaire.questions.filter(text__startswith="Q ")}
    assert [c.label for c in created["single"].choices.all()] == ["A", "B"]
    assert created["multiple"].max_choices == 2 and created["multiple"].required
    scale = created["scale"]
    assert (scale.scale_min, scale.scale_max, scale.scale_min_label) == (0, 10, "Non")
    assert [r.label for r in created["matrix"].rows.all()] == ["Lundi", "Mardi"]
    assert [q.position for q in questionnaire.questions.all()] == list(range(1, 13))


def test_it_refuses_bad_questions_with_clear_errors(cast: Cast, manager: Client) -> None:
    survey = make_survey(consultation_process(cast.org))
    url = reverse(f"{BO}:question_create", args=[survey.questionnaire.pk])
    before = Question.objects.count()
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("single", {"choices": "Seul"}, "Give at least two choices, one per line."),
        ("multiple", {"choices": "A\nB", "max_choices": "3"}, "There are fewer choices than this."),
        ("scale", {"scale_min": "5", "scale_max": "5"}, "The scale goes up from its lowest value"),
        ("matrix", {"choices": "A\nB", "rows": ""}, "This field is required."),
        (
            "ranking",
            {"choices": "A\nB", "condition_question": str(survey.scale.pk)},
            "Select a valid choice.",
        ),
        (
            "text",
            {
                "condition_question": str(survey.single.pk),
                "condition_choices": [str(survey.choice(survey.multiple, "Fromage"))],
            },
            "Tick the answers of that question that show this one.",
        ),
        (
            "text",
            {"condition_question": str(survey.single.pk)},
            "Tick the answers of that question that show this one.",
        ),
    ]
    for kind, data, message in cases:
        response = manager.post(url, _question_post(kind=kind, **data))
        assert response.status_code == 200, kind
        assert message in response.content.decode(), (kind, message)
    assert Question.objects.count() == before
    response = manager.post(url, _question_post(kind="nonsense"))
    assert response.status_code == 302
    assert Question.objects.count() == before


def test_it_edits_choices_keeping_answers_of_unchanged_lines(cast: Cast, manager: Client) -> None:
    survey = make_survey(consultation_process(cast.org))
    oui = Choice.objects.get(question=survey.single, label="Oui")
    response = manager.post(
        reverse(f"{BO}:question_edit", args=[survey.single.pk]),
        _question_post(text="Allez-vous au marché ?", choices="Peut-être\nOui", required="on"),
    )
    assert response.status_code == 302
    labels = [(c.pk, c.label) for c in survey.single.choices.all()]
    assert labels[1] == (oui.pk, "Oui") and labels[0][1] == "Peut-être"
    # "Oui" still shows the conditional question.
    assert list(survey.multiple.condition_choices.all()) == [oui]


def test_it_moves_questions_but_never_before_their_condition(cast: Cast, manager: Client) -> None:
    survey = make_survey(consultation_process(cast.org))
    move = reverse(f"{BO}:question_move", args=[survey.multiple.pk])
    response = manager.post(move, {"direction": "up"}, follow=True)
    assert "must stay after it" in response.content.decode()
    order = list(survey.questionnaire.questions.values_list("pk", flat=True))
    assert order[:2] == [survey.single.pk, survey.multiple.pk]
    manager.post(reverse(f"{BO}:question_move", args=[survey.text.pk]), {"direction": "up"})
    order = list(survey.questionnaire.questions.values_list("pk", flat=True))
    assert order == [
        survey.single.pk,
        survey.multiple.pk,
        survey.text.pk,
        survey.scale.pk,
        survey.ranking.pk,
        survey.matrix.pk,
    ]
    # A condition may not point to a later question either.
    response = manager.post(
        reverse(f"{BO}:question_edit", args=[survey.scale.pk]),
        _question_post(text="S", condition_question=str(survey.matrix.pk)),
    )
    assert response.status_code == 200


def test_it_deletes_a_question_and_frees_its_dependants(cast: Cast, manager: Client) -> None:
    survey = make_survey(consultation_process(cast.org))
    url = reverse(f"{BO}:question_delete", args=[survey.single.pk])
    assert manager.get(url).status_code == 200
    response = manager.post(url, follow=True)
    assert "is now always shown" in response.content.decode()
    survey.multiple.refresh_from_db()
    assert survey.multiple.condition_question is None
    assert not survey.multiple.condition_choices.exists()
    assert not Question.objects.filter(pk=survey.single.pk).exists()


def test_it_shows_the_builder_with_conditions_in_words(cast: Cast, manager: Client) -> None:
    survey = make_survey(consultation_process(cast.org))
    page = manager.get(
        reverse(f"{BO}:questionnaire_builder", args=[survey.questionnaire.pk])
    ).content.decode()
    assert "Shown only when the answer to question 1 includes:" in page
    assert "“Oui”" in page
    assert "6 kinds" not in page
    for label in ("Single choice", "Multiple choice", "Scale", "Free text", "Ranking", "Matrix"):
        assert label in page


def test_it_creates_and_edits_a_questionnaire(cast: Cast, manager: Client) -> None:
    process = consultation_process(cast.org)
    project = make_project(process)
    other_project = make_project(consultation_process(cast.org, slug="autre"))
    url = reverse(f"{BO}:questionnaire_create", args=[process.pk])
    response = manager.post(
        url, {"title": "Usages", "description": "Intro", "project": str(other_project.pk)}
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    response = manager.post(
        url,
        {
            "title": "Usages",
            "description": "Intro",
            "project": str(project.pk),
            "results_live": "on",
        },
    )
    assert response.status_code == 302
    questionnaire = process.questionnaires.get()
    assert questionnaire.project == project and questionnaire.results_live
    assert questionnaire.description == "<p>Intro</p>"
