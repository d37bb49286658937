"""The reserve refuses implausible dates (typing mistakes) for engagements and trainings, and
attendance for a session that has not started; the attendance form has one clean fieldset
per reservist."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.testing import Cast, login_verified
from beffroi.volunteering.models import ReserveMember, TrainingAttendance, TrainingSession
from beffroi.volunteering.reserve.services import ReserveRefused, training_attendance_record
from beffroi.volunteering.tests.factories import make_profile

pytestmark = pytest.mark.django_db

BO = "volunteering_reserve_backoffice"


def _crisis(cast: Cast) -> Client:
    client = Client()
    login_verified(client, cast.alert_approver)
    return client


def _member(cast: Cast, name: str = "Aline Sable") -> ReserveMember:
    today = timezone.localdate()
    return ReserveMember.objects.create(
        organisation=cast.org,
        profile=make_profile(cast.org, name, phone="+33639920001"),
        decision_reference="ARR-2026-014",
        decision_date=today - timedelta(days=60),
        engaged_from=today - timedelta(days=60),
        engaged_until=today + timedelta(days=300),
    )


@pytest.mark.parametrize("year", ["0202", "1999", "2101"])
def test_it_refuses_an_engagement_with_an_absurd_year(cast: Cast, year: str) -> None:
    profile = make_profile(cast.org, "Jeanne Réserve")
    today = timezone.localdate()
    response = _crisis(cast).post(
        reverse(f"{BO}:enrol"),
        {
            "profile": profile.pk,
            "decision_reference": "ARR-2026-014",
            "decision_date": f"{year}-01-10",
            "engaged_from": today.isoformat(),
            "engaged_until": (today + timedelta(days=365)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "is not plausible" in response.content.decode()
    assert not ReserveMember.objects.exists()


def test_it_refuses_a_training_with_an_absurd_year(cast: Cast) -> None:
    response = _crisis(cast).post(
        reverse(f"{BO}:training_create"),
        {
            "title": "Montage des batardeaux",
            "starts_at": "2202-03-14T09:00",
            "ends_at": "2202-03-14T12:00",
        },
    )
    assert response.status_code == 400
    assert "is not plausible" in response.content.decode()
    assert not TrainingSession.objects.exists()


def test_it_refuses_attendance_before_the_session_starts(cast: Cast) -> None:
    member = _member(cast)
    start = timezone.now() + timedelta(days=2)
    session = TrainingSession.objects.create(
        organisation=cast.org,
        title="Exercice crue",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
    )
    TrainingAttendance.objects.create(session=session, member=member)
    with pytest.raises(ReserveRefused, match="has not started yet"):
        training_attendance_record(
            session=session, actor=cast.alert_approver, presence={member.pk: True}
        )
    client = _crisis(cast)
    detail = reverse(f"{BO}:training", args=[session.pk])
    page = client.get(detail).content.decode()
    assert "has not started yet" in page and f'name="member_{member.pk}"' not in page
    response = client.post(detail, {f"member_{member.pk}": "present"})
    assert response.status_code == 400 and "has not started yet" in response.content.decode()
    assert TrainingAttendance.objects.get().present is None


def test_it_labels_each_reservists_attendance_without_optional(cast: Cast) -> None:
    member = _member(cast)
    start: datetime = timezone.now() - timedelta(hours=3)
    session = TrainingSession.objects.create(
        organisation=cast.org,
        title="Exercice crue",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
    )
    TrainingAttendance.objects.create(session=session, member=member)
    client = _crisis(cast)
    detail = reverse(f"{BO}:training", args=[session.pk])
    page = client.get(detail).content.decode()
    assert "<legend>Aline Sable</legend>" in page
    assert "(optional)" not in page
    for label in ("Present", "Absent", "Not recorded"):
        assert label in page
    data: dict[str, Any] = {f"member_{member.pk}": "present"}
    assert client.post(detail, data).status_code == 302
    assert TrainingAttendance.objects.get().present is True
