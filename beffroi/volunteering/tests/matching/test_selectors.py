"""Ranking volunteers for a mission and missions for a volunteer: order, reasons and each hard
filter, on hand-built profiles."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from beffroi.testing import Cast
from beffroi.volunteering.matching.selectors import (
    missions_for_volunteer,
    slot_cells,
    volunteers_for_mission,
)
from beffroi.volunteering.models import (
    Absence,
    Application,
    Mission,
    ReserveMember,
    Slot,
    VolunteerProfile,
    grid_bit,
)
from beffroi.volunteering.tests.factories import make_association, make_mission, make_profile

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
# A Saturday, 9 am – noon (the slot), seen from the Monday before.
SATURDAY = datetime(2026, 12, 12, 9, 0, tzinfo=PARIS)
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=PARIS)
SATURDAY_MORNING = grid_bit(5, 0)
# About 1.1 km north of the mission (which sits at 49.1, 5.4).
NORTH_1KM = 49.1 + 1 / 110.574


def _mission(cast: Cast, **fields: object) -> Mission:
    fields.setdefault("lat", 49.1)
    fields.setdefault("lon", 5.4)
    return make_mission(cast.org, starts_at=SATURDAY, **fields)  # type: ignore[arg-type]


def _ids(mission: Mission, **kwargs: object) -> list[int]:
    return [m.profile_id for m in volunteers_for_mission(mission=mission, now=NOW, **kwargs)]  # type: ignore[arg-type]


def test_it_ranks_near_free_skilled_volunteers_first_and_says_why(cast: Cast) -> None:
    mission = _mission(cast, activities=["solidarity"], skills=["first_aid"])
    best = make_profile(
        cast.org,
        "Anne Proche",
        home_lat=NORTH_1KM,
        availability=SATURDAY_MORNING,
        interests=["solidarity"],
        skills=["first_aid"],
        radius_km=10,
    )
    far = make_profile(
        cast.org, "Bruno Loin", home_lat=49.1 + 8 / 110.574, availability=SATURDAY_MORNING,
        radius_km=10,
    )  # fmt: skip
    [first, second] = volunteers_for_mission(mission=mission, now=NOW)
    assert (first.profile_id, second.profile_id) == (best.pk, far.pk)
    assert first.reasons == [
        "1.0 km",
        "free Saturday morning",
        "solidarity and social action",
        "first aid",
        "no mission this month yet",
    ]
    assert second.reasons == ["8.0 km", "free Saturday morning", "no mission this month yet"]
    assert first.distance_km == 1.0
    assert first.score > second.score


def test_it_lifts_those_with_fewer_missions_this_month(cast: Cast) -> None:
    mission = _mission(cast)
    busy = make_profile(cast.org, "Busy")
    idle = make_profile(cast.org, "Idle")
    other = make_mission(
        cast.org, "Autre", starts_at=datetime(2026, 12, 3, 9, tzinfo=PARIS), slots=3
    )
    for slot in other.slots.all():
        Application.objects.create(slot=slot, profile=busy, state=Application.State.ACCEPTED)
    matches = volunteers_for_mission(mission=mission, now=NOW)
    assert [m.profile_id for m in matches] == [idle.pk, busy.pk]
    # Two of the three slots fall in December (3 and 10); the 17th too: three this month.
    assert matches[1].missions_this_month == 3
    assert "3 missions this month" in matches[1].reasons


def test_it_leaves_out_whoever_gives_their_most_hours_already(cast: Cast) -> None:
    mission = _mission(cast)
    full = make_profile(cast.org, "Plein", max_hours_month=4)
    other = make_mission(cast.org, "Autre", starts_at=datetime(2026, 12, 3, 9, tzinfo=PARIS))
    Application.objects.create(
        slot=other.slots.get(), profile=full, state=Application.State.ACCEPTED
    )
    assert _ids(mission) == []  # 3 hours given + 3 hours of the slot > 4
    full.max_hours_month = 6
    full.save()
    assert _ids(mission) == [full.pk]


def test_it_applies_each_hard_filter(cast: Cast) -> None:
    mission = _mission(cast, min_age=18, certifications=["psc1"])
    ok = make_profile(cast.org, "Ok", birth_date=date(1990, 1, 1), certifications=(("psc1", None),))
    make_profile(cast.org, "Young", birth_date=date(2010, 1, 1), certifications=(("psc1", None),))
    make_profile(cast.org, "No birth date", certifications=(("psc1", None),))
    make_profile(
        cast.org, "Expired", birth_date=date(1990, 1, 1),
        certifications=(("psc1", date(2026, 12, 11)),),
    )  # fmt: skip
    make_profile(cast.org, "No cert", birth_date=date(1990, 1, 1))
    make_profile(
        cast.org, "Inactive", active=False, birth_date=date(1990, 1, 1),
        certifications=(("psc1", None),),
    )  # fmt: skip
    make_profile(
        cast.org, "Private", visibility=VolunteerProfile.Visibility.PRIVATE,
        birth_date=date(1990, 1, 1), certifications=(("psc1", None),),
    )  # fmt: skip
    make_profile(
        cast.org, "Far", home_lat=49.1 + 6 / 110.574, radius_km=5,
        birth_date=date(1990, 1, 1), certifications=(("psc1", None),),
    )  # fmt: skip
    make_profile(
        cast.org, "Busy on Saturdays", availability=grid_bit(0, 0),
        birth_date=date(1990, 1, 1), certifications=(("psc1", None),),
    )  # fmt: skip
    away = make_profile(
        cast.org, "Away", birth_date=date(1990, 1, 1), certifications=(("psc1", None),)
    )
    Absence.objects.create(profile=away, starts_on=date(2026, 12, 10), ends_on=date(2026, 12, 14))
    applied = make_profile(
        cast.org, "Applied", birth_date=date(1990, 1, 1), certifications=(("psc1", None),)
    )
    Application.objects.create(slot=mission.slots.get(), profile=applied)
    make_profile(
        cast.other_org, "Elsewhere", birth_date=date(1990, 1, 1), certifications=(("psc1", None),)
    )
    assert _ids(mission) == [ok.pk]
    assert _ids(mission, exclude_profile_ids=[ok.pk]) == []


def test_it_keeps_the_reserve_for_reservists_and_flags_them(cast: Cast) -> None:
    mission = _mission(cast, reserve_only=True)
    reservist = make_profile(cast.org, "Réserviste")
    make_profile(cast.org, "Civil")
    ReserveMember.objects.create(
        organisation=cast.org, profile=reservist, decision_reference="A-1",
        decision_date=date(2026, 1, 1), engaged_from=date(2026, 1, 1),
        engaged_until=date(2027, 1, 1),
    )  # fmt: skip
    [match] = volunteers_for_mission(mission=mission, now=NOW)
    assert (match.profile_id, match.reservist) == (reservist.pk, True)


def test_it_takes_crisis_consent_whatever_the_visibility_in_a_crisis(cast: Cast) -> None:
    mission = _mission(cast)
    consenting = make_profile(
        cast.org, "Private but consenting", crisis_consent=True,
        visibility=VolunteerProfile.Visibility.PRIVATE, availability=grid_bit(0, 0),
    )  # fmt: skip
    make_profile(cast.org, "Matchable without consent")
    assert _ids(mission, crisis_only=True) == [consenting.pk]


def test_it_ignores_distance_for_remote_missions(cast: Cast) -> None:
    mission = _mission(cast, remote=True)
    far = make_profile(cast.org, "Far", home_lat=50.5, radius_km=2)
    [match] = volunteers_for_mission(mission=mission, now=NOW)
    assert (match.profile_id, match.distance_km) == (far.pk, None)


def test_it_reads_the_periods_a_slot_spans() -> None:
    # Saturday 4 pm – Sunday 1 am: afternoon, evening, night (of Saturday).
    start = datetime(2026, 12, 12, 16, tzinfo=PARIS)
    assert slot_cells(start, start + timedelta(hours=9)) == [(5, 1), (5, 2), (5, 3)]
    # Sunday 3 am belongs to Saturday's night.
    early = datetime(2026, 12, 13, 3, tzinfo=PARIS)
    assert slot_cells(early, early + timedelta(hours=4)) == [(5, 3), (6, 0)]


def test_it_ranks_missions_for_a_volunteer_and_lifts_those_with_nobody(cast: Cast) -> None:
    association = make_association(cast.org, "Les Restos")
    profile = make_profile(
        cast.org, availability=SATURDAY_MORNING, interests=["solidarity"], radius_km=10
    )
    joined = _mission(cast, title="Déjà du monde", association=association, needed=3)
    Slot.objects.filter(mission=joined).update(accepted_count=1)
    empty = _mission(cast, title="Personne", association=association, needed=3)
    liked = _mission(cast, title="Solidarité", activities=["solidarity"], needed=3)
    Slot.objects.filter(mission=liked).update(accepted_count=1)
    far = _mission(cast, title="Loin", lat=49.1 + 20 / 110.574)
    _mission(cast, title="Brouillon", status=Mission.Status.DRAFT)
    full = _mission(cast, title="Complet", needed=1)
    Slot.objects.filter(mission=full).update(accepted_count=1)
    matches = missions_for_volunteer(profile=profile, now=NOW)
    titles = [m.title for m in matches]
    assert titles == ["Solidarité", "Personne", "Déjà du monde"]
    assert far.pk not in [m.mission_id for m in matches]
    empty_match = matches[1]
    assert empty_match.association_name == "Les Restos"
    assert empty_match.next_slot_id == empty.slots.get().pk
    assert empty_match.reasons == ["0.0 km", "free Saturday morning", "nobody yet"]
    assert joined.pk == matches[2].mission_id


def test_it_filters_missions_on_the_volunteers_prerequisites_and_absences(cast: Cast) -> None:
    profile = make_profile(
        cast.org, birth_date=date(2010, 6, 1), certifications=(("psc1", date(2026, 12, 31)),)
    )
    ok = _mission(cast, title="PSC1", certifications=["psc1"])
    _mission(cast, title="Adultes", min_age=18)
    _mission(cast, title="PSE1", certifications=["pse1"])
    _mission(cast, title="Réserve", reserve_only=True)
    assert [m.mission_id for m in missions_for_volunteer(profile=profile, now=NOW)] == [ok.pk]
    Absence.objects.create(
        profile=profile, starts_on=date(2026, 12, 12), ends_on=date(2026, 12, 12)
    )
    assert missions_for_volunteer(profile=profile, now=NOW) == []


def test_it_skips_slots_already_applied_to(cast: Cast) -> None:
    profile = make_profile(cast.org)
    mission = _mission(cast, slots=2)
    first, second = mission.slots.all()
    Application.objects.create(slot=first, profile=profile)
    [match] = missions_for_volunteer(profile=profile, now=NOW)
    assert match.next_slot_id == second.pk
