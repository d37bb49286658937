"""An iCalendar file (RFC 5545) for one meeting, so that residents add it to their agenda.

Everything a manager typed goes through ``text`` (escaping of backslash, semicolon, comma and
newlines, control characters dropped) and every line through ``fold`` (75 octets, continued
with a space, never cutting a UTF-8 character): a title carrying "\\r\\nATTENDEE:…" stays one
escaped SUMMARY value instead of injecting a property into the resident's calendar.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from beffroi.participation.models import Meeting

PRODID = "-//Beffroi//Participation//FR"
# Every control character but the newline (escaped as \n) and the tab: RFC 5545 forbids them
# in TEXT values, and a bare CR would end the line for lenient parsers.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
LINE_OCTETS = 75


def text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11)."""
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """``line`` folded at 75 octets (RFC 5545 §3.1): CRLF then one space before each
    continuation, which counts in the next line's 75."""
    parts: list[str] = []
    current = ""
    size = 0
    limit = LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current = " "
            size = 1
        current += char
        size += width
    parts.append(current)
    return "\r\n".join(parts)


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def meeting_ical(
    *,
    meeting: Meeting,
    url: str,
    uid_host: str,
    now: datetime,
    description: str = "",
    location: str = "",
) -> str:
    """The VCALENDAR of ``meeting`` (one VEVENT), CRLF line ends; ``url`` is the absolute
    address of its public page, ``description`` and ``location`` plain text."""
    cancelled = meeting.cancelled_at is not None
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:meeting-{meeting.pk}@{text(uid_host)}",
        f"DTSTAMP:{utc(now)}",
        f"DTSTART:{utc(meeting.starts_at)}",
        f"DTEND:{utc(meeting.ends_at)}",
        # A calendar replaces its copy only when the sequence grows: the cancellation does.
        f"SEQUENCE:{1 if cancelled else 0}",
        f"SUMMARY:{text(meeting.title)}",
    ]
    if description:
        lines.append(f"DESCRIPTION:{text(description)}")
    if location:
        lines.append(f"LOCATION:{text(location)}")
    if meeting.lat is not None and meeting.lon is not None:
        lines.append(f"GEO:{meeting.lat:.6f};{meeting.lon:.6f}")
    if url:
        # URI value: no TEXT escaping, but no line break or control character either.
        lines.append(f"URL:{_CONTROL.sub('', url).replace(chr(10), '')}")
    lines.append(f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)


def unfold(content: str) -> list[str]:
    """The logical lines of an iCalendar text (continuations joined): for tests and imports."""
    return content.replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")


def unescape(value: str) -> str:
    out: list[str] = []
    chars = iter(value)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            out.append("\n" if following in ("n", "N") else following)
        else:
            out.append(char)
    return "".join(out)
