"""A reservist is there to be called out, and call-outs reach only volunteers who agreed to
crisis calls: enrolment says who has not agreed and refuses them (nothing written) unless
the crisis cell records the day they agreed. The printable call list names the mission types
in words."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.core.models import AuditEvent
from beffroi.testing import Cast, login_verified
from beffroi.volunteering.models import ReserveMember, VolunteerProfile
from beffroi.volunteering.reserve.services import (
    EngagementInput,
    ReserveRefused,
    reserve_enrol,
)
from beffroi.volunteering.tests.factories import make_profile

pytestmark = pytest.mark.django_db
BO = "volunteering_reserve_backoffice"


def _crisis(cast: Cast) -> Client:
    client = Client()
    login_verified(client, cast.alert_approver)
    return client


def _engagement(**overrides: Any) -> dict[str, Any]:
    today = timezone.localdate()
    data: dict[str, Any] = {
        "decision_reference": "ARR-2026-014",
        "decision_date": (today - timedelta(days=10)).isoformat(),
        "engaged_from": (today - timedelta(days=10)).isoformat(),
        "engaged_until": (today + timedelta(days=365)).isoformat(),
        "mission_types": ["shelter", "flood", "logistics"],
    }
    data.update(overrides)
    return data


def test_the_form_says_who_has_not_agreed_and_refuses_them(cast: Cast) -> None:
    agreed = make_profile(cast.org, "Anne Accord", crisis_consent=True)
    refused = make_profile(cast.org, "Paul Sansaccord", phone="+33639911112")
    client = _crisis(cast)
    url = reverse(f"{BO}:enrol")
    page = client.get(url).content.decode()
    assert "Paul Sansaccord (+33639911112) — has not agreed to crisis calls" in page
    assert "Anne Accord (+33639980001)<" in page or "Anne Accord (+33639980001)\n" in page
    response = client.post(url, _engagement(profile=refused.pk))
    assert response.status_code == 400
    assert (
        "Paul Sansaccord has not agreed to be called in a crisis: no call-out could reach them."
        in response.content.decode()
    )
    assert not ReserveMember.objects.exists()
    refused.refresh_from_db()
    assert not refused.crisis_consent and refused.crisis_consent_at is None
    assert client.post(url, _engagement(profile=agreed.pk)).status_code == 302
    assert ReserveMember.objects.get().profile == agreed


def test_the_service_refuses_without_consent_and_writes_nothing(cast: Cast) -> None:
    profile = make_profile(cast.org, "Paul Sansaccord")
    today = timezone.localdate()
    data = EngagementInput(
        decision_reference="ARR-2026-014",
        decision_date=today,
        engaged_from=today,
        engaged_until=today + timedelta(days=30),
    )
    with pytest.raises(ReserveRefused, match="has not agreed to be called in a crisis"):
        reserve_enrol(organisation=cast.org, actor=cast.alert_approver, profile=profile, data=data)
    assert not ReserveMember.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="volunteer").exists()


def test_the_crisis_cell_records_the_day_they_agreed(cast: Cast) -> None:
    profile = make_profile(cast.org, "Paul Sansaccord")
    client = _crisis(cast)
    url = reverse(f"{BO}:enrol")
    agreed_on = timezone.localdate() - timedelta(days=12)
    # Ticked without its day: asked for, nothing written.
    response = client.post(url, _engagement(profile=profile.pk, crisis_consent="on"))
    assert response.status_code == 400
    assert "Give the day they agreed." in response.content.decode()
    assert not ReserveMember.objects.exists()
    future = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = client.post(
        url, _engagement(profile=profile.pk, crisis_consent="on", consent_date=future)
    )
    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()
    assert not ReserveMember.objects.exists()
    response = client.post(
        url,
        _engagement(profile=profile.pk, crisis_consent="on", consent_date=agreed_on.isoformat()),
    )
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.crisis_consent
    assert profile.crisis_consent_at is not None
    assert timezone.localtime(profile.crisis_consent_at).date() == agreed_on
    assert ReserveMember.objects.get().profile == profile
    event = AuditEvent.objects.get(action="volunteer.crisis_consent")
    assert event.actor_id == cast.alert_approver.pk
    assert event.data["by"] == "reserve_enrolment"
    # Now within reach of call-outs, which select on that consent.
    assert VolunteerProfile.objects.filter(pk=profile.pk, crisis_consent=True).exists()


def test_the_call_list_names_the_mission_types_in_words(cast: Cast) -> None:
    today = timezone.localdate()
    ReserveMember.objects.create(
        organisation=cast.org,
        profile=make_profile(cast.org, "Jeanne Réserve", crisis_consent=True),
        decision_reference="ARR-2026-014",
        decision_date=today - timedelta(days=60),
        engaged_from=today - timedelta(days=60),
        engaged_until=today + timedelta(days=300),
        mission_types=["shelter", "flood", "logistics"],
    )
    sheet = _crisis(cast).get(reverse(f"{BO}:call_list")).content.decode()
    assert "flood, logistics, shelter" not in sheet
    floods = sheet.index("Floods: sand bags, pumping, cleaning")
    shelter = sheet.index("Evacuation and shelter of residents")
    logistics = sheet.index("Logistics and supplies")
    assert floods < shelter < logistics


@pytest.mark.french
def test_the_call_list_names_them_in_french(cast: Cast) -> None:
    today = timezone.localdate()
    ReserveMember.objects.create(
        organisation=cast.org,
        profile=make_profile(cast.org, "Jeanne Réserve", crisis_consent=True),
        decision_reference="ARR-2026-014",
        decision_date=today - timedelta(days=60),
        engaged_from=today - timedelta(days=60),
        engaged_until=today + timedelta(days=300),
        mission_types=["flood"],
    )
    sheet = _crisis(cast).get(reverse(f"{BO}:call_list")).content.decode()
    assert "<li>flood</li>" not in sheet and "Inondations" in sheet
