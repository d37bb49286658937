"""The demo commune's needs for equipment, premises and transport, written through the needs
services: a van for the food bank, a hall for the blood donation (met: the comité des fêtes
lent the salle des fêtes), tables for the brocante, somewhere dry to store sandbags during
floods; offers from the demo resident and from the comité des fêtes awaiting an answer.

Runs after ``demo_associations`` (the comité des fêtes is validated, managed by ``manager``).
Dates are counted from today, so the needs stay ahead of the visitor.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from beffroi.accounts.models import User
from beffroi.demo.volunteering import COMITE_RNA
from beffroi.territory.models import Organisation
from beffroi.volunteering.models import Association, Need, Slot, Urgency
from beffroi.volunteering.needs.services import (
    NeedInput,
    need_create,
    need_fulfil,
    need_offer_accept,
    need_offer_make,
    need_publish,
)


def demo_needs(*, organisation: Organisation, agent: User, manager: User, resident: User) -> int:
    """Write the demo's needs; returns how many."""
    today = timezone.localdate()
    comite = Association.objects.get(organisation=organisation, rna=COMITE_RNA)

    def published(data: NeedInput, *, by: User, association: Association | None = None) -> Need:
        need = need_create(organisation=organisation, actor=by, data=data, association=association)
        return need_publish(need=need, actor=by)

    van = published(
        NeedInput(
            kind=Need.Kind.TRANSPORT,
            title="Une camionnette pour la banque alimentaire",
            description=(
                "Le CCAS cherche une camionnette (permis B) et son conducteur pour aller "
                "chercher les denrées de la banque alimentaire départementale, un jeudi matin "
                "sur deux. Le carburant est remboursé par la commune."
            ),
            quantity="1 camionnette d'au moins 10 m³",
            street_address="3 rue de la Poste",
            needed_from=today + timedelta(days=10),
            needed_until=today + timedelta(days=100),
        ),
        by=agent,
    )
    hall = published(
        NeedInput(
            kind=Need.Kind.PREMISES,
            title="Une salle pour la collecte de don du sang",
            description=(
                "L'Établissement français du sang organise une collecte à Vaudrecourt : il "
                "faut une salle chauffée de plain-pied, avec un point d'eau, pour une "
                "quinzaine de lits et l'espace de collation."
            ),
            quantity="Une salle de 120 m² environ",
            needed_from=today + timedelta(days=30),
            needed_until=today + timedelta(days=30),
        ),
        by=agent,
    )
    brocante = (
        Slot.objects.filter(
            mission__title__startswith="Brocante de mai", mission__organisation=organisation
        )
        .order_by("starts_at")
        .first()
    )
    brocante_day = (
        timezone.localdate(brocante.starts_at) if brocante else today + timedelta(days=45)
    )
    tables = published(
        NeedInput(
            kind=Need.Kind.EQUIPMENT,
            title="Des tables et des bancs pour la brocante de mai",
            description=(
                "Pour la brocante du comité des fêtes sur le champ de foire, il nous manque "
                "des tables pliantes et des bancs pour la buvette. Nous venons les chercher "
                "la veille et les rapportons le lundi."
            ),
            quantity="20 tables et 10 bancs",
            street_address="2 place du Champ de Foire",
            # From the eve of the brocante to the Monday after it.
            needed_from=brocante_day - timedelta(days=1),
            needed_until=brocante_day + timedelta(days=1),
        ),
        by=manager,
        association=comite,
    )
    sandbags = published(
        NeedInput(
            kind=Need.Kind.PREMISES,
            title="Un local pour stocker les sacs de sable pendant les crues",
            description=(
                "Quand l'Aulne monte, la commune prépositionne des sacs de sable près du quai. "
                "Il faut un garage ou un hangar au sec, accessible jour et nuit à la réserve "
                "communale, pour environ 400 sacs."
            ),
            quantity="Environ 30 m² au sec",
            street_address="4 quai de l'Aulne",
            urgency=Urgency.URGENT,
        ),
        by=agent,
    )

    # The comité lends the salle des fêtes: accepted, the need is met.
    lent = need_offer_make(
        need=hall,
        user=manager,
        association=comite,
        message=(
            "La salle des fêtes est libre ce jour-là : 140 m² de plain-pied, cuisine et "
            "sanitaires. Nous pouvons aussi installer les tables de la collation."
        ),
        contact="03 99 00 12 40 (permanence du samedi)",
    )
    need_offer_accept(
        offer=lent,
        actor=agent,
        answer=(
            "Merci ! L'EFS installe ses lits à 8 h : rendez-vous à 7 h 30 pour ouvrir la salle."
        ),
    )
    need_fulfil(need=hall, actor=agent)

    # Awaiting an answer.
    need_offer_make(
        need=van,
        user=resident,
        message=(
            "J'ai un Trafic aménagé (9 m³, un peu moins que demandé) et je suis libre le jeudi "
            "matin. Je peux conduire moi-même."
        ),
        contact="06 12 00 34 56, plutôt le soir",
    )
    need_offer_make(
        need=tables,
        user=resident,
        message="Je peux prêter 4 tables de jardin pliantes et 2 bancs.",
        contact="",
    )
    need_offer_make(
        need=sandbags,
        user=manager,
        association=comite,
        message=(
            "Le garage du comité, rue du Pont, est au sec et à 200 m du quai. Nous laissons une "
            "clé à la mairie pour la réserve."
        ),
        contact="03 99 00 12 40",
    )
    return 4
