"""A crisis call-out wave to 1,000 volunteers.

``callouts``: 1,000 volunteers who agreed to be called in a crisis (20 of them reservists),
each with an e-mail address and a mobile; the crisis cell starts a call-out for a mission
needing them all, in one wave of 1,000, on e-mail and SMS. Timed from the call of
``callout_start`` (the click) to the last message accepted by the loopback SMTP server and
the loopback SMPP server (``bench.loopback``, each in its own process): matching, tokens,
contacts written, per-destination limits counted, messages built and sent over one SMTP
connection and one SMPP session, outcomes recorded.

Baseline, in the same run against the same servers: a bare ``send_many`` of the same
number of e-mails and SMS of the same length through the same transports (no database,
no matching): the floor of the wave.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bench import Context, Measure, benchmark, create_organisation, timed

RESERVISTS = 20
REPEATS = 2
MESSAGE = "Crue : besoin de bras pour les sacs de sable."


@dataclass(frozen=True)
class Prepared:
    organisation_id: int
    mission_id: int
    author_id: int
    volunteers: int


def setup(context: Context) -> Prepared:
    from django.utils import timezone

    from beffroi.accounts.models import Role, RoleAssignment, User
    from beffroi.volunteering.models import (
        ALL_WEEK,
        Mission,
        ReserveMember,
        Slot,
        VolunteerProfile,
    )

    count = context.size(1_000, 100)
    organisation = create_organisation("bench-callouts")
    author = User.objects.create_user(email="crise@bench.example", password="bench-callouts-1")
    RoleAssignment.objects.create(user=author, organisation=organisation, role=Role.ALERT_APPROVER)
    now = timezone.now()
    profiles = VolunteerProfile.objects.bulk_create(
        VolunteerProfile(
            organisation=organisation,
            full_name=f"Bénévole {i:04d}",
            email=f"benevole{i}@example.org",
            phone=f"+336{20_000_000 + i:08d}",
            home_lat=49.1 + (i % 50) * 0.0005,
            home_lon=5.4 + (i // 50) * 0.0005,
            radius_km=10,
            availability=ALL_WEEK,
            crisis_consent=True,
            crisis_consent_at=now,
        )
        for i in range(count)
    )
    today = timezone.localdate()
    ReserveMember.objects.bulk_create(
        ReserveMember(
            organisation=organisation,
            profile=profile,
            decision_reference="ARR-BENCH",
            decision_date=today - timedelta(days=30),
            engaged_from=today - timedelta(days=30),
            engaged_until=today + timedelta(days=300),
        )
        for profile in profiles[-RESERVISTS:]
    )
    mission = Mission.objects.create(
        organisation=organisation,
        title="Sacs de sable, quai de l'Aulne",
        description="Remplir et poser des sacs de sable le long de l'Aulne.",
        lat=49.1,
        lon=5.4,
        status=Mission.Status.PUBLISHED,
        published_at=now,
    )
    start = (now + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    Slot.objects.create(
        mission=mission,
        starts_at=start,
        ends_at=start + timedelta(hours=4),
        volunteers_needed=count,
    )
    context.log(f"{count:,} consenting volunteers, {RESERVISTS} reservists, one mission")
    return Prepared(organisation.pk, mission.pk, author.pk, count)


def _gateway_settings(gateways: Any) -> dict[str, Any]:
    from django.conf import settings

    return {
        "ALERT_EMAIL_URL": gateways.smtp_url,
        "SMPP_URL": gateways.smpp_url,
        "SMS_TRANSPORT": "smpp",
        "SMPP_MAX_PER_SECOND": 0,
        "ALERT_EMAIL_MAX_PER_SECOND": 0,
        # Each repeat calls the same volunteers out again, seconds after the last.
        "CALLOUT_RECONTACT_HOURS": 0,
        # The wave runs in this process once the call-out commits: the clock covers it all.
        "TASKS": {
            "default": {
                "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                "QUEUES": settings.TASK_QUEUES,
            }
        },
    }


def _callout_run(gateways: Any, prepared: Prepared) -> tuple[float, int]:
    """Seconds from ``callout_start`` to the last message accepted; the contacts sent."""
    from beffroi.accounts.models import User
    from beffroi.volunteering.callouts.services import callout_start
    from beffroi.volunteering.models import CallOut, CallOutContact, Mission

    CallOut.objects.filter(mission_id=prepared.mission_id).update(status=CallOut.Status.STOPPED)
    mission = Mission.objects.select_related("organisation", "association").get(
        pk=prepared.mission_id
    )
    author = User.objects.get(pk=prepared.author_id)
    emails_before, sms_before = gateways.counts()
    seconds, callout = timed(
        lambda: callout_start(
            mission=mission,
            actor=author,
            message=MESSAGE,
            channels=["sms", "email"],
            wave_size=prepared.volunteers,
            wave_minutes=15,
            reserve_first=True,
        )
    )
    # ``send_many`` returned every outcome: the servers have answered each message; the
    # counters (shared memory, polled) only confirm it.
    gateways.wait_for(
        emails_before + prepared.volunteers, sms_before + prepared.volunteers, timeout=600
    )
    sent = CallOutContact.objects.filter(callout=callout, state=CallOutContact.State.SENT)
    return seconds, sent.count()


def _bare_run(gateways: Any, prepared: Prepared) -> float:
    """The same number of e-mails and SMS of the call-out's length, straight through the
    transports (one connection each)."""
    from beffroi.messaging.base import EmailOut, SmsOut
    from beffroi.messaging.registry import get_sms_transport, get_transport

    link = "https://localhost/benevolat/appels/r/" + "x" * 22 + "/"
    sms_text = f"Bench callouts: {MESSAGE} 12/12 09h00 Reply YES or NO, or {link}"
    emails = [
        EmailOut(
            key=f"bare-{i}",
            to=f"benevole{i}@example.org",
            subject="Urgent call for volunteers",
            text=f"Hello,\n\n{MESSAGE}\n\nYes: {link}?r=oui\nNo: {link}?r=non\n",
        )
        for i in range(prepared.volunteers)
    ]
    sms = [
        SmsOut(key=f"bare-{i}", to=f"+336{20_000_000 + i:08d}", text=sms_text)
        for i in range(prepared.volunteers)
    ]
    emails_before, sms_before = gateways.counts()

    def send() -> None:
        with get_transport("smtp") as transport:
            transport.send_many(emails)
        with get_sms_transport() as transport:
            transport.send_many(sms)

    seconds, _none = timed(send)
    gateways.wait_for(
        emails_before + prepared.volunteers, sms_before + prepared.volunteers, timeout=600
    )
    return seconds


@benchmark(
    "callouts",
    "A crisis call-out wave to 1,000 consenting volunteers (e-mail + SMS), from the click to "
    "every message accepted by loopback SMTP and SMPP servers, beside a bare send of the same "
    "messages through the same transports.",
    setup=setup,
)
def callouts(context: Context, prepared: Prepared) -> list[Measure]:
    from django.test import override_settings

    from bench.loopback import start_gateways

    gateways = start_gateways()
    try:
        with override_settings(**_gateway_settings(gateways)):
            wave_runs: list[float] = []
            bare_runs: list[float] = []
            for _repeat in range(REPEATS):
                bare_runs.append(_bare_run(gateways, prepared))
                context.log(
                    f"bare send_many: {2 * prepared.volunteers:,} messages in {bare_runs[-1]:.2f}s"
                )
                seconds, sent = _callout_run(gateways, prepared)
                if sent != prepared.volunteers:
                    raise RuntimeError(f"{sent} of {prepared.volunteers} volunteers reached")
                wave_runs.append(seconds)
                context.log(f"call-out wave: {sent:,} volunteers reached in {seconds:.2f}s")
    finally:
        gateways.stop()
    wave_s, bare_s = min(wave_runs), min(bare_runs)
    context.extra.update(
        {
            "wave_runs_seconds": [round(s, 2) for s in wave_runs],
            "bare_runs_seconds": [round(s, 2) for s in bare_runs],
            "volunteers": prepared.volunteers,
        }
    )
    return [
        Measure(
            "callout_wave_seconds",
            f"a call-out to {prepared.volunteers:,} volunteers in one wave, e-mail + SMS: from "
            "`callout_start` to the last message accepted by the loopback SMTP and SMPP "
            f"servers (matching, contacts, limits, sending, outcomes; best of {REPEATS})",
            wave_s,
            "s",
            "a bare `send_many` of as many e-mails and SMS of the same length through the "
            "same transports, one SMTP connection and one SMPP session",
            bare_s,
        ),
    ]
