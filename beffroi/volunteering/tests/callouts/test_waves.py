"""Waves of a call-out: what the loopback gateways received, one wave after the other until
the slots are filled, nobody is left, or an author stops it; reservists first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.core.models import AuditEvent
from beffroi.messaging.testing import SmscServer, SmtpServer
from beffroi.testing import Cast, login_verified
from beffroi.volunteering.callouts.services import (
    callout_answer,
    callout_start,
    callouts_due_send,
)
from beffroi.volunteering.models import CallOut, CallOutContact, Mission, Urgency
from beffroi.volunteering.tests.callouts.conftest import enrol, sms_by_number, volunteers
from beffroi.volunteering.tests.factories import make_profile

pytestmark = pytest.mark.django_db

Gateways = tuple[SmtpServer, SmscServer]


def _start(cast: Cast, mission: Mission, capture: Any, **options: Any) -> CallOut:
    options.setdefault("wave_size", 2)
    options.setdefault("reserve_first", True)
    with capture(execute=True):
        return callout_start(
            mission=mission,
            actor=cast.alert_approver,
            message="Crue de l'Aulne : besoin de bras pour remplir des sacs de sable.",
            channels=["sms", "email"],
            wave_minutes=15,
            **options,
        )


def test_it_sends_waves_until_the_slots_are_filled(
    cast: Cast, mission: Mission, gateways: Gateways, django_capture_on_commit_callbacks: Any
) -> None:
    smtp, smsc = gateways
    crowd = volunteers(cast, 5)
    refuser = make_profile(cast.org, "Sans accord", email="non@example.org", phone="+33639900099")
    callout = _start(cast, mission, django_capture_on_commit_callbacks)
    callout.refresh_from_db()
    mission.refresh_from_db()
    # The urgency is the organiser's statement on the mission: the call-out leaves it.
    assert mission.urgency == Urgency.NORMAL
    assert (callout.status, callout.waves_sent) == (CallOut.Status.RUNNING, 1)
    first = list(callout.contacts.all())
    assert len(first) == 2 and {c.state for c in first} == {CallOutContact.State.SENT}
    assert all(c.channel == "email,sms" and len(c.token) >= 20 and c.reasons for c in first)
    # Each volunteer got an e-mail with the yes and no links and an SMS "Reply YES or NO".
    assert sorted(r.rcpt_tos[0] for r in smtp.received) == sorted(c.profile.email for c in first)
    body = smtp.received[0].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "?r=oui" in body and "?r=non" in body and "/benevolat/appels/r/" in body
    texts = sms_by_number(smsc)
    assert set(texts) == {c.profile.phone.lstrip("+") for c in first}
    assert all("Reply YES or NO" in t and "/benevolat/appels/r/" in t for t in texts.values()), (
        texts
    )
    assert refuser.pk not in {c.profile_id for c in first}
    # Not due yet: nothing more goes out.
    assert callouts_due_send() == 0
    callout_answer(contact=first[0], yes=True)
    callout_answer(contact=first[1], yes=False)
    # Fifteen minutes on, a place is still missing: the next wave, nobody contacted twice.
    later = timezone.now() + timedelta(minutes=16)
    with django_capture_on_commit_callbacks(execute=True):
        assert callouts_due_send(now=later) == 1
    second = list(callout.contacts.filter(wave=2))
    assert len(second) == 2
    assert not {c.profile_id for c in second} & {c.profile_id for c in first}
    assert len(smtp.received) == 4 + 1  # four call-outs, one "you are expected"
    callout_answer(contact=second[0], yes=True)
    callout.refresh_from_db()
    assert callout.status == CallOut.Status.FILLED and callout.ended_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert callouts_due_send(now=later + timedelta(hours=1)) == 0
    assert callout.contacts.count() == 4
    assert {c.pk for c in crowd} >= set(callout.contacts.values_list("profile_id", flat=True))
    assert AuditEvent.objects.filter(action="volunteering.callout.start").count() == 1
    assert AuditEvent.objects.filter(action="volunteering.callout.wave").count() == 2


def test_it_is_exhausted_when_nobody_is_left(
    cast: Cast, mission: Mission, gateways: Gateways, django_capture_on_commit_callbacks: Any
) -> None:
    volunteers(cast, 2)
    callout = _start(cast, mission, django_capture_on_commit_callbacks, wave_size=5)
    assert callout.contacts.count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        callouts_due_send(now=timezone.now() + timedelta(minutes=20))
    callout.refresh_from_db()
    assert callout.status == CallOut.Status.EXHAUSTED
    assert callout.waves_sent == 1 and callout.next_wave_at is None


def test_it_stops_on_the_authors_request(
    cast: Cast, mission: Mission, gateways: Gateways, django_capture_on_commit_callbacks: Any
) -> None:
    smtp, _smsc = gateways
    volunteers(cast, 6)
    callout = _start(cast, mission, django_capture_on_commit_callbacks)
    client = Client()
    login_verified(client, cast.alert_approver)
    url = reverse("volunteering_callouts_backoffice:stop", args=[callout.pk])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302
    callout.refresh_from_db()
    assert callout.status == CallOut.Status.STOPPED
    with django_capture_on_commit_callbacks(execute=True):
        assert callouts_due_send(now=timezone.now() + timedelta(hours=1)) == 0
    assert callout.contacts.count() == 2 and len(smtp.received) == 2
    assert AuditEvent.objects.filter(
        action="volunteering.callout.stop", actor_id=cast.alert_approver.pk
    ).exists()
    # Stopping twice says it is over, changes nothing.
    client.post(url)
    assert CallOut.objects.get().status == CallOut.Status.STOPPED


def test_it_reaches_the_reservists_first(
    cast: Cast, mission: Mission, gateways: Gateways, django_capture_on_commit_callbacks: Any
) -> None:
    mission.skills = ["manual"]
    mission.save()
    crowd = [
        make_profile(
            cast.org,
            f"Bricoleur {i}",
            skills=["manual"],
            crisis_consent=True,
            phone=f"+3363990010{i}",
        )
        for i in range(3)
    ]
    reservist = make_profile(cast.org, "Réserviste", crisis_consent=True, phone="+33639900200")
    enrol(cast, reservist)
    callout = _start(cast, mission, django_capture_on_commit_callbacks, wave_size=1)
    [contact] = callout.contacts.all()
    assert contact.profile_id == reservist.pk and contact.reservist
    # Without "reserve first", the best match comes first.
    callout.status = CallOut.Status.STOPPED
    callout.save()
    other = _start(
        cast, mission, django_capture_on_commit_callbacks, wave_size=1, reserve_first=False
    )
    [contact] = other.contacts.all()
    assert contact.profile_id in {p.pk for p in crowd}


def test_it_refuses_a_second_callout_and_bad_input(
    cast: Cast, mission: Mission, gateways: Gateways, django_capture_on_commit_callbacks: Any
) -> None:
    volunteers(cast, 3)
    client = Client()
    login_verified(client, cast.alert_approver)
    url = reverse("volunteering_callouts_backoffice:start")
    page = client.get(f"{url}?mission={mission.pk}")
    assert page.status_code == 200
    assert "Remplir des sacs de sable" in page.content.decode()
    response = client.post(
        url,
        {
            "mission": mission.pk,
            "message": "",
            "channels": ["sms"],
            "wave_size": 5,
            "wave_minutes": 10,
        },
    )
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    assert not CallOut.objects.exists()
    response = client.post(
        url,
        {
            "mission": mission.pk,
            "message": "Vite !",
            "channels": ["pigeon"],
            "wave_size": 5,
            "wave_minutes": 10,
        },
    )
    assert response.status_code == 400 and not CallOut.objects.exists()
    data = {
        "mission": mission.pk,
        "message": "Crue : besoin de bras.",
        "channels": ["sms", "email"],
        "wave_size": 2,
        "wave_minutes": 10,
        "reserve_first": "on",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    callout = CallOut.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{callout.pk}/")
    assert callout.contacts.count() == 2
    response = client.post(url, data)
    assert response.status_code == 400
    assert "already running" in response.content.decode()
    assert CallOut.objects.count() == 1
    # The live coverage, with and without htmx.
    detail = reverse("volunteering_callouts_backoffice:detail", args=[callout.pk])
    page = client.get(detail).content.decode()
    assert "2 of" not in page or "places filled" in page
    assert "No answer yet" in page and "hx-get" in page
    fragment = client.get(detail, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="callout-live"') and "<html" not in fragment


def test_it_sends_a_wave_once_whoever_asks(
    cast: Cast, mission: Mission, gateways: Gateways, django_capture_on_commit_callbacks: Any
) -> None:
    from beffroi.volunteering.callouts.services import callout_wave_send

    smtp, _smsc = gateways
    volunteers(cast, 6)
    callout = _start(cast, mission, django_capture_on_commit_callbacks)
    later = timezone.now() + timedelta(minutes=16)
    # The periodic sweep and a deferred task both wake up for the same wave.
    with django_capture_on_commit_callbacks(execute=True):
        first = callout_wave_send(callout_id=callout.pk, now=later)
        second = callout_wave_send(callout_id=callout.pk, now=later)
    assert first is not None and first.sent == 2 and second is None
    callout.refresh_from_db()
    assert callout.waves_sent == 2 and callout.contacts.count() == 4
    assert len(smtp.received) == 4


def test_it_caps_an_associations_callout_and_the_organisations_day(
    cast: Cast,
    association_mission: Mission,
    mission: Mission,
    gateways: Gateways,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.CALLOUT_ASSOCIATION_MAX_CONTACTS = 3
    volunteers(cast, 6)
    with django_capture_on_commit_callbacks(execute=True):
        callout = callout_start(
            mission=association_mission,
            actor=cast.association_manager,
            message="Distribution d'urgence ce soir.",
            channels=["email"],
            wave_size=2,
            wave_minutes=15,
        )
    with django_capture_on_commit_callbacks(execute=True):
        callouts_due_send(now=timezone.now() + timedelta(minutes=16))
    callout.refresh_from_db()
    # Two, then the one left under the cap of three, and no more.
    assert list(callout.contacts.values_list("wave", flat=True)) == [1, 1, 2]
    assert callout.status == CallOut.Status.EXHAUSTED
    # The organisation's day: past its limit, a wave's messages are not sent.
    settings.CALLOUT_PER_ORGANISATION_PER_DAY = 4
    with django_capture_on_commit_callbacks(execute=True):
        other = _start(cast, mission, django_capture_on_commit_callbacks)
    assert set(other.contacts.values_list("state", flat=True)) == {CallOutContact.State.FAILED}
    assert "daily limit" in other.contacts.first().error  # type: ignore[union-attr]
