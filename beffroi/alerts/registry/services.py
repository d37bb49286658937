"""Writes and audited reads of the vulnerable persons registry (décret 2004-926).

The registry is a separate, restricted dataset: social agents (CCAS) with a proven second
factor read and write it, and every read leaves an audit row. Audit rows never hold personal
data (names, search text, field values): after a person asks to be removed, the trail still
says who read or changed record #N and when, but no longer who that person was.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from beffroi.accounts.models import User
from beffroi.alerts.models import Alert, VulnerablePerson
from beffroi.alerts.registry.selectors import (
    RegistryFilter,
    person_age,
    person_needs,
    registry_call_list,
    registry_map_features,
    registry_persons,
)
from beffroi.core.audit import audit_record
from beffroi.core.phone import phone_display, phone_e164, phone_is_mobile, phone_parse_e164
from beffroi.core.spreadsheets import csv_cell
from beffroi.territory.models import Address, Organisation

PAGE_SIZE = 50

Errors = dict[str, list[str]]


class RegistryError(Exception):
    """Invalid registry data: ``errors`` maps a field name ("" for the whole form) to messages."""

    def __init__(self, errors: Errors) -> None:
        super().__init__("; ".join(m for messages in errors.values() for m in messages))
        self.errors = errors


class RemovalReason:
    AT_REQUEST = "at_request"
    MOVED = "moved"
    CARE_HOME = "care_home"
    DECEASED = "deceased"
    NO_LONGER_ELIGIBLE = "no_longer_eligible"
    NOT_RECONFIRMED = "not_reconfirmed"
    OTHER = "other"

    choices: tuple[tuple[str, Any], ...] = (
        (AT_REQUEST, _("At the person's request (or their representative's)")),
        (MOVED, _("Moved out of the commune")),
        (CARE_HOME, _("Moved into a care home")),
        (DECEASED, _("Deceased")),
        (NO_LONGER_ELIGIBLE, _("No longer meets the conditions")),
        (NOT_RECONFIRMED, _("Registration not reconfirmed")),
        (OTHER, _("Other reason")),
    )


@dataclass
class VulnerablePersonData:
    """What an agent records for one person; phone numbers in E.164 or empty."""

    last_name: str
    first_name: str
    birth_date: date
    situation: str
    address: Address
    requested_on: date
    address_complement: str = ""
    phone: str = ""
    email: str = ""
    lives_alone: bool = False
    contact_name: str = ""
    contact_relation: str = ""
    contact_phone: str = ""
    doctor_name: str = ""
    doctor_phone: str = ""
    home_help: str = ""
    home_help_phone: str = ""
    reduced_mobility: bool = False
    electricity_dependent: bool = False
    hearing_impaired: bool = False
    visually_impaired: bool = False
    preferred_channel: str = VulnerablePerson.Channel.LANDLINE
    notes: str = ""
    request_source: str = VulnerablePerson.RequestSource.SELF
    requested_by: str = ""

    @classmethod
    def from_person(cls, person: VulnerablePerson) -> VulnerablePersonData:
        values = {f.name: getattr(person, f.name) for f in fields(cls)}
        for name in ("phone", "contact_phone", "doctor_phone", "home_help_phone"):
            values[name] = str(values[name] or "")
        return cls(**values)


_PHONE_FIELDS = ("phone", "contact_phone", "doctor_phone", "home_help_phone")
_TEXT_FIELDS = (
    "last_name",
    "first_name",
    "address_complement",
    "email",
    "contact_name",
    "contact_relation",
    "doctor_name",
    "home_help",
    "notes",
    "requested_by",
)
_MINIMUM_AGE: dict[str, int] = {
    VulnerablePerson.Situation.ELDERLY: 65,
    VulnerablePerson.Situation.ELDERLY_UNFIT: 60,
    VulnerablePerson.Situation.DISABLED: 18,
}


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _normalised(data: VulnerablePersonData) -> VulnerablePersonData:
    for name in _TEXT_FIELDS:
        setattr(data, name, str(getattr(data, name)).strip())
    data.email = data.email.lower()
    return data


def _check(
    organisation: Organisation, data: VulnerablePersonData, exclude: int | None = None
) -> Errors:
    errors: Errors = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    today = timezone.localdate()
    if not data.last_name:
        add("last_name", gettext("Enter the last name."))
    if not data.first_name:
        add("first_name", gettext("Enter the first name."))
    if data.situation not in VulnerablePerson.Situation.values:
        add("situation", gettext("Choose the capacity in which the person is registered."))
    if data.birth_date > today:
        add("birth_date", gettext("The date of birth cannot be in the future."))
    if data.requested_on > today:
        add("requested_on", gettext("The date of the request cannot be in the future."))
    if data.requested_on < data.birth_date:
        add("requested_on", gettext("The date of the request is before the date of birth."))
    minimum = _MINIMUM_AGE.get(data.situation)
    too_young = minimum is not None and _age_on(data.birth_date, data.requested_on) < minimum
    if too_young and "birth_date" not in errors:
        add(
            "birth_date",
            gettext(
                "A person registered as “%(situation)s” must be at least %(age)d years old "
                "on the date of the request."
            )
            % {
                "situation": VulnerablePerson.Situation(data.situation).label,
                "age": minimum,
            },
        )
    if data.address.organisation_id != organisation.pk:
        add("address", gettext("Choose an address of the commune."))
    for name in _PHONE_FIELDS:
        value = getattr(data, name)
        number = phone_parse_e164(value) if value else None
        if value and (number is None or phone_e164(number) != value):
            add(name, gettext("Enter a valid phone number."))
    if data.request_source not in VulnerablePerson.RequestSource.values:
        add("request_source", gettext("Choose who made the request."))
    elif data.request_source != VulnerablePerson.RequestSource.SELF and not data.requested_by:
        add(
            "requested_by",
            gettext("Enter the name and capacity of the person who made the request."),
        )
    if (data.contact_name and not data.contact_phone) or (
        data.contact_phone and not data.contact_name
    ):
        field = "contact_phone" if data.contact_name else "contact_name"
        add(field, gettext("Enter both the name and the phone of the person to contact."))
    _check_channel(data, add)
    duplicate = VulnerablePerson.objects.filter(
        organisation=organisation,
        last_name__iexact=data.last_name,
        first_name__iexact=data.first_name,
        birth_date=data.birth_date,
    )
    if exclude is not None:
        duplicate = duplicate.exclude(pk=exclude)
    if data.last_name and data.first_name and duplicate.exists():
        add("", gettext("This person is already in the registry."))
    return errors


def _can_receive_sms(e164: str) -> bool:
    """False for a valid number that is not a mobile (an invalid one is reported apart)."""
    number = phone_parse_e164(e164)
    return number is None or phone_is_mobile(number)


def _check_channel(data: VulnerablePersonData, add: Any) -> None:
    channel = data.preferred_channel
    Channel = VulnerablePerson.Channel
    if channel not in Channel.values:
        add("preferred_channel", gettext("Choose a preferred channel."))
        return
    if channel in (Channel.LANDLINE, Channel.MOBILE, Channel.SMS) and not data.phone:
        add("phone", gettext("Enter the person's phone number to reach them by phone or SMS."))
    elif channel == Channel.SMS and not _can_receive_sms(data.phone):
        add("preferred_channel", gettext("This phone number cannot receive SMS."))
    if channel == Channel.EMAIL and not data.email:
        add("email", gettext("Enter the person's e-mail address to reach them by e-mail."))
    if data.hearing_impaired and channel in (Channel.LANDLINE, Channel.MOBILE):
        add(
            "preferred_channel",
            gettext(
                "A person with a hearing impairment may not hear a call: choose SMS, e-mail "
                "or a home visit."
            ),
        )
    if data.visually_impaired and channel in (Channel.SMS, Channel.EMAIL):
        add(
            "preferred_channel",
            gettext(
                "A person with a visual impairment may not read a written message: choose a "
                "call or a home visit."
            ),
        )


def _apply(person: VulnerablePerson, data: VulnerablePersonData) -> list[str]:
    changed = []
    for f in fields(data):
        value = getattr(data, f.name)
        if f.name == "address":
            current: Any = person.address if person.address_id else None
        elif f.name in _PHONE_FIELDS:
            current = str(getattr(person, f.name) or "")
        else:
            current = getattr(person, f.name)
        if current != value:
            setattr(person, f.name, value)
            changed.append(f.name)
    return changed


def vulnerable_person_create(
    *,
    organisation: Organisation,
    actor: User,
    data: VulnerablePersonData,
    request: HttpRequest | None = None,
) -> VulnerablePerson:
    """Register a person at their (or their representative's) request."""
    data = _normalised(data)
    errors = _check(organisation, data)
    if errors:
        raise RegistryError(errors)
    person = VulnerablePerson(
        organisation=organisation,
        registered_by=actor,
        consent_at=timezone.now(),
        last_confirmed_on=timezone.localdate(),
    )
    _apply(person, data)
    with transaction.atomic():
        person.save()
        audit_record(
            action="registry.create",
            organisation=organisation,
            actor=actor,
            target=person,
            request=request,
        )
    return person


def vulnerable_person_update(
    *,
    person: VulnerablePerson,
    actor: User,
    data: VulnerablePersonData,
    request: HttpRequest | None = None,
) -> VulnerablePerson:
    """Change a registration; the audit row names the changed fields, never their values."""
    data = _normalised(data)
    errors = _check(person.organisation, data, exclude=person.pk)
    if errors:
        raise RegistryError(errors)
    with transaction.atomic():
        locked = VulnerablePerson.objects.select_for_update().get(pk=person.pk)
        changed = _apply(locked, data)
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
        audit_record(
            action="registry.update",
            organisation=person.organisation,
            actor=actor,
            target=locked,
            data={"fields": changed},
            request=request,
        )
    return locked


def vulnerable_person_confirm(
    *, person: VulnerablePerson, actor: User, request: HttpRequest | None = None
) -> VulnerablePerson:
    """Record that the person (or their representative) confirmed the registration today."""
    with transaction.atomic():
        person.last_confirmed_on = timezone.localdate()
        person.save(update_fields=["last_confirmed_on", "updated_at"])
        audit_record(
            action="registry.confirm",
            organisation=person.organisation,
            actor=actor,
            target=person,
            request=request,
        )
    return person


def vulnerable_person_remove(
    *,
    person: VulnerablePerson,
    actor: User,
    reason: str,
    note: str = "",
    request: HttpRequest | None = None,
) -> None:
    """Delete the registration and all its personal data; only an audit line stays.

    The person may ask for this at any time. The audit line holds the record's number, the
    reason and the agent, nothing that identifies the person: a note naming them is refused.
    """
    note = note.strip()
    codes = [code for code, _label in RemovalReason.choices]
    errors: Errors = {}
    if reason not in codes:
        errors["reason"] = [gettext("Choose the reason for the removal.")]
    elif reason == RemovalReason.OTHER and not note:
        errors["note"] = [gettext("Explain the reason for the removal.")]
    lowered = note.lower()
    names = [person.last_name.lower(), person.first_name.lower()]
    if any(len(name) >= 2 and name in lowered for name in names):
        errors.setdefault("note", []).append(
            gettext("The note is kept after the removal: do not write the person's name.")
        )
    if errors:
        raise RegistryError(errors)
    with transaction.atomic():
        audit_record(
            action="registry.remove",
            organisation=person.organisation,
            actor=actor,
            target=person,
            reason=f"{reason}: {note}" if note else reason,
            data={"reason": reason},
            request=request,
        )
        VulnerablePerson.objects.filter(pk=person.pk).delete()


# ---------------------------------------------------------------------------------------------
# Audited reads


def registry_list_read(
    *,
    organisation: Organisation,
    actor: User,
    filters: RegistryFilter,
    page_number: int | str | None = 1,
    request: HttpRequest | None = None,
) -> Page[VulnerablePerson]:
    """One page of the registry, audited with the filter and the records shown."""
    paginator = Paginator(registry_persons(organisation=organisation, filters=filters), PAGE_SIZE)
    page = paginator.get_page(page_number)
    audit_record(
        action="registry.list",
        organisation=organisation,
        actor=actor,
        data={
            "filter": filters.audit_data(),
            "page": page.number,
            "count": paginator.count,
            "shown": [person.pk for person in page.object_list],
        },
        request=request,
    )
    return page


def vulnerable_person_read(
    *,
    person: VulnerablePerson,
    actor: User,
    purpose: str = "detail",
    request: HttpRequest | None = None,
) -> VulnerablePerson:
    """Audit that ``actor`` opened the record (to read it, or to edit or remove it)."""
    audit_record(
        action="registry.view",
        organisation=person.organisation,
        actor=actor,
        target=person,
        data={"purpose": purpose},
        request=request,
    )
    return person


def _yes_no(value: bool) -> str:
    return gettext("yes") if value else gettext("no")


def registry_export(
    *,
    organisation: Organisation,
    actor: User,
    filters: RegistryFilter,
    request: HttpRequest | None = None,
) -> str:
    """The matching registrations as CSV for Excel (UTF-8 with BOM, ``;``), audited."""
    persons = list(registry_persons(organisation=organisation, filters=filters))
    today = timezone.localdate()
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            gettext("Record"),
            gettext("Last name"),
            gettext("First name"),
            gettext("Date of birth"),
            gettext("Age"),
            gettext("Registered as"),
            gettext("Address"),
            gettext("Address complement"),
            gettext("Phone"),
            gettext("E-mail"),
            gettext("Lives alone"),
            gettext("Reduced mobility"),
            gettext("Electricity-dependent medical equipment"),
            gettext("Hearing impairment"),
            gettext("Visual impairment"),
            gettext("Preferred channel"),
            gettext("Person to contact"),
            gettext("Relation"),
            gettext("Contact phone"),
            gettext("Doctor"),
            gettext("Doctor's phone"),
            gettext("Home help or care service"),
            gettext("Home help service's phone"),
            gettext("Date of the request"),
            gettext("Request made by"),
            gettext("Third party"),
            gettext("Last confirmed on"),
            gettext("Notes"),
        ]
    )
    for p in persons:
        writer.writerow(
            [
                csv_cell(v)
                for v in (
                    p.pk,
                    p.last_name,
                    p.first_name,
                    p.birth_date.isoformat(),
                    person_age(p, today),
                    p.get_situation_display(),
                    p.address.label,
                    p.address_complement,
                    phone_display(p.phone),
                    p.email,
                    _yes_no(p.lives_alone),
                    _yes_no(p.reduced_mobility),
                    _yes_no(p.electricity_dependent),
                    _yes_no(p.hearing_impaired),
                    _yes_no(p.visually_impaired),
                    p.get_preferred_channel_display(),
                    p.contact_name,
                    p.contact_relation,
                    phone_display(p.contact_phone),
                    p.doctor_name,
                    phone_display(p.doctor_phone),
                    p.home_help,
                    phone_display(p.home_help_phone),
                    p.requested_on.isoformat(),
                    p.get_request_source_display(),
                    p.requested_by,
                    p.last_confirmed_on.isoformat(),
                    p.notes,
                )
            ]
        )
    audit_record(
        action="registry.export",
        organisation=organisation,
        actor=actor,
        data={"filter": filters.audit_data(), "count": len(persons)},
        request=request,
    )
    return out.getvalue()


@dataclass(frozen=True)
class CallSheetRow:
    person: VulnerablePerson
    age: int
    needs: list[str]
    phone: str
    contact_phone: str
    home_help_phone: str


def registry_call_sheet(
    *, alert: Alert, actor: User, request: HttpRequest | None = None
) -> list[CallSheetRow]:
    """The persons to call for ``alert``, most at risk first, audited."""
    today = timezone.localdate()
    rows = [
        CallSheetRow(
            person=person,
            age=person_age(person, today),
            needs=person_needs(person),
            phone=phone_display(person.phone),
            contact_phone=phone_display(person.contact_phone),
            home_help_phone=phone_display(person.home_help_phone),
        )
        for person in registry_call_list(alert=alert)
    ]
    audit_record(
        action="registry.call_sheet",
        organisation=alert.organisation,
        actor=actor,
        target=alert,
        data={"count": len(rows), "shown": [row.person.pk for row in rows]},
        request=request,
    )
    return rows


def registry_map_read(
    *, organisation: Organisation, actor: User, request: HttpRequest | None = None
) -> dict[str, Any]:
    """The registered persons' addresses as GeoJSON without names, audited."""
    persons = list(registry_persons(organisation=organisation))
    features = registry_map_features(persons=persons)
    audit_record(
        action="registry.map",
        organisation=organisation,
        actor=actor,
        data={"count": len(persons), "addresses": len(features["features"])},
        request=request,
    )
    return features
