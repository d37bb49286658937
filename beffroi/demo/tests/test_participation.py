from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.accounts.access import user_roles
from beffroi.accounts.models import Role, User
from beffroi.core.models import AuditEvent
from beffroi.demo import constants as c
from beffroi.demo.loader import demo_load
from beffroi.participation import access
from beffroi.participation.models import (
    Action,
    Comment,
    Meeting,
    Notification,
    Opinion,
    Phase,
    PhaseType,
    Process,
    Proposal,
    Question,
    Registration,
    Report,
    Response,
    Support,
)
from beffroi.territory.models import Organisation


def _history() -> list[tuple[Any, ...]]:
    return sorted(
        Proposal.objects.values_list(
            "process__slug", "title", "origin", "supports_count", "comments_count", "answer"
        )
    )


@pytest.mark.django_db
def test_it_writes_the_same_history_every_time(tmp_path: Path) -> None:
    demo_load(directory=tmp_path / "a")
    first = _history()
    comments = sorted(Comment.objects.values_list("body", "stance", "depth"))
    demo_load(reset=True, directory=tmp_path / "b")
    assert _history() == first
    assert sorted(Comment.objects.values_list("body", "stance", "depth")) == comments
    assert Process.objects.count() == 6


@pytest.mark.django_db
def test_it_puts_a_process_in_each_state(tmp_path: Path) -> None:
    demo_load(directory=tmp_path)
    now = timezone.now()
    organisation = Organisation.objects.get(slug=c.ORGANISATION_SLUG)
    processes = {p.slug: p for p in Process.objects.filter(organisation=organisation)}

    def open_types(slug: str) -> set[str]:
        return {phase.type for phase in processes[slug].phases.all() if phase.is_open(now)}

    assert open_types("vaudrecourt-en-transition") == {PhaseType.PROPOSALS}
    assert open_types("sobriete-energetique") == {PhaseType.DELIBERATION}
    assert open_types("place-du-marche") == {PhaseType.CONSULTATION}
    budget = processes["budget-participatif-2027"]
    assert budget.status == Process.Status.PUBLISHED
    assert open_types("budget-participatif-2027") == {PhaseType.VOTE}
    # Last year's budget: voted, results published, its projects being carried out.
    assert open_types("budget-participatif-2026") == {PhaseType.FOLLOW_UP}
    assert processes["bords-de-l-aulne"].status == Process.Status.ARCHIVED
    # History is in the past, phase by phase.
    assert not Proposal.objects.filter(created_at__gt=now).exists()
    assert not Comment.objects.filter(created_at__gt=now).exists()
    for support in Support.objects.select_related("proposal")[:200]:
        assert support.proposal.created_at <= support.created_at <= now
    for proposal in Proposal.objects.filter(process__slug="sobriete-energetique", origin="online"):
        phase = Phase.objects.get(process=proposal.process, type=PhaseType.PROPOSALS)
        assert phase.starts_at <= proposal.created_at <= phase.ends_at
    # Residents can act today where the phases say so, and nowhere else.
    resident = User.objects.get(email=f"habitant@{c.EMAIL_DOMAIN}")
    participant = resident.participants.get()
    assert access.decide(participant, processes["vaudrecourt-en-transition"], Action.PROPOSE)
    assert access.decide(participant, processes["sobriete-energetique"], Action.SUPPORT)
    assert not access.decide(participant, processes["sobriete-energetique"], Action.PROPOSE)
    assert not access.decide(participant, processes["bords-de-l-aulne"], Action.COMMENT)


@pytest.mark.django_db
def test_it_tells_a_co_construction_story(tmp_path: Path) -> None:
    demo_load(directory=tmp_path)
    proposals = Proposal.objects.all()
    assert 55 <= proposals.count() <= 70
    assert proposals.filter(process__slug="vaudrecourt-en-transition").count() >= 38
    assert proposals.filter(process__slug="sobriete-energetique").count() >= 18
    # A long tail of supports: one proposal over the threshold, most with a handful.
    counts = sorted(
        proposals.filter(process__slug="vaudrecourt-en-transition").values_list(
            "supports_count", flat=True
        ),
        reverse=True,
    )
    assert counts[0] >= 30 > counts[5]
    assert (
        sum(counts)
        == Support.objects.filter(proposal__process__slug="vaudrecourt-en-transition").count()
    )
    top = proposals.get(title="Des bancs le long du chemin de halage")
    assert top.threshold_reached_at is not None and top.answer == Proposal.Answer.UNDER_STUDY
    # Discussions: threaded, every stance; answers and reviews by the services.
    comments = Comment.objects.all()
    assert comments.filter(depth__gte=2).exists()
    assert set(comments.values_list("stance", flat=True)) == set(Comment.Stance.values)
    assert proposals.filter(answer=Proposal.Answer.ACCEPTED).exclude(answer_text="").exists()
    assert proposals.filter(answer=Proposal.Answer.REJECTED).exists()
    assert proposals.exclude(feasibility="").count() >= 3
    # A paper form typed in by the front desk, proposals born at the workshop.
    paper = proposals.get(origin=Proposal.Origin.PAPER)
    assert paper.entered_by is not None and paper.entered_by.email == f"accueil@{c.EMAIL_DOMAIN}"
    workshop = Meeting.objects.get(minutes_published_at__isnull=False)
    assert workshop.starts_at < timezone.now() and workshop.attendance == 27
    assert workshop.proposals.filter(origin=Proposal.Origin.WORKSHOP).count() == 6
    assert workshop.registrations.filter(attended=True).exists()
    # Moderation: one proposal hidden with a public reason, one report waiting.
    hidden = proposals.get(hidden_at__isnull=False)
    assert hidden.hidden_reason
    assert Report.objects.filter(decision=Report.Decision.PENDING).count() == 1
    assert AuditEvent.objects.filter(action="participation.moderation.hide").count() == 1
    # A meeting to come, full, with a waiting list.
    upcoming = Meeting.objects.get(starts_at__gt=timezone.now())
    registrations = upcoming.registrations
    assert registrations.filter(status=Registration.Status.CONFIRMED).count() == upcoming.capacity
    assert registrations.filter(status=Registration.Status.WAITING).count() >= 3


@pytest.mark.django_db
def test_it_answers_the_questionnaire_with_every_kind_of_question(tmp_path: Path) -> None:
    demo_load(directory=tmp_path)
    # The consultation's questionnaire (realisations' evaluations have their own tests).
    questions = Question.objects.filter(questionnaire__evaluation__isnull=True)
    responses = Response.objects.filter(questionnaire__evaluation__isnull=True)
    assert set(questions.values_list("kind", flat=True)) == set(Question.Kind.values)
    conditional = questions.get(condition_question__isnull=False)
    assert responses.count() >= 80
    assert Opinion.objects.values("position").distinct().count() == 3
    # The conditional question is answered only by those who come by car.
    car = conditional.condition_choices.get()
    answered = set(conditional.answers.values_list("response", flat=True))
    by_car = set(
        conditional.condition_question.answers.filter(choice=car).values_list(  # type: ignore[union-attr]
            "response", flat=True
        )
    )
    assert answered and answered <= by_car
    # Every response answered the required questions; the matrix row by row.
    matrix = questions.get(kind=Question.Kind.MATRIX)
    assert matrix.answers.count() == responses.count() * matrix.rows.count()
    assert (
        questions.get(kind=Question.Kind.TEXT, condition_question=None)
        .answers.filter(tags__isnull=False)
        .exists()
    )


@pytest.mark.django_db
def test_it_shows_the_resident_unread_notifications(tmp_path: Path) -> None:
    demo_load(directory=tmp_path)
    resident = User.objects.get(email=f"habitant@{c.EMAIL_DOMAIN}")
    notifications = Notification.objects.filter(recipient__user=resident)
    unread = notifications.filter(read_at__isnull=True)
    assert 1 <= unread.count() <= 4
    assert notifications.filter(read_at__isnull=False).exists()
    assert not notifications.filter(created_at__gt=timezone.now()).exists()
    client = Client()
    client.force_login(resident)
    response = client.get(reverse("participation_notifications:list"))
    assert response.status_code == 200
    assert unread.first().title in response.content.decode()  # type: ignore[union-attr]


@pytest.mark.django_db
def test_it_gives_the_participation_manager_a_login(tmp_path: Path) -> None:
    demo_load(directory=tmp_path)
    login = next(x for x in c.demo_logins() if x.role == Role.PARTICIPATION_MANAGER)
    assert any(login.email in line for line in c.login_lines())
    user = User.objects.get(email=login.email)
    assert user.check_password(login.password)
    organisation = Organisation.objects.get(slug=c.ORGANISATION_SLUG)
    assert Role.PARTICIPATION_MANAGER in user_roles(user, organisation)
    client = Client()
    client.force_login(user)
    response = client.get(reverse("participation_processes_backoffice:list"))
    assert response.status_code == 200
    assert "Vaudrecourt en transition" in response.content.decode()


@pytest.mark.django_db
def test_it_has_residents_without_an_account_who_take_part_with_an_sms_code(
    tmp_path: Path,
) -> None:
    from beffroi.alerts.models import Subscriber
    from beffroi.demo.alerts import PHONE_SUBSCRIBERS
    from beffroi.participation.participants.services import participant_for_subscriber

    demo_load(directory=tmp_path)
    phoned = Subscriber.objects.filter(user__isnull=True, source=Subscriber.Source.AGENT)
    assert phoned.count() == len(PHONE_SUBSCRIBERS)
    odette = phoned.get(full_name="Odette Marchal")
    assert str(odette.sms_number) == "+33641989000" and odette.sms_verified_at is not None
    person = participant_for_subscriber(subscriber=odette)
    process = Process.objects.prefetch_related("phases").get(slug="vaudrecourt-en-transition")
    assert access.decide(person, process, Action.SUPPORT).allowed
