"""Fictional residents of the demo commune: common French first and last names."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from beffroi.demo import constants as c

# ARCEP keeps 06 39 98 xx xx for fiction, but no phone library accepts it: 0639 is Mayotte's
# mobile plan (+262 639) and its "98" block is outside the blocks allocated there, so every
# registration form, import and SMS dispatch refuses such a number as "not a valid mobile".
# The demo needs numbers that Beffroi accepts as mobiles, so it uses 06 41 98 xx xx instead:
# a mainland mobile range that phonenumbers validates and whose carrier data names no operator
# (0641 70 to 0641 99). Nothing is ever sent to them: the demo's own gateways keep every SMS.
MOBILE_PREFIX = "06 41 98"
# The landline fiction ranges (01 99 00 … 05 99 00) are valid: this is the Meuse's (03).
LANDLINE_PREFIX = "03 99 00"

FIRST_NAMES = (
    "Marie",
    "Jean",
    "Nathalie",
    "Philippe",
    "Isabelle",
    "Michel",
    "Sylvie",
    "Alain",
    "Catherine",
    "Patrick",
    "Christine",
    "Nicolas",
    "Sophie",
    "Christophe",
    "Valérie",
    "Stéphane",
    "Céline",
    "Laurent",
    "Sandrine",
    "Frédéric",
    "Aurélie",
    "Sébastien",
    "Julie",
    "David",
    "Émilie",
    "Olivier",
    "Claire",
    "Thierry",
    "Anne",
    "Éric",
    "Léa",
    "Hugo",
    "Chloé",
    "Louis",
    "Manon",
    "Gabriel",
    "Camille",
    "Arthur",
    "Inès",
    "Jules",
    "Zoé",
    "Raphaël",
    "Louise",
    "Adam",
    "Jade",
    "Lucas",
    "Emma",
    "Mathis",
    "Lina",
    "Nathan",
    "Margaux",
    "Théo",
    "Océane",
    "Bernard",
    "Monique",
    "Gérard",
    "Françoise",
    "Daniel",
    "Jacqueline",
    "Yves",
    "Odile",
    "Rémi",
    "Agnès",
    "Benoît",
    "Hélène",
    "Fabrice",
    "Mireille",
    "Gilles",
    "Josiane",
)
LAST_NAMES = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Lefebvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier",
    "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clément",
    "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Marchand",
    "Duval", "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier",
    "Brun", "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier",
    "Arnaud", "Martinez", "Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin",
    "Vidal", "Caron", "Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas",
    "Lacroix", "Olivier", "Philippe", "Bourgeois", "Pierre", "Benoît", "Rey", "Leclerc",
    "Payet", "Rolland", "Leclercq", "Guillaume", "Lecomte", "Lopez", "Jean", "Dupuy",
    "Guillot", "Hubert", "Berger", "Carpentier", "Sanchez", "Dupuis", "Moulin", "Louis",
    "Deschamps", "Huet", "Vasseur", "Perez", "Boucher", "Fleury", "Royer", "Klein",
    "Jacquet", "Adam", "Paris", "Poirier", "Marty", "Aubry", "Guyot", "Carré", "Charles",
    "Renault", "Charpentier", "Ménard", "Maillard", "Baron", "Bertin", "Bailly", "Hervé",
    "Schneider", "Fernandez", "Le Gall", "Collet", "Léger", "Bouvier", "Julien", "Prévost",
    "Millet", "Perrot", "Daniel", "Le Roux", "Cousin", "Germain", "Breton", "Besson",
    "Langlois", "Rémy", "Le Goff", "Pelletier", "Lévêque", "Perrier", "Leblanc", "Barré",
    "Lebrun", "Marchal", "Weber", "Mallet", "Hamon", "Boulanger", "Jacob", "Monnier",
    "Michaud", "Rodriguez", "Guichard", "Gillet", "Étienne", "Grondin", "Poulain", "Tessier",
    "Chevallier", "Collin", "Chauvin", "Da Silva", "Bouchet", "Gay", "Lemaître", "Bénard",
    "Maréchal", "Humbert", "Reynaud", "Antoine", "Hoarau", "Perret", "Barthélemy", "Cordier",
)  # fmt: skip


@dataclass(frozen=True)
class Resident:
    full_name: str
    email: str
    phone: str


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isalnum() and ch.isascii()).lower()


def generate(count: int = c.RESIDENT_COUNT) -> list[Resident]:
    rng = random.Random(c.SEED + 2)
    residents: list[Resident] = []
    seen: set[str] = set()
    phones: set[str] = set()
    while len(residents) < count:
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        local = f"{_ascii(first)}.{_ascii(last)}"
        email = f"{local}@{c.EMAIL_DOMAIN}"
        suffix = 2
        while email in seen:
            email = f"{local}{suffix}@{c.EMAIL_DOMAIN}"
            suffix += 1
        seen.add(email)
        # One number per resident: a commune registers a mobile number once.
        phone = ""
        while not phone or phone in phones:
            phone = f"{MOBILE_PREFIX} {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"
        phones.add(phone)
        residents.append(Resident(f"{first} {last}", email, phone))
    return residents


@dataclass(frozen=True)
class VulnerablePersonSeed:
    """A person of the CCAS's registry (décret 2004-926), as the CCAS recorded them:
    ``details`` are the registry's own fields (``VulnerablePersonData``, phones typed as
    an agent would), ``in_flood_zone`` says where the demo places them."""

    details: dict[str, Any]
    in_flood_zone: bool = False


def _seed(*, in_flood_zone: bool = False, **details: Any) -> VulnerablePersonSeed:
    return VulnerablePersonSeed(details=details, in_flood_zone=in_flood_zone)


_DOCTOR = ("Dr Anne Thiéry", f"{LANDLINE_PREFIX} 18 40")
_HOME_HELP = ("ADMR du Val d'Aulne", f"{LANDLINE_PREFIX} 18 55")
_NURSES = ("Cabinet infirmier de la Halle", f"{LANDLINE_PREFIX} 18 62")

# What a small commune's registry holds: mostly very old people living alone, someone on
# oxygen at home (a power cut is an emergency), people who cannot hear a call or read an SMS,
# a younger adult in a wheelchair. Fictitious people, numbers from the fiction ranges.
VULNERABLE_PERSONS = (
    _seed(
        last_name="Vautrin",
        first_name="Simone",
        birth_date=date(1936, 3, 14),
        situation="elderly",
        phone=f"{LANDLINE_PREFIX} 41 27",
        preferred_channel="landline",
        requested_on=date(2023, 6, 5),
        in_flood_zone=True,
        lives_alone=True,
        contact_name="Brigitte Vautrin",
        contact_relation="fille",
        contact_phone=f"{MOBILE_PREFIX} 71 04",
        doctor_name=_DOCTOR[0],
        doctor_phone=_DOCTOR[1],
        home_help=_HOME_HELP[0],
        home_help_phone=_HOME_HELP[1],
        notes="Rez-de-chaussée. Aide à domicile le matin en semaine.",
    ),
    _seed(
        last_name="Colson",
        first_name="Marcel",
        birth_date=date(1941, 11, 2),
        situation="elderly",
        phone=f"{MOBILE_PREFIX} 72 18",
        preferred_channel="mobile",
        requested_on=date(2024, 5, 21),
        contact_name="Jacqueline Colson",
        contact_relation="épouse",
        contact_phone=f"{MOBILE_PREFIX} 72 19",
        doctor_name=_DOCTOR[0],
        doctor_phone=_DOCTOR[1],
        home_help=_NURSES[0],
        home_help_phone=_NURSES[1],
        reduced_mobility=True,
        electricity_dependent=True,
        notes="Concentrateur d'oxygène : appeler en priorité en cas de coupure d'électricité.",
        request_source="third_party",
        requested_by="Dr Anne Thiéry, médecin traitant",
    ),
    _seed(
        last_name="Barthélemy",
        first_name="Geneviève",
        birth_date=date(1948, 7, 22),
        situation="elderly",
        phone=f"{MOBILE_PREFIX} 73 40",
        preferred_channel="sms",
        requested_on=date(2024, 6, 11),
        in_flood_zone=True,
        lives_alone=True,
        hearing_impaired=True,
        contact_name="Martine Roux",
        contact_relation="voisine",
        contact_phone=f"{MOBILE_PREFIX} 73 41",
        notes="Malentendante : ne pas appeler, écrire par SMS ou passer.",
    ),
    _seed(
        last_name="Perrot",
        first_name="Lucien",
        birth_date=date(1963, 1, 9),
        situation="elderly_unfit",
        phone=f"{LANDLINE_PREFIX} 44 81",
        preferred_channel="visit",
        requested_on=date(2025, 6, 2),
        address_complement="Bâtiment B, 2e étage",
        lives_alone=True,
        visually_impaired=True,
        contact_name="Sylvie Perrot",
        contact_relation="sœur",
        contact_phone=f"{MOBILE_PREFIX} 74 52",
        doctor_name=_DOCTOR[0],
        doctor_phone=_DOCTOR[1],
        notes="Non-voyant. Pas d'ascenseur.",
    ),
    _seed(
        last_name="Haddad",
        first_name="Karim",
        birth_date=date(1987, 5, 30),
        situation="disabled",
        phone=f"{MOBILE_PREFIX} 75 63",
        preferred_channel="sms",
        requested_on=date(2025, 3, 17),
        email=f"karim.haddad@{c.EMAIL_DOMAIN}",
        reduced_mobility=True,
        home_help=_NURSES[0],
        home_help_phone=_NURSES[1],
        notes="Fauteuil roulant : évacuation avec aide.",
    ),
    _seed(
        last_name="Mangin",
        first_name="Jeanne",
        birth_date=date(1931, 9, 8),
        situation="elderly",
        phone=f"{LANDLINE_PREFIX} 46 09",
        preferred_channel="landline",
        requested_on=date(2022, 7, 4),
        lives_alone=True,
        reduced_mobility=True,
        contact_name="Paul Mangin",
        contact_relation="fils, tuteur",
        contact_phone=f"{MOBILE_PREFIX} 76 33",
        doctor_name=_DOCTOR[0],
        doctor_phone=_DOCTOR[1],
        home_help=_HOME_HELP[0],
        home_help_phone=_HOME_HELP[1],
        request_source="legal_representative",
        requested_by="Paul Mangin, fils et tuteur",
    ),
)
