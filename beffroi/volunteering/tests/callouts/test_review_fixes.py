"""An association's call-out is a lesser power than the crisis cell's: no reserve first, no
reservist flagged, only matchable consenting volunteers, sent in the association's name. An
SMS "OUI" goes to the crisis cell's call-out before an association's, and is confirmed. A
posted alert must be in force. The coverage says what each number counts. And the wave
locks only the call-out's row (PostgreSQL refuses FOR UPDATE across a nullable join)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from beffroi.alerts.models import Alert
from beffroi.alerts.tests.factories import make_alert
from beffroi.core.ratelimit import rate_peek
from beffroi.messaging.handlers import inbound_route
from beffroi.messaging.testing import SmscServer, SmtpServer
from beffroi.testing import Cast, login_verified
from beffroi.volunteering.callouts.services import SMS_TEXT, callout_start, reply_meaning
from beffroi.volunteering.models import (
    CallOut,
    CallOutContact,
    Mission,
    VolunteerProfile,
)
from beffroi.volunteering.tests.callouts.conftest import enrol, sms_by_number, volunteers
from beffroi.volunteering.tests.factories import make_profile

pytestmark = pytest.mark.django_db

Gateways = tuple[SmtpServer, SmscServer]
PUBLIC = "volunteering_callouts"
BO = "volunteering_callouts_backoffice"


def _as_association(mission: Mission, cast: Cast, capture: Any, **options: Any) -> CallOut:
    options.setdefault("channels", ["sms", "email"])
    with capture(execute=True):
        return callout_start(
            mission=mission,
            actor=cast.association_manager,
            message="Distribution d'urgence ce soir.",
            wave_size=options.pop("wave_size", 10),
            wave_minutes=15,
            **options,
        )


def _as_crisis(mission: Mission, cast: Cast, capture: Any, **options: Any) -> CallOut:
    with capture(execute=True):
        return callout_start(
            mission=mission,
            actor=cast.alert_approver,
            message="Crue : besoin de bras.",
            channels=["sms"],
            wave_size=options.pop("wave_size", 10),
            wave_minutes=15,
            **options,
        )


def test_it_locks_only_the_callout_when_an_association_mission_waves(
    cast: Cast,
    association_mission: Mission,
    gateways: Gateways,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # The wave joins the mission's nullable association: on PostgreSQL, a FOR UPDATE over
    # that outer join crashed the task ("nullable side of an outer join").
    volunteers(cast, 2)
    callout = _as_crisis(association_mission, cast, django_capture_on_commit_callbacks)
    callout.refresh_from_db()
    assert callout.waves_sent == 1
    assert set(callout.contacts.values_list("state", flat=True)) == {CallOutContact.State.SENT}


def test_it_keeps_an_associations_callout_to_matchable_consenting_volunteers(
    cast: Cast,
    association_mission: Mission,
    gateways: Gateways,
    django_capture_on_commit_callbacks: Any,
) -> None:
    smtp, smsc = gateways
    crowd = volunteers(cast, 2)
    reservist = make_profile(
        cast.org, "Réserviste", crisis_consent=True, phone="+33639900200", email="r@example.org"
    )
    enrol(cast, reservist)
    private = make_profile(
        cast.org, "Discrète", crisis_consent=True, phone="+33639900300", email="d@example.org"
    )
    VolunteerProfile.objects.filter(pk=private.pk).update(
        visibility=VolunteerProfile.Visibility.PRIVATE
    )
    make_profile(cast.org, "Sans accord", phone="+33639900400", email="n@example.org")
    callout = _as_association(
        association_mission, cast, django_capture_on_commit_callbacks, reserve_first=True
    )
    callout.refresh_from_db()
    assert not callout.reserve_first
    reached = set(callout.contacts.values_list("profile_id", flat=True))
    assert reached == {p.pk for p in crowd} | {reservist.pk}
    assert not callout.contacts.filter(reservist=True).exists()
    # In the association's name, through the commune.
    texts = sms_by_number(smsc)
    assert set(texts) == {p.phone.lstrip("+") for p in [*crowd, reservist]}
    expected = f"Les Restos du Val (via {cast.org.name}): Distribution d'urgence ce soir."
    assert all(t.startswith(expected) for t in texts.values()), texts
    assert all(expected in str(r.message) for r in smtp.received)
    assert all("Les Restos du Val" in str(r.message["From"]) for r in smtp.received)


def test_it_hides_the_reserve_from_an_associations_pages(
    cast: Cast,
    association_mission: Mission,
    gateways: Gateways,
    django_capture_on_commit_callbacks: Any,
) -> None:
    manager = Client()
    manager.force_login(cast.association_manager)
    page = manager.get(reverse(f"{PUBLIC}:start")).content.decode()
    assert 'name="reserve_first"' not in page
    crisis = Client()
    login_verified(crisis, cast.alert_approver)
    assert 'name="reserve_first"' in crisis.get(reverse(f"{BO}:start")).content.decode()
    # A reservist contact (flagged by the crisis cell's matching): only the cell sees it.
    [volunteer] = volunteers(cast, 1)
    callout = _as_association(association_mission, cast, django_capture_on_commit_callbacks)
    CallOutContact.objects.filter(callout=callout).update(reservist=True)
    mine = manager.get(reverse(f"{PUBLIC}:detail", args=[callout.pk])).content.decode()
    assert volunteer.full_name in mine and "reservist" not in mine
    theirs = crisis.get(reverse(f"{BO}:detail", args=[callout.pk])).content.decode()
    assert f"{volunteer.full_name} — reservist" in theirs


def test_it_answers_the_crisis_cells_callout_first_and_confirms_by_sms(
    cast: Cast,
    mission: Mission,
    association_mission: Mission,
    gateways: Gateways,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _smtp, smsc = gateways
    [volunteer] = volunteers(cast, 1)
    crisis = _as_crisis(mission, cast, django_capture_on_commit_callbacks)
    # The association's comes later: the latest, yet the crisis cell's takes priority.
    association = _as_association(
        association_mission, cast, django_capture_on_commit_callbacks, channels=["sms"]
    )
    smsc.submitted.clear()
    budget = rate_peek(f"sms:budget:{cast.org.pk}", window_seconds=86_400)
    inbound_route(volunteer.phone, "OUI", "sms")
    assert crisis.contacts.get().state == CallOutContact.State.YES
    assert association.contacts.get().state == CallOutContact.State.SENT
    texts = sms_by_number(smsc)
    assert texts == {
        volunteer.phone.lstrip("+"): (
            "Thank you, your answer YES for “Remplir des sacs de sable” is recorded."
        )
    }
    # The crisis cell's confirmation is not counted against the budget.
    assert rate_peek(f"sms:budget:{cast.org.pk}", window_seconds=86_400) == budget
    smsc.submitted.clear()
    inbound_route(volunteer.phone, "non", "sms")
    assert association.contacts.get().state == CallOutContact.State.NO
    texts = sms_by_number(smsc)
    assert texts == {
        volunteer.phone.lstrip("+"): (
            "Thank you, your answer NO for “Distribution d'urgence” is recorded."
        )
    }
    assert rate_peek(f"sms:budget:{cast.org.pk}", window_seconds=86_400) > budget


def test_it_refuses_a_posted_alert_not_in_force(cast: Cast, mission: Mission) -> None:
    draft = make_alert(cast.org, cast.alert_author)
    client = Client()
    login_verified(client, cast.alert_approver)
    url = reverse(f"{BO}:start")
    data = {
        "mission": mission.pk,
        "message": "Crue : besoin de bras.",
        "channels": ["sms"],
        "wave_size": 2,
        "wave_minutes": 15,
    }
    for alert in (str(draft.pk), "999999", "abc"):
        assert client.post(url, {**data, "alert": alert}).status_code == 404
    other = make_alert(cast.other_org, cast.other_admin, status=Alert.Status.SENT)
    assert client.post(url, {**data, "alert": other.pk}).status_code == 404
    assert not CallOut.objects.exists()


def test_it_says_what_each_number_of_the_coverage_counts(
    cast: Cast, mission: Mission, gateways: Gateways, django_capture_on_commit_callbacks: Any
) -> None:
    volunteers(cast, 1)
    callout = _as_crisis(mission, cast, django_capture_on_commit_callbacks)
    client = Client()
    login_verified(client, cast.alert_approver)
    page = client.get(reverse(f"{BO}:detail", args=[callout.pk])).content.decode()
    assert "held, by all applications" in page
    assert "Places held by all applications" in page
    assert "Confirmed by this call-out" in page
    assert "places filled" not in page


def _french(msgid: str) -> str:
    """The msgstr of ``msgid`` in the French catalogue's source (the compiled one may lag)."""
    entries: dict[str, str] = {}
    key = current = ""
    text = (Path(settings.BASE_DIR) / "beffroi/locale/fr/LC_MESSAGES/django.po").read_text()
    for line in [*text.splitlines(), ""]:
        if line.startswith("msgid "):
            key, current = "msgid", ast.literal_eval(line[6:])
            msgid_text = current
        elif line.startswith("msgstr "):
            key, current = "msgstr", ast.literal_eval(line[7:])
        elif line.startswith('"'):
            current += ast.literal_eval(line)
            if key == "msgid":
                msgid_text = current
        else:
            if key == "msgstr":
                entries[msgid_text] = current
            key = ""
    return entries.get(msgid, "")


def test_it_asks_for_oui_or_non_in_french() -> None:
    # The words the inbound handler understands, in the SMS the volunteers read.
    french = _french(SMS_TEXT)
    assert "Répondez OUI ou NON" in french, french
    assert reply_meaning("OUI") is True and reply_meaning("NON") is False
