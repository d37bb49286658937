"""The demo commune's volunteer missions, written through the missions services.

The comité des fêtes (validated in ``volunteering.py``) runs the brocante de mai and the
marché de Noël; the commune runs the CCAS's heatwave visits (a weekly recurring schedule),
a remote digital help line, an urgent sandbag filling, a first-aid post needing the PSC1 and
a meal delivery needing a driving licence B. One mission is a draft, one is closed. Some
slots are in the past, so that attendance and hours can be recorded on them: the services
refuse a slot in the past (an organiser never creates one), so the demo writes those with the
model, as if they had been created earlier. Dates are relative to the day the demo is built,
at fixed hours: the same commune every time.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from beffroi.accounts.models import User
from beffroi.demo.volunteering import COMITE_RNA
from beffroi.territory.models import Organisation
from beffroi.volunteering.missions.services import (
    MissionInput,
    mission_close,
    mission_create,
    mission_publish,
    schedule_apply,
    slot_add,
)
from beffroi.volunteering.models import Association, Mission, Slot


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _slot(mission: Mission, actor: User, day: date, start: int, end: int, needed: int) -> None:
    slot_add(
        mission=mission,
        actor=actor,
        starts_at=_at(day, start),
        ends_at=_at(day, end),
        needed=needed,
    )


def _past(mission: Mission, day: date, start: int, end: int, needed: int) -> None:
    Slot.objects.create(
        mission=mission, starts_at=_at(day, start), ends_at=_at(day, end), volunteers_needed=needed
    )


def _nth(weekday: int, year: int, month: int, nth: int) -> date:
    """The ``nth`` ``weekday`` (0 Monday) of the month."""
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7, weeks=nth - 1)


def _coming(today: date, month: int, weekday: int, nth: int) -> date:
    """This year's ``nth`` ``weekday`` of ``month``, or next year's once it is past."""
    day = _nth(weekday, today.year, month, nth)
    return day if day > today + timedelta(days=1) else _nth(weekday, today.year + 1, month, nth)


def _next(weekday: int, after: date, weeks: int = 0) -> date:
    """The first ``weekday`` (0 Monday) strictly after ``after``, ``weeks`` later."""
    return after + timedelta(days=(weekday - after.weekday()) % 7 or 7, weeks=weeks)


def demo_missions(*, organisation: Organisation, agent: User, manager: User) -> int:
    """About eight missions; returns how many were written."""
    today = timezone.localdate()
    comite = Association.objects.get(organisation=organisation, rna=COMITE_RNA)
    written: list[Mission] = []

    def create(association: Association | None, actor: User, data: MissionInput) -> Mission:
        mission = mission_create(
            organisation=organisation, association=association, actor=actor, data=data
        )
        written.append(mission)
        return mission

    # -- The comité des fêtes ------------------------------------------------------------------
    brocante = create(
        comite,
        manager,
        MissionInput(
            title="Brocante de mai : installation, buvette et rangement",
            description=(
                "La brocante de mai réunit chaque année près de 150 exposants sur la place de "
                "l'Église et dans la Grande Rue. Nous cherchons des bénévoles pour placer les "
                "exposants au petit matin, tenir la buvette et les crêpes, puis ranger et "
                "nettoyer la place en fin de journée. Une heure ou la journée : chaque coup de "
                "main compte. Gilet fourni, repas offert aux bénévoles."
            ),
            activities=["leisure", "culture"],
            skills=["logistics", "cooking"],
            street_address="Place de l'Église",
            contact_name="Pierre Lallemand",
            contact_email="comite@vaudrecourt.example",
            contact_phone="03 99 00 12 40",
        ),
    )
    brocante_day = _coming(today, 5, 6, 2)  # the second Sunday of May
    _slot(brocante, manager, brocante_day, 6, 9, 8)
    _slot(brocante, manager, brocante_day, 9, 14, 5)
    _slot(brocante, manager, brocante_day, 14, 19, 5)
    _slot(brocante, manager, brocante_day, 18, 20, 10)
    mission_publish(mission=brocante, actor=manager)

    noel = create(
        comite,
        manager,
        MissionInput(
            title="Marché de Noël : chalets, vin chaud et accueil du Père Noël",
            description=(
                "Le marché de Noël s'installe place du Champ de Foire le deuxième week-end de "
                "décembre. Montage des chalets le vendredi soir, tenue du stand de vin chaud et "
                "de chocolat au profit du Téléthon, accueil des enfants pour la photo avec le "
                "Père Noël. Les mineurs sont les bienvenus accompagnés d'un adulte."
            ),
            activities=["leisure", "culture"],
            skills=["logistics", "cooking", "childcare"],
            street_address="Place du Champ de Foire",
            contact_name="Pierre Lallemand",
            contact_email="comite@vaudrecourt.example",
        ),
    )
    friday = _coming(today, 12, 5, 2) - timedelta(days=1)  # the second weekend of December
    # Two days ago, the decorations were prepared: its attendance waits for the manager.
    _past(noel, today - timedelta(days=2), 14, 17, 3)
    _slot(noel, manager, friday, 17, 21, 6)
    _slot(noel, manager, friday + timedelta(days=1), 10, 14, 4)
    _slot(noel, manager, friday + timedelta(days=1), 14, 19, 4)
    _slot(noel, manager, friday + timedelta(days=2), 10, 18, 3)
    mission_publish(mission=noel, actor=manager)

    feu = create(
        comite,
        manager,
        MissionInput(
            title="Feu de la Saint-Jean : préparation du bûcher",
            description=(
                "Brouillon : rassembler le bois, monter le bûcher au bord de l'Aulne et "
                "assurer la sécurité autour du feu avec les sapeurs-pompiers."
            ),
            activities=["leisure"],
            skills=["manual"],
            street_address="Quai de l'Aulne",
            min_age=18,
        ),
    )

    # -- The commune ---------------------------------------------------------------------------
    canicule = create(
        None,
        agent,
        MissionInput(
            title="Visites de convivialité aux personnes isolées",
            description=(
                "Le CCAS tient le registre des personnes âgées et isolées. Toute l'année, et "
                "plus souvent pendant la canicule ou le grand froid, des binômes de bénévoles "
                "leur rendent visite chaque semaine : un moment de conversation, vérifier que "
                "le logement reste à bonne température, qu'elles boivent et mangent assez, et "
                "signaler au CCAS toute inquiétude. Une courte formation est donnée au premier "
                "rendez-vous, à la mairie."
            ),
            activities=["solidarity", "elderly"],
            skills=["care"],
            street_address="12 Rue de la Mairie",
            min_age=18,
            contact_name="Sophie Marchal, CCAS",
            contact_email="ccas@vaudrecourt.example",
            contact_phone="03 99 00 12 00",
        ),
    )
    _past(canicule, _next(1, today, weeks=-3), 14, 17, 4)  # Tuesdays already done
    _past(canicule, _next(1, today, weeks=-2), 14, 17, 4)
    schedule_apply(
        mission=canicule,
        actor=agent,
        weekdays=[1, 4],
        start=time(14, 0),
        end=time(17, 0),
        from_date=today + timedelta(days=1),
        until_date=today + timedelta(weeks=8),
        needed=4,
    )
    mission_publish(mission=canicule, actor=agent)

    numerique = create(
        None,
        agent,
        MissionInput(
            title="Soutien numérique par téléphone",
            description=(
                "Aider par téléphone des habitants à prendre rendez-vous en ligne, remplir un "
                "formulaire ou retrouver un mot de passe. La mairie vous transmet les demandes ; "
                "vous rappelez depuis chez vous, aux heures qui vous conviennent dans le créneau."
            ),
            activities=["solidarity", "education"],
            skills=["digital"],
            remote=True,
            contact_name="Accueil de la mairie",
            contact_email="mairie@vaudrecourt.example",
        ),
    )
    _past(numerique, today - timedelta(days=5), 10, 12, 2)
    schedule_apply(
        mission=numerique,
        actor=agent,
        weekdays=[2],
        start=time(10, 0),
        end=time(12, 0),
        from_date=today + timedelta(days=1),
        until_date=today + timedelta(weeks=12),
        needed=2,
    )
    mission_publish(mission=numerique, actor=agent)

    sable = create(
        None,
        agent,
        MissionInput(
            title="Remplissage de sacs de sable avant la crue de l'Aulne",
            description=(
                "La vigilance crues est orange sur l'Aulne. Les services techniques ont livré "
                "du sable aux ateliers municipaux : il faut remplir et charger des sacs pour "
                "protéger les maisons du quai et de la rue du Moulin. Travail physique ; gants "
                "et pelles fournis, prévoir des bottes. Réservé aux personnes majeures."
            ),
            activities=["civil_protection", "solidarity"],
            skills=["manual", "logistics"],
            street_address="Chemin du Moulin",
            min_age=18,
            urgency="urgent",
            contact_name="Services techniques",
            contact_phone="03 99 00 12 10",
        ),
    )
    tomorrow = today + timedelta(days=1)
    _slot(sable, agent, tomorrow, 8, 12, 15)
    _slot(sable, agent, tomorrow, 13, 17, 15)
    _slot(sable, agent, tomorrow + timedelta(days=1), 8, 12, 10)
    mission_publish(mission=sable, actor=agent)

    secours = create(
        None,
        agent,
        MissionInput(
            title="Poste de premiers secours du trail de la Haute-Borne",
            description=(
                "Renforcer l'équipe de secouristes au ravitaillement du trail, au calvaire de "
                "la Haute-Borne : accueillir les coureurs, repérer les malaises, donner les "
                "premiers gestes en attendant les secours. Le PSC1 à jour est demandé."
            ),
            activities=["health", "sport"],
            skills=["first_aid"],
            street_address="Chemin du Calvaire",
            min_age=16,
            certifications=["psc1"],
            contact_name="Service des sports",
            contact_email="sports@vaudrecourt.example",
        ),
    )
    trail = _next(6, today, weeks=5)
    _slot(secours, agent, trail, 7, 13, 4)
    _slot(secours, agent, trail, 12, 17, 4)
    mission_publish(mission=secours, actor=agent)

    repas = create(
        None,
        agent,
        MissionInput(
            title="Portage de repas aux Granges et à Saint-Firmin",
            description=(
                "Le CCAS livre chaque midi des repas aux personnes qui ne peuvent plus se "
                "déplacer dans les hameaux. Vous conduisez le véhicule du CCAS (permis B "
                "exigé) sur une tournée d'une douzaine de foyers, départ de la mairie."
            ),
            activities=["solidarity", "elderly"],
            skills=["driving", "care"],
            street_address="12 Rue de la Mairie",
            min_age=21,
            certifications=["driving_b"],
            contact_name="Sophie Marchal, CCAS",
            contact_email="ccas@vaudrecourt.example",
        ),
    )
    for days in (3, 8):
        _past(repas, today - timedelta(days=days), 11, 13, 1)
    for week in range(4):
        _slot(repas, agent, _next(0, today, weeks=week), 11, 13, 1)
    mission_publish(mission=repas, actor=agent)

    nettoyage = create(
        None,
        agent,
        MissionInput(
            title="Nettoyage des berges de l'Aulne",
            description=(
                "Ramassage des déchets le long du chemin de halage avec la fédération de pêche. "
                "Sacs, gants et pinces fournis ; goûter offert à l'arrivée."
            ),
            activities=["environment"],
            skills=["gardening"],
            street_address="Quai de l'Aulne",
        ),
    )
    _past(nettoyage, today - timedelta(days=12), 9, 12, 12)
    _slot(nettoyage, agent, today + timedelta(days=2), 9, 12, 12)
    mission_publish(mission=nettoyage, actor=agent)
    mission_close(mission=nettoyage, actor=agent)

    del feu  # stays a draft: only its organisers see it
    return len(written)
