"""The iCalendar file (RFC 5545): escaping, folding, UTC times, cancellation; injections in
what managers type stay inside their value."""

from __future__ import annotations

from datetime import UTC, datetime

from django.test import Client
from django.urls import reverse

from beffroi.participation.meetings.ical import fold, meeting_ical, text, unescape, unfold
from beffroi.participation.models import Meeting, Process
from beffroi.participation.tests.factories import make_meeting
from beffroi.testing import Cast


def parse(content: str) -> dict[str, list[str]]:
    """Every property of the file (name → raw values), after checking its line structure."""
    assert content.endswith("\r\n")
    for physical in content.split("\r\n")[:-1]:
        assert len(physical.encode("utf-8")) <= 75, physical
        assert "\r" not in physical and "\n" not in physical
    properties: dict[str, list[str]] = {}
    for line in unfold(content)[:-1]:
        name, _, value = line.partition(":")
        assert name and name == name.upper() and ";" not in name, line
        properties.setdefault(name, []).append(value)
    return properties


def test_it_escapes_text_values() -> None:
    assert text("a,b;c\\d\ne\r\nf\rg") == "a\\,b\\;c\\\\d\\ne\\nf\\ng"
    assert text("bell\x07 tab\t") == "bell tab\t"
    assert unescape(text("Salle 1, étage; « A\\B »\nfin")) == "Salle 1, étage; « A\\B »\nfin"


def test_it_folds_at_75_octets_without_cutting_a_character() -> None:
    line = "SUMMARY:" + "é" * 100
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line


def test_it_describes_the_meeting(cast: Cast, process: Process) -> None:
    meeting = make_meeting(process, lat=45.1, lon=4.2)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=datetime(2026, 3, 12, 17, 30, tzinfo=UTC),
        ends_at=datetime(2026, 3, 12, 19, 0, tzinfo=UTC),
    )
    meeting.refresh_from_db()
    content = meeting_ical(
        meeting=meeting,
        url="https://valmont.example/participer/rencontres/square/1/",
        uid_host="valmont.example",
        now=datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
        description="Ordre du jour, point 1; point 2",
        location="Salle des fêtes, 1 place de la Mairie",
    )
    props = parse(content)
    assert props["BEGIN"] == ["VCALENDAR", "VEVENT"]
    assert props["VERSION"] == ["2.0"]
    assert props["UID"] == [f"meeting-{meeting.pk}@valmont.example"]
    assert props["DTSTAMP"] == ["20260301T080000Z"]
    assert props["DTSTART"] == ["20260312T173000Z"]
    assert props["DTEND"] == ["20260312T190000Z"]
    assert props["STATUS"] == ["CONFIRMED"]
    assert props["LOCATION"] == ["Salle des fêtes\\, 1 place de la Mairie"]
    assert props["DESCRIPTION"] == ["Ordre du jour\\, point 1\\; point 2"]
    assert props["GEO"] == ["45.100000;4.200000"]
    assert props["URL"] == ["https://valmont.example/participer/rencontres/square/1/"]


def test_it_keeps_an_injected_line_inside_the_summary(cast: Cast, process: Process) -> None:
    title = "Atelier\r\nATTENDEE:mailto:evil@example.org\r\nEND:VEVENT <script>alert(1)</script>"
    meeting = make_meeting(process, title=title[:200])
    content = meeting_ical(
        meeting=meeting, url="https://x.example/", uid_host="x.example", now=meeting.starts_at
    )
    props = parse(content)
    assert "ATTENDEE" not in props
    assert props["END"] == ["VEVENT", "VCALENDAR"]
    assert len(props["SUMMARY"]) == 1
    assert unescape(props["SUMMARY"][0]) == (
        "Atelier\nATTENDEE:mailto:evil@example.org\nEND:VEVENT <script>alert(1)</script>"
    )


def test_it_marks_a_cancelled_meeting(cast: Cast, process: Process) -> None:
    meeting = make_meeting(process)
    Meeting.objects.filter(pk=meeting.pk).update(cancelled_at=meeting.starts_at)
    meeting.refresh_from_db()
    props = parse(
        meeting_ical(meeting=meeting, url="", uid_host="x.example", now=meeting.starts_at)
    )
    assert props["STATUS"] == ["CANCELLED"]
    assert props["SEQUENCE"] == ["1"]


def test_it_serves_the_file(client: Client, cast: Cast, process: Process) -> None:
    meeting = make_meeting(
        process, title="Atelier; vélo, «\\» " + "x" * 90, agenda="Accueil\nDébat"
    )
    url = reverse("participation_meetings:ical", args=[process.slug, meeting.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    props = parse(response.content.decode("utf-8"))
    assert unescape(props["SUMMARY"][0]) == meeting.title
    assert "Accueil\nDébat" in unescape(props["DESCRIPTION"][0])
    assert props["URL"][0].endswith(f"/participer/rencontres/square/{meeting.pk}/")
    assert props["UID"][0].startswith(f"meeting-{meeting.pk}@")
