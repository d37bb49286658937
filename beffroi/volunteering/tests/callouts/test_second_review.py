"""The second review's findings: an association's call-out only for a near, urgent need and
the mission's urgency left alone; nobody pestered twice in a day; how to withdraw consent
without an account, and "STOP" by SMS; the volunteer's choice of slot (best fit first); no
"yes" counted twice from one who already takes part; the coverage live while answers come
and meaningful once the slots are over; the offer on alerts in force only; the answer page
in the sender's name, mentioning the SMS only to whom it went."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.alerts.models import Alert
from beffroi.alerts.tests.factories import make_alert
from beffroi.core.models import AuditEvent
from beffroi.messaging.handlers import inbound_route
from beffroi.messaging.sms import sms_info
from beffroi.messaging.testing import SmscServer, SmtpServer
from beffroi.testing import Cast, login_verified
from beffroi.volunteering.callouts.services import (
    AlreadyTakingPart,
    CallOutRefused,
    callout_answer,
    callout_start,
    callout_stop,
)
from beffroi.volunteering.models import (
    Application,
    CallOut,
    CallOutContact,
    Mission,
    Slot,
    Urgency,
    VolunteerProfile,
    grid_bit,
)
from beffroi.volunteering.tests.callouts.conftest import sms_by_number, volunteers
from beffroi.volunteering.tests.factories import make_mission, make_profile

pytestmark = pytest.mark.django_db

Gateways = tuple[SmtpServer, SmscServer]
PUBLIC = "volunteering_callouts"
BO = "volunteering_callouts_backoffice"


def _crisis(mission: Mission, cast: Cast, capture: Any, **options: Any) -> CallOut:
    options.setdefault("channels", ["sms", "email"])
    options.setdefault("message", "Crue : besoin de bras.")
    with capture(execute=True):
        return callout_start(
            mission=mission,
            actor=cast.alert_approver,
            wave_size=options.pop("wave_size", 10),
            wave_minutes=15,
            **options,
        )


def _association(mission: Mission, cast: Cast, capture: Any, **options: Any) -> CallOut:
    with capture(execute=True):
        return callout_start(
            mission=mission,
            actor=cast.association_manager,
            message="Distribution d'urgence ce soir.",
            channels=options.pop("channels", ["sms", "email"]),
            wave_size=options.pop("wave_size", 10),
            wave_minutes=15,
            **options,
        )


def _url(contact: CallOutContact) -> str:
    return reverse(f"{PUBLIC}:answer", args=[contact.token])


def _next(weekday: int, hour: int, after_days: int = 2) -> datetime:
    """The first ``weekday`` (0 = Monday) at ``hour``, local time, ``after_days`` from now."""
    day: date = timezone.localdate() + timedelta(days=after_days)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _slot(mission: Mission, starts_at: datetime, needed: int = 2) -> Slot:
    return Slot.objects.create(
        mission=mission,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        volunteers_needed=needed,
    )


# --- 1. An association's call-out: near and urgent only; the urgency left alone ---------


def test_it_refuses_an_associations_callout_for_a_far_mission(
    cast: Cast,
    association_mission: Mission,
    gateways: Gateways,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    volunteers(cast, 2)
    far = timezone.now() + timedelta(days=150)
    fair = make_mission(
        cast.org, "Vide-grenier", association=association_mission.association, starts_at=far
    )
    with pytest.raises(CallOutRefused, match="urgent need"):
        _association(fair, cast, django_capture_on_commit_callbacks)
    manager = Client()
    manager.force_login(cast.association_manager)
    response = manager.post(
        reverse(f"{PUBLIC}:start"),
        {
            "mission": fair.pk,
            "message": "Venez nombreux.",
            "channels": ["sms"],
            "wave_size": 2,
            "wave_minutes": 15,
        },
    )
    assert response.status_code == 400 and "urgent need" in response.content.decode()
    fair.refresh_from_db()
    assert not CallOut.objects.exists() and fair.urgency == Urgency.NORMAL
    assert not AuditEvent.objects.filter(action__startswith="volunteering.callout").exists()
    # A near slot with room is enough; the installation may widen the horizon.
    assert _association(association_mission, cast, django_capture_on_commit_callbacks)
    settings.CALLOUT_ASSOCIATION_HORIZON_DAYS = 200
    settings.CALLOUT_PER_DESTINATION_PER_DAY = 100
    assert _association(fair, cast, django_capture_on_commit_callbacks)


def test_it_lets_the_crisis_cell_call_out_for_any_date(
    cast: Cast, gateways: Gateways, django_capture_on_commit_callbacks: Any
) -> None:
    volunteers(cast, 1)
    far = make_mission(cast.org, "Renfort été", starts_at=timezone.now() + timedelta(days=150))
    callout = _crisis(far, cast, django_capture_on_commit_callbacks)
    assert callout.contacts.count() == 1


def test_it_covers_only_the_slots_within_the_horizon_for_an_association(
    cast: Cast,
    association_mission: Mission,
    gateways: Gateways,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # A later slot with room does not keep an association's call-out going, nor is offered.
    volunteers(cast, 4)
    later = _slot(association_mission, timezone.now() + timedelta(days=40))
    callout = _association(association_mission, cast, django_capture_on_commit_callbacks)
    first, second, third, _fourth = list(callout.contacts.order_by("pk"))
    page = Client().get(_url(first)).content.decode()
    assert f'value="{later.pk}"' not in page
    callout_answer(contact=first, yes=True)
    callout_answer(contact=second, yes=True)
    callout.refresh_from_db()
    assert callout.status == CallOut.Status.FILLED
    # A late "yes" goes to the near slot's waiting list, not to the far slot.
    callout_answer(contact=third, yes=True)
    assert Application.objects.get(profile=third.profile).slot_id != later.pk


def test_it_leaves_the_missions_urgency_as_it_was(
    cast: Cast, mission: Mission, gateways: Gateways, django_capture_on_commit_callbacks: Any
) -> None:
    volunteers(cast, 3)
    callout = _crisis(mission, cast, django_capture_on_commit_callbacks)
    mission.refresh_from_db()
    assert mission.urgency == Urgency.NORMAL
    callout_stop(callout=callout, actor=cast.alert_approver)
    mission.refresh_from_db()
    assert mission.urgency == Urgency.NORMAL
    # An urgency set by the organiser stays too.
    Mission.objects.filter(pk=mission.pk).update(urgency=Urgency.URGENT)
    other = _crisis(mission, cast, django_capture_on_commit_callbacks)
    other.refresh_from_db()
    assert other.status == CallOut.Status.EXHAUSTED  # all three were called an hour ago
    mission.refresh_from_db()
    assert mission.urgency == Urgency.URGENT


def test_it_does_not_contact_again_within_a_day_nor_after_a_no(
    cast: Cast, mission: Mission, gateways: Gateways, django_capture_on_commit_callbacks: Any
) -> None:
    smtp, _smsc = gateways
    crowd = volunteers(cast, 3)
    first = _crisis(mission, cast, django_capture_on_commit_callbacks, wave_size=2)
    reached = list(first.contacts.order_by("pk"))
    callout_answer(contact=reached[0], yes=False)
    callout_stop(callout=first, actor=cast.alert_approver)
    received = len(smtp.received)
    # Stopped and started again a minute later: only the one not reached yet.
    second = _crisis(mission, cast, django_capture_on_commit_callbacks, wave_size=5)
    assert set(second.contacts.values_list("profile_id", flat=True)) == (
        {p.pk for p in crowd} - {c.profile_id for c in reached}
    )
    assert len(smtp.received) == received + 1
    callout_stop(callout=second, actor=cast.alert_approver)
    # A day later, the silent ones may be called again; the "no" stands.
    CallOutContact.objects.update(sent_at=timezone.now() - timedelta(hours=25))
    third = _crisis(mission, cast, django_capture_on_commit_callbacks, wave_size=5)
    assert set(third.contacts.values_list("profile_id", flat=True)) == (
        {p.pk for p in crowd} - {reached[0].profile_id}
    )


def test_it_tells_a_volunteer_without_an_account_how_to_withdraw(
    cast: Cast, mission: Mission, gateways: Gateways, django_capture_on_commit_callbacks: Any
) -> None:
    smtp, _smsc = gateways
    cast.org.contact_phone = "03 99 00 12 00"
    cast.org.contact_email = "mairie@valmont.example"
    cast.org.save()
    [desk] = volunteers(cast, 1)  # registered at the desk: no account
    online = make_profile(
        cast.org,
        "Inscrite en ligne",
        user=cast.resident,
        email="enligne@example.org",
        phone="+33639900500",
        crisis_consent=True,
    )
    _crisis(mission, cast, django_capture_on_commit_callbacks, channels=["email"])
    bodies = {
        r.rcpt_tos[0]: r.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        for r in smtp.received
    }
    assert "call the town hall on 03 99 00 12 00" in bodies[desk.email]
    assert "reply to this e-mail" in bodies[desk.email]
    assert "volunteer profile" not in bodies[desk.email]
    assert "in your volunteer profile" in bodies[online.email]
    assert all(r.message["Reply-To"] == "mairie@valmont.example" for r in smtp.received)
    # "Answer with one click" was not true: the page asks to confirm.
    assert all("one click" not in body for body in bodies.values())


def test_it_withdraws_the_crisis_consent_on_stop(cast: Cast) -> None:
    keeps, stops = volunteers(cast, 2)
    inbound_route(stops.phone.lstrip("+"), " Stop ", "sms")
    stops.refresh_from_db()
    keeps.refresh_from_db()
    assert (stops.crisis_consent, stops.crisis_consent_at) == (False, None)
    assert keeps.crisis_consent
    [event] = AuditEvent.objects.filter(action="volunteer.crisis_withdraw")
    assert (event.target_id, event.data) == (str(stops.pk), {"by": "sms_stop"})
    # Anything else withdraws nothing.
    inbound_route(keeps.phone, "Stoppez la pluie", "sms")
    keeps.refresh_from_db()
    assert keeps.crisis_consent


def test_it_stops_call_outs_but_not_alerts_on_stop_appels(cast: Cast) -> None:
    """What a call-out SMS offers, "STOP APPELS", withdraws the crisis consent and leaves
    the number's alert SMS alone; a bare "STOP" stops both (the alerts read every reply)."""
    from beffroi.alerts.tests.factories import make_subscribers, number

    make_subscribers(cast.org, 2, channels=("sms",))
    first, second = volunteers(cast, 2)
    VolunteerProfile.objects.filter(pk=first.pk).update(phone=number(0))
    VolunteerProfile.objects.filter(pk=second.pk).update(phone=number(1))
    inbound_route(number(0), "stop appels", "sms")
    inbound_route(number(1), "STOP", "sms")
    first.refresh_from_db()
    second.refresh_from_db()
    assert not first.crisis_consent and not second.crisis_consent
    still = cast.org.subscribers.get(sms_number=number(0))
    stopped = cast.org.subscribers.get(sms_number=number(1))
    assert "sms" in still.channels and "sms" not in stopped.channels


def test_it_mentions_stop_in_the_sms_only_when_it_costs_no_part(
    cast: Cast, mission: Mission, gateways: Gateways, django_capture_on_commit_callbacks: Any
) -> None:
    _smtp, smsc = gateways
    [volunteer] = volunteers(cast, 1)
    _crisis(mission, cast, django_capture_on_commit_callbacks, channels=["sms"], message="Crue.")
    [short] = sms_by_number(smsc).values()
    assert short.endswith("STOP CALLS: no more call-outs") and sms_info(short).segments == 1
    CallOut.objects.update(status=CallOut.Status.STOPPED)
    CallOutContact.objects.update(sent_at=timezone.now() - timedelta(hours=25))
    smsc.submitted.clear()
    smsc.accepted.clear()
    # Filling its part to the brim: the mention would take one more; left out.
    base = len(short) - len(" STOP CALLS: no more call-outs") - len("Crue.")
    message = "x" * (160 - base - 5)
    _crisis(mission, cast, django_capture_on_commit_callbacks, channels=["sms"], message=message)
    [full] = sms_by_number(smsc).values()
    assert "STOP" not in full and sms_info(full).segments == 1, (len(full), full)
    assert volunteer.crisis_consent


# --- 2. The volunteer chooses the slot; the best fit by default -------------------------


def test_it_offers_a_choice_of_slot_and_preselects_the_best_fit(
    cast: Cast, gateways: Gateways, django_capture_on_commit_callbacks: Any
) -> None:
    monday = _next(0, 9)
    saturday = _next(5, 9)
    mission = make_mission(cast.org, "Sacs de sable", starts_at=monday)
    sat_slot = _slot(mission, saturday)
    mon_slot = mission.slots.get(starts_at=monday)
    [volunteer] = volunteers(cast, 1)
    # Free on Saturday mornings only.
    VolunteerProfile.objects.filter(pk=volunteer.pk).update(availability=grid_bit(5, 0))
    callout = _crisis(mission, cast, django_capture_on_commit_callbacks)
    contact = callout.contacts.get()
    page = Client().get(_url(contact) + "?r=oui").content.decode()
    assert f'type="radio" name="slot" id="slot-{mon_slot.pk}" value="{mon_slot.pk}">' in page
    assert f'value="{sat_slot.pk}" checked' in page
    # The volunteer may take another one all the same.
    assert Client().post(_url(contact), {"answer": "yes", "slot": mon_slot.pk}).status_code == 302
    assert Application.objects.get(profile=volunteer).slot_id == mon_slot.pk


def test_it_takes_the_best_fit_on_an_sms_yes(
    cast: Cast, gateways: Gateways, django_capture_on_commit_callbacks: Any
) -> None:
    first = _next(0, 9)
    second = first + timedelta(days=1)
    mission = make_mission(cast.org, "Sacs de sable", starts_at=first)
    later = _slot(mission, second)
    [volunteer] = volunteers(cast, 1)
    # Already expected elsewhere at the time of the first slot.
    elsewhere = make_mission(cast.org, "Accueil au gymnase", starts_at=first + timedelta(hours=1))
    Application.objects.create(
        slot=elsewhere.slots.get(), profile=volunteer, state=Application.State.ACCEPTED
    )
    Slot.objects.filter(mission=elsewhere).update(accepted_count=1)
    callout = _crisis(mission, cast, django_capture_on_commit_callbacks)
    inbound_route(volunteer.phone, "OUI", "sms")
    contact = callout.contacts.get()
    assert contact.state == CallOutContact.State.YES
    assert contact.application is not None and contact.application.slot_id == later.pk


def test_it_refuses_a_slot_not_of_the_callout(
    cast: Cast, mission: Mission, gateways: Gateways, django_capture_on_commit_callbacks: Any
) -> None:
    volunteers(cast, 1)
    other = make_mission(cast.org, "Autre chose")
    callout = _crisis(mission, cast, django_capture_on_commit_callbacks)
    contact = callout.contacts.get()
    response = Client().post(_url(contact), {"answer": "yes", "slot": other.slots.get().pk})
    assert response.status_code == 400 and not Application.objects.exists()


# --- 3. One who already takes part is neither contacted nor counted ---------------------


def test_it_does_not_count_a_yes_from_one_already_taking_part(
    cast: Cast, mission: Mission, gateways: Gateways, django_capture_on_commit_callbacks: Any
) -> None:
    _smtp, smsc = gateways
    taking_part, other, late = volunteers(cast, 3)
    slot = mission.slots.get()
    Application.objects.create(slot=slot, profile=taking_part, state=Application.State.ACCEPTED)
    Slot.objects.filter(pk=slot.pk).update(accepted_count=1)
    callout = _crisis(mission, cast, django_capture_on_commit_callbacks, wave_size=1)
    assert taking_part.pk not in set(callout.contacts.values_list("profile_id", flat=True))
    # One contacted applies from the website meanwhile, then answers "yes" by the link...
    contact = callout.contacts.get()
    Application.objects.create(slot=slot, profile=contact.profile, state=Application.State.PENDING)
    Slot.objects.filter(pk=slot.pk).update(accepted_count=2)
    with pytest.raises(AlreadyTakingPart):
        callout_answer(contact=contact, yes=True)
    page = Client().get(_url(contact)).content.decode()
    assert "You already take part in this mission" in page and 'value="yes"' not in page
    contact.refresh_from_db()
    assert contact.state == CallOutContact.State.SENT and contact.answered_at is not None
    client = Client()
    login_verified(client, cast.alert_approver)
    detail = client.get(reverse(f"{BO}:detail", args=[callout.pk])).content.decode()
    assert "Confirmed by this call-out</dt><dd>0</dd>" in detail
    assert "already taking part (nothing filled)</dt><dd>1</dd>" in detail
    # ... or by SMS: told so by SMS.
    contact.answered_at = None
    contact.save(update_fields=["answered_at"])
    smsc.submitted.clear()
    smsc.accepted.clear()
    inbound_route(contact.profile.phone, "oui", "sms")
    assert "already take part" in sms_by_number(smsc)[contact.profile.phone.lstrip("+")]
    assert Application.objects.filter(profile=contact.profile).count() == 1
    assert {other.pk, late.pk} >= {contact.profile_id}


# --- 4. The coverage: live while answers may come ---------------------------------------


def test_it_keeps_the_contacts_live_and_polls_while_answers_may_come(
    cast: Cast, mission: Mission, gateways: Gateways, django_capture_on_commit_callbacks: Any
) -> None:
    volunteers(cast, 3)
    callout = _crisis(mission, cast, django_capture_on_commit_callbacks, wave_size=3)
    client = Client()
    login_verified(client, cast.alert_approver)
    url = reverse(f"{BO}:detail", args=[callout.pk])
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Volunteers contacted" in fragment and "Bénévole 00" in fragment
    first, second, silent = list(callout.contacts.order_by("pk"))
    callout_answer(contact=first, yes=True)
    callout_answer(contact=second, yes=True)
    callout.refresh_from_db()
    assert callout.status == CallOut.Status.FILLED
    # Filled, yet an answer may still come (to the waiting list): still polled.
    page = client.get(url).content.decode()
    assert "hx-get" in page and "answers to the messages sent are still taken" in page
    callout_answer(contact=silent, yes=False)
    assert "hx-get" not in client.get(url).content.decode()


# --- 10. A past call-out's coverage -----------------------------------------------------


def test_it_shows_a_past_callouts_figures_as_they_stood(
    cast: Cast, mission: Mission, gateways: Gateways, django_capture_on_commit_callbacks: Any
) -> None:
    volunteers(cast, 2)
    callout = _crisis(mission, cast, django_capture_on_commit_callbacks)
    for contact in callout.contacts.all():
        callout_answer(contact=contact, yes=True)
    # A month later: the slot is over.
    past = timezone.now() - timedelta(days=30)
    CallOut.objects.filter(pk=callout.pk).update(created_at=past - timedelta(hours=2))
    Slot.objects.filter(mission=mission).update(starts_at=past, ends_at=past + timedelta(hours=3))
    client = Client()
    login_verified(client, cast.alert_approver)
    page = client.get(reverse(f"{BO}:detail", args=[callout.pk])).content.decode()
    assert "The slots of this call-out are over: 2 of their 2 places were held" in page
    assert "0 of the 0" not in page and "(100 %)" in page
    assert "hx-get" not in page


# --- 5. The offer on an alert in force only ---------------------------------------------


def test_it_offers_a_callout_on_an_alert_in_force_only(cast: Cast) -> None:
    in_force = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENT)
    expired = make_alert(
        cast.org,
        cast.alert_author,
        status=Alert.Status.SENT,
        sent_ago=timedelta(hours=10),
        lasts=timedelta(hours=2),
    )
    client = Client()
    login_verified(client, cast.alert_approver)
    for alert, offered in ((in_force, True), (expired, False)):
        page = client.get(reverse("alerts_backoffice:alert_detail", args=[alert.pk]))
        assert ("Call out volunteers for" in page.content.decode()) is offered, alert
    start = reverse(f"{BO}:start")
    assert client.get(f"{start}?alert={expired.pk}").status_code == 404


# --- 12. The answer page ----------------------------------------------------------------


def test_it_names_the_association_and_mentions_the_sms_only_if_sent(
    cast: Cast,
    association_mission: Mission,
    mission: Mission,
    gateways: Gateways,
    django_capture_on_commit_callbacks: Any,
) -> None:
    volunteers(cast, 1)
    callout = _association(
        association_mission, cast, django_capture_on_commit_callbacks, channels=["email"]
    )
    page = Client().get(_url(callout.contacts.get())).content.decode()
    assert f"Les Restos du Val (via {cast.org.name}) calls you out" in page
    assert "answer the SMS" not in page
    crisis = _crisis(mission, cast, django_capture_on_commit_callbacks, channels=["sms"])
    page = Client().get(_url(crisis.contacts.get())).content.decode()
    assert f"{cast.org.name} calls you out" in page and "answer the SMS with OUI or NON" in page
