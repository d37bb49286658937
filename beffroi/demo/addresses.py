"""The demo commune's addresses, written as a real BAN file (``adresses-<INSEE>.csv``).

The demo goes through the same import as a commune's own BAN download, so what a tester
sees (search, zone membership, targeting) is what a commune gets.
"""

from __future__ import annotations

import csv
import io
import math
import random
import unicodedata
from dataclasses import dataclass

from pyproj import Transformer
from shapely.geometry import Point

from beffroi.demo import constants as c
from beffroi.demo.geography import Geography, to_lonlat

BAN_HEADER = [
    "id", "id_fantoir", "numero", "rep", "nom_voie", "code_postal", "code_insee",
    "nom_commune", "code_insee_ancienne_commune", "nom_ancienne_commune", "x", "y", "lon", "lat",
    "type_position", "alias", "nom_ld", "libelle_acheminement", "nom_afnor", "source_position",
    "source_nom_voie", "certification_commune", "cad_parcelles",
]  # fmt: skip

# (name, place it starts from, (min, max) house numbers). Rue de la Mairie starts beside
# the town hall so that number 12 is the town hall itself.
STREETS: tuple[tuple[str, str, tuple[int, int]], ...] = (
    ("Rue de la Mairie", "le Bourg", (40, 48)),
    ("Place de l'Église", "le Bourg", (18, 24)),
    ("Grande Rue", "le Bourg", (70, 90)),
    ("Rue du Général de Gaulle", "le Bourg", (50, 64)),
    ("Rue des Écoles", "le Bourg", (36, 46)),
    ("Rue Jeanne d'Arc", "le Bourg", (30, 40)),
    ("Rue du Lavoir", "le Bourg", (24, 32)),
    ("Rue de la Poste", "le Bourg", (30, 38)),
    ("Impasse des Tilleuls", "le Bourg", (10, 16)),
    ("Rue Pasteur", "le Bourg", (40, 52)),
    ("Rue Victor Hugo", "le Bourg", (40, 52)),
    ("Allée des Marronniers", "le Bourg", (20, 28)),
    ("Rue du Four", "le Bourg", (22, 30)),
    ("Chemin de Ronde", "le Bourg", (26, 34)),
    ("Rue du Pont", "le Bourg", (28, 36)),
    ("Quai de l'Aulne", "le Bourg", (30, 40)),
    ("Rue de la Croix-Blanche", "la Croix-Blanche", (50, 62)),
    ("Rue des Lilas", "la Croix-Blanche", (34, 44)),
    ("Allée des Roses", "la Croix-Blanche", (20, 28)),
    ("Rue des Vergers", "la Croix-Blanche", (36, 46)),
    ("Impasse des Mésanges", "la Croix-Blanche", (12, 18)),
    ("Place du Champ de Foire", "le Champ de Foire", (16, 22)),
    ("Rue du Stade", "le Champ de Foire", (40, 50)),
    ("Rue des Sports", "le Champ de Foire", (30, 40)),
    ("Allée des Peupliers", "le Champ de Foire", (24, 32)),
    ("Chemin du Moulin", "le Moulin", (24, 34)),
    ("Rue de la Roue", "le Moulin", (16, 24)),
    ("Impasse du Bief", "le Moulin", (8, 14)),
    ("Route des Granges", "les Granges", (30, 40)),
    ("Chemin des Blés", "les Granges", (14, 22)),
    ("Rue de la Ferme", "les Granges", (16, 24)),
    ("Rue de la Haute-Borne", "la Haute-Borne", (30, 40)),
    ("Chemin du Calvaire", "la Haute-Borne", (14, 20)),
    ("Sentier des Vignes", "la Haute-Borne", (10, 16)),
    ("Rue Saint-Firmin", "Saint-Firmin", (30, 40)),
    ("Place de la Chapelle", "Saint-Firmin", (12, 18)),
    ("Chemin des Pèlerins", "Saint-Firmin", (14, 20)),
    ("Chemin des Aulnaies", "les Aulnaies", (26, 34)),
    ("Rue des Saules", "les Aulnaies", (18, 26)),
    ("Rue du Pré Fleuri", "les Aulnaies", (16, 24)),
)
TOWN_HALL_STREET = "Rue de la Mairie"
TOWN_HALL_NUMBER = 12


@dataclass(frozen=True)
class DemoAddress:
    street: str
    street_code: str
    number: int
    suffix: str
    lon: float
    lat: float
    place: str


def _ascii_upper(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain.upper().replace("'", " ").replace("-", " ")


def generate(geography: Geography) -> list[DemoAddress]:
    """Houses along each street: odd numbers on the left, even on the right."""
    rng = random.Random(c.SEED + 1)
    addresses: list[DemoAddress] = []
    for index, (street, place_name, (low, high)) in enumerate(STREETS):
        place = geography.place(place_name)
        count = rng.randint(low, high) * 6 // 5
        if street == TOWN_HALL_STREET:
            start_x, start_y, angle = -60.0, 15.0, 0.05
        else:
            # Streets leave from near the place's centre in evenly spread directions, with
            # some jitter so the map does not look like a drawing exercise.
            angle = 2 * math.pi * ((index * 0.381966) % 1) + rng.uniform(-0.3, 0.3)
            start_x = place.x + rng.uniform(-0.25, 0.25) * place.radius
            start_y = place.y + rng.uniform(-0.25, 0.25) * place.radius
        spacing = rng.uniform(11, 16)
        dx, dy = math.cos(angle), math.sin(angle)
        code = f"{(index + 1) * 10:04d}"
        for number in range(1, count + 1):
            along = ((number - 1) // 2) * spacing * 2 + (spacing if number % 2 == 0 else 0)
            side = 9.0 if number % 2 else -9.0
            x = start_x + dx * along - dy * side + rng.uniform(-1.5, 1.5)
            y = start_y + dy * along + dx * side + rng.uniform(-1.5, 1.5)
            if not geography.boundary.contains(Point(x, y)):
                continue
            lon, lat = to_lonlat(x, y)
            addresses.append(DemoAddress(street, code, number, "", lon, lat, place_name))
            if rng.random() < 0.03:
                lon, lat = to_lonlat(x + dx * 4, y + dy * 4)
                addresses.append(DemoAddress(street, code, number, "bis", lon, lat, place_name))
    if not any(
        a.street == TOWN_HALL_STREET and a.number == TOWN_HALL_NUMBER and not a.suffix
        for a in addresses
    ):
        raise RuntimeError("The demo lost the town hall's address; fix the generator.")
    return addresses


def ban_csv(addresses: list[DemoAddress]) -> bytes:
    """The addresses as the BAN publishes them: ``;``-separated UTF-8 with Lambert-93 x/y."""
    to_lambert = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    xs, ys = to_lambert.transform([a.lon for a in addresses], [a.lat for a in addresses])
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(BAN_HEADER)
    for address, x, y in zip(addresses, xs, ys, strict=True):
        suffix = f"_{address.suffix}" if address.suffix else ""
        writer.writerow(
            [
                f"{c.INSEE_CODE}_{address.street_code}_{address.number:05d}{suffix}",
                f"{c.INSEE_CODE}_{address.street_code}",
                address.number,
                address.suffix,
                address.street,
                c.POSTCODE,
                c.INSEE_CODE,
                c.COMMUNE_NAME,
                "",
                "",
                f"{x:.2f}",
                f"{y:.2f}",
                f"{address.lon:.7f}",
                f"{address.lat:.7f}",
                "entrée",
                "",
                ""
                if address.place in {"le Bourg"}
                else address.place[:1].upper() + address.place[1:],
                c.COMMUNE_NAME.upper(),
                _ascii_upper(address.street),
                "commune",
                "commune",
                "1",
                "",
            ]
        )
    return buffer.getvalue().encode("utf-8")
