"""Associations and RNA files for the tests."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from beffroi.accounts.models import User
from beffroi.territory.models import Organisation
from beffroi.volunteering.models import (
    ALL_WEEK,
    Association,
    AssociationActivity,
    Membership,
    Mission,
    Slot,
    VolunteerCertification,
    VolunteerProfile,
)

# The columns of a real waldec export (2024), in their order.
WALDEC_COLUMNS = [
    "id", "id_ex", "siret", "rup_mi", "gestion", "date_creat", "date_decla", "date_publi",
    "date_disso", "nature", "groupement", "titre", "titre_court", "objet", "objet_social1",
    "objet_social2", "adrs_complement", "adrs_numvoie", "adrs_repetition", "adrs_typevoie",
    "adrs_libvoie", "adrs_distrib", "adrs_codeinsee", "adrs_codepostal", "adrs_libcommune",
    "adrg_declarant", "adrg_complemid", "adrg_complemgeo", "adrg_libvoie", "adrg_distrib",
    "adrg_codepostal", "adrg_achemine", "adrg_pays", "dir_civilite", "siteweb", "publiweb",
    "observation", "position", "maj_time",
]  # fmt: skip


def waldec_row(rna: str, title: str, **cells: str) -> dict[str, str]:
    row = {name: "" for name in WALDEC_COLUMNS}
    row.update(
        id=rna,
        titre=title,
        objet="Favoriser la pratique sportive",
        adrs_numvoie="12",
        adrs_typevoie="RUE",
        adrs_libvoie="DE LA MAIRIE",
        adrs_codeinsee="99001",
        adrs_codepostal="55990",
        adrs_libcommune="VALMONT",
        date_creat="1998-03-12",
        date_disso="0001-01-01",
        position="A",
        maj_time="2024-01-15 10:12:00",
    )
    row.update(cells)
    return row


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def waldec_file(
    rows: list[dict[str, str]],
    *,
    columns: list[str] | None = None,
    encoding: str = "utf-8",
    separator: str = ";",
    newline: str = "\r\n",
) -> bytes:
    """A waldec export: every cell quoted (doubled quotes inside), CRLF by default."""
    columns = columns or WALDEC_COLUMNS
    lines = [separator.join(_quoted(c) for c in columns)]
    lines += [separator.join(_quoted(row.get(c, "")) for c in columns) for row in rows]
    return (newline.join(lines) + newline).encode(encoding)


def make_association(
    organisation: Organisation,
    name: str = "Les Amis du Lavoir",
    *,
    activities: tuple[str, ...] = (),
    managers: tuple[tuple[User, str, str], ...] = (),
    **fields: Any,
) -> Association:
    """A profile (validated by default); ``managers``: (user, role, membership state)."""
    fields.setdefault("status", Association.Status.VALIDATED)
    association = Association.objects.create(organisation=organisation, name=name, **fields)
    for activity in activities:
        AssociationActivity.objects.create(association=association, activity=activity)
    for user, role, state in managers:
        Membership.objects.create(association=association, user=user, role=role, state=state)
    return association


def make_mission(
    organisation: Organisation,
    title: str = "Distribution alimentaire du samedi",
    *,
    association: Association | None = None,
    slots: int = 1,
    needed: int = 2,
    starts_at: datetime | None = None,
    **fields: Any,
) -> Mission:
    """A published mission with ``slots`` weekly slots of three hours from ``starts_at``
    (default: next week, 9 am), each needing ``needed`` volunteers."""
    fields.setdefault("status", Mission.Status.PUBLISHED)
    fields.setdefault("description", "Accueillir les familles et préparer les colis.")
    if fields["status"] == Mission.Status.PUBLISHED:
        fields.setdefault("published_at", timezone.now())
    mission = Mission.objects.create(
        organisation=organisation, association=association, title=title, **fields
    )
    first = starts_at or (timezone.now() + timedelta(days=7)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    for week in range(slots):
        Slot.objects.create(
            mission=mission,
            starts_at=first + timedelta(weeks=week),
            ends_at=first + timedelta(weeks=week, hours=3),
            volunteers_needed=needed,
        )
    return mission


def make_profile(
    organisation: Organisation,
    full_name: str = "Camille Martin",
    *,
    user: User | None = None,
    certifications: tuple[tuple[str, date | None], ...] = (),
    **fields: Any,
) -> VolunteerProfile:
    """A volunteer free all week, living at the commune's centre unless told otherwise;
    ``certifications``: (kind, expiry or None)."""
    fields.setdefault("availability", ALL_WEEK)
    fields.setdefault("home_lat", 49.1)
    fields.setdefault("home_lon", 5.4)
    fields.setdefault("phone", "+33639980001")
    profile = VolunteerProfile.objects.create(
        organisation=organisation, user=user, full_name=full_name, **fields
    )
    for kind, expires_on in certifications:
        VolunteerCertification.objects.create(profile=profile, kind=kind, expires_on=expires_on)
    return profile
