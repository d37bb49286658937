"""The demo commune's realisations, written through the realisations services.

The winning projects of "Budget participatif 2026" (its official outcome is published by
``demo.budgets``) become realisations: the first is delivered (its evaluation by residents is
open, with answers), the next ones are in works or in study with dated milestones (one with a
photo drawn here with Pillow, the same at every load), the fourth was delivered long ago (its
evaluation is closed and the commune published its assessment), the others are planned. Each
is placed in the hamlet or district its title names.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from beffroi.accounts.models import User
from beffroi.demo import geography
from beffroi.demo.budgets import SLUG_2026
from beffroi.participation.consultations.answering import field_name, questions_of
from beffroi.participation.models import (
    Budget,
    Evaluation,
    Milestone,
    Participant,
    Question,
    Realisation,
)
from beffroi.participation.realisations.evaluations import (
    assessment_publish,
    evaluation_answer,
    invitees,
)
from beffroi.participation.realisations.services import (
    PhotoInput,
    RealisationInput,
    milestone_add,
    realisation_status_set,
    realisation_update,
    realisations_from_outcome,
)
from beffroi.territory.models import Organisation

# Where each project of 2026 is carried out: a place of the demo's geography and an offset
# in metres from its centre.
PLACES_2026: dict[str, tuple[str, float, float]] = {
    "Éclairage du terrain de football": ("le Champ de Foire", -60, 40),
    "Tribune couverte au stade": ("le Champ de Foire", 40, -30),
    "Préau pour la cour de l'école": ("le Bourg", 60, 80),
    "Jardin partagé du Pré-Loup": ("les Aulnaies", 30, 20),
    "Boîte à livres de la Croix-Blanche": ("la Croix-Blanche", -20, 10),
    "Bancs et tables de pique-nique au lavoir": ("le Moulin", 10, -40),
    "Nichoirs dans les haies des hameaux": ("les Granges", -50, 30),
    "Fontaine à eau potable sur la place": ("le Bourg", -30, -20),
}
SERVICES = ("Services techniques", "Espaces verts", "Bâtiments communaux")


# What residents wrote in the evaluations (free comments, read by the agents).
COMMENTS = (
    "Très bien, on s'en sert tous les jours avec les enfants.",
    "Utile, mais il manque de l'ombre l'été.",
    "Bravo aux services, le chantier a été rapide.",
    "Bien, mais l'éclairage s'éteint trop tôt le soir.",
    "C'est exactement ce que nous avions proposé.",
    "Pas encore eu l'occasion d'y aller.",
)
SEED = 2026


@dataclass(frozen=True)
class RealisationsReport:
    realisations: int
    milestones: int
    evaluations: int
    answers: int


def _evaluate(realisation: Realisation, rng: random.Random, count: int) -> int:
    """Answers of ``count`` of the people invited (satisfaction leaning to the top of the
    scale, a use, sometimes a comment), through the evaluation service."""
    evaluation = Evaluation.objects.select_related("questionnaire").get(realisation=realisation)
    questions = questions_of(evaluation.questionnaire)
    # The invited (voters of the project, followers) first; other residents use it too.
    people = invitees(realisation)
    known = {p.pk for p in people}
    people += [
        p
        for p in Participant.objects.filter(
            organisation_id=realisation.organisation_id,
            user__isnull=False,
            erased_at__isnull=True,
            blocked_at__isnull=True,
        ).order_by("pk")
        if p.pk not in known
    ]
    answered = 0
    for person in people[:count]:
        data: dict[str, list[str]] = {}
        for question in questions:
            name = field_name(question)
            if question.kind == Question.Kind.SCALE:
                data[name] = [str(rng.choices([1, 2, 3, 4, 5], weights=[1, 2, 4, 8, 6])[0])]
            elif question.kind == Question.Kind.SINGLE:
                choices = list(question.choices.values_list("pk", flat=True))
                data[name] = [str(rng.choices(choices, weights=range(len(choices), 0, -1))[0])]
            elif question.kind == Question.Kind.TEXT and rng.random() < 0.4:
                data[name] = [rng.choice(COMMENTS)]
        evaluation_answer(evaluation=evaluation, participant=person, data=data)
        answered += 1
    return answered


def demo_photo() -> SimpleUploadedFile:
    """A small picture of a building site (a shed under a roof, in a field), drawn the same
    way at every load."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 320), (170, 205, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 210, 480, 320), fill=(110, 160, 80))
    draw.polygon([(120, 120), (240, 60), (360, 120)], fill=(150, 60, 40))
    draw.rectangle((140, 120, 340, 230), fill=(225, 210, 180))
    draw.rectangle((215, 165, 265, 230), fill=(90, 60, 40))
    for x in range(20, 480, 60):
        draw.rectangle((x, 250, x + 6, 300), fill=(240, 140, 20))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return SimpleUploadedFile("chantier.jpg", out.getvalue(), content_type="image/jpeg")


def _place(title: str) -> tuple[float | None, float | None]:
    known = PLACES_2026.get(title)
    if known is None:
        return None, None
    name, dx, dy = known
    place = next(p for p in geography.PLACES if p.name == name)
    lon, lat = geography.to_lonlat(place.x + dx, place.y + dy)
    return lat, lon


def _milestone(
    realisation: Realisation,
    manager: User,
    on: date,
    title: str,
    text: str,
    photos: tuple[PhotoInput, ...] = (),
) -> None:
    milestone_add(
        realisation=realisation, agent=manager, on=on, title=title, text=text, photos=photos
    )


def demo_realisations(
    *, organisation: Organisation, manager: User, now: datetime | None = None
) -> RealisationsReport:
    """Write the realisations of the 2026 budget (after ``demo_budgets``). Expects an atomic
    block (``demo_load``'s)."""
    today = timezone.localdate(now or timezone.now())
    budget = Budget.objects.get(organisation=organisation, process__slug=SLUG_2026)
    with translation.override("fr"):
        created = realisations_from_outcome(budget=budget, agent=manager)
        for index, realisation in enumerate(created):
            lat, lon = _place(realisation.title)
            spent = {
                0: Decimal("1.02"),
                1: Decimal("0.55"),
                2: Decimal("0.1"),
                3: Decimal("0.96"),
            }.get(index)
            realisation = realisation_update(
                realisation=realisation,
                agent=manager,
                data=RealisationInput(
                    title=realisation.title,
                    description=realisation.description,
                    service=SERVICES[index % len(SERVICES)],
                    budget_planned=realisation.budget_planned,
                    budget_spent=(realisation.budget_planned * spent).quantize(Decimal("1"))
                    if spent is not None
                    else Decimal(0),
                    year=realisation.year,
                    lat=lat,
                    lon=lon,
                ),
            )
            if index == 0:
                _milestone(
                    realisation,
                    manager,
                    today - timedelta(days=230),
                    "Étude terminée",
                    "Les services ont choisi le matériel avec les habitants qui ont porté le "
                    "projet.",
                )
                _milestone(
                    realisation,
                    manager,
                    today - timedelta(days=120),
                    "Début des travaux",
                    "L'entreprise retenue a commencé les travaux pour trois mois.",
                )
                _milestone(
                    realisation,
                    manager,
                    today - timedelta(days=35),
                    "Inauguration",
                    "Le projet a été inauguré avec les habitants et le conseil municipal.",
                )
                realisation_status_set(
                    realisation=realisation,
                    agent=manager,
                    status=Realisation.Status.DELIVERED,
                    progress=100,
                    today=today - timedelta(days=35),
                )
            elif index == 1:
                _milestone(
                    realisation,
                    manager,
                    today - timedelta(days=150),
                    "Consultation des entreprises",
                    "Trois entreprises ont répondu ; le marché est attribué.",
                )
                _milestone(
                    realisation,
                    manager,
                    today - timedelta(days=20),
                    "Travaux en cours",
                    "La charpente est posée ; la couverture suit le mois prochain.",
                    (
                        PhotoInput(
                            upload=demo_photo(),
                            alt_text="Le chantier : la charpente et le toit de tuiles posés "
                            "sur le bâtiment, des barrières orange devant.",
                        ),
                    ),
                )
                realisation_status_set(
                    realisation=realisation,
                    agent=manager,
                    status=Realisation.Status.WORKS,
                    progress=60,
                )
            elif index == 3:
                _milestone(
                    realisation,
                    manager,
                    today - timedelta(days=150),
                    "Travaux terminés",
                    "Le projet est livré au début de l'été, comme prévu.",
                )
                realisation_status_set(
                    realisation=realisation,
                    agent=manager,
                    status=Realisation.Status.DELIVERED,
                    progress=100,
                    today=today - timedelta(days=150),
                )
            elif index == 2:
                _milestone(
                    realisation,
                    manager,
                    today - timedelta(days=60),
                    "Étude lancée",
                    "Les services étudient l'emplacement avec les riverains.",
                )
                realisation_status_set(
                    realisation=realisation,
                    agent=manager,
                    status=Realisation.Status.STUDY,
                    progress=20,
                )
        rng = random.Random(SEED)
        answers = 0
        delivered = [r for r in created if r.pk is not None]
        evaluated = list(
            Realisation.objects.filter(
                pk__in=[r.pk for r in delivered], status=Realisation.Status.DELIVERED
            ).order_by("-delivered_at")
        )
        for number, realisation in enumerate(evaluated):
            answers += _evaluate(realisation, rng, 18 if number == 0 else 30)
            if number > 0:
                # Delivered long ago: its evaluation ran for two months after the delivery,
                # and the commune drew its conclusions.
                assert realisation.delivered_at is not None
                opened = timezone.make_aware(
                    datetime.combine(realisation.delivered_at, datetime.min.time())
                )
                Evaluation.objects.filter(realisation=realisation).update(
                    opens_at=opened, closes_at=opened + timedelta(days=61)
                )
                assessment_publish(
                    evaluation=Evaluation.objects.get(realisation=realisation),
                    agent=manager,
                    text=(
                        "Le projet est apprécié : la plupart des habitants qui ont répondu "
                        "s'en servent chaque semaine.\n\n"
                        "### Ce que la commune retient\n\n"
                        "- le budget a été tenu, un peu en dessous de ce qui était prévu ;\n"
                        "- des habitants en demandent un second dans un autre quartier : "
                        "l'idée pourra être proposée au prochain budget participatif ;\n"
                        "- l'entretien est confié aux services techniques."
                    ),
                )
    realisations = Realisation.objects.filter(organisation=organisation)
    return RealisationsReport(
        realisations=realisations.count(),
        milestones=Milestone.objects.filter(realisation__in=realisations).count(),
        evaluations=Evaluation.objects.filter(realisation__in=realisations).count(),
        answers=answers,
    )
