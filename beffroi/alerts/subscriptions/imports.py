"""The agents' CSV import of residents: a list the commune already holds (a CCAS file, a
former alert tool's export) turned into subscribers, all or nothing, with a report of every
refused line."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from beffroi.alerts.models import Channel, Place, Subscriber, Topic
from beffroi.alerts.subscriptions.services import (
    Contact,
    clean_preferences,
    record_consent,
    subscriber_matching,
)
from beffroi.core.audit import audit_record
from beffroi.core.imports import (
    ImportRefused,
    ImportReport,
    LineNote,
    Progress,
    RefusedLine,
    import_check,
    import_write,
)
from beffroi.core.phone import phone_e164, phone_is_mobile, phone_parse
from beffroi.territory.selectors import address_search

if TYPE_CHECKING:
    from beffroi.accounts.models import User
    from beffroi.territory.models import Organisation

IMPORT_ADDRESS_MIN_SCORE = 80.0
IMPORT_MAX_BYTES = 10 * 1024 * 1024


@dataclass
class SubscriberImportReport(ImportReport):
    """``created`` and ``updated`` count residents; ``updated_lines`` says which line updated
    a resident already registered, ``duplicates`` which lines were merged into an earlier
    one (the same person)."""

    updated_lines: list[LineNote] = field(default_factory=list)
    duplicates: list[LineNote] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""


def _key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]", "", plain)


_COLUMNS: dict[str, set[str]] = {
    "full_name": {"fullname", "nomcomplet", "name", "nometprenom", "nomprenom", "prenomnom"},
    "last_name": {"nom", "lastname", "nomdefamille", "surname"},
    "first_name": {"prenom", "firstname", "givenname"},
    "email": {"email", "mail", "courriel", "adresseemail", "adressemail", "emailaddress"},
    "phone": {
        "telephone",
        "mobile",
        "portable",
        "sms",
        "tel",
        "phone",
        "telmobile",
        "telephonemobile",
        "telephoneportable",
        "numero",
        "mobilephone",
    },
    "voice": {"fixe", "telephonefixe", "telfixe", "landline", "voice", "voix"},
    "address": {"adresse", "address", "adressepostale", "rue"},
    "postcode": {"codepostal", "cp", "postcode", "zipcode"},
    "commune": {"commune", "ville", "city", "localite"},
    "topics": {"topics", "themes", "theme", "sujets", "alertes", "risques", "topic"},
    "language": {"langue", "language", "lang"},
    "channels": {"canaux", "channels", "canal", "channel"},
    "kind": {"type", "kind", "lieu", "typedelieu"},
}
_TOPIC_ALIASES: dict[str, str] = {
    "inondation": Topic.FLOOD,
    "inondations": Topic.FLOOD,
    "crue": Topic.FLOOD,
    "tempete": Topic.STORM,
    "vent": Topic.STORM,
    "canicule": Topic.HEAT,
    "chaleur": Topic.HEAT,
    "froid": Topic.COLD,
    "neige": Topic.COLD,
    "grandfroid": Topic.COLD,
    "secheresse": Topic.DROUGHT,
    "pollution": Topic.POLLUTION,
    "coupuredeau": Topic.WATER_CUT,
    "eau": Topic.WATER_CUT,
    "coupuredelectricite": Topic.POWER_CUT,
    "coupuredecourant": Topic.POWER_CUT,
    "electricite": Topic.POWER_CUT,
    "routes": Topic.ROADS,
    "route": Topic.ROADS,
    "circulation": Topic.ROADS,
    "sante": Topic.HEALTH,
    "industriel": Topic.INDUSTRIAL,
    "risqueindustriel": Topic.INDUSTRIAL,
    "evenements": Topic.PUBLIC_EVENTS,
    "manifestations": Topic.PUBLIC_EVENTS,
    "evenementspublics": Topic.PUBLIC_EVENTS,
}
_ALL_WORDS = {"all", "tout", "tous", "toutes"}
_CHANNEL_ALIASES = {
    "email": "email",
    "mail": "email",
    "courriel": "email",
    "sms": "sms",
    "voice": "voice",
    "voix": "voice",
    "appel": "voice",
    "telephone": "voice",
}
_KIND_ALIASES = {
    "home": "home",
    "domicile": "home",
    "maison": "home",
    "work": "work",
    "travail": "work",
    "relative": "relative",
    "proche": "relative",
    "parent": "relative",
    "famille": "relative",
    "other": "other",
    "autre": "other",
}


def _decode(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM), else Windows-1252 / ISO-8859-1 (spreadsheet exports)."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        return data.decode("iso-8859-1"), "iso-8859-1"


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _topic_values(cell: str) -> list[str] | None:
    """Topics named in a cell (values or French/English names); None if one is unknown."""
    if not cell.strip():
        return list(Topic.values)
    labels = {_key(str(label)): value for value, label in Topic.choices}
    found: list[str] = []
    for part in re.split(r"[,|/;+]", cell):
        key = _key(part)
        if not key:
            continue
        if key in _ALL_WORDS:
            return list(Topic.values)
        value = key if key in Topic.values else labels.get(key) or _TOPIC_ALIASES.get(key)
        if value is None:
            value = next((v for v in Topic.values if _key(v) == key), None)
        if value is None:
            return None
        if value not in found:
            found.append(str(value))
    return found or list(Topic.values)


@dataclass
class _Row:
    line: int
    full_name: str
    contact: Contact
    channels: list[str]
    topics: list[str]
    language: str
    kind: str
    address_id: int


def _parse_row(organisation: Organisation, line: int, get: Callable[[str], str]) -> _Row | str:
    full_name = get("full_name") or " ".join(
        part for part in (get("first_name"), get("last_name")) if part
    )
    phone = get("phone")
    voice = get("voice")
    sms_number = voice_number = ""
    if phone:
        try:
            number = phone_parse(phone)
        except ValidationError as exc:
            return _("phone number “%(value)s”: %(error)s") % {
                "value": phone,
                "error": exc.messages[0],
            }
        # A landline in the "telephone" column is kept for voice calls, not SMS.
        if phone_is_mobile(number):
            sms_number = phone_e164(number)
        else:
            voice_number = phone_e164(number)
    if voice:
        try:
            voice_number = phone_e164(phone_parse(voice))
        except ValidationError as exc:
            return _("phone number “%(value)s”: %(error)s") % {
                "value": voice,
                "error": exc.messages[0],
            }
    email = get("email").lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            return _("e-mail address “%(value)s” is not valid") % {"value": email}
    if not (email or sms_number or voice_number):
        return _("no e-mail address nor phone number")
    contact = Contact(email=email, sms_number=sms_number, voice_number=voice_number)
    topics = _topic_values(get("topics"))
    if topics is None:
        return _("unknown topic in “%(value)s”") % {"value": get("topics")}
    channels_cell = get("channels")
    if channels_cell:
        channels = []
        for part in re.split(r"[,|/;+]", channels_cell):
            if not _key(part):
                continue
            channel = _CHANNEL_ALIASES.get(_key(part))
            if channel is None:
                return _("unknown channel “%(value)s”") % {"value": part.strip()}
            channels.append(channel)
    else:
        channels = [
            c
            for c, value in (("email", email), ("sms", sms_number), ("voice", voice_number))
            if value
        ]
    language = _key(get("language"))[:2] or "fr"
    if language not in ("fr", "en"):
        return _("language “%(value)s” is not fr or en") % {"value": get("language")}
    kind = _KIND_ALIASES.get(_key(get("kind")), "") if get("kind") else Place.Kind.HOME
    if not kind:
        return _("unknown kind of place “%(value)s”") % {"value": get("kind")}
    chosen, chosen_topics, errors = clean_preferences(contact, channels, topics, language)
    if errors:
        return "; ".join(str(m) for messages in errors.values() for m in messages)
    street = get("address")
    if not street:
        return _("no address")
    query = " ".join(part for part in (street, get("postcode"), get("commune")) if part)
    matches = address_search(organisation=organisation, query=query, limit=1)
    if not matches or matches[0].score < IMPORT_ADDRESS_MIN_SCORE:
        best = (
            _(" (closest: %(label)s, score %(score).0f)")
            % {"label": matches[0].label, "score": matches[0].score}
            if matches
            else ""
        )
        return _("address “%(value)s” not found in the commune's addresses%(best)s") % {
            "value": query,
            "best": best,
        }
    return _Row(
        line=line,
        full_name=full_name[:200],
        contact=contact,
        channels=chosen,
        topics=chosen_topics,
        language=language,
        kind=kind,
        address_id=matches[0].address_id,
    )


def _merge(first: _Row, other: _Row) -> None:
    """Fold a duplicate line into the first one: fill blanks, union preferences."""
    first.full_name = first.full_name or other.full_name
    first.contact = Contact(
        email=first.contact.email or other.contact.email,
        sms_number=first.contact.sms_number or other.contact.sms_number,
        voice_number=first.contact.voice_number or other.contact.voice_number,
    )
    first.channels = [c for c in Channel.values if c in {*first.channels, *other.channels}]
    first.topics = [t for t in Topic.values if t in {*first.topics, *other.topics}]


@dataclass
class _Person:
    """The lines of one resident: the first one (the others are merged into it) and the
    lines of each of their places."""

    first: _Row
    places: list[_Row]


def _subscribers_read(
    organisation: Organisation,
    data: bytes,
    report: SubscriberImportReport,
    progress: Progress | None,
) -> list[_Row]:
    """Decode the file, detect its delimiter and columns, check every row.

    Raises ``ImportRefused`` when the file cannot be read or one row is refused.
    """
    if len(data) > IMPORT_MAX_BYTES:
        report.problems.append(_("The file is larger than 10 MB."))
        raise ImportRefused(report)
    text, report.encoding = _decode(data)
    report.delimiter = _delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=report.delimiter)
    try:
        rows = list(reader)
    except csv.Error as exc:
        report.refuse(reader.line_num, _("Unreadable CSV: %(error)s") % {"error": exc})
        raise ImportRefused(report) from exc
    if not rows:
        report.refuse(1, _("The file is empty."))
        raise ImportRefused(report)
    header = [_key(name) for name in rows[0]]
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        for column, names in _COLUMNS.items():
            if name in names and column not in index:
                index[column] = position
    missing = []
    if "address" not in index:
        missing.append(_("an address column (adresse)"))
    if not {"email", "phone", "voice"} & set(index):
        missing.append(_("an e-mail or phone column (email, telephone, mobile)"))
    if missing:
        report.refuse(
            1,
            _("The header lacks %(what)s.") % {"what": _(" and ").join(str(m) for m in missing)},
        )
        raise ImportRefused(report)
    data_rows = [
        (number, row) for number, row in enumerate(rows[1:], start=2) if any(c.strip() for c in row)
    ]

    def check(line: int, row: list[str]) -> _Row | RefusedLine:
        def get(column: str) -> str:
            position = index.get(column)
            if position is None or position >= len(row):
                return ""
            return row[position].strip()

        result = _parse_row(organisation, line, get)
        return RefusedLine(line, result) if isinstance(result, str) else result

    return import_check(report, data_rows, check, progress=progress)


def _subscribers_deduplicate(rows: list[_Row], report: SubscriberImportReport) -> list[_Person]:
    """Group the lines of the same person (same e-mail or number), in the order of their
    first line: later lines fill its blanks and add their topics, channels and place."""
    people: list[_Person] = []
    by_email: dict[str, _Person] = {}
    by_number: dict[str, _Person] = {}
    for row in rows:
        numbers = [row.contact.sms_number, row.contact.voice_number]
        person = (by_email.get(row.contact.email) if row.contact.email else None) or next(
            (by_number[n] for n in numbers if n and n in by_number), None
        )
        if person is None:
            person = _Person(first=row, places=[row])
            people.append(person)
        elif person.first.address_id == row.address_id:
            _merge(person.first, row)
            report.duplicates.append(
                LineNote(
                    row.line,
                    _("same person as line %(line)d: merged") % {"line": person.first.line},
                )
            )
        else:
            # Same person, another place (home and work on two lines): both places.
            _merge(person.first, row)
            person.places.append(row)
            report.duplicates.append(
                LineNote(
                    row.line,
                    _("same person as line %(line)d: place added") % {"line": person.first.line},
                )
            )
        if row.contact.email:
            by_email.setdefault(row.contact.email, person)
        for number in numbers:
            if number:
                by_number.setdefault(number, person)
    return people


def _subscriber_of(
    organisation: Organisation,
    row: _Row,
    report: SubscriberImportReport,
    actor: User | None,
    now: datetime,
) -> Subscriber:
    """The resident of ``row`` (a person's merged first line): the one already registered
    with the same e-mail or number, updated, or a new one."""
    c = row.contact
    subscriber = subscriber_matching(
        organisation=organisation, email=c.email, numbers=[c.sms_number, c.voice_number]
    )
    if subscriber is not None:
        subscriber.full_name = subscriber.full_name or row.full_name
        subscriber.email = subscriber.email or c.email
        subscriber.sms_number = subscriber.sms_number or c.sms_number  # type: ignore[assignment]
        subscriber.voice_number = subscriber.voice_number or c.voice_number  # type: ignore[assignment]
        subscriber.channels = [
            ch for ch in Channel.values if ch in {*subscriber.channels, *row.channels}
        ]
        subscriber.topics = [t for t in Topic.values if t in {*subscriber.topics, *row.topics}]
        subscriber.save()
        report.updated += 1
        report.updated_lines.append(
            LineNote(
                row.line, _("already registered (%(who)s): updated") % {"who": str(subscriber)}
            )
        )
        return subscriber
    subscriber = Subscriber(
        organisation=organisation,
        full_name=row.full_name,
        language=row.language,
        email=c.email,
        sms_number=c.sms_number,
        voice_number=c.voice_number,
        channels=row.channels,
        topics=row.topics,
        source=Subscriber.Source.IMPORT,
        registered_by=actor,
    )
    record_consent(subscriber, now)
    subscriber.save()
    report.created += 1
    return subscriber


def _subscribers_write(
    organisation: Organisation,
    people: list[_Person],
    report: SubscriberImportReport,
    actor: User | None,
    step: Progress,
) -> None:
    """Register or update each person and add their places. Expects the atomic block of
    ``import_write``."""
    now = timezone.now()
    total = sum(len(person.places) for person in people)
    done = 0
    for person in people:
        subscriber = _subscriber_of(organisation, person.first, report, actor, now)
        for row in person.places:
            Place.objects.get_or_create(
                subscriber=subscriber, address_id=row.address_id, defaults={"kind": row.kind}
            )
            done += 1
            step(done, total)
    audit_record(
        action="alerts.subscribers_import",
        organisation=organisation,
        actor=actor,
        data={
            "lines": report.lines,
            "created": report.created,
            "updated": report.updated,
            "duplicates": len(report.duplicates),
            "dry_run": report.dry_run,
        },
    )


def subscribers_import(
    *,
    organisation: Organisation,
    data: bytes,
    actor: User | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> SubscriberImportReport:
    """Import residents from a CSV file, all or nothing.

    Columns are read by name (French or English: nom/prénom or full_name, email,
    téléphone/mobile, fixe, adresse, code postal, commune, thèmes, langue, canaux, type);
    ``;`` or ``,`` and UTF-8 or ISO-8859-1/Windows-1252 are detected. Each address is
    resolved with the BAN search (best match scoring at least 80, else the line is
    refused). A line with the e-mail or a number of an existing subscriber updates it
    (blanks filled, topics, channels and the place added); duplicate lines in the file are
    merged into the first. One refused line refuses the file (``ImportRefused`` with every
    refused line and its reason). ``dry_run`` checks without writing.
    Imported channels are unverified: the commune collected the consent on paper.
    """
    report = SubscriberImportReport(dry_run=dry_run)
    rows = _subscribers_read(organisation, data, report, progress)
    people = _subscribers_deduplicate(rows, report)
    import_write(
        report,
        lambda step: _subscribers_write(organisation, people, report, actor, step),
        progress=progress,
        dry_run=dry_run,
    )
    return report
