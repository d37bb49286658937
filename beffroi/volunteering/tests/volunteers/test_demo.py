"""The demo's volunteers: written through the services, the same every time."""

from __future__ import annotations

import pytest

from beffroi.demo.volunteering_volunteers import demo_volunteers
from beffroi.testing import Cast
from beffroi.volunteering.models import VolunteerCertification, VolunteerProfile

pytestmark = pytest.mark.django_db


def test_it_writes_the_demo_volunteers(cast: Cast) -> None:
    written = demo_volunteers(
        organisation=cast.org, front_desk_agent=cast.front_desk, resident=cast.resident
    )
    profiles = VolunteerProfile.objects.filter(organisation=cast.org)
    assert written == profiles.count() >= 4
    assert profiles.filter(user=cast.resident).exists()
    by_phone = profiles.filter(registration_channel="phone")
    assert by_phone.count() == 2
    assert all(p.email == "" and p.registered_by == cast.front_desk for p in by_phone)
    assert VolunteerCertification.objects.filter(kind="psc1").exists()
    assert all(p.interests_mask for p in profiles)
