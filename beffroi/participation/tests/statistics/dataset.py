"""A small process whose every count is known by hand (see ``EXPECTED_*``), and a bulk
builder for the query-count tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from beffroi.alerts.models import Place
from beffroi.alerts.tests.factories import make_address, make_subscriber
from beffroi.participation.models import (
    Comment,
    Meeting,
    Participant,
    Phase,
    PhaseType,
    Process,
    Proposal,
    Registration,
    Support,
)
from beffroi.participation.participants.services import participant_for_subscriber
from beffroi.participation.tests.factories import make_process, make_proposal, participant
from beffroi.territory.models import Address, Organisation, Zone, ZoneMembership
from beffroi.testing import Cast, make_user

PARIS = ZoneInfo("Europe/Paris")


def at(day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A moment of March 2025, Paris time."""
    return datetime(2025, 3, day, hour, minute, tzinfo=PARIS)


def zone(organisation: Organisation, name: str, kind: str = "district") -> Zone:
    return Zone.objects.create(
        organisation=organisation,
        name=name,
        kind=kind,
        geometry={"type": "Polygon", "coordinates": []},
        min_lon=0,
        min_lat=0,
        max_lon=0,
        max_lat=0,
    )


def lives(address: Address, *zones: Zone) -> Address:
    ZoneMembership.objects.bulk_create(ZoneMembership(zone=z, address=address) for z in zones)
    return address


def person(cast: Cast, email: str, birth_year: int | None, address: Address | None) -> Participant:
    user = make_user(email, organisation=cast.org, full_name=email.split("@")[0].title())
    who = participant(user, cast.org)
    who.birth_year = birth_year
    who.address = address
    who.save()
    return who


def dated(obj: Proposal | Support | Comment | Registration, moment: datetime) -> None:
    type(obj).objects.filter(pk=obj.pk).update(created_at=moment)


def comment(
    proposal: Proposal, author: Participant | None, moment: datetime, *, hidden: bool = False
) -> Comment:
    made = Comment.objects.create(
        organisation=proposal.organisation,
        process=proposal.process,
        proposal=proposal,
        author=author,
        body="Bonne idée",
        hidden_at=timezone.now() if hidden else None,
    )
    dated(made, moment)
    return made


def support(proposal: Proposal, who: Participant, moment: datetime) -> Support:
    made = Support.objects.create(proposal=proposal, participant=who)
    dated(made, moment)
    return made


@dataclass
class Dataset:
    process: Process
    north: Zone
    flood: Zone
    south: Zone
    empty: Zone


def build(cast: Cast) -> Dataset:
    """A call for ideas of 1–5 March 2025 (Paris time) in Valmont.

    People (ages reached in 2025):
    - alice, 1990 (35), lives at A in North;
    - bruno, 2010 (15), lives at B, in North and in the Flood zone;
    - jeanne, known only by SMS, no year, no address of her own: her alert home is at C in
      South (her work place at A, in North, is not her residence);
    - eric, 1950, lives at A, but asked for erasure: no known age or zone;
    - dan, 1940 (85), no address;
    - fanny, 1980 (45), lives at D in South, only registered for a meeting;
    - gus registered and cancelled: not a participant.
    """
    org = cast.org
    north, flood, south, empty = (
        zone(org, "Nord"),
        zone(org, "Zone inondable", "flood"),
        zone(org, "Sud"),
        zone(org, "Hameau vide", "hamlet"),
    )
    a = lives(make_address(org, 4.0, 45.0, "A"), north)
    b = lives(make_address(org, 4.0, 45.01, "B"), north, flood)
    c = lives(make_address(org, 4.0, 44.9, "C"), south)
    d = lives(make_address(org, 4.0, 44.91, "D"), south)

    process = make_process(org, slug="idees-2025")
    Phase.objects.filter(process=process).update(starts_at=at(1, 9), ends_at=at(5, 18))
    Phase.objects.create(
        process=process,
        type=PhaseType.WORKSHOPS,
        title="Atelier",
        starts_at=at(2, 9),
        ends_at=at(4, 18),
        position=1,
    )

    alice = person(cast, "alice.stats@example.org", 1990, a)
    bruno = person(cast, "bruno.stats@example.org", 2010, b)
    subscriber = make_subscriber(org, c, full_name="Jeanne Durand", sms="+33612345678")
    Place.objects.create(subscriber=subscriber, address=a, kind=Place.Kind.WORK)
    jeanne = participant_for_subscriber(subscriber=subscriber)
    Participant.objects.filter(pk=jeanne.pk).update(address=None, birth_year=None)
    eric = person(cast, "eric.stats@example.org", 1950, a)
    Participant.objects.filter(pk=eric.pk).update(erased_at=timezone.now())
    dan = person(cast, "dan.stats@example.org", 1940, None)
    fanny = person(cast, "fanny.stats@example.org", 1980, d)
    gus = person(cast, "gus.stats@example.org", 1970, d)

    # 1 March: two proposals, the second one hidden by moderation and in no zone. The second
    # is made at 23:30 in Paris, 22:30 UTC: still the 1st.
    p1 = make_proposal(process, alice, title="Composteur")
    p1.zones.add(north)
    dated(p1, at(1, 10))
    p2 = make_proposal(process, bruno, title="Banc", hidden_at=timezone.now())
    dated(p2, at(1, 23, 30))
    # 2 March (from 00:30 in Paris, still the 1st in UTC): supports and comments.
    comment(p1, alice, at(2, 0, 30))
    support(p1, jeanne, at(2, 9))
    support(p1, bruno, at(2, 10))
    comment(p1, eric, at(2, 11), hidden=True)
    # 3 March: nothing. 4 March: supports of the hidden proposal count, a meeting.
    support(p2, dan, at(4, 9))
    support(p2, alice, at(4, 10))
    comment(p2, jeanne, at(4, 11))
    meeting = Meeting.objects.create(
        organisation=org,
        process=process,
        title="Atelier du Sud",
        starts_at=at(10, 18),
        ends_at=at(10, 20),
    )
    registration = Registration.objects.create(
        meeting=meeting, participant=fanny, status=Registration.Status.CONFIRMED
    )
    dated(registration, at(4, 12))
    cancelled = Registration.objects.create(
        meeting=meeting, participant=gus, status=Registration.Status.CANCELLED
    )
    dated(cancelled, at(4, 13))
    # 5 March: a proposal typed in for someone whose row is gone, in South, then withdrawn.
    p3 = make_proposal(
        process,
        None,
        title="Piste cyclable",
        state=Proposal.State.WITHDRAWN,
        withdrawn_at=timezone.now(),
    )
    p3.zones.add(south)
    dated(p3, at(5, 15))

    # Elsewhere: another process of Valmont and another commune's process count nowhere here.
    other = make_process(org, slug="autre")
    other_proposal = make_proposal(other, alice)
    other_proposal.zones.add(north)
    support(other_proposal, bruno, at(2, 9))
    comment(other_proposal, bruno, at(2, 9))
    foreign = make_process(cast.other_org, slug="ailleurs")
    make_proposal(foreign, None)
    return Dataset(process=process, north=north, flood=flood, south=south, empty=empty)


# (participants, proposals, hidden proposals, supports, comments, hidden comments); per day,
# participants are the people whose first contribution to the process was that day.
EXPECTED_DAYS = {
    "2025-03-01": (2, 2, 1, 0, 0, 0),
    "2025-03-02": (2, 0, 0, 2, 2, 1),
    "2025-03-03": (0, 0, 0, 0, 0, 0),
    "2025-03-04": (2, 0, 0, 2, 1, 0),
    "2025-03-05": (0, 1, 0, 0, 0, 0),
}
EXPECTED_ZONES = {
    "Nord": (2, 1, 0, 2, 1, 0),
    "Zone inondable": (1, 0, 0, 1, 0, 0),
    "Sud": (2, 1, 0, 1, 1, 0),
    "Hameau vide": (0, 0, 0, 0, 0, 0),
    "No known zone": (2, 1, 1, 1, 1, 1),
}
EXPECTED_AGES = {
    "under_18": (1, 1, 1, 1, 0, 0),
    "18_29": (0, 0, 0, 0, 0, 0),
    "30_44": (1, 1, 0, 1, 1, 0),
    "45_59": (1, 0, 0, 0, 0, 0),
    "60_74": (0, 0, 0, 0, 0, 0),
    "75_over": (1, 0, 0, 1, 0, 0),
    "unknown": (2, 1, 0, 1, 2, 1),
}


def bulk(process: Process, *, people: int, proposals: int, supports_each: int) -> None:
    """Many participants, proposals, supports and comments, in bulk (query-count tests)."""
    org = process.organisation
    home = make_address(org, 4.0, 45.0, "bulk")
    zones = list(Zone.objects.filter(organisation=org))
    lives(home, *zones[:1])
    start = len(Participant.objects.filter(organisation=org))
    persons = Participant.objects.bulk_create(
        Participant(organisation=org, birth_year=1950 + i % 60, address=home if i % 2 else None)
        for i in range(start, start + people)
    )
    made = Proposal.objects.bulk_create(
        Proposal(
            organisation=org,
            process=process,
            author=persons[i % people],
            title=f"Idée {i}",
            body="<p>Idée</p>",
            hidden_at=timezone.now() if i % 7 == 0 else None,
        )
        for i in range(proposals)
    )
    Support.objects.bulk_create(
        Support(proposal=proposal, participant=persons[(i + j) % people])
        for i, proposal in enumerate(made)
        for j in range(min(supports_each, people))
    )
    Comment.objects.bulk_create(
        Comment(
            organisation=org,
            process=process,
            proposal=proposal,
            author=persons[i % people],
            body="Oui",
        )
        for i, proposal in enumerate(made)
    )
    # Inside the days of the process (auto_now_add gave them today's date).
    Proposal.objects.filter(pk__in=[p.pk for p in made]).update(created_at=at(3))
    Support.objects.filter(proposal__process=process).update(created_at=at(3, 14))
    Comment.objects.filter(process=process).update(created_at=at(4, 14))
