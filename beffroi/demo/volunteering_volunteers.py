"""The demo commune's volunteers, written through the profiles' services.

About twenty-five volunteers around the centre of Vaudrecourt-sur-Aulne: residents of the
demo who filled in their profile online (the demo resident among them), and three people
the front desk registered — two on the phone, without e-mail, one at the desk. Varied grids
(weekend mornings, weekday evenings, retirees free every afternoon), skills and interests;
some hold the PSC1, one whose PSC1 expired, a few drivers; most agree to be called in a
crisis. A fixed seed: the same volunteers every time.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.utils import timezone

from beffroi.accounts.models import Role, RoleAssignment, User
from beffroi.demo import constants as c
from beffroi.territory.models import Organisation
from beffroi.volunteering.models import (
    DAYS_PER_WEEK,
    Activity,
    Certification,
    Skill,
    VolunteerProfile,
    grid_bit,
)
from beffroi.volunteering.volunteers.services import (
    CertificationInput,
    ProfileInput,
    absence_add,
    profile_register,
    profile_save_own,
)

SEED = 1789
STREETS = (
    "rue de l'Église",
    "rue du Moulin",
    "chemin de l'Aulne",
    "place de la Mairie",
    "rue des Tilleuls",
    "allée des Peupliers",
    "route de Verdun",
    "rue Jean Jaurès",
    "impasse du Lavoir",
    "rue de la Gare",
)
# (name of the pattern, the cells): typical weeks of volunteers.
MORNING, AFTERNOON, EVENING = 0, 1, 2
WEEKS: tuple[tuple[tuple[int, int], ...], ...] = (
    ((5, MORNING), (6, MORNING)),  # weekend mornings
    tuple((day, EVENING) for day in range(5)),  # weekday evenings
    tuple((day, AFTERNOON) for day in range(DAYS_PER_WEEK)),  # retired: every afternoon
    ((2, AFTERNOON), (5, MORNING), (5, AFTERNOON)),  # Wednesday and Saturday
    ((5, MORNING), (5, AFTERNOON), (6, AFTERNOON)),  # weekends
    tuple((day, MORNING) for day in range(DAYS_PER_WEEK)),  # early birds
)
# Interests and skills drawn for the online profiles.
INTERESTS = (
    Activity.SOLIDARITY,
    Activity.ENVIRONMENT,
    Activity.CULTURE,
    Activity.SPORT,
    Activity.ELDERLY,
    Activity.YOUTH,
    Activity.CIVIL_PROTECTION,
    Activity.LEISURE,
)
SKILLS = (
    Skill.FIRST_AID,
    Skill.DRIVING,
    Skill.MANUAL,
    Skill.COOKING,
    Skill.DIGITAL,
    Skill.CARE,
    Skill.LOGISTICS,
    Skill.GARDENING,
)
ONLINE = 22


def _grid(cells: tuple[tuple[int, int], ...]) -> int:
    bits = 0
    for day, period in cells:
        bits |= grid_bit(day, period)
    return bits


def _near_centre(rng: random.Random) -> tuple[float, float]:
    """A home within about 3 km of the centre of the commune."""
    return (
        round(c.CENTRE_LAT + rng.uniform(-0.025, 0.025), 6),
        round(c.CENTRE_LON + rng.uniform(-0.035, 0.035), 6),
    )


def _certifications(index: int, today: date) -> list[CertificationInput]:
    certs: list[CertificationInput] = []
    if index % 4 == 0:
        certs.append(
            CertificationInput(
                kind=Certification.PSC1,
                obtained_on=today - timedelta(days=500),
                expires_on=None,
            )
        )
    if index in (6, 10):  # a PSC1 past its date: it no longer counts
        certs.append(
            CertificationInput(
                kind=Certification.PSC1,
                obtained_on=today - timedelta(days=1200),
                expires_on=today - timedelta(days=60),
            )
        )
    if index % 5 == 1:
        certs.append(CertificationInput(kind=Certification.DRIVING_B, obtained_on=date(2005, 6, 1)))
    if index == 9:
        certs.append(
            CertificationInput(
                kind=Certification.FOOD_HYGIENE,
                obtained_on=today - timedelta(days=200),
                expires_on=today + timedelta(days=900),
            )
        )
    return certs


def demo_volunteers(*, organisation: Organisation, front_desk_agent: User, resident: User) -> int:
    """Write the demo's volunteer profiles; returns how many."""
    rng = random.Random(SEED)
    today = timezone.localdate()
    others = list(
        User.objects.filter(
            pk__in=RoleAssignment.objects.filter(
                organisation=organisation, role=Role.RESIDENT
            ).values("user_id"),
            email__endswith=f"@{c.EMAIL_DOMAIN}",
        )
        .exclude(pk=resident.pk)
        .exclude(volunteer_profiles__organisation=organisation)
        .order_by("pk")[: ONLINE - 1]
    )
    written = 0
    for index, user in enumerate([resident, *others]):
        lat, lon = _near_centre(rng)
        week = WEEKS[index % len(WEEKS)]
        profile = profile_save_own(
            organisation=organisation,
            user=user,
            data=ProfileInput(
                full_name=user.full_name or user.email.split("@")[0],
                email=user.email,
                phone=f"+336123456{index:02d}",
                birth_date=date(1950 + (index * 7) % 55, 1 + index % 12, 1 + index % 27),
                home_label=f"{1 + rng.randrange(60)} {rng.choice(STREETS)}, Vaudrecourt-sur-Aulne",
                home_lat=lat,
                home_lon=lon,
                radius_km=rng.choice((3.0, 5.0, 5.0, 8.0, 10.0)),
                availability=_grid(week),
                interests=[str(i) for i in rng.sample(INTERESTS, 1 + index % 3)],
                skills=[str(s) for s in rng.sample(SKILLS, index % 3)],
                languages=["fr", "en"] if index % 4 == 1 else ["fr"],
                certifications=_certifications(index, today),
                max_hours_month=(8, None, 12, None, 20)[index % 5],
                visibility=(
                    VolunteerProfile.Visibility.PRIVATE
                    if index % 7 == 3
                    else VolunteerProfile.Visibility.MATCHABLE
                ),
                crisis_consent=index % 5 != 2,
            ),
        )
        # Volunteers joined over the past year, not all on the day the demo was loaded: the
        # statistics' monthly chart has a history.
        joined = timezone.now() - timedelta(days=1 + (index * 37) % 360)
        VolunteerProfile.objects.filter(pk=profile.pk).update(
            created_at=joined, crisis_consent_at=joined if profile.crisis_consent else None
        )
        if index == 4:
            absence_add(
                profile=profile,
                starts_on=today + timedelta(days=10),
                ends_on=today + timedelta(days=24),
                note="Vacances en Bretagne",
            )
        written += 1
    by_desk = (
        (
            "Germaine Lefèvre",
            "+33612347701",
            "phone",
            (1, 3, 4),
            "Pas de smartphone ; appeler le matin.",
        ),
        (
            "Marcel Thiébaut",
            "+33612347702",
            "phone",
            (3,),
            "Ancien pompier volontaire, garde son PSC1 à jour.",
        ),
        ("Odile Perrin", "+33612347703", "desk", (2,), "Passée à l'accueil avec sa fille."),
    )
    for number, (name, phone, channel, week_index, notes) in enumerate(by_desk):
        lat, lon = _near_centre(rng)
        cells = tuple(cell for i in week_index for cell in WEEKS[i])
        profile_register(
            organisation=organisation,
            agent=front_desk_agent,
            channel=channel,
            data=ProfileInput(
                full_name=name,
                email="odile.perrin@example.org" if channel == "desk" else "",
                phone=phone,
                birth_date=date(1947 + number * 3, 4, 12),
                home_label=f"{3 + number * 11} {STREETS[number]}, Vaudrecourt-sur-Aulne",
                home_lat=lat,
                home_lon=lon,
                radius_km=2.0,
                availability=_grid(cells),
                interests=[Activity.ELDERLY, Activity.SOLIDARITY],
                skills=[Skill.CARE] if number != 1 else [Skill.FIRST_AID, Skill.DRIVING],
                languages=["fr"],
                certifications=(
                    [
                        CertificationInput(
                            kind=Certification.PSC1,
                            obtained_on=today - timedelta(days=300),
                            expires_on=today + timedelta(days=430),
                        )
                    ]
                    if number == 1
                    else []
                ),
                max_hours_month=6,
                visibility=VolunteerProfile.Visibility.MATCHABLE,
                crisis_consent=number != 2,
                notes=notes,
            ),
        )
        written += 1
    return written
