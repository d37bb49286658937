"""The applications' cast: an association managed by ``cast.association_manager``, a mission
with one slot next week, two volunteer profiles of the residents, and loopback gateways."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from beffroi.accounts.models import Role
from beffroi.messaging.testing import SmscServer, SmtpServer, smsc_server, smtp_server
from beffroi.testing import Cast, make_user
from beffroi.volunteering.models import Association, Membership, Mission, VolunteerProfile
from beffroi.volunteering.tests.factories import make_association, make_mission, make_profile


@dataclass
class Scene:
    association: Association
    mission: Mission
    alice: VolunteerProfile  # cast.resident's profile
    bruno: VolunteerProfile  # cast.resident2's profile


@pytest.fixture
def scene(cast: Cast) -> Scene:
    association = make_association(
        cast.org,
        "Les Restos du Cœur de Valmont",
        managers=((cast.association_manager, Membership.Role.OWNER, Membership.State.ACTIVE),),
        email="restos@example.org",
    )
    mission = make_mission(
        cast.org, association=association, needed=1, contact_email="contact-restos@example.org"
    )
    alice = make_profile(cast.org, "Alice Martin", user=cast.resident, email="alice@example.org")
    bruno = make_profile(cast.org, "Bruno Petit", user=cast.resident2, phone="+33639980002")
    return Scene(association, mission, alice, bruno)


@pytest.fixture
def gateways(settings: Any) -> Iterator[tuple[SmtpServer, SmscServer]]:
    """Real SMTP and SMPP servers on loopback, the settings pointing at them."""
    with smtp_server() as smtp, smsc_server() as smsc:
        settings.ALERT_EMAIL_URL = smtp.url
        settings.SMPP_URL = smsc.url()
        settings.SMS_TRANSPORT = "smpp"
        settings.SMPP_MAX_PER_SECOND = 0
        yield smtp, smsc


def other_manager(cast: Cast) -> Any:
    """A manager of another association of the same commune."""
    user = make_user("autre-asso@example.org", organisation=cast.org, roles=(Role.RESIDENT,))
    make_association(
        cast.org,
        "Club de foot",
        managers=((user, Membership.Role.OWNER, Membership.State.ACTIVE),),
    )
    return user
