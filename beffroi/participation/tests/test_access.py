"""The permission rules of participation, from the active phase and the person."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from beffroi.alerts.tests.factories import make_address, make_subscriber
from beffroi.participation.access import decide
from beffroi.participation.models import Action, Phase, PhaseType, Process
from beffroi.participation.participants.services import participant_for_subscriber
from beffroi.participation.tests.factories import make_process, participant
from beffroi.testing import Cast


def test_it_allows_what_the_open_phase_allows_and_nothing_else(cast: Cast) -> None:
    process = make_process(cast.org, phases=(PhaseType.PROPOSALS, PhaseType.VOTE))
    alice = participant(cast.resident, cast.org)
    assert decide(alice, process, Action.PROPOSE)
    assert decide(alice, process, Action.SUPPORT)
    refused = decide(alice, process, Action.VOTE)
    assert not refused and refused.code == "phase_closed"


def test_it_follows_a_phase_closed_or_opened_by_hand(cast: Cast) -> None:
    process = make_process(cast.org, phases=(PhaseType.PROPOSALS,))
    alice = participant(cast.resident, cast.org)
    Phase.objects.filter(process=process).update(mode=Phase.Mode.CLOSED)
    process = Process.objects.prefetch_related("phases").get(pk=process.pk)
    assert decide(alice, process, Action.PROPOSE).code == "phase_closed"
    Phase.objects.filter(process=process).update(
        mode=Phase.Mode.OPEN, starts_at=timezone.now() + timedelta(days=3)
    )
    process = Process.objects.prefetch_related("phases").get(pk=process.pk)
    assert decide(alice, process, Action.PROPOSE)


def test_it_refuses_drafts_unverified_accounts_and_blocked_people(cast: Cast) -> None:
    process = make_process(cast.org)
    alice = participant(cast.resident, cast.org)
    draft = make_process(cast.org, slug="brouillon", status=Process.Status.DRAFT)
    assert decide(alice, draft, Action.PROPOSE).code == "not_published"
    assert decide(None, process, Action.PROPOSE).code == "account_needed"
    assert decide(None, process, Action.SUPPORT).code == "login"
    cast.resident.email_verified_at = None
    cast.resident.save()
    alice.refresh_from_db()
    assert decide(alice, process, Action.PROPOSE).code == "email_unverified"
    bruno = participant(cast.resident2, cast.org)
    bruno.blocked_at = timezone.now()
    bruno.save()
    assert decide(bruno, process, Action.SUPPORT).code == "blocked"


def test_it_applies_minimum_age_and_residence(cast: Cast) -> None:
    process = make_process(cast.org, min_age=16, residents_only=True)
    alice = participant(cast.resident, cast.org)
    assert decide(alice, process, Action.SUPPORT).code == "birth_year"
    alice.birth_year = timezone.localdate().year - 15
    alice.save()
    assert decide(alice, process, Action.SUPPORT).code == "too_young"
    alice.birth_year = timezone.localdate().year - 16
    alice.save()
    assert decide(alice, process, Action.SUPPORT).code == "not_resident"
    alice.address = make_address(cast.org, 4.0, 45.0)
    alice.save()
    assert decide(alice, process, Action.SUPPORT)


@pytest.mark.django_db
def test_it_lets_an_sms_verified_subscriber_support_but_not_propose(cast: Cast) -> None:
    process = make_process(cast.org)
    subscriber = make_subscriber(cast.org, full_name="Jeanne Durand", sms="+33612345678")
    person = participant_for_subscriber(subscriber=subscriber)
    assert decide(person, process, Action.SUPPORT)
    assert decide(person, process, Action.PROPOSE).code == "account_needed"
    assert participant_for_subscriber(subscriber=subscriber).pk == person.pk
