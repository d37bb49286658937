"""Residents evaluate a delivered realisation, agents publish an assessment, and a budget's
yearly report sums up money, projects, participation and satisfaction."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.alerts.tests.factories import make_address, make_zone
from beffroi.core.models import AuditEvent
from beffroi.participation.access import ActionRefused
from beffroi.participation.consultations.answering import field_name, questions_of
from beffroi.participation.consultations.selectors import process_consultations
from beffroi.participation.consultations.services import AnswersInvalid
from beffroi.participation.models import (
    Ballot,
    BallotChoice,
    Budget,
    Evaluation,
    Notification,
    Participant,
    Question,
    Realisation,
    RealisationFollow,
    Response,
)
from beffroi.participation.realisations import evaluations, services
from beffroi.participation.tests.budgets.helpers import project_ids, voter
from beffroi.participation.tests.proposals.helpers import XSS_PAYLOADS
from beffroi.participation.tests.realisations.helpers import budget_with_outcome, realisations_of
from beffroi.testing import Cast, login_verified

PUBLIC = "participation_realisations"
BO = "participation_realisations_backoffice"


def _client(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        login_verified(client, user)
    return client


def _ballot(budget: Budget, person: Participant | None, projects: list[int], **fields: Any) -> None:
    now = timezone.now()
    ballot = Ballot.objects.create(
        budget=budget,
        participant=person,
        voter_key=f"k{Ballot.objects.count()}",
        cast_at=now,
        updated_at=now,
        **fields,
    )
    BallotChoice.objects.bulk_create(
        BallotChoice(ballot=ballot, project_id=pk, position=i) for i, pk in enumerate(projects)
    )


def _delivered(cast: Cast) -> tuple[Budget, Realisation, Realisation, Participant, Participant]:
    """Projects 1 and 3 funded; Alice voted for 1, Bruno for 3; Bruno follows 1's
    realisation too. Realisation 1 is delivered (its evaluation opens)."""
    budget = budget_with_outcome(cast, winners=(0, 2))
    ids = project_ids(budget)
    alice = voter(cast)
    bruno = voter(cast, second=True, birth_year=1950)
    _ballot(budget, alice, [ids[0], ids[1]])
    _ballot(budget, bruno, [ids[2]])
    first, third = realisations_of(cast, budget)
    RealisationFollow.objects.create(realisation=first, participant=bruno)
    services.realisation_status_set(
        realisation=first, agent=cast.participation_manager, status="delivered", progress=100
    )
    return budget, first, third, alice, bruno


def _answers(
    evaluation: Evaluation, satisfaction: int | None, comment: str = ""
) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    for question in questions_of(evaluation.questionnaire):
        if question.kind == Question.Kind.SCALE and satisfaction is not None:
            data[field_name(question)] = [str(satisfaction)]
        if question.kind == Question.Kind.TEXT and comment:
            data[field_name(question)] = [comment]
    return data


def test_delivering_opens_the_evaluation_and_invites_voters_and_followers(cast: Cast) -> None:
    _budget, first, third, alice, bruno = _delivered(cast)
    evaluation = Evaluation.objects.get(realisation=first)
    assert evaluation.invited == 2
    invited = Notification.objects.filter(kind=Notification.Kind.EVALUATION)
    # Alice voted for project 1; Bruno did not, but follows its realisation.
    assert sorted(n.recipient_id for n in invited) == sorted([alice.pk, bruno.pk])
    assert all(n.url == reverse(f"{PUBLIC}:evaluate", args=[first.pk]) for n in invited)
    kinds = [q.kind for q in questions_of(evaluation.questionnaire)]
    assert kinds == ["scale", "single", "single", "text"]
    assert evaluation.satisfaction is not None and evaluation.satisfaction.kind == "scale"
    # Open through the whole 60th day after today.
    assert evaluations.evaluation_last_day(evaluation) == timezone.localdate() + timedelta(days=60)
    assert timezone.localtime(evaluation.closes_at).time() == time.min
    assert AuditEvent.objects.filter(action="participation.evaluation_open").count() == 1
    # Not delivered: no evaluation; delivered again: the same one, nobody invited twice.
    assert not Evaluation.objects.filter(realisation=third).exists()
    manager = cast.participation_manager
    services.realisation_status_set(realisation=first, agent=manager, status="works", progress=90)
    services.realisation_status_set(
        realisation=first, agent=manager, status="delivered", progress=100
    )
    assert Evaluation.objects.filter(realisation=first).count() == 1
    assert invited.count() == 2
    with pytest.raises(ValidationError):
        evaluations.evaluation_open(realisation=third, agent=manager)


def test_residents_answer_while_open_and_the_rules_hold(cast: Cast) -> None:
    _budget, first, _third, alice, bruno = _delivered(cast)
    evaluation = Evaluation.objects.get(realisation=first)
    with pytest.raises(ActionRefused):
        evaluations.evaluation_answer(evaluation=evaluation, participant=None, data={})
    # The satisfaction is required: nothing is stored without it.
    with pytest.raises(AnswersInvalid):
        evaluations.evaluation_answer(
            evaluation=evaluation, participant=alice, data=_answers(evaluation, None, "Bien")
        )
    assert not Response.objects.exists()
    _response, created = evaluations.evaluation_answer(
        evaluation=evaluation, participant=alice, data=_answers(evaluation, 4)
    )
    assert created
    _response, created = evaluations.evaluation_answer(
        evaluation=evaluation, participant=alice, data=_answers(evaluation, 5)
    )
    assert not created
    evaluations.evaluation_answer(
        evaluation=evaluation, participant=bruno, data=_answers(evaluation, 2)
    )
    summary = evaluations.satisfaction_of(evaluation)
    assert summary.respondents == 2 and summary.mean == pytest.approx(3.5)
    # A blocked resident may not answer.
    bruno.blocked_at = timezone.now()
    bruno.save(update_fields=["blocked_at"])
    with pytest.raises(ActionRefused):
        evaluations.evaluation_answer(
            evaluation=evaluation, participant=bruno, data=_answers(evaluation, 1)
        )
    # Closed: refused, nothing changes.
    manager = cast.participation_manager
    today = timezone.localdate()
    # A past last day is refused (closing is its own action); the last day is included.
    with pytest.raises(ValidationError):
        evaluations.evaluation_dates(
            evaluation=evaluation, agent=manager, last_day=today - timedelta(days=1)
        )
    evaluations.evaluation_dates(evaluation=evaluation, agent=manager, last_day=today)
    assert evaluations.evaluation_last_day(evaluation) == today
    assert evaluations.evaluation_is_open(evaluation)
    evaluations.evaluation_close(evaluation=evaluation, agent=manager)
    with pytest.raises(ActionRefused):
        evaluations.evaluation_answer(
            evaluation=evaluation, participant=alice, data=_answers(evaluation, 1)
        )
    assert evaluations.satisfaction_of(evaluation).mean == pytest.approx(3.5)


def test_the_pages_let_a_resident_evaluate_and_see_the_charts(cast: Cast) -> None:
    _budget, first, _third, _alice, _bruno = _delivered(cast)
    evaluation = Evaluation.objects.get(realisation=first)
    url = reverse(f"{PUBLIC}:evaluate", args=[first.pk])
    anonymous = _client().get(url)
    assert anonymous.status_code == 200 and "How to take part" in anonymous.content.decode()
    client = _client(cast.resident)
    page = client.get(url)
    assert page.status_code == 200 and "Overall, how satisfied" in page.content.decode()
    missing = client.post(url, {})
    assert missing.status_code == 400 and "There is a problem" in missing.content.decode()
    posted = client.post(url, _answers(evaluation, 4, "<script>alert(1)</script>Très bien"))
    assert posted.status_code == 302
    detail = client.get(reverse(f"{PUBLIC}:detail", args=[first.pk])).content.decode()
    assert "Satisfaction: 4.0 out of 5" in detail and "Change my evaluation" in detail
    results = _client().get(reverse(f"{PUBLIC}:evaluation_results", args=[first.pk]))
    body = results.content.decode()
    assert results.status_code == 200 and "1 person answered." in body
    # Free comments are read by agents, never published as such.
    assert "Très bien" not in body and "<script>alert(1)" not in body
    # The evaluation questionnaire is not a consultation of the process.
    questionnaire = evaluation.questionnaire
    assert questionnaire not in process_consultations(first.budget.process)[1]
    for name in ("questionnaire_answer", "questionnaire_results"):
        response = _client(cast.resident).get(
            reverse(f"participation_consultations:{name}", args=[questionnaire.pk])
        )
        assert response.status_code == 404
    # A realisation without an evaluation has no evaluation page.
    other = Realisation.objects.exclude(pk=first.pk).get()
    assert (
        _client(cast.resident).get(reverse(f"{PUBLIC}:evaluate", args=[other.pk])).status_code
        == 404
    )


def test_agents_close_and_publish_the_assessment(cast: Cast) -> None:
    _budget, first, third, alice, _bruno = _delivered(cast)
    evaluation = Evaluation.objects.get(realisation=first)
    evaluations.evaluation_answer(
        evaluation=evaluation, participant=alice, data=_answers(evaluation, 5)
    )
    url = reverse(f"{BO}:evaluation", args=[first.pk])
    assert _client(cast.resident).get(url).status_code in {302, 403}
    agent = _client(cast.participation_manager)
    assert agent.get(url).status_code == 200
    # Not delivered: the page says how to open it, and opening is refused.
    refused = agent.post(
        reverse(f"{BO}:evaluation", args=[third.pk]), {"action": "open", "days": "30"}
    )
    assert refused.status_code == 400 and not Evaluation.objects.filter(realisation=third).exists()
    assert agent.post(url, {"action": "assessment", "assessment": "   "}).status_code == 400
    payload = XSS_PAYLOADS[0]
    response = agent.post(
        url, {"action": "assessment", "assessment": f"Un succès.\n\n- très utilisé\n\n{payload}"}
    )
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.assessment_published_at is not None and "<li>" in evaluation.assessment
    told = Notification.objects.filter(recipient=alice, kind=Notification.Kind.REALISATION)
    assert told.filter(url__endswith="#assessment").count() == 1
    public = _client().get(reverse(f"{PUBLIC}:detail", args=[first.pk])).content.decode()
    assert "The commune&#x27;s assessment" in public or "The commune's assessment" in public
    assert "Un succès." in public and payload not in public
    assert agent.post(url, {"action": "close"}).status_code == 302
    evaluation.refresh_from_db()
    assert not evaluations.evaluation_is_open(evaluation)
    with pytest.raises(ActionRefused):
        evaluations.evaluation_answer(
            evaluation=evaluation, participant=alice, data=_answers(evaluation, 1)
        )
    assert AuditEvent.objects.filter(action="participation.evaluation_assessment").exists()
    assert agent.post(url, {"action": "nonsense"}).status_code == 400


def test_the_yearly_report_counts_money_participation_and_satisfaction(cast: Cast) -> None:
    budget, first, _third, alice, bruno = _delivered(cast)
    bruno.address = make_address(cast.org, 4.5, 45.5, "Ailleurs")
    bruno.save(update_fields=["address"])
    district = make_zone(cast.org, "Quartier Nord", 4.0, 45.0, 0.01, kind="district")
    ids = project_ids(budget)
    # Alice lives in the district (voter() put her at 4.002, 45.002); a PaBuLib ballot knows
    # its voter's neighbourhood and age; an erased voter is "not known".
    assert alice.address is not None and district.memberships.filter(address=alice.address).exists()
    _ballot(budget, None, [ids[0]], pabulib_fields={"neighborhood": "Sud", "age": "19"})
    _ballot(budget, None, [ids[0]])
    evaluation = Evaluation.objects.get(realisation=first)
    evaluations.evaluation_answer(
        evaluation=evaluation, participant=alice, data=_answers(evaluation, 4)
    )
    evaluations.evaluation_answer(
        evaluation=evaluation, participant=bruno, data=_answers(evaluation, 2)
    )
    services.realisation_update(
        realisation=first,
        agent=cast.participation_manager,
        data=services.RealisationInput(
            title=first.title,
            budget_planned=Decimal("32000"),
            budget_spent=Decimal("31500"),
            year=first.year,
        ),
    )
    response = _client().get(reverse("participation_budgets:report", args=[budget.pk]))
    assert response.status_code == 200
    report = response.context["report"]
    assert report.ballots == 4 and report.projects_on_ballot == 4
    assert report.allocated == Decimal("50000")  # projects 1 (30,000) and 3 (20,000)
    assert report.planned == Decimal("52000") and report.spent == Decimal("31500")
    districts = {row.label: row.count for row in report.by_district}
    assert districts == {"Quartier Nord": 1, "Sud": 1, "Not known": 2}
    year = report.year
    ages = {row.label: row.count for row in report.by_age}
    assert ages[evaluations_age(year - 1980)] == 1 and ages["18 to 24"] == 1
    assert ages["Not known"] == 1 and sum(ages.values()) == 4
    assert report.evaluated == 1 and report.respondents == 2
    assert report.satisfaction == pytest.approx(3.0)
    statuses = {row.label: row.count for row in report.statuses}
    assert statuses == {"Delivered": 1, "Planned": 1}
    page = response.content.decode()
    assert "Mean satisfaction: 3.0 out of 5" in page and "data-print-page" in page
    # Another organisation's budget and realisation are not found.
    foreign = Client(HTTP_HOST="autreville.localhost")
    assert foreign.get(reverse("participation_budgets:report", args=[budget.pk])).status_code == 404
    assert foreign.get(reverse(f"{PUBLIC}:evaluate", args=[first.pk])).status_code == 404


def evaluations_age(age: int) -> str:
    from beffroi.participation.budgets.report import age_band

    return age_band(age)


def test_the_report_waits_for_the_outcome(cast: Cast) -> None:
    from beffroi.participation.tests.budgets.helpers import make_budget

    budget = make_budget(cast)
    response = _client().get(reverse("participation_budgets:report", args=[budget.pk]))
    assert response.status_code == 200 and response.context["report"] is None
    assert "published with the results" in response.content.decode()
    assert _client().get(reverse("participation_budgets:report", args=[999999])).status_code == 404


def test_the_api_tells_the_evaluation_of_a_realisation(cast: Cast) -> None:
    _budget, first, third, alice, bruno = _delivered(cast)
    evaluation = Evaluation.objects.get(realisation=first)
    evaluations.evaluation_answer(
        evaluation=evaluation, participant=alice, data=_answers(evaluation, 5)
    )
    evaluations.evaluation_answer(
        evaluation=evaluation, participant=bruno, data=_answers(evaluation, 4)
    )
    client = Client()
    body = client.get(f"/api/v1/participation/realisations/{first.pk}").json()
    assert body["evaluation"]["open"] is True and body["evaluation"]["respondents"] == 2
    assert body["evaluation"]["satisfaction"] == pytest.approx(4.5)
    assert body["evaluation"]["answer_url"].endswith(f"/realisations/{first.pk}/evaluer/")
    assert body["evaluation"]["assessment"] == ""
    # Results kept for the end: no figures while open.
    questionnaire = evaluation.questionnaire
    questionnaire.results_live = False
    questionnaire.save(update_fields=["results_live"])
    hidden = client.get(f"/api/v1/participation/realisations/{first.pk}").json()["evaluation"]
    assert hidden["results_public"] is False and hidden["satisfaction"] is None
    assert client.get(f"/api/v1/participation/realisations/{third.pk}").json()["evaluation"] is None


def test_the_report_says_what_the_commune_added_beyond_the_budget(cast: Cast) -> None:
    # Projects 1, 2 and 3 (30,000 + 50,000 + 20,000) in a budget of 100,000: nothing added;
    # with project 4 (40,000) too, 40,000 beyond it.
    within = budget_with_outcome(cast, winners=(0, 1, 2))
    page = _client().get(reverse("participation_budgets:report", args=[within.pk]))
    assert page.context["report"].beyond == 0
    from beffroi.participation.budgets.services import outcome_publish

    outcome_publish(budget=within, agent=cast.participation_manager, selected=project_ids(within))
    page = _client().get(reverse("participation_budgets:report", args=[within.pk]))
    assert page.context["report"].beyond == Decimal("40000")
    assert "added by the commune beyond the budget" in page.content.decode()


def test_the_satisfaction_question_cannot_be_deleted_nor_rescaled(cast: Cast) -> None:
    from beffroi.participation.consultations import services as consultations

    _budget, first, _third, _alice, _bruno = _delivered(cast)
    evaluation = Evaluation.objects.get(realisation=first)
    satisfaction = evaluation.satisfaction
    assert satisfaction is not None
    with pytest.raises(consultations.ConsultationError):
        consultations.question_delete(question=satisfaction)
    with pytest.raises(consultations.ConsultationError):
        consultations.question_update(
            question=satisfaction,
            data=consultations.QuestionData(text="Note ?", scale_min=0, scale_max=10),
        )
    consultations.question_update(
        question=satisfaction,
        data=consultations.QuestionData(text="Êtes-vous satisfait ?", scale_min=1, scale_max=5),
    )
    agent = _client(cast.participation_manager)
    url = reverse("participation_consultations_backoffice:question_delete", args=[satisfaction.pk])
    page = agent.get(url).content.decode()
    assert "It cannot be deleted" in page and "Delete the question</button>" not in page
    assert agent.post(url).status_code == 302
    assert Question.objects.filter(pk=satisfaction.pk).exists()
    # The other questions may go.
    other = questions_of(evaluation.questionnaire)[1]
    consultations.question_delete(question=other)
    builder = agent.get(
        reverse(
            "participation_consultations_backoffice:questionnaire_builder",
            args=[evaluation.questionnaire_id],
        )
    ).content.decode()
    assert reverse(f"{BO}:evaluation", args=[first.pk]) in builder
