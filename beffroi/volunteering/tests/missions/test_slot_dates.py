"""Slots' dates: none before 2000 or after 2100, none more than two years ahead, in the
forms and in the services (the API goes through them)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.testing import Cast
from beffroi.volunteering.missions import services
from beffroi.volunteering.missions.services import MissionRefused
from beffroi.volunteering.models import Association, Slot
from beffroi.volunteering.tests.factories import make_association, make_mission

pytestmark = pytest.mark.django_db


def _comite(cast: Cast) -> Association:
    return make_association(
        cast.org, "Comité des fêtes", managers=((cast.association_manager, "owner", "active"),)
    )


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _far() -> date:
    return timezone.localdate() + timedelta(days=3 * 365)


def test_it_refuses_absurd_slot_dates_in_the_services(cast: Cast) -> None:
    mission = make_mission(cast.org, association=_comite(cast), slots=0, status="draft")
    for day, words in (
        (date(9999, 6, 1), "between 2000 and 2100"),
        (date(2101, 1, 1), "between 2000 and 2100"),
        (_far(), "two years ahead"),
    ):
        with pytest.raises(MissionRefused, match=words):
            services.slot_add(
                mission=mission,
                actor=cast.association_manager,
                starts_at=_at(day, 9),
                ends_at=_at(day, 12),
                needed=2,
            )
        with pytest.raises(MissionRefused, match=words):
            services.schedule_apply(
                mission=mission,
                weekdays=[0, 1, 2, 3, 4, 5, 6],
                start=time(9),
                end=time(12),
                from_date=day,
                until_date=day + timedelta(days=7),
                needed=2,
            )
    assert not Slot.objects.filter(mission=mission).exists()
    slot = services.slot_add(
        mission=mission,
        actor=cast.association_manager,
        starts_at=_at(timezone.localdate() + timedelta(days=300), 9),
        ends_at=_at(timezone.localdate() + timedelta(days=300), 12),
        needed=2,
    )
    with pytest.raises(MissionRefused, match="between 2000 and 2100"):
        services.slot_update(
            slot=slot,
            actor=cast.association_manager,
            starts_at=_at(date(9999, 1, 4), 9),
            ends_at=_at(date(9999, 1, 4), 12),
            needed=2,
        )
    slot.refresh_from_db()
    assert slot.starts_at.year < 2100


def test_it_refuses_absurd_slot_dates_in_the_forms(cast: Cast) -> None:
    mission = make_mission(cast.org, association=_comite(cast), slots=0, status="draft")
    client = Client()
    client.force_login(cast.association_manager)
    response = client.post(
        reverse("volunteering_missions:slot_add", args=[mission.pk]),
        {"slot-day": "9999-12-31", "slot-start": "22:00", "slot-end": "06:00", "slot-needed": "2"},
    )
    assert response.status_code == 400
    assert "between 2000 and 2100" in response.content.decode()
    response = client.post(
        reverse("volunteering_missions:schedule", args=[mission.pk]),
        {
            "schedule-weekdays": ["5"],
            "schedule-start": "09:00",
            "schedule-end": "12:00",
            "schedule-from_date": _far().isoformat(),
            "schedule-until_date": (_far() + timedelta(days=20)).isoformat(),
            "schedule-needed": "4",
        },
    )
    assert response.status_code == 400
    assert "two years ahead" in response.content.decode()
    assert not Slot.objects.filter(mission=mission).exists()
