"""The demo commune's associations, written through the volunteering services.

``data/rna-waldec-99501.csv`` is a fictional extract of the RNA "waldec" export, written for
the demo in the real file's shape (its columns, ISO-8859-1, CRLF, every cell quoted, a
dissolved association and one of a neighbouring commune): it goes through the same import as
a real file. Then the association manager's claim of the comité des fêtes is validated and
the profile completed, and the demo resident's new profile waits for an agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from beffroi.accounts.models import User
from beffroi.territory.models import Organisation
from beffroi.volunteering.associations.services import (
    AssociationInput,
    association_claim,
    association_create,
    association_update,
    association_validate,
    rna_import_file,
)
from beffroi.volunteering.models import Association

RNA_FILE = Path(__file__).parent / "data" / "rna-waldec-99501.csv"
COMITE_RNA = "W551000101"


@dataclass(frozen=True)
class DemoAssociations:
    imported: int
    located: int
    validated: int
    pending: int


def demo_associations(
    *, organisation: Organisation, agent: User, manager: User, resident: User
) -> DemoAssociations:
    report = rna_import_file(organisation=organisation, path=RNA_FILE, actor=agent)
    comite = Association.objects.get(organisation=organisation, rna=COMITE_RNA)
    association_claim(
        association=comite,
        user=manager,
        message="Président du comité depuis l'assemblée générale de mars 2024.",
    )
    comite = association_validate(association=comite, actor=agent)
    association_update(
        association=comite,
        actor=manager,
        by_agent=False,
        data=AssociationInput(
            name="Comité des fêtes de Vaudrecourt-sur-Aulne",
            short_name="Comité des fêtes",
            rna=comite.rna,
            purpose=(
                "Nous organisons les fêtes du village : la brocante de mai, le feu de la "
                "Saint-Jean, le marché de Noël. Toutes les bonnes volontés sont les bienvenues, "
                "même pour une heure."
            ),
            activities=["leisure", "culture"],
            street_address=comite.street_address,
            postcode=comite.postcode,
            city=comite.city,
            lat=comite.lat,
            lon=comite.lon,
            email="comite@vaudrecourt.example",
            phone="03 99 00 12 40",
            contact_name="Pierre Lallemand",
            opening_hours="Permanence le samedi de 10 h à 12 h, salle des fêtes",
            public_served="Tous publics",
            wheelchair_accessible=True,
            accessibility="Salle de plain-pied, toilettes adaptées.",
        ),
    )
    association_create(
        organisation=organisation,
        user=resident,
        data=AssociationInput(
            name="Les Jardins du Pré-Loup",
            purpose="Un jardin partagé aux Aulnaies : parcelles, outils en commun, ateliers.",
            activities=["environment", "leisure"],
            street_address="Chemin des Aulnaies",
            postcode="55990",
            city="Vaudrecourt-sur-Aulne",
            email="jardins@vaudrecourt.example",
        ),
        message="Je suis la secrétaire de l'association, déclarée le mois dernier.",
    )
    return DemoAssociations(
        imported=report.created,
        located=report.located,
        validated=1,
        pending=1,
    )
