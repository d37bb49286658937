"""Fixtures of the call-out tests: real SMTP and SMPP servers on loopback (the alerts'),
tasks run in process, and a small crowd of consenting volunteers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from beffroi.alerts.tests.factories import gateways
from beffroi.messaging.testing import SmscServer
from beffroi.testing import Cast
from beffroi.volunteering.models import Membership, Mission, ReserveMember, VolunteerProfile
from beffroi.volunteering.tests.factories import make_association, make_mission, make_profile

__all__ = ["gateways"]


def sms_by_number(smsc: SmscServer) -> dict[str, str]:
    """The text each number received, parts of a long SMS joined (digits, no "+")."""
    parts: dict[str, list[tuple[bytes, str]]] = {}
    for sm in smsc.accepted:
        # A long SMS's parts carry (reference, total, number) at the end of their header;
        # a windowed session may record them in any order.
        parts.setdefault(sm.destination.lstrip("+"), []).append((sm.udh[-3:], sm.text))
    return {number: "".join(text for _udh, text in sorted(got)) for number, got in parts.items()}


def volunteers(cast: Cast, count: int, *, consent: bool = True) -> list[VolunteerProfile]:
    """``count`` volunteers free all week, each with an e-mail and a mobile of their own."""
    return [
        make_profile(
            cast.org,
            f"Bénévole {i:02d}",
            email=f"benevole{i}@example.org",
            phone=f"+336399{i:05d}",
            crisis_consent=consent,
        )
        for i in range(count)
    ]


def enrol(cast: Cast, profile: VolunteerProfile) -> ReserveMember:
    today = timezone.localdate()
    return ReserveMember.objects.create(
        organisation=cast.org,
        profile=profile,
        decision_reference="ARR-2026-014",
        decision_date=today - timedelta(days=30),
        engaged_from=today - timedelta(days=30),
        engaged_until=today + timedelta(days=335),
    )


@pytest.fixture
def mission(cast: Cast) -> Mission:
    """The commune's mission: sand bags along the Aulne, one slot needing two volunteers."""
    return make_mission(cast.org, "Remplir des sacs de sable", needed=2)


@pytest.fixture
def association_mission(cast: Cast) -> Mission:
    association = make_association(
        cast.org,
        "Les Restos du Val",
        managers=((cast.association_manager, Membership.Role.OWNER, Membership.State.ACTIVE),),
    )
    # In two days: an association calls out only for a near need (the horizon, 7 days).
    soon = (timezone.now() + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    return make_mission(
        cast.org, "Distribution d'urgence", association=association, needed=2, starts_at=soon
    )
