"""The agents' CSV import of residents: a list the commune already holds (a CCAS file, a
former alert tool's export) turned into subscribers, all or nothing, with a report of every
refused line."""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection
from django.db.models import NOT_PROVIDED, CharField, ExpressionWrapper, F, Field, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from beffroi.alerts.audience import CHANNEL_TARGETS
from beffroi.alerts.models import Channel, Place, Subscriber, SubscriberImport, Topic, _token
from beffroi.alerts.subscriptions.services import (
    Contact,
    clean_preferences,
    record_consent,
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
from beffroi.core.phone import PhoneNumber, phone_e164, phone_is_mobile, phone_parse
from beffroi.territory.selectors import AddressMatch, addresses_resolve

if TYPE_CHECKING:
    from beffroi.accounts.models import User
    from beffroi.territory.models import Organisation

IMPORT_ADDRESS_MIN_SCORE = 80.0
IMPORT_MAX_BYTES = 10 * 1024 * 1024
# Rows per statement when matching, updating and creating residents and their places: well
# under SQLite's 999 parameters per IN list, few round trips for a 20,000-line list.
_BATCH = 500


@dataclass(frozen=True)
class Reach:
    """How many of the imported residents an alert reaches on one channel (or on at least one,
    ``channel`` empty): a routine alert uses verified channels only, an emergency alert
    (actual, immediate, severe or extreme) the unverified ones too."""

    channel: str
    label: str
    routine: int
    emergency: int


@dataclass
class SubscriberImportReport(ImportReport):
    """``created`` and ``updated`` count residents; ``updated_lines`` says which line updated
    a resident already registered, ``duplicates`` which lines were merged into an earlier
    one (the same person). ``reach``: how many of the residents of the file each kind of
    alert reaches, per channel, once imported. ``consent``: the agent certified that the
    commune holds their consent (their channels count as verified); ``import_id`` is the
    ``SubscriberImport`` recorded (None on a dry run)."""

    updated_lines: list[LineNote] = field(default_factory=list)
    duplicates: list[LineNote] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""
    reach: list[Reach] = field(default_factory=list)
    consent: bool = False
    import_id: int | None = None


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


@functools.cache
def _topic_labels(language: str) -> dict[str, str]:
    """Topic values by the key of their label in ``language`` (the active one)."""
    return {_key(str(label)): str(value) for value, label in Topic.choices}


def _topic_values(cell: str) -> list[str] | None:
    """Topics named in a cell (values or French/English names); None if one is unknown."""
    if not cell.strip():
        return list(Topic.values)
    labels = _topic_labels(get_language() or "")
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


def _address_query(get: Callable[[str], str]) -> str:
    """The typed address of a row, as the address search reads it ("" when none)."""
    street = get("address")
    if not street:
        return ""
    return " ".join(part for part in (street, get("postcode"), get("commune")) if part)


def _parse_row(
    line: int, get: Callable[[str], str], matches: dict[str, AddressMatch | None]
) -> _Row | list[str]:
    """The row ready to write, or every reason it is refused (all the problems of the line,
    so that the agent corrects it in one go); ``matches``: the best address of each typed
    address of the file (resolved for the whole file at once)."""
    problems: list[str] = []
    full_name = get("full_name") or " ".join(
        part for part in (get("first_name"), get("last_name")) if part
    )

    def number(value: str) -> PhoneNumber | None:
        try:
            return phone_parse(value)
        except ValidationError as exc:
            problems.append(
                _("phone number “%(value)s”: %(error)s")
                % {"value": value, "error": exc.messages[0]}
            )
            return None

    phone = get("phone")
    voice = get("voice")
    sms_number = voice_number = ""
    if phone and (parsed := number(phone)) is not None:
        # A landline in the "telephone" column is kept for voice calls, not SMS.
        if phone_is_mobile(parsed):
            sms_number = phone_e164(parsed)
        else:
            voice_number = phone_e164(parsed)
    if voice and (parsed := number(voice)) is not None:
        voice_number = phone_e164(parsed)
    email = get("email").lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(_("e-mail address “%(value)s” is not valid") % {"value": email})
            email = ""
    contact_given = bool(get("email") or phone or voice)
    if not contact_given:
        problems.append(_("no e-mail address nor phone number"))
    contact = Contact(email=email, sms_number=sms_number, voice_number=voice_number)
    topics = _topic_values(get("topics"))
    if topics is None:
        problems.append(_("unknown topic in “%(value)s”") % {"value": get("topics")})
    channels_cell = get("channels")
    channels: list[str] = []
    if channels_cell:
        for part in re.split(r"[,|/;+]", channels_cell):
            if not _key(part):
                continue
            channel = _CHANNEL_ALIASES.get(_key(part))
            if channel is None:
                problems.append(_("unknown channel “%(value)s”") % {"value": part.strip()})
            else:
                channels.append(channel)
    else:
        channels = [
            c
            for c, value in (("email", email), ("sms", sms_number), ("voice", voice_number))
            if value
        ]
    language = _key(get("language"))[:2] or "fr"
    if language not in ("fr", "en"):
        problems.append(_("language “%(value)s” is not fr or en") % {"value": get("language")})
    kind = _KIND_ALIASES.get(_key(get("kind")), "") if get("kind") else Place.Kind.HOME
    if not kind:
        problems.append(_("unknown kind of place “%(value)s”") % {"value": get("kind")})
    chosen: list[str] = []
    chosen_topics: list[str] = []
    if not problems:
        # The preferences are checked against the contact once the contact itself is read:
        # a wrong number already says why its channel cannot be used.
        chosen, chosen_topics, errors = clean_preferences(contact, channels, topics or [], language)
        problems += [str(m) for messages in errors.values() for m in messages]
    query = _address_query(get)
    match = matches.get(query) if query else None
    if not query:
        problems.append(_("no address"))
    elif match is None:
        problems.append(
            _("address “%(value)s” not found in the commune's address base") % {"value": query}
        )
    elif match.score < IMPORT_ADDRESS_MIN_SCORE:
        problems.append(
            _("address “%(value)s” not found in the commune's address base; closest: %(closest)s")
            % {"value": query, "closest": match.label}
        )
    if problems or match is None:
        return problems
    return _Row(
        line=line,
        full_name=full_name[:200],
        contact=contact,
        channels=chosen,
        topics=chosen_topics,
        language=language,
        kind=kind,
        address_id=match.address_id,
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

    def getter(row: list[str]) -> Callable[[str], str]:
        def get(column: str) -> str:
            position = index.get(column)
            if position is None or position >= len(row):
                return ""
            return row[position].strip()

        return get

    # Every distinct address of the file resolved at once: the streets are read and scored
    # in bulk instead of once per line.
    queries = list(dict.fromkeys(q for _n, row in data_rows if (q := _address_query(getter(row)))))
    matches = dict(
        zip(queries, addresses_resolve(organisation=organisation, queries=queries), strict=True)
    )

    def check(line: int, row: list[str]) -> _Row | RefusedLine:
        result = _parse_row(line, getter(row), matches)
        return RefusedLine(line, "; ".join(result)) if isinstance(result, list) else result

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


def _chunks[T](items: list[T]) -> list[list[T]]:
    return [items[start : start + _BATCH] for start in range(0, len(items), _BATCH)]


# channel → the row's attribute holding its target, as in ``audience.CHANNEL_TARGETS``
_TARGET_OF = {channel: column for channel, (column, _v) in CHANNEL_TARGETS.items()}


@dataclass
class _Resident:
    """A subscriber as the import writes it: plain values, numbers as E.164 text (the
    phone-number field's parsing on every read and write would cost more than the rest of
    the import). ``pk`` is None until created."""

    pk: int | None
    full_name: str
    email: str
    sms_number: str
    voice_number: str
    channels: list[str]
    topics: list[str]
    email_verified_at: datetime | None = None
    sms_verified_at: datetime | None = None
    voice_verified_at: datetime | None = None
    consent_import_id: int | None = None
    language: str = "fr"

    def __str__(self) -> str:
        return self.full_name or self.email or self.sms_number


_RESIDENT_COLUMNS = (
    "pk",
    "full_name",
    "email",
    "sms_number",
    "voice_number",
    "channels",
    "topics",
    "email_verified_at",
    "sms_verified_at",
    "voice_verified_at",
    "consent_import_id",
    "language",
)
_PHONE_COLUMNS = ("sms_number", "voice_number")


def _registered(organisation: Organisation, people: list[_Person]) -> list[_Resident | None]:
    """For each person, the active subscriber already registered with their e-mail or one of
    their numbers (the oldest when several), or None: a few queries for the whole list."""
    emails = sorted({p.first.contact.email for p in people if p.first.contact.email})
    numbers = sorted(
        {n for p in people for n in (p.first.contact.sms_number, p.first.contact.voice_number) if n}
    )
    active = Subscriber.objects.filter(
        organisation=organisation, unsubscribed_at__isnull=True
    ).annotate(
        # Raw column text: skips the phone-number field's parsing of every row.
        **{
            f"{column}_text": ExpressionWrapper(F(column), output_field=CharField())
            for column in _PHONE_COLUMNS
        },
    )
    names = [f"{c}_text" if c in _PHONE_COLUMNS else c for c in _RESIDENT_COLUMNS]
    found: dict[int, _Resident] = {}

    def load(queryset: QuerySet[Subscriber]) -> None:
        for values in queryset.values_list(*names):
            resident = _Resident(*values)
            resident.sms_number, resident.voice_number = (
                resident.sms_number or "",
                resident.voice_number or "",
            )
            found[values[0]] = resident

    for chunk in _chunks(emails):
        load(active.annotate(email_key=Lower("email")).filter(email_key__in=chunk))
    for chunk in _chunks(numbers):
        for column in _PHONE_COLUMNS:
            load(active.filter(**{f"{column}_text__in": chunk}))
    by_contact: dict[str, int] = {}
    for pk in sorted(found, reverse=True):  # the oldest registration wins
        resident = found[pk]
        for key in (resident.email.lower(), resident.sms_number, resident.voice_number):
            if key:
                by_contact[key] = pk
    result: list[_Resident | None] = []
    for person in people:
        c = person.first.contact
        pks = [by_contact[k] for k in (c.email, c.sms_number, c.voice_number) if k in by_contact]
        result.append(found[min(pks)] if pks else None)
    return result


def _verify_from_file(
    resident: _Resident, contact: Contact, batch: SubscriberImport, now: datetime
) -> None:
    """Record the commune's consent on the channels whose target is the file's: each counts
    as verified from the import's time, with the import as its source."""
    from_file: dict[str, str] = {
        Channel.EMAIL: contact.email,
        Channel.SMS: contact.sms_number,
        Channel.VOICE: contact.voice_number,
    }
    for channel, (column, verified) in CHANNEL_TARGETS.items():
        target = str(getattr(resident, column)).lower()
        if target and target == from_file[channel] and getattr(resident, verified) is None:
            setattr(resident, verified, now)
            resident.consent_import_id = batch.pk


def _update(resident: _Resident, row: _Row) -> None:
    """Fill the blanks of a registered resident and add the file's channels and topics."""
    c = row.contact
    resident.full_name = resident.full_name or row.full_name
    resident.email = resident.email or c.email
    resident.sms_number = resident.sms_number or c.sms_number
    resident.voice_number = resident.voice_number or c.voice_number
    resident.channels = [ch for ch in Channel.values if ch in {*resident.channels, *row.channels}]
    resident.topics = [t for t in Topic.values if t in {*resident.topics, *row.topics}]


def _db_value(name: str, value: Any) -> Any:
    """``value`` as the database stores the subscriber field ``name``; numbers are E.164
    text already checked by ``phone_parse``."""
    if name in _PHONE_COLUMNS:
        return value or ""
    return _field(name).get_db_prep_save(value, connection)


def _field(name: str) -> Field[Any, Any]:
    field = Subscriber._meta.get_field(name)
    assert isinstance(field, Field)
    return field


def _residents_update(residents: list[_Resident], now: datetime) -> None:
    """One ``UPDATE`` per resident, sent in batches (``executemany``)."""
    columns = [c for c in _RESIDENT_COLUMNS if c not in ("pk", "language")]
    qn = connection.ops.quote_name
    table = qn(Subscriber._meta.db_table)
    assignments = ", ".join(f"{qn(str(_field(c).column))} = %s" for c in [*columns, "updated_at"])
    sql = f"UPDATE {table} SET {assignments} WHERE {qn('id')} = %s"  # noqa: S608
    updated_at = _db_value("updated_at", now)
    with connection.cursor() as cursor:
        for chunk in _chunks(residents):
            cursor.executemany(
                sql,
                [
                    (*(_db_value(c, getattr(r, c)) for c in columns), updated_at, r.pk)
                    for r in chunk
                ],
            )


def _residents_create(
    organisation: Organisation, residents: list[_Resident], batch: SubscriberImport
) -> None:
    """Insert the new residents in batches and set their ``pk``. Every other column takes
    its model default (consent recorded as on a registration: version, date, text hash)."""
    now = batch.imported_at
    consent = Subscriber(consent_at=now)
    record_consent(consent, now)
    common: dict[str, Any] = {
        "organisation": organisation.pk,
        "source": Subscriber.Source.IMPORT,
        "registered_by": batch.imported_by_id,
        "consent_version": consent.consent_version,
        "consent_at": now,
        "consent_text_hash": consent.consent_text_hash,
        "created_at": now,
        "updated_at": now,
    }
    fields = [
        f
        for f in Subscriber._meta.concrete_fields
        if not f.primary_key and not (f.has_db_default() and f.default is NOT_PROVIDED)
    ]
    qn = connection.ops.quote_name
    sql = (
        f"INSERT INTO {qn(Subscriber._meta.db_table)} "  # noqa: S608
        f"({', '.join(qn(str(f.column)) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    tokens: dict[str, _Resident] = {}
    with connection.cursor() as cursor:
        for chunk in _chunks(residents):
            rows = []
            for resident in chunk:
                token = _token()
                tokens[token] = resident
                given = {
                    **common,
                    **{c: getattr(resident, c) for c in _RESIDENT_COLUMNS if c != "pk"},
                    "unsubscribe_token": token,
                }
                rows.append(
                    tuple(
                        _db_value(f.attname, given[f.name])
                        if f.name in given
                        else _db_value(f.attname, given[f.attname])
                        if f.attname in given
                        else f.get_db_prep_save(f.get_default(), connection)
                        for f in fields
                    )
                )
            cursor.executemany(sql, rows)
    for token_chunk in _chunks(list(tokens)):
        for token, pk in Subscriber.objects.filter(unsubscribe_token__in=token_chunk).values_list(
            "unsubscribe_token", "pk"
        ):
            tokens[token].pk = pk


def _reach(residents: list[_Resident]) -> list[Reach]:
    """Per channel, then in persons: how many a routine alert (verified channels) and an
    emergency alert (unverified ones too) reach — the audience's rules, before the topic
    and the place are considered."""
    routine = dict.fromkeys(CHANNEL_TARGETS, 0)
    emergency = dict.fromkeys(CHANNEL_TARGETS, 0)
    persons_routine = persons_emergency = 0
    for resident in residents:
        any_routine = any_emergency = False
        for channel, (column, verified) in CHANNEL_TARGETS.items():
            if channel in resident.channels and getattr(resident, column):
                emergency[channel] += 1
                any_emergency = True
                if getattr(resident, verified) is not None:
                    routine[channel] += 1
                    any_routine = True
        persons_routine += any_routine
        persons_emergency += any_emergency
    return [
        *(
            Reach(str(channel), str(Channel(channel).label), routine[channel], emergency[channel])
            for channel in CHANNEL_TARGETS
        ),
        Reach("", _("Residents (on at least one channel)"), persons_routine, persons_emergency),
    ]


def _subscribers_write(
    organisation: Organisation,
    people: list[_Person],
    report: SubscriberImportReport,
    batch: SubscriberImport,
    step: Progress,
) -> None:
    """Register or update each person and add their places, in batches. Expects the atomic
    block of ``import_write``."""
    now = batch.imported_at
    batch.save()
    total = len(people) * 3
    registered = _registered(organisation, people)
    step(len(people), total)
    updated: dict[int, _Resident] = {}
    created: list[_Resident] = []
    places: list[tuple[_Resident, _Row]] = []
    for person, resident in zip(people, registered, strict=True):
        row = person.first
        if resident is not None:
            _update(resident, row)
            assert resident.pk is not None
            updated[resident.pk] = resident
            report.updated += 1
            report.updated_lines.append(
                LineNote(
                    row.line, _("already registered (%(who)s): updated") % {"who": str(resident)}
                )
            )
        else:
            c = row.contact
            resident = _Resident(
                pk=None,
                full_name=row.full_name,
                email=c.email,
                sms_number=c.sms_number,
                voice_number=c.voice_number,
                channels=row.channels,
                topics=row.topics,
                language=row.language,
            )
            created.append(resident)
            report.created += 1
        if report.consent:
            _verify_from_file(resident, row.contact, batch, now)
        places += [(resident, place) for place in person.places]
    _residents_update(list(updated.values()), now)
    _residents_create(organisation, created, batch)
    step(len(people) * 2, total)
    existing: set[tuple[int | None, int]] = set()
    for pks in _chunks(list(updated)):
        existing.update(
            Place.objects.filter(subscriber_id__in=pks).values_list("subscriber_id", "address_id")
        )
    new_places: list[Place] = []
    for resident, row in places:
        assert resident.pk is not None
        key = (resident.pk, row.address_id)
        if key not in existing:
            existing.add(key)
            new_places.append(
                Place(subscriber_id=resident.pk, address_id=row.address_id, kind=row.kind)
            )
    Place.objects.bulk_create(new_places, batch_size=_BATCH)
    step(total, total)
    batch.created, batch.updated = report.created, report.updated
    batch.save(update_fields=["created", "updated"])
    report.reach = _reach([*updated.values(), *created])
    audit_record(
        action="alerts.subscribers_import",
        organisation=organisation,
        actor=batch.imported_by,
        data={
            "import": batch.pk,
            "file": batch.file_name,
            "sha256": batch.file_sha256,
            "lines": report.lines,
            "created": report.created,
            "updated": report.updated,
            "duplicates": len(report.duplicates),
            "consent": report.consent,
            "dry_run": report.dry_run,
        },
    )


def subscribers_import(
    *,
    organisation: Organisation,
    data: bytes,
    actor: User | None = None,
    file_name: str = "",
    consent: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> SubscriberImportReport:
    """Import residents from a CSV file, all or nothing.

    Columns are read by name (French or English: nom/prénom or full_name, email,
    téléphone/mobile, fixe, adresse, code postal, commune, thèmes, langue, canaux, type);
    ``;`` or ``,`` and UTF-8 or ISO-8859-1/Windows-1252 are detected. Each address is
    resolved with the BAN search (best match scoring at least 80, else the line is
    refused), every distinct address of the file at once. A line with the e-mail or a number
    of an existing subscriber updates it (blanks filled, topics, channels and the place
    added); duplicate lines in the file are merged into the first. One refused line refuses
    the file (``ImportRefused`` with every refused line and its reason). ``dry_run`` checks
    without writing.

    Every import is recorded (``SubscriberImport``: who, when, the file's name and SHA-256).
    Imported channels are unverified — emergency alerts only — unless ``consent``: the agent
    ``actor`` certifies that the commune holds the consent of the persons listed (a signed
    form, a CCAS file); the file's channels then count as verified from the import's time,
    with that import as their source. The report says how many residents each kind of
    alert reaches.
    """
    report = SubscriberImportReport(dry_run=dry_run, consent=consent)
    if consent and actor is None:
        report.problems.append(
            _("Recording the commune's consent needs the agent who certifies it.")
        )
        raise ImportRefused(report)
    rows = _subscribers_read(organisation, data, report, progress)
    people = _subscribers_deduplicate(rows, report)
    batch = SubscriberImport(
        organisation=organisation,
        imported_by=actor,
        imported_at=timezone.now(),
        file_name=file_name[:255],
        file_sha256=hashlib.sha256(data).hexdigest(),
        lines=report.lines,
        consent_held=consent,
    )
    import_write(
        report,
        lambda step: _subscribers_write(organisation, people, report, batch, step),
        progress=progress,
        dry_run=dry_run,
    )
    if not dry_run:
        report.import_id = batch.pk
    return report
