"""The demo commune's realisations, written through the realisations services.

The winning projects of "Budget participatif 2026" (its official outcome is published by
``demo.budgets``) become realisations: the first is delivered, the next ones are in works or
in study with dated milestones (one with a photo drawn here with Pillow, the same at every
load), the others are planned. Each is placed in the hamlet or district its title names.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from beffroi.accounts.models import User
from beffroi.demo import geography
from beffroi.demo.budgets import SLUG_2026
from beffroi.participation.models import Budget, Milestone, Realisation
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


@dataclass(frozen=True)
class RealisationsReport:
    realisations: int
    milestones: int


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
            spent = {0: Decimal("1.02"), 1: Decimal("0.55"), 2: Decimal("0.1")}.get(index)
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
    realisations = Realisation.objects.filter(organisation=organisation)
    return RealisationsReport(
        realisations=realisations.count(),
        milestones=Milestone.objects.filter(realisation__in=realisations).count(),
    )
