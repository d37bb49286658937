"""Volunteering statistics on hand-built missions, slots, attendances and call-outs: the
figures, the page, the CSV exports, who may read them, and a number of queries that does
not grow with the data."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from beffroi.accounts.models import User
from beffroi.territory.models import Organisation
from beffroi.testing import Cast, login_verified
from beffroi.volunteering.models import (
    Application,
    CallOut,
    CallOutContact,
    Mission,
    Slot,
    VolunteerProfile,
)
from beffroi.volunteering.statistics.selectors import Period, volunteering_statistics
from beffroi.volunteering.tests.factories import make_association, make_mission, make_profile

pytestmark = pytest.mark.django_db

BO = "volunteering_statistics_backoffice"
PARIS = ZoneInfo("Europe/Paris")
PERIOD = {"start": "2026-01-01", "end": "2026-03-31"}


def _at(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=PARIS)


def _client(user: User | None = None) -> Client:
    client = Client()
    if user is not None:
        login_verified(client, user)
    return client


def _slot(mission: Mission, start: datetime, hours: int, needed: int, held: int) -> Slot:
    return Slot.objects.create(
        mission=mission,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        volunteers_needed=needed,
        accepted_count=held,
    )


def _present(slot: Slot, profile: VolunteerProfile, hours: str | None = None) -> Application:
    return Application.objects.create(
        slot=slot,
        profile=profile,
        state=Application.State.ACCEPTED,
        attendance=Application.Attendance.PRESENT,
        hours=Decimal(hours) if hours is not None else None,
    )


def _contact(
    callout: CallOut, profile: VolunteerProfile, state: str, minutes: int | None
) -> CallOutContact:
    sent_at = None if state == CallOutContact.State.FAILED else _at(2, 20, 8)
    return CallOutContact.objects.create(
        callout=callout,
        profile=profile,
        token=f"t-{callout.pk}-{profile.pk}",
        state=state,
        sent_at=sent_at,
        answered_at=sent_at + timedelta(minutes=minutes) if sent_at and minutes else None,
    )


def _build(organisation: Organisation, suffix: str = "") -> dict[str, object]:
    """Two published missions and a draft, with slots in January and February 2026, three
    attendances and a call-out of five contacts."""
    banque = make_association(organisation, f"Banque alimentaire{suffix}")
    m1 = make_mission(
        organisation,
        f"Distribution du samedi{suffix}",
        association=banque,
        slots=0,
        activities=["solidarity"],
    )
    m2 = make_mission(
        organisation,
        f"Sacs de sable{suffix}",
        slots=0,
        activities=["solidarity", "civil_protection"],
    )
    m3 = make_mission(organisation, f"Brouillon{suffix}", slots=0, status=Mission.Status.DRAFT)
    s1 = _slot(m1, _at(1, 10, 9), 3, needed=2, held=2)
    s2 = _slot(m1, _at(2, 14, 9), 3, needed=2, held=1)
    s3 = _slot(m2, _at(2, 20, 14), 4, needed=4, held=5)  # one more accepted than needed
    Slot.objects.create(
        mission=m1,
        starts_at=_at(3, 7, 9),
        ends_at=_at(3, 7, 12),
        volunteers_needed=5,
        cancelled=True,
    )
    _slot(m3, _at(3, 1, 9), 2, needed=3, held=0)
    _slot(m1, datetime(2025, 12, 20, 9, tzinfo=PARIS), 3, needed=9, held=0)  # before
    p1 = make_profile(organisation, f"Camille{suffix}", crisis_consent=True,
                      certifications=(("psc1", date(2030, 1, 1)),))  # fmt: skip
    p2 = make_profile(
        organisation,
        f"Dominique{suffix}",
        registration_channel=VolunteerProfile.Channel.PHONE,
        certifications=(("pse1", date(2020, 1, 1)),),
    )
    others = [
        make_profile(
            organisation,
            f"Inactif {i}{suffix}",
            active=False,
            registration_channel=VolunteerProfile.Channel.DESK,
        )
        for i in range(3)
    ]
    VolunteerProfile.objects.filter(pk=p1.pk).update(created_at=_at(1, 5, 10))
    VolunteerProfile.objects.filter(pk=p2.pk).update(created_at=_at(2, 1, 10))
    _present(s1, p1)  # 3 h (the slot)
    _present(s1, p2, "2.5")
    _present(s3, p1)  # 4 h
    Application.objects.create(
        slot=s2, profile=p2, state=Application.State.ACCEPTED,
        attendance=Application.Attendance.ABSENT,
    )  # fmt: skip
    callout = CallOut.objects.create(
        organisation=organisation, mission=m2, message="Crue : besoin de bras.", waves_sent=2
    )
    CallOut.objects.filter(pk=callout.pk).update(created_at=_at(2, 20, 8))
    _contact(callout, p1, CallOutContact.State.YES, 10)
    _contact(callout, p2, CallOutContact.State.NO, 30)
    _contact(callout, others[0], CallOutContact.State.WAITLISTED, 20)
    _contact(callout, others[1], CallOutContact.State.SENT, None)
    _contact(callout, others[2], CallOutContact.State.FAILED, None)
    return {"m1": m1, "m2": m2, "banque": banque}


def test_it_computes_the_figures_of_the_period(cast: Cast, settings: object) -> None:
    _build(cast.org)
    _build(cast.other_org, " (ailleurs)")  # never counted here
    stats = volunteering_statistics(
        organisation=cast.org, period=Period(date(2026, 1, 1), date(2026, 3, 31))
    )
    volunteers = stats.volunteers
    assert (volunteers.active, volunteers.crisis, volunteers.certified) == (2, 1, 1)
    assert dict(volunteers.by_channel) == {
        "Online, by the volunteer": 1,
        "By phone, with an agent": 1,
        "At the front desk": 0,
    }
    assert volunteers.new_per_month == [
        (date(2026, 1, 1), 1),
        (date(2026, 2, 1), 1),
        (date(2026, 3, 1), 0),
    ]
    assert volunteers.by_certification == [("PSC1 (first aid)", 1)]

    missions = stats.missions
    assert dict(missions.by_status)["Published"] == 2
    assert dict(missions.by_status)["Draft"] == 1
    assert dict(missions.by_activity) == {
        "Solidarity and social action": 2,
        "Civil protection and emergencies": 1,
    }
    assert dict(missions.by_association) == {"Banque alimentaire": 1, "The commune": 2}
    # 2/2 in January; 1/2 and 4 (not 5) of 4 in February; cancelled slots and drafts out.
    assert (missions.fill.needed, missions.fill.held, missions.fill.rate) == (8, 7, 87.5)
    assert [(r.needed, r.held, r.rate) for r in missions.fill_per_month] == [
        (2, 2, 100.0),
        (6, 5, 83.3),
        (0, 0, None),
    ]
    per_mission = {r.label: (r.slots, r.needed, r.held, r.rate) for r in missions.fill_per_mission}
    # Every mission the header counts, the draft too (its slot asked nobody).
    assert per_mission == {
        "Distribution du samedi": (2, 4, 3, 75.0),
        "Sacs de sable": (1, 4, 4, 100.0),
        "Brouillon": (0, 0, 0, None),
    }
    assert len(missions.fill_per_mission) == missions.total

    hours = stats.hours
    assert (hours.total.hours, hours.total.volunteers, hours.total.attendances) == (9.5, 2, 3)
    assert [(r.label, r.hours) for r in hours.per_association] == [
        ("Banque alimentaire", 5.5),
        ("The commune", 4.0),
    ]
    assert [r.hours for r in hours.per_month] == [5.5, 4.0, 0.0]

    callouts = stats.callouts
    assert (callouts.callouts, callouts.reached, callouts.yes, callouts.no) == (1, 4, 2, 1)
    assert callouts.no_answer == 1
    assert (callouts.yes_share, callouts.no_share, callouts.no_answer_share) == (50.0, 25.0, 25.0)
    assert callouts.median_minutes == 20.0
    [row] = callouts.rows
    assert (row.mission, row.contacted, row.failed, row.median_minutes) == (
        "Sacs de sable",
        5,
        1,
        20.0,
    )


def test_it_shows_the_page_with_each_charts_numbers_as_text(cast: Cast) -> None:
    _build(cast.org)
    response = _client(cast.participation_manager).get(reverse(f"{BO}:index"), PERIOD)
    page = response.content.decode()
    assert response.status_code == 200
    assert "87.5 % (7 places held out of 8 needed)" in page
    assert "9.5 h by 2 volunteers" in page
    assert "median response time 20 min" in page
    # Every bar says its number in text beside it; the SVG is hidden from screen readers.
    assert '<span class="bar-value">50.0 %</span>' in page
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert 'aria-hidden="true"' in main and "<script" not in main
    assert "Distribution du samedi" in page
    # The default period: the last twelve months.
    assert _client(cast.participation_manager).get(reverse(f"{BO}:index")).status_code == 200


def test_it_refuses_a_period_that_ends_before_it_starts(cast: Cast) -> None:
    agent = _client(cast.participation_manager)
    response = agent.get(reverse(f"{BO}:index"), {"start": "2026-03-01", "end": "2026-01-01"})
    assert response.status_code == 400
    assert "The end of the period comes before its start." in response.content.decode()
    response = agent.get(reverse(f"{BO}:index"), {"start": "hier", "end": ""})
    assert response.status_code == 400
    assert (
        agent.get(
            reverse(f"{BO}:export", args=["missions"]), {"start": "2026-03-01", "end": "x"}
        ).status_code
        == 404
    )
    assert agent.get(reverse(f"{BO}:export", args=["personnes"]), PERIOD).status_code == 404


def _rows(response: object) -> list[list[str]]:
    content = response.content.decode("utf-8")  # type: ignore[attr-defined]
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:]), delimiter=";"))


def test_it_exports_the_figures_as_csv_without_personal_data(cast: Cast) -> None:
    built = _build(cast.org)
    Mission.objects.filter(pk=built["m2"].pk).update(title='=HYPERLINK("http://x")')  # type: ignore[attr-defined]
    agent = _client(cast.participation_manager)
    response = agent.get(reverse(f"{BO}:export", args=["missions"]), PERIOD)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="benevolat-missions-2026-01-01-2026-03-31' in response["Content-Disposition"]
    rows = _rows(response)
    assert rows[0] == [
        "Mission", "Association", "Status", "Slots", "Places needed", "Places held",
        "Fill rate (%)",
    ]  # fmt: skip
    assert [
        "Distribution du samedi",
        "Banque alimentaire",
        "Published",
        "2",
        "4",
        "3",
        "75",
    ] in rows
    assert ['\'=HYPERLINK("http://x")', "The commune", "Published", "1", "4", "4", "100"] in rows

    rows = _rows(agent.get(reverse(f"{BO}:export", args=["heures"]), PERIOD))
    assert rows[1:] == [
        ["2026-01", "Banque alimentaire", "5,5", "2", "2"],
        ["2026-02", "The commune", "4", "1", "1"],
    ]

    rows = _rows(agent.get(reverse(f"{BO}:export", args=["appels"]), PERIOD))
    assert len(rows) == 2
    assert rows[1][3:] == ["Running", "2", "5", "4", "2", "1", "1", "1", "20"]
    text = "".join(";".join(r) for r in rows)
    assert "Camille" not in text and "+336" not in text


def test_it_keeps_the_statistics_to_agents_and_the_crisis_cell(cast: Cast) -> None:
    index = reverse(f"{BO}:index")
    for user in (cast.participation_manager, cast.administrator, cast.alert_approver):
        assert _client(user).get(index).status_code == 200, user
    for user in (cast.resident, cast.association_manager, cast.moderator, cast.social_agent,
                 cast.front_desk, cast.other_admin, cast.alert_author):  # fmt: skip
        assert _client(user).get(index).status_code == 403, user
        assert _client(user).get(reverse(f"{BO}:export", args=["appels"])).status_code == 403
    assert _client().get(index).status_code == 302
    # The crisis cell proves its second factor first.
    unverified = Client()
    unverified.force_login(cast.alert_approver)
    response = unverified.get(index)
    assert response.status_code == 302, response.status_code


def test_it_reads_the_figures_in_a_fixed_number_of_queries(cast: Cast) -> None:
    _build(cast.org)
    agent = _client(cast.participation_manager)
    agent.get(reverse(f"{BO}:index"), PERIOD)  # sessions, caches
    with CaptureQueriesContext(connection) as small:
        assert agent.get(reverse(f"{BO}:index"), PERIOD).status_code == 200
    for i in range(3):
        _build(cast.org, f" {i}")
    with CaptureQueriesContext(connection) as large:
        assert agent.get(reverse(f"{BO}:index"), PERIOD).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(small.captured_queries) < 30


def test_it_renders_the_period_as_iso_dates_for_the_date_fields(
    cast: Cast, settings: object
) -> None:
    client = _client(cast.participation_manager)
    client.cookies["django_language"] = "fr"
    response = client.get(reverse(f"{BO}:index"), PERIOD, HTTP_ACCEPT_LANGUAGE="fr")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="2026-01-01"' in page and 'value="2026-03-31"' in page
    assert 'value="01/01/2026"' not in page
    # The default period too.
    page = client.get(reverse(f"{BO}:index"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    start = Period.default().start.isoformat()
    assert f'value="{start}"' in page


def test_it_lists_the_associations_missions_in_the_fill_table(cast: Cast) -> None:
    banque = make_association(cast.org, "Banque alimentaire")
    theirs = make_mission(cast.org, "Collecte de printemps", association=banque, slots=0)
    _slot(theirs, _at(2, 7, 9), 3, needed=4, held=1)
    ours = make_mission(cast.org, "Plan canicule", slots=0)
    _slot(ours, _at(2, 8, 9), 3, needed=2, held=2)
    stats = volunteering_statistics(
        organisation=cast.org, period=Period(date(2026, 1, 1), date(2026, 3, 31))
    )
    rows = {(r.label, r.association) for r in stats.missions.fill_per_mission}
    assert rows == {
        ("Collecte de printemps", "Banque alimentaire"),
        ("Plan canicule", "The commune"),
    }
    page = _client(cast.participation_manager).get(reverse(f"{BO}:index"), PERIOD)
    assert "Collecte de printemps" in page.content.decode()
