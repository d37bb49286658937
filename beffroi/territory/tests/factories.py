"""Builders of the territory tests (also used by other apps' tests): geometries, GeoJSON
collections, BAN lines and files, and the sample BAN file of Valmont."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
BAN_FILE = DATA / "adresses-99001.csv"
BAN_HEADER = (DATA / "adresses-99001.csv").read_text(encoding="utf-8-sig").splitlines()[0]


def square(lon: float, lat: float, size: float) -> dict[str, Any]:
    """A square Polygon whose south-west corner is (lon, lat)."""
    return {
        "type": "Polygon",
        "coordinates": [
            [
                [lon, lat],
                [lon + size, lat],
                [lon + size, lat + size],
                [lon, lat + size],
                [lon, lat],
            ]
        ],
    }


def feature(name: str | None, geometry: Any, **properties: Any) -> dict[str, Any]:
    props = dict(properties)
    if name is not None:
        props["name"] = name
    return {"type": "Feature", "properties": props, "geometry": geometry}


def collection(*features: dict[str, Any], **extra: Any) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features), **extra}).encode()


def ban_line(
    ban_id: str,
    numero: str,
    nom_voie: str,
    lon: str,
    lat: str,
    *,
    rep: str = "",
    insee: str = "99001",
    commune: str = "Valmont",
    postcode: str = "99100",
    nom_ld: str = "",
) -> str:
    return ";".join(
        [
            ban_id,
            ban_id.rsplit("_", 1)[0],
            numero,
            rep,
            nom_voie,
            postcode,
            insee,
            commune,
            "",
            "",
            "0",
            "0",
            lon,
            lat,
            "entrée",
            "",
            nom_ld,
            commune.upper(),
            nom_voie.upper(),
            "commune",
            "commune",
            "1",
            "",
        ]
    )


def write_ban(path: Path, *lines: str) -> Path:
    path.write_text(BAN_HEADER + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path
