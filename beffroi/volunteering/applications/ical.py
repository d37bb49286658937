"""An iCalendar file (RFC 5545) for one slot of a mission, joined to the reminder and offered
for download, so that the volunteer finds it in their diary.

Everything an organiser typed goes through ``text`` (backslash, semicolon, comma and newlines
escaped, control characters dropped) and every line through ``fold`` (75 octets, continued
with a space, never cutting a UTF-8 character): a title carrying "\\r\\nATTENDEE:…" stays one
escaped SUMMARY value instead of adding a property to the volunteer's calendar. The same
rules as the participation meetings' files, kept here because domains share only their
services and selectors.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.urls import reverse
from django.utils import timezone

from beffroi.volunteering.models import Slot

PRODID = "-//Beffroi//Benevolat//FR"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
LINE_OCTETS = 75


def text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11)."""
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """``line`` folded at 75 octets: CRLF then one space before each continuation."""
    parts: list[str] = []
    current = ""
    size = 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > LINE_OCTETS:
            parts.append(current)
            current = " "
            size = 1
        current += char
        size += width
    parts.append(current)
    return "\r\n".join(parts)


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def slot_calendar(
    *, slot: Slot, site: str, tentative: bool = False, now: datetime | None = None
) -> bytes:
    """The VCALENDAR of ``slot`` (one VEVENT), UTF-8 with CRLF line ends; ``site`` is the
    absolute address of the commune's site (its host names the event's UID; the event's URL
    is the mission's page there). ``tentative``: the application awaits the organiser's
    answer (STATUS:TENTATIVE), else it is accepted (CONFIRMED)."""
    now = now or timezone.now()
    mission = slot.mission
    host = urlsplit(site).hostname or "beffroi"
    organiser = mission.association.name if mission.association else mission.organisation.name
    description = "\n".join(
        part
        for part in (
            organiser,
            mission.description[:1000],
            " ".join(p for p in (mission.contact_name, mission.contact_phone) if p),
        )
        if part
    )
    cancelled = slot.cancelled or mission.status == mission.Status.CANCELLED
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:volunteering-slot-{slot.pk}@{text(host)}",
        f"DTSTAMP:{utc(now)}",
        f"DTSTART:{utc(slot.starts_at)}",
        f"DTEND:{utc(slot.ends_at)}",
        f"SEQUENCE:{1 if cancelled else 0}",
        f"SUMMARY:{text(mission.title)}",
        f"DESCRIPTION:{text(description)}",
    ]
    if mission.street_address and not mission.remote:
        lines.append(f"LOCATION:{text(mission.street_address)}")
    if mission.lat is not None and mission.lon is not None:
        lines.append(f"GEO:{mission.lat:.6f};{mission.lon:.6f}")
    if site:
        page = site.rstrip("/") + reverse("volunteering_missions:detail", args=[mission.pk])
        lines.append(f"URL:{_CONTROL.sub('', page).replace(chr(10), '')}")
    status = "CANCELLED" if cancelled else "TENTATIVE" if tentative else "CONFIRMED"
    lines.append(f"STATUS:{status}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines).encode("utf-8")


def unfold(content: str) -> list[str]:
    """The logical lines of an iCalendar text (continuations joined): for tests."""
    return content.replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")
