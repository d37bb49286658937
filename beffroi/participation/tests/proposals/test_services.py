"""Proposals services: publish, edit window and history, withdraw, supports and threshold,
follows, the agents' answer, feasibility and typing in on behalf of a resident."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from beffroi.alerts.tests.factories import make_address, make_zone
from beffroi.core.models import AuditEvent
from beffroi.participation.access import ActionRefused
from beffroi.participation.models import (
    Category,
    Follow,
    Notification,
    Phase,
    PhaseType,
    Process,
    Proposal,
    ProposalVersion,
    Support,
)
from beffroi.participation.proposals import selectors, services
from beffroi.participation.proposals.services import Place, ProposalInput
from beffroi.participation.tests.factories import make_process, make_proposal, participant
from beffroi.participation.tests.proposals.helpers import XSS_PAYLOADS
from beffroi.testing import Cast, at_once


def _input(**overrides: Any) -> ProposalInput:
    values: dict[str, Any] = {
        "title": "Un composteur partagé square Jean-Moulin",
        "body": "Pour réduire les déchets du quartier et faire du terreau.",
    }
    values.update(overrides)
    return ProposalInput(**values)


def _fresh(process: Process) -> Process:
    return Process.objects.prefetch_related("phases").get(pk=process.pk)


def test_it_publishes_a_proposal_with_the_zones_of_its_address(cast: Cast) -> None:
    process = make_process(cast.org)
    category = Category.objects.create(process=process, name="Environnement")
    home = make_address(cast.org, 4.002, 45.002, "Le Pré")
    hamlet = make_zone(cast.org, "Hameau du Pré", 4.0, 45.0, 0.01)
    alice = participant(cast.resident, cast.org)
    proposal = services.proposal_create(
        process=process,
        participant=alice,
        data=_input(
            category_id=category.pk,
            place=Place(address_id=home.pk),
            estimated_cost=Decimal("1500"),
        ),
    )
    assert proposal.author == alice and proposal.address == home
    assert (proposal.lat, proposal.lon) == (45.002, 4.002)
    assert list(proposal.zones.all()) == [hamlet]
    assert proposal.body.startswith("<p>Pour réduire")
    # The author follows it at once (comments, answer).
    assert Follow.objects.filter(participant=alice, proposal=proposal).exists()


def test_it_places_a_map_point_in_its_zones(cast: Cast) -> None:
    process = make_process(cast.org)
    hamlet = make_zone(cast.org, "Hameau du Pré", 4.0, 45.0, 0.01)
    alice = participant(cast.resident, cast.org)
    proposal = services.proposal_create(
        process=process, participant=alice, data=_input(place=Place(lat=45.005, lon=4.005))
    )
    assert list(proposal.zones.all()) == [hamlet]
    with pytest.raises(ValidationError) as error:
        services.proposal_create(
            process=process, participant=alice, data=_input(place=Place(lat=4.005, lon=45.005))
        )
    assert error.value.message_dict["lat"] == ["This point lies outside the territory."]
    assert Proposal.objects.count() == 1


def test_it_refuses_bad_input_and_writes_nothing(cast: Cast) -> None:
    process = make_process(cast.org)
    Category.objects.create(process=process, name="Voirie")
    other = make_process(cast.org, slug="autre")
    foreign = Category.objects.create(process=other, name="Sport")
    alice = participant(cast.resident, cast.org)
    with pytest.raises(ValidationError) as error:
        services.proposal_create(
            process=process,
            participant=alice,
            data=_input(title="ab", body="<p> </p>", category_id=foreign.pk),
        )
    assert set(error.value.message_dict) == {"title", "body", "category"}
    other_org_address = make_address(cast.other_org, 4.0, 45.0)
    with pytest.raises(ValidationError) as error:
        services.proposal_create(
            process=process,
            participant=alice,
            data=_input(
                category_id=process.categories.get().pk,
                place=Place(address_id=other_org_address.pk),
                estimated_cost=Decimal("-5"),
            ),
        )
    assert set(error.value.message_dict) == {"address", "estimated_cost"}
    assert not Proposal.objects.exists()


def test_it_refuses_to_propose_outside_a_proposals_phase(cast: Cast) -> None:
    process = make_process(
        cast.org, phases=(PhaseType.PROPOSALS, PhaseType.DELIBERATION), open_phase=1
    )
    alice = participant(cast.resident, cast.org)
    with pytest.raises(ActionRefused) as refused:
        services.proposal_create(process=process, participant=alice, data=_input())
    assert refused.value.decision.code == "phase_closed"
    with pytest.raises(ActionRefused) as refused:
        services.proposal_create(process=_fresh(process), participant=None, data=_input())
    assert refused.value.decision.code in {"phase_closed", "account_needed"}
    assert not Proposal.objects.exists()


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_it_sanitises_xss_payloads_in_the_body(cast: Cast, payload: str) -> None:
    process = make_process(cast.org)
    alice = participant(cast.resident, cast.org)
    proposal = services.proposal_create(
        process=process,
        participant=alice,
        data=_input(title=f"Titre {payload}", body=f"Un texte assez long {payload}"),
    )
    for dangerous in (
        "<script",
        "onerror",
        "onload",
        "javascript:",
        "<iframe",
        "<style",
        "<svg",
        "<img",
    ):
        assert dangerous not in proposal.body
    # The title is plain text, escaped wherever it is shown (checked on the pages).
    assert payload in proposal.title


def test_it_keeps_each_edit_in_the_history_within_the_window(cast: Cast) -> None:
    process = make_process(cast.org, edit_window_minutes=30)
    alice = participant(cast.resident, cast.org)
    proposal = services.proposal_create(process=process, participant=alice, data=_input())
    services.proposal_update(
        proposal=proposal,
        participant=alice,
        data=_input(title="Deux composteurs square Jean-Moulin", estimated_cost=Decimal("900")),
    )
    services.proposal_update(
        proposal=proposal,
        participant=alice,
        data=_input(title="Trois composteurs square Jean-Moulin"),
    )
    proposal.refresh_from_db()
    assert proposal.title == "Trois composteurs square Jean-Moulin"
    versions = selectors.proposal_versions(proposal=proposal)
    assert [(v.number, v.title) for v in versions] == [
        (2, "Deux composteurs square Jean-Moulin"),
        (1, "Un composteur partagé square Jean-Moulin"),
    ]
    assert versions[0].estimated_cost == Decimal("900")


def test_it_refuses_edits_after_the_window_and_by_others(cast: Cast) -> None:
    process = make_process(cast.org, edit_window_minutes=30)
    alice = participant(cast.resident, cast.org)
    bruno = participant(cast.resident2, cast.org)
    proposal = services.proposal_create(process=process, participant=alice, data=_input())
    with pytest.raises(ActionRefused) as refused:
        services.proposal_update(
            proposal=proposal, participant=bruno, data=_input(title="Pris par Bruno")
        )
    assert refused.value.decision.code == "not_author"
    with pytest.raises(ActionRefused) as refused:
        services.proposal_update(
            proposal=proposal,
            participant=alice,
            data=_input(title="Trop tard pour changer"),
            now=timezone.now() + timedelta(minutes=31),
        )
    assert refused.value.decision.code == "edit_window"
    proposal.refresh_from_db()
    assert proposal.title == "Un composteur partagé square Jean-Moulin"
    assert not ProposalVersion.objects.exists()


def test_it_lets_only_the_author_withdraw(cast: Cast) -> None:
    process = make_process(cast.org)
    alice = participant(cast.resident, cast.org)
    bruno = participant(cast.resident2, cast.org)
    proposal = make_proposal(process, alice)
    with pytest.raises(ActionRefused):
        services.proposal_withdraw(proposal=proposal, participant=bruno)
    services.proposal_withdraw(proposal=proposal, participant=alice)
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.WITHDRAWN and proposal.withdrawn_at is not None
    with pytest.raises(ActionRefused) as refused:
        services.support_add(proposal=proposal, participant=bruno)
    assert refused.value.decision.code == "not_supportable"


def test_it_counts_one_support_per_person(cast: Cast) -> None:
    process = make_process(cast.org)
    proposal = make_proposal(process, participant(cast.resident, cast.org))
    bruno = participant(cast.resident2, cast.org)
    assert services.support_add(proposal=proposal, participant=bruno) is True
    assert services.support_add(proposal=proposal, participant=bruno) is False
    proposal.refresh_from_db()
    assert proposal.supports_count == 1
    assert Support.objects.filter(proposal=proposal).count() == 1
    assert services.support_withdraw(proposal=proposal, participant=bruno) is True
    assert services.support_withdraw(proposal=proposal, participant=bruno) is False
    proposal.refresh_from_db()
    assert proposal.supports_count == 0


def test_it_refuses_supports_and_their_withdrawal_once_the_phase_closed(cast: Cast) -> None:
    process = make_process(cast.org)
    proposal = make_proposal(process, participant(cast.resident, cast.org))
    bruno = participant(cast.resident2, cast.org)
    services.support_add(proposal=proposal, participant=bruno)
    Phase.objects.filter(process=process).update(mode=Phase.Mode.CLOSED)
    proposal.process = _fresh(process)
    with pytest.raises(ActionRefused) as refused:
        services.support_withdraw(proposal=proposal, participant=bruno)
    assert refused.value.decision.code == "phase_closed"
    claire = participant(cast.association_manager, cast.org)
    with pytest.raises(ActionRefused):
        services.support_add(proposal=proposal, participant=claire)
    proposal.refresh_from_db()
    assert proposal.supports_count == 1


def test_it_puts_a_proposal_under_study_once_at_the_threshold(cast: Cast) -> None:
    process = make_process(cast.org, support_threshold=2)
    alice = participant(cast.resident, cast.org)
    proposal = make_proposal(process, alice)
    supporters = [
        participant(cast.resident2, cast.org),
        participant(cast.association_manager, cast.org),
        participant(cast.moderator, cast.org),
    ]
    services.support_add(proposal=proposal, participant=supporters[0])
    proposal.refresh_from_db()
    assert proposal.threshold_reached_at is None and proposal.answer == ""
    services.support_add(proposal=proposal, participant=supporters[1])
    proposal.refresh_from_db()
    reached = proposal.threshold_reached_at
    assert reached is not None and proposal.answer == Proposal.Answer.UNDER_STUDY
    services.support_withdraw(proposal=proposal, participant=supporters[1])
    services.support_add(proposal=proposal, participant=supporters[1])
    services.support_add(proposal=proposal, participant=supporters[2])
    proposal.refresh_from_db()
    assert proposal.threshold_reached_at == reached
    told = Notification.objects.filter(recipient=alice, kind=Notification.Kind.THRESHOLD)
    assert told.count() == 1


# The test database of SQLite is in memory with a shared cache, whose table locks fail at
# once instead of waiting: the race is real, and tested, on PostgreSQL (the production
# database); on SQLite the unique constraint is proven by the sequential test above.
concurrent = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite's in-memory test database runs one writer"
)


@concurrent
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_it_counts_one_support_out_of_50_concurrent_attempts() -> None:
    from beffroi.testing import make_cast

    cast = make_cast()
    process = make_process(cast.org, support_threshold=1)
    proposal = make_proposal(process, participant(cast.resident, cast.org))
    bruno = participant(cast.resident2, cast.org)

    def attempt(_i: int) -> Any:
        loaded = Proposal.objects.select_related("process").get(pk=proposal.pk)
        return services.support_add(proposal=loaded, participant=bruno)

    results = at_once(50, attempt)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors[:3]
    assert results.count(True) == 1 and results.count(False) == 49
    proposal.refresh_from_db()
    assert proposal.supports_count == 1
    assert Support.objects.filter(proposal=proposal).count() == 1
    assert Notification.objects.filter(kind=Notification.Kind.THRESHOLD).count() == 1


def test_it_answers_officially_tells_followers_and_audits(cast: Cast) -> None:
    process = make_process(cast.org)
    alice = participant(cast.resident, cast.org)
    bruno = participant(cast.resident2, cast.org)
    proposal = services.proposal_create(process=process, participant=alice, data=_input())
    services.follow_add(proposal=proposal, participant=bruno)
    assert services.follow_add(proposal=proposal, participant=bruno) is False
    services.proposal_answer(
        proposal=proposal,
        agent=cast.participation_manager,
        answer=Proposal.Answer.ACCEPTED,
        text="Retenu <script>x</script> pour 2026.",
    )
    proposal.refresh_from_db()
    assert proposal.answer == "accepted" and "<script" not in proposal.answer_text
    assert proposal.answered_by == cast.participation_manager
    notified = Notification.objects.filter(kind=Notification.Kind.ANSWER)
    assert sorted(n.recipient_id for n in notified) == sorted([alice.pk, bruno.pk])
    assert AuditEvent.objects.filter(action="participation.proposal_answer").count() == 1
    with pytest.raises(ActionRefused):
        services.proposal_answer(
            proposal=proposal, agent=cast.resident, answer="rejected", text="Non."
        )
    with pytest.raises(ValidationError):
        services.proposal_answer(
            proposal=proposal, agent=cast.participation_manager, answer="maybe", text=""
        )


def test_it_records_the_feasibility_review(cast: Cast) -> None:
    process = make_process(cast.org)
    proposal = make_proposal(process, participant(cast.resident, cast.org))
    services.proposal_review_feasibility(
        proposal=proposal,
        agent=cast.administrator,
        feasibility=Proposal.Feasibility.FEASIBLE,
        services_cost=Decimal("2500.50"),
        note="Faisable avec les services techniques.",
    )
    proposal.refresh_from_db()
    assert proposal.feasibility == "feasible" and proposal.services_cost == Decimal("2500.50")
    assert AuditEvent.objects.filter(action="participation.proposal_feasibility").exists()
    with pytest.raises(ActionRefused):
        services.proposal_review_feasibility(
            proposal=proposal,
            agent=cast.front_desk,
            feasibility="feasible",
            services_cost=None,
            note="",
        )


def test_it_types_in_a_proposal_on_behalf_of_a_resident(cast: Cast) -> None:
    process = make_process(cast.org, phases=(PhaseType.PROPOSALS, PhaseType.ANALYSIS), open_phase=1)
    proposal = services.proposal_create_on_behalf(
        process=process,
        agent=cast.front_desk,
        data=_input(),
        origin=Proposal.Origin.PAPER,
        resident_name="Jeanne D.",
    )
    assert proposal.origin == "paper" and proposal.entered_by == cast.front_desk
    assert proposal.author is not None and proposal.author.public_name == "Jeanne D."
    assert proposal.author.user_id is None and proposal.author.subscriber_id is None
    assert AuditEvent.objects.filter(action="participation.proposal_on_behalf").exists()
    with pytest.raises(ActionRefused):
        services.proposal_create_on_behalf(
            process=process, agent=cast.resident, data=_input(), origin="paper"
        )
    with pytest.raises(ValidationError) as error:
        services.proposal_create_on_behalf(
            process=process, agent=cast.front_desk, data=_input(), origin="online"
        )
    assert "origin" in error.value.message_dict
    assert Proposal.objects.count() == 1


def test_it_suggests_similar_proposals_but_never_hidden_ones(cast: Cast) -> None:
    process = make_process(cast.org)
    alice = participant(cast.resident, cast.org)
    compost = make_proposal(process, alice, title="Composteur collectif au square Jean-Moulin")
    hidden = make_proposal(
        process, alice, title="Composteurs collectifs square Jean-Moulin", hidden_at=timezone.now()
    )
    make_proposal(process, alice, title="Piste cyclable route de Lyon", body="Pour les vélos.")
    found = selectors.similar_proposals(
        process=process, title="Un composteur au square", body="Pour nos déchets verts"
    )
    assert [s.proposal_id for s in found] == [compost.pk]
    assert hidden.pk not in [s.proposal_id for s in found]
    assert selectors.similar_proposals(process=process, title="le la de") == []


def test_it_leaves_hidden_proposals_out_of_lists_maps_and_search(cast: Cast) -> None:
    process = make_process(cast.org)
    alice = participant(cast.resident, cast.org)
    shown = make_proposal(process, alice, title="Bancs place du marché", lat=45.0, lon=4.0)
    make_proposal(
        process,
        alice,
        title="Bancs cachés place du marché",
        lat=45.0,
        lon=4.0,
        hidden_at=timezone.now(),
    )
    filters = selectors.ProposalFilters(query="bancs")
    assert list(selectors.proposals_filtered(process=process, filters=filters)) == [shown]
    geojson = selectors.proposals_geojson(process=process, filters=selectors.ProposalFilters())
    assert [f["id"] for f in geojson["features"]] == [shown.pk]


def test_it_filters_and_sorts(cast: Cast) -> None:
    process = make_process(cast.org)
    alice = participant(cast.resident, cast.org)
    culture = Category.objects.create(process=process, name="Culture")
    zone = make_zone(cast.org, "Le Bourg", 4.0, 45.0, 0.01)
    a = make_proposal(process, alice, title="Fête de la musique", category=culture)
    b = make_proposal(process, alice, title="Jardin partagé", supports_count=5, comments_count=1)
    c = make_proposal(process, alice, title="Boîte à livres", comments_count=9, answer="accepted")
    b.zones.add(zone)
    withdrawn = make_proposal(process, alice, title="Retirée", state=Proposal.State.WITHDRAWN)

    def ids(**kwargs: Any) -> list[int]:
        filters = selectors.ProposalFilters(**kwargs)
        return [p.pk for p in selectors.proposals_filtered(process=process, filters=filters)]

    assert ids(sort="supported")[0] == b.pk
    assert ids(sort="commented")[0] == c.pk
    assert ids(sort="newest") == [c.pk, b.pk, a.pk]
    assert ids(category_id=culture.pk) == [a.pk]
    assert ids(zone_id=zone.pk) == [b.pk]
    assert ids(status="accepted") == [c.pk]
    assert ids(status="withdrawn") == [withdrawn.pk]
    shuffled = ids(sort="random", seed=42)
    assert sorted(shuffled) == sorted([a.pk, b.pk, c.pk])
    assert ids(sort="random", seed=42) == shuffled


def test_it_limits_proposals_per_hour_and_saves_nothing_past_the_limit(cast: Cast) -> None:
    cast.org.settings = {"participation": {"proposals_per_hour": 2}}
    cast.org.save()
    process = make_process(cast.org)
    alice = participant(cast.resident, cast.org)
    services.proposal_create(process=process, participant=alice, data=_input(title="Une idée"))
    # A refused form does not count against the limit.
    with pytest.raises(ValidationError):
        services.proposal_create(process=process, participant=alice, data=_input(title=""))
    services.proposal_create(process=process, participant=alice, data=_input(title="Deux idées"))
    with pytest.raises(ActionRefused) as refused:
        services.proposal_create(
            process=process, participant=alice, data=_input(title="Trois idées")
        )
    assert refused.value.decision.code == "rate_limited"
    assert Proposal.objects.filter(process=process).count() == 2
