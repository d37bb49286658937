"""Fictional residents of the demo commune: common French first and last names."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from beffroi.demo import constants as c

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
        # 06 39 98 xx xx: a mobile range reserved by ARCEP for fiction, never attributed.
        phone = f"06 39 98 {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"
        residents.append(Resident(f"{first} {last}", email, phone))
    return residents
