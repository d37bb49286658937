"""Pages read a constant number of queries however much the process holds: the process home,
its map, its meetings, a meeting, a proposal's discussion, as a resident signed in."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from beffroi.participation.models import Comment, PhaseType, Process, Registration, Support
from beffroi.participation.tests.factories import (
    make_meeting,
    make_process,
    make_proposal,
    participant,
)
from beffroi.testing import Cast


def _grow(process: Process, people: list[Any], size: int) -> None:
    for i in range(size):
        proposal = make_proposal(process, people[i % len(people)], title=f"Idée numéro {i}")
        proposal.lat, proposal.lon = 45.0 + i / 1000, 4.0
        proposal.save(update_fields=["lat", "lon"])
        for person in people:
            Support.objects.create(proposal=proposal, participant=person)
            Comment.objects.create(
                organisation=process.organisation,
                process=process,
                proposal=proposal,
                author=person,
                body=f"Avis {i}",
            )
        meeting = make_meeting(process, title=f"Atelier {i}", in_days=i - size / 2)
        for person in people:
            Registration.objects.create(
                meeting=meeting, participant=person, status=Registration.Status.CONFIRMED
            )


def _pages(process: Process) -> dict[str, str]:
    first = process.proposals.order_by("pk").first()
    meeting = process.meetings.order_by("pk").first()
    assert first is not None and meeting is not None
    return {
        "home": reverse("participation_processes:detail", args=[process.slug]),
        "map": reverse("participation_processes:map", args=[process.slug]),
        "meetings": reverse("participation_meetings:process", args=[process.slug]),
        "meeting": reverse("participation_meetings:detail", args=[process.slug, meeting.pk]),
        "thread": reverse("participation_comments:proposal_thread", args=[first.pk]),
        "list": reverse("participation_proposals:list", args=[process.slug]),
        "detail": reverse("participation_proposals:detail", args=[first.pk]),
    }


def _counts(client: Client, pages: dict[str, str]) -> dict[str, int]:
    counts = {}
    for name, path in pages.items():
        client.get(path)  # sessions and caches as on a second visit
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200, (name, response.status_code)
        counts[name] = len(captured)
    return counts


def test_it_reads_each_page_in_the_same_number_of_queries_at_any_size(cast: Cast) -> None:
    process = make_process(
        cast.org, phases=(PhaseType.PROPOSALS, PhaseType.DELIBERATION, PhaseType.WORKSHOPS)
    )
    people = [participant(user, cast.org) for user in (cast.resident, cast.resident2)]
    _grow(process, people, 3)
    client = Client()
    client.force_login(cast.resident)
    small = _counts(client, _pages(process))
    _grow(process, people, 30)
    large = _counts(client, _pages(process))
    assert large == small, {k: (small[k], large[k]) for k in small if small[k] != large[k]}
