"""The civil-protection reserve: enrolment by decision of the mayor, edit, end of the
engagement, the list with its states, the phone tree, trainings with attendance; only the
crisis cell, only its own organisation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.core.models import AuditEvent
from beffroi.testing import Cast, login_verified
from beffroi.volunteering.models import ReserveMember, TrainingAttendance, TrainingSession
from beffroi.volunteering.reserve.selectors import member_status
from beffroi.volunteering.tests.factories import make_profile

pytestmark = pytest.mark.django_db

BO = "volunteering_reserve_backoffice"


def _crisis(cast: Cast, user: Any = None, host: str = "testserver") -> Client:
    client = Client(HTTP_HOST=host)
    login_verified(client, user or cast.alert_approver)
    return client


def _engagement(**overrides: Any) -> dict[str, Any]:
    today = timezone.localdate()
    data: dict[str, Any] = {
        "decision_reference": "ARR-2026-014",
        "decision_date": (today - timedelta(days=10)).isoformat(),
        "engaged_from": (today - timedelta(days=10)).isoformat(),
        "engaged_until": (today + timedelta(days=365)).isoformat(),
        "mission_types": ["flood", "logistics"],
        "notes": "Disponible les week-ends.",
    }
    data.update(overrides)
    return data


def test_it_enrols_edits_and_ends_an_engagement(cast: Cast) -> None:
    profile = make_profile(cast.org, "Jeanne Réserve", phone="+33639911111", crisis_consent=True)
    client = _crisis(cast)
    url = reverse(f"{BO}:enrol")
    page = client.get(url)
    assert page.status_code == 200 and "Jeanne Réserve" in page.content.decode()
    # Bad input: an engagement ending before it starts; nothing written.
    today = timezone.localdate()
    response = client.post(
        url,
        _engagement(profile=profile.pk, engaged_until=(today - timedelta(days=20)).isoformat()),
    )
    assert response.status_code == 400
    assert "cannot end before it starts" in response.content.decode()
    assert not ReserveMember.objects.exists()
    response = client.post(url, _engagement(profile=profile.pk))
    assert response.status_code == 302
    member = ReserveMember.objects.get()
    assert (member.profile_id, member.decision_reference, member.mission_types) == (
        profile.pk,
        "ARR-2026-014",
        ["flood", "logistics"],
    )
    assert member_status(member, today) == "active"
    # Enrolled once: no longer offered (the page after the message).
    client.get(reverse(f"{BO}:list"))
    assert f'value="{profile.pk}"' not in client.get(url).content.decode()
    listing = client.get(reverse(f"{BO}:list")).content.decode()
    assert "Jeanne Réserve" in listing and "Engaged" in listing
    # Ending within 30 days shows as such.
    edit = reverse(f"{BO}:edit", args=[member.pk])
    response = client.post(
        edit, _engagement(engaged_until=(today + timedelta(days=10)).isoformat())
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member_status(member, today) == "ending"
    assert "Jeanne Réserve" in client.get(reverse(f"{BO}:list") + "?status=ending").content.decode()
    # The phone tree lists engaged reservists with their phones.
    sheet = client.get(reverse(f"{BO}:call_list")).content.decode()
    assert "+33639911111" in sheet and "?reserve=1" in sheet
    assert client.get(reverse(f"{BO}:end", args=[member.pk])).status_code == 405
    assert (
        client.post(reverse(f"{BO}:end", args=[member.pk]), {"reason": "Déménagement"}).status_code
        == 302
    )
    member.refresh_from_db()
    assert member.engaged_until == today - timedelta(days=1)
    assert member_status(member, today) == "ended"
    assert "+33639911111" not in client.get(reverse(f"{BO}:call_list")).content.decode()
    assert set(
        AuditEvent.objects.filter(actor_id=cast.alert_approver.pk).values_list("action", flat=True)
    ) >= {"volunteering.reserve.enrol", "volunteering.reserve.update", "volunteering.reserve.end"}


def test_it_plans_a_training_and_records_attendance(cast: Cast) -> None:
    today = timezone.localdate()
    members = [
        ReserveMember.objects.create(
            organisation=cast.org,
            profile=make_profile(cast.org, name, phone=f"+3363992000{i}"),
            decision_reference="ARR-2026-014",
            decision_date=today - timedelta(days=60),
            engaged_from=today - timedelta(days=60),
            engaged_until=today + timedelta(days=300),
        )
        for i, name in enumerate(["Aline Sable", "Bruno Digue"])
    ]
    client = _crisis(cast, cast.administrator)
    url = reverse(f"{BO}:training_create")
    assert client.get(url).status_code == 200
    start = timezone.localtime() + timedelta(days=7)
    data = {
        "title": "Montage des batardeaux",
        "starts_at": start.strftime("%Y-%m-%dT09:00"),
        "ends_at": start.strftime("%Y-%m-%dT08:00"),
        "place": "Centre technique municipal",
    }
    response = client.post(url, data)
    assert response.status_code == 400 and not TrainingSession.objects.exists()
    data["ends_at"] = start.strftime("%Y-%m-%dT12:00")
    response = client.post(url, data)
    session = TrainingSession.objects.get()
    assert response.status_code == 302
    assert TrainingAttendance.objects.filter(session=session, present__isnull=True).count() == 2
    detail = reverse(f"{BO}:training", args=[session.pk])
    # Not started yet: nobody can have come; refused, nothing recorded.
    response = client.post(detail, {f"member_{members[0].pk}": "present"})
    assert response.status_code == 400 and "has not started yet" in response.content.decode()
    assert not TrainingAttendance.objects.filter(present__isnull=False).exists()
    # The session took place (moved to this morning).
    morning = timezone.localtime() - timedelta(hours=3)
    TrainingSession.objects.filter(pk=session.pk).update(
        starts_at=morning, ends_at=morning + timedelta(hours=2)
    )
    page = client.get(detail).content.decode()
    assert "Aline Sable" in page and "<legend>Aline Sable</legend>" in page
    assert "(optional)" not in page
    response = client.post(
        detail, {f"member_{members[0].pk}": "present", f"member_{members[1].pk}": "absent"}
    )
    assert response.status_code == 302
    assert dict(
        TrainingAttendance.objects.filter(session=session).values_list("member_id", "present")
    ) == {members[0].pk: True, members[1].pk: False}
    response = client.post(detail, {f"member_{members[0].pk}": "maybe"})
    assert response.status_code == 400
    assert TrainingAttendance.objects.get(member=members[0]).present is True
    assert "1 present, 1 absent" in client.get(detail).content.decode()
    assert client.get(reverse(f"{BO}:trainings")).status_code == 200


@pytest.mark.parametrize(
    "role", ["resident", "front_desk", "participation_manager", "social_agent"]
)
def test_it_refuses_other_roles(cast: Cast, role: str) -> None:
    profile = make_profile(cast.org)
    client = _crisis(cast, getattr(cast, role))
    assert client.get(reverse(f"{BO}:list")).status_code == 403
    assert client.post(reverse(f"{BO}:enrol"), _engagement(profile=profile.pk)).status_code == 403
    assert client.get(reverse(f"{BO}:call_list")).status_code == 403
    assert not ReserveMember.objects.exists()


def test_it_answers_404_for_another_organisations_reservist(cast: Cast) -> None:
    today = timezone.localdate()
    member = ReserveMember.objects.create(
        organisation=cast.org,
        profile=make_profile(cast.org),
        decision_reference="ARR-1",
        decision_date=today,
        engaged_from=today,
        engaged_until=today + timedelta(days=30),
    )
    session = TrainingSession.objects.create(
        organisation=cast.org,
        title="Exercice",
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(hours=2),
    )
    other = _crisis(cast, cast.other_admin, host="autreville.localhost")
    assert other.get(reverse(f"{BO}:edit", args=[member.pk])).status_code == 404
    assert other.post(reverse(f"{BO}:end", args=[member.pk])).status_code == 404
    assert other.get(reverse(f"{BO}:training", args=[session.pk])).status_code == 404
    # Nor may another organisation's volunteer be enrolled here.
    stranger = make_profile(cast.other_org, "Hors commune")
    response = _crisis(cast).post(reverse(f"{BO}:enrol"), _engagement(profile=stranger.pk))
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.engaged_until == today + timedelta(days=30)
    assert ReserveMember.objects.count() == 1


def test_it_exports_and_erases_a_reservists_data(cast: Cast) -> None:
    from beffroi.accounts import gdpr

    today = timezone.localdate()
    member = ReserveMember.objects.create(
        organisation=cast.org,
        profile=make_profile(cast.org, "Alice Martin", user=cast.resident),
        decision_reference="ARR-7",
        decision_date=today,
        engaged_from=today,
        engaged_until=today + timedelta(days=30),
    )
    [row] = gdpr.exporters()["volunteering_reserve"](cast.resident)
    assert row["decision_reference"] == "ARR-7"
    assert gdpr.exporters()["volunteering_reserve"](cast.resident2) == []
    gdpr.erasers()["volunteering_reserve"](cast.resident)
    assert not ReserveMember.objects.filter(pk=member.pk).exists()
