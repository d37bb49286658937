"""Who may call out: the crisis cell for any mission, an association's managers for their
own missions with caps and their SMS counted against the daily budget; everyone else is
refused; another organisation's call-outs are 404. The offer from an alert in force."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from beffroi.alerts.models import Alert
from beffroi.alerts.tests.factories import make_alert
from beffroi.core.models import AuditEvent
from beffroi.core.ratelimit import rate_peek
from beffroi.messaging.testing import SmscServer, SmtpServer
from beffroi.testing import Cast, login_verified
from beffroi.volunteering.callouts.services import CallOutRefused, callout_start
from beffroi.volunteering.models import CallOut, CallOutContact, Mission
from beffroi.volunteering.tests.callouts.conftest import sms_by_number, volunteers
from beffroi.volunteering.tests.factories import make_mission

pytestmark = pytest.mark.django_db

Gateways = tuple[SmtpServer, SmscServer]
PUBLIC = "volunteering_callouts"
BO = "volunteering_callouts_backoffice"


def _data(mission: Mission, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "mission": mission.pk,
        "message": "Distribution d'urgence ce soir, besoin de bras.",
        "channels": ["sms", "email"],
        "wave_size": 2,
        "wave_minutes": 15,
    }
    data.update(overrides)
    return data


def _client(user: Any, *, verified: bool = False) -> Client:
    client = Client()
    if verified:
        login_verified(client, user)
    else:
        client.force_login(user)
    return client


def test_it_lets_a_manager_call_out_for_their_association_with_counted_sms(
    cast: Cast,
    association_mission: Mission,
    mission: Mission,
    gateways: Gateways,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _smtp, smsc = gateways
    cast.org.settings = {"alerts": {"sms_daily_budget": 3}}
    cast.org.save()
    crowd = volunteers(cast, 3)
    manager = _client(cast.association_manager)
    url = reverse(f"{PUBLIC}:start")
    page = manager.get(f"{url}?mission={association_mission.pk}")
    assert page.status_code == 200 and "Distribution d&#x27;urgence" in page.content.decode()
    # Not the commune's mission, and never more than the cap per call-out.
    assert manager.get(f"{url}?mission={mission.pk}").status_code == 404
    response = manager.post(url, _data(mission))
    assert response.status_code == 400 and not CallOut.objects.exists()
    response = manager.post(url, _data(association_mission, wave_size=41))
    assert response.status_code == 400 and not CallOut.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(url, _data(association_mission))
    callout = CallOut.objects.get()
    assert response.status_code == 302
    assert callout.sms_counted and callout.max_contacts == 40
    # Each SMS takes two parts of the budget of three: the second one is held back.
    contacts = list(callout.contacts.order_by("pk"))
    assert [c.channel for c in contacts] == ["email,sms", "email"]
    assert "budget" in contacts[1].error
    assert len(sms_by_number(smsc)) == 1
    assert rate_peek(f"sms:budget:{cast.org.pk}", window_seconds=86_400) >= 3
    assert manager.get(reverse(f"{PUBLIC}:detail", args=[callout.pk])).status_code == 200
    assert manager.get(reverse(f"{PUBLIC}:list")).status_code == 200
    assert AuditEvent.objects.filter(
        action="volunteering.callout.start", actor_id=cast.association_manager.pk
    ).exists()
    # One call-out a day for this association (the installation's setting): refused after.
    settings.CALLOUT_ASSOCIATION_PER_DAY = 1
    manager.post(reverse(f"{PUBLIC}:stop", args=[callout.pk]))
    response = manager.post(url, _data(association_mission))
    assert response.status_code == 400 and "all the call-outs it may make today" in (
        response.content.decode()
    )
    assert CallOut.objects.count() == 1
    assert {c.profile_id for c in contacts} <= {p.pk for p in crowd}


def test_it_does_not_count_the_crisis_cells_sms(
    cast: Cast, mission: Mission, gateways: Gateways, django_capture_on_commit_callbacks: Any
) -> None:
    _smtp, smsc = gateways
    cast.org.settings = {"alerts": {"sms_daily_budget": 1}}
    cast.org.save()
    volunteers(cast, 3)
    with django_capture_on_commit_callbacks(execute=True):
        callout = callout_start(
            mission=mission,
            actor=cast.alert_approver,
            message="Crue : besoin de bras.",
            channels=["sms"],
            wave_size=3,
            wave_minutes=15,
        )
    assert not callout.sms_counted and callout.max_contacts is None
    assert len(sms_by_number(smsc)) == 3
    assert set(callout.contacts.values_list("state", flat=True)) == {CallOutContact.State.SENT}
    assert rate_peek(f"sms:budget:{cast.org.pk}", window_seconds=86_400) == 0


def test_it_limits_messages_per_destination(
    cast: Cast,
    mission: Mission,
    gateways: Gateways,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _smtp, smsc = gateways
    settings.CALLOUT_PER_DESTINATION_PER_DAY = 1
    [volunteer] = volunteers(cast, 1)
    # Two missions: a second call-out for the same one would not reach them again anyway.
    other_mission = make_mission(cast.org, "Ouvrir le gymnase", needed=2)
    for target in (mission, other_mission):
        with django_capture_on_commit_callbacks(execute=True):
            callout = callout_start(
                mission=target,
                actor=cast.alert_approver,
                message="Crue : besoin de bras.",
                channels=["sms"],
                wave_size=3,
                wave_minutes=15,
            )
        callout.status = CallOut.Status.STOPPED
        callout.save()
    states = list(CallOutContact.objects.order_by("pk").values_list("state", "error"))
    assert states[0][0] == CallOutContact.State.SENT
    assert states[1][0] == CallOutContact.State.FAILED and "too many" in states[1][1]
    assert len(smsc.accepted) == 1 and smsc.accepted[0].destination.endswith(volunteer.phone[1:])


@pytest.mark.parametrize(
    "role", ["resident", "front_desk", "participation_manager", "social_agent", "alert_author"]
)
def test_it_refuses_the_back_office_to_other_roles(cast: Cast, mission: Mission, role: str) -> None:
    client = _client(getattr(cast, role), verified=True)
    assert client.get(reverse(f"{BO}:list")).status_code == 403
    assert client.post(reverse(f"{BO}:start"), _data(mission)).status_code == 403
    assert not CallOut.objects.exists()
    with pytest.raises(CallOutRefused):
        callout_start(
            mission=mission,
            actor=getattr(cast, role),
            message="x",
            channels=["sms"],
            wave_size=1,
            wave_minutes=15,
        )
    # The organiser side: nobody's association, nothing to call out.
    assert client.get(reverse(f"{PUBLIC}:start")).status_code == 404
    assert Client().get(reverse(f"{PUBLIC}:start")).status_code == 302


def test_it_answers_404_for_another_organisations_callout(
    cast: Cast,
    mission: Mission,
    association_mission: Mission,
    gateways: Gateways,
    django_capture_on_commit_callbacks: Any,
) -> None:
    volunteers(cast, 1)
    with django_capture_on_commit_callbacks(execute=True):
        callout = callout_start(
            mission=mission,
            actor=cast.administrator,
            message="Crue : besoin de bras.",
            channels=["email"],
            wave_size=1,
            wave_minutes=15,
        )
    other = Client(HTTP_HOST="autreville.localhost")
    login_verified(other, cast.other_admin)
    for name in ("detail",):
        assert other.get(reverse(f"{BO}:{name}", args=[callout.pk])).status_code == 404
    assert other.post(reverse(f"{BO}:stop", args=[callout.pk])).status_code == 404
    assert other.get(f"{reverse(f'{BO}:start')}?mission={mission.pk}").status_code == 404
    # The association's manager does not see the commune's call-out.
    manager = _client(cast.association_manager)
    assert manager.get(reverse(f"{PUBLIC}:detail", args=[callout.pk])).status_code == 404
    assert manager.post(reverse(f"{PUBLIC}:stop", args=[callout.pk])).status_code == 404
    callout.refresh_from_db()
    assert callout.status == CallOut.Status.RUNNING


def test_it_offers_a_callout_from_an_alert_in_force(cast: Cast, mission: Mission) -> None:
    mission.urgency = "urgent"
    mission.save()
    in_force = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENT)
    draft = make_alert(cast.org, cast.alert_author)
    client = _client(cast.alert_approver, verified=True)
    url = reverse(f"{BO}:start")
    page = client.get(f"{url}?alert={in_force.pk}")
    assert page.status_code == 200
    body = page.content.decode()
    assert in_force.headline in body
    # The author chooses the mission: none is guessed from the alert (a wrong guess taken
    # in a hurry would call the wrong people).
    assert f'value="{mission.pk}">' in body  # offered, not selected
    assert 'value="" selected>' in body
    assert client.get(f"{url}?alert={draft.pk}").status_code == 404
    other = Client(HTTP_HOST="autreville.localhost")
    login_verified(other, cast.other_admin)
    assert other.get(f"{url}?alert={in_force.pk}").status_code == 404
    # The alert's page offers the call-out to the crisis cell, not to the alert's author.
    detail = reverse("alerts_backoffice:alert_detail", args=[in_force.pk])
    offer = client.get(detail).content.decode()
    assert f"?alert={in_force.pk}" in offer and "Call out volunteers for" in offer
    author = _client(cast.alert_author, verified=True)
    assert author.get(detail).status_code == 200
    assert "Call out volunteers for" not in author.get(detail).content.decode()
    draft_page = client.get(reverse("alerts_backoffice:alert_detail", args=[draft.pk]))
    assert "Call out volunteers for" not in draft_page.content.decode()
