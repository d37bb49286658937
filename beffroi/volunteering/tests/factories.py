"""Associations and RNA files for the tests."""

from __future__ import annotations

from typing import Any

from beffroi.accounts.models import User
from beffroi.territory.models import Organisation
from beffroi.volunteering.models import Association, AssociationActivity, Membership

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
