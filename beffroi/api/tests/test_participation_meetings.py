"""Participation API: meetings and registrations, questionnaires and responses, with the
pages' rules (the same services, the same ``access``)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from beffroi.api.tests.test_participation import BASE, blocked, post, signed_in
from beffroi.participation.models import (
    Answer,
    PhaseType,
    Process,
    Proposal,
    Registration,
    Response,
)
from beffroi.participation.tests.consultations.helpers import consultation_process, make_survey
from beffroi.participation.tests.factories import make_meeting, make_process, participant
from beffroi.testing import Cast


@pytest.fixture(autouse=True)
def _no_api_budget(settings: Any) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 0


# --- Meetings ------------------------------------------------------------------------------


def test_it_lists_a_process_meetings_with_their_seats(cast: Cast, client: Client) -> None:
    process = make_process(cast.org)
    soon = make_meeting(process, title="Atelier du square", capacity=2, in_days=3)
    past = make_meeting(process, title="Réunion de lancement", in_days=-10)
    Registration.objects.create(
        meeting=soon, participant=participant(cast.resident, cast.org), status="confirmed"
    )
    response = client.get(f"{BASE}/processes/idees/meetings")
    assert response.status_code == 200
    rows = response.json()
    assert [(m["id"], m["over"]) for m in rows] == [(soon.pk, False), (past.pk, True)]
    assert rows[0]["capacity"] == 2 and rows[0]["seats_left"] == 1
    assert rows[0]["seats"] == "1 seat left."
    assert rows[1]["seats_left"] is None
    assert rows[0]["ical_url"].endswith(f"/participer/rencontres/idees/{soon.pk}/agenda.ics")


def test_it_shows_a_meeting_with_minutes_proposals_and_my_registration(
    cast: Cast, client: Client
) -> None:
    process = make_process(cast.org)
    meeting = make_meeting(
        process, in_days=-3, agenda="Accueil\n\nAteliers\n", minutes="<p>Compte rendu</p>"
    )
    born = Proposal.objects.create(
        organisation=cast.org, process=process, title="Née à l'atelier", body="<p>x</p>",
        meeting=meeting,
    )  # fmt: skip
    Proposal.objects.create(
        organisation=cast.org, process=process, title="Cachée", body="<p>x</p>",
        meeting=meeting, hidden_at=timezone.now(),
    )  # fmt: skip
    url = f"{BASE}/processes/idees/meetings/{meeting.pk}"
    body = client.get(url).json()
    assert body["agenda"] == ["Accueil", "Ateliers"]
    assert body["minutes"] == "" and body["over"] is True
    meeting.minutes_published_at = timezone.now()
    meeting.attendance = 12
    meeting.save(update_fields=["minutes_published_at", "attendance"])
    body = client.get(url).json()
    assert (body["minutes"], body["attendance"]) == ("<p>Compte rendu</p>", 12)
    assert [p["id"] for p in body["proposals"]] == [born.pk]
    assert body["registration"] is None
    assert body["can_register"]["code"] == "login"
    other = make_process(cast.org, slug="autre")
    assert client.get(f"{BASE}/processes/{other.slug}/meetings/{meeting.pk}").status_code == 404


def test_it_registers_puts_on_the_waiting_list_and_promotes(cast: Cast) -> None:
    process = make_process(cast.org)
    meeting = make_meeting(process, capacity=1)
    url = f"/processes/idees/meetings/{meeting.pk}/registration"
    alice = signed_in(Client(), cast.resident)
    bruno = signed_in(Client(), cast.resident2)
    first = post(alice, url)
    assert first.status_code == 200
    assert first.json() == {"meeting": meeting.pk, "status": "confirmed", "waiting_position": None}
    assert post(alice, url).json()["status"] == "confirmed"
    waiting = post(bruno, url)
    assert waiting.json() == {"meeting": meeting.pk, "status": "waiting", "waiting_position": 1}
    detail = bruno.get(f"{BASE}/processes/idees/meetings/{meeting.pk}").json()
    assert detail["registration"]["status"] == "waiting" and detail["seats_left"] == 0
    cancelled = alice.delete(f"{BASE}{url}")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert Registration.objects.get(participant__user=cast.resident2).status == "confirmed"
    missing = alice.delete(f"{BASE}{url}")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "You are not registered for this meeting."}


def test_it_refuses_registrations_as_the_pages_do(cast: Cast, client: Client) -> None:
    closed = make_process(cast.org, phases=(PhaseType.PROPOSALS, PhaseType.ANALYSIS), open_phase=1)
    meeting = make_meeting(closed)
    url = f"/processes/idees/meetings/{meeting.pk}/registration"
    assert post(client, url).status_code == 401
    signed_in(client, cast.resident)
    response = post(client, url)
    assert response.status_code == 403 and response.json()["code"] == "phase_closed"
    open_process = make_process(cast.org, slug="ouverte")
    started = make_meeting(open_process, in_days=-0.01, hours=3)
    response = post(client, f"/processes/ouverte/meetings/{started.pk}/registration")
    assert response.status_code == 403 and response.json()["code"] == "meeting_started"
    blocked(cast.resident2, cast)
    other = signed_in(Client(), cast.resident2)
    soon = make_meeting(open_process)
    response = post(other, f"/processes/ouverte/meetings/{soon.pk}/registration")
    assert response.status_code == 403 and response.json()["code"] == "blocked"
    draft = make_process(cast.org, slug="brouillon", status=Process.Status.DRAFT)
    hidden = make_meeting(draft)
    assert post(client, f"/processes/brouillon/meetings/{hidden.pk}/registration").status_code == (
        404
    )
    assert Registration.objects.count() == 0


# --- Questionnaires ------------------------------------------------------------------------


def test_it_serves_a_questionnaire_with_its_questions_and_conditions(
    cast: Cast, client: Client
) -> None:
    process = consultation_process(cast.org)
    survey = make_survey(process)
    listed = client.get(f"{BASE}/processes/halle/questionnaires")
    assert listed.status_code == 200
    assert [q["id"] for q in listed.json()] == [survey.questionnaire.pk]
    response = client.get(f"{BASE}/questionnaires/{survey.questionnaire.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Vos usages du marché"
    kinds = [q["kind"] for q in body["questions"]]
    assert kinds == ["single", "multiple", "scale", "text", "ranking", "matrix"]
    single, multiple = body["questions"][0], body["questions"][1]
    assert [c["label"] for c in single["choices"]] == ["Oui", "Non"]
    assert multiple["condition"] == {
        "question": survey.single.pk,
        "choices": [survey.choice(survey.single, "Oui")],
    }
    assert multiple["max_choices"] == 2 and multiple["required"] is True
    matrix = body["questions"][5]
    assert [r["label"] for r in matrix["rows"]] == ["le samedi", "le mercredi"]
    assert body["can_answer"]["code"] == "login" and body["answered"] is False
    other = consultation_process(cast.other_org, slug="halle")
    foreign = make_survey(other)
    assert client.get(f"{BASE}/questionnaires/{foreign.questionnaire.pk}").status_code == 404


def _answers(survey: Any) -> dict[str, Any]:
    s = survey
    return {
        "answers": [
            {"question": s.single.pk, "choice": s.choice(s.single, "Oui")},
            {
                "question": s.multiple.pk,
                "choices": [s.choice(s.multiple, "Légumes"), s.choice(s.multiple, "Fromage")],
            },
            {"question": s.scale.pk, "value": 4},
            {"question": s.text.pk, "text": "Plus de bancs <script>alert(1)</script>"},
            {
                "question": s.ranking.pk,
                "ranks": {
                    str(s.choice(s.ranking, "Toit")): 1,
                    str(s.choice(s.ranking, "Éclairage")): 3,
                    str(s.choice(s.ranking, "Bancs")): 2,
                },
            },
            {
                "question": s.matrix.pk,
                "rows": {
                    str(s.row(s.matrix, "le samedi")): s.choice(s.matrix, "Souvent"),
                    str(s.row(s.matrix, "le mercredi")): s.choice(s.matrix, "Jamais"),
                },
            },
        ]
    }


def test_it_records_and_replaces_a_response(cast: Cast, client: Client) -> None:
    survey = make_survey(consultation_process(cast.org))
    url = f"/questionnaires/{survey.questionnaire.pk}/responses"
    signed_in(client, cast.resident)
    first = post(client, url, _answers(survey))
    assert first.status_code == 200, first.content
    assert first.json()["created"] is True
    response = Response.objects.get()
    assert response.participant.user == cast.resident
    assert Answer.objects.filter(response=response).count() == 10
    text = Answer.objects.get(question=survey.text)
    assert text.text == "Plus de bancs <script>alert(1)</script>"
    again = post(client, url, _answers(survey))
    assert again.json()["created"] is False
    assert Response.objects.count() == 1
    detail = client.get(f"{BASE}/questionnaires/{survey.questionnaire.pk}").json()
    assert detail["answered"] is True


def test_it_validates_answers_on_the_server_and_stores_nothing(cast: Cast, client: Client) -> None:
    survey = make_survey(consultation_process(cast.org))
    s = survey
    url = f"/questionnaires/{s.questionnaire.pk}/responses"
    signed_in(client, cast.resident)
    payload = _answers(s)
    payload["answers"][1]["choices"] = [
        s.choice(s.multiple, label) for label in ("Légumes", "Fromage", "Rencontrer")
    ]
    payload["answers"][2]["value"] = 9
    response = post(client, url, payload)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors == {
        f"answers.{s.multiple.pk}": ["Choose at most 2 answers."],
        f"answers.{s.scale.pk}": ["Choose a value from 1 to 5."],
    }
    # A required question left out; a choice of another question.
    missing = post(client, url, {"answers": [{"question": s.scale.pk, "value": 3}]})
    assert missing.json()["errors"] == {
        f"answers.{s.single.pk}": ["This question requires an answer."]
    }
    foreign = post(
        client,
        url,
        {"answers": [{"question": s.single.pk, "choice": s.choice(s.multiple, "Légumes")}]},
    )
    assert foreign.json()["errors"] == {
        f"answers.{s.single.pk}": ["This answer is not one of the choices."]
    }
    unknown = post(client, url, {"answers": [{"question": 999999, "value": 1}]})
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == {
        "answers.999999": ["This question is not part of this questionnaire."]
    }
    # The conditional question is not asked when its condition is not met: its answer is
    # dropped, and it is not required.
    no = {
        "answers": [
            {"question": s.single.pk, "choice": s.choice(s.single, "Non")},
            {"question": s.multiple.pk, "choices": [s.choice(s.multiple, "Légumes")]},
        ]
    }
    assert post(client, url, {"answers": []}).status_code == 422
    assert Response.objects.count() == 0
    assert post(client, url, no).status_code == 200
    assert list(Answer.objects.values_list("question_id", flat=True)) == [s.single.pk]


def test_it_refuses_answers_outside_the_consultation_phase(cast: Cast, client: Client) -> None:
    survey = make_survey(consultation_process(cast.org, open_phase=1))
    url = f"/questionnaires/{survey.questionnaire.pk}/responses"
    assert post(client, url, _answers(survey)).status_code == 401
    signed_in(client, cast.resident)
    response = post(client, url, _answers(survey))
    assert response.status_code == 403 and response.json()["code"] == "phase_closed"
    assert Response.objects.count() == 0


@pytest.mark.french
def test_it_explains_refused_answers_in_french(cast: Cast, client: Client) -> None:
    survey = make_survey(consultation_process(cast.org))
    signed_in(client, cast.resident)
    response = post(
        client,
        f"/questionnaires/{survey.questionnaire.pk}/responses",
        {"answers": [{"question": 999999, "value": 1}]},
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": "La requête n'est pas valide.",
        "errors": {"answers.999999": ["Cette question ne fait pas partie de ce questionnaire."]},
    }
