from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from beffroi.alerts.public.cap import (
    CapAlert,
    CapArea,
    CapError,
    CapInfo,
    CapReference,
    cap_parse,
    cap_to_xml,
    cap_validate,
    format_cap_datetime,
)

DATA = Path(__file__).parent / "data"
PARIS_WINTER = timezone(timedelta(hours=1))


def sample(**overrides: object) -> CapAlert:
    alert = CapAlert(
        identifier="beffroi-valmont-42",
        sender="mairie@valmont.example",
        sent=datetime(2026, 11, 26, 14, 5, 30, 123456, tzinfo=PARIS_WINTER),
        status="Actual",
        msg_type="Alert",
        infos=[
            CapInfo(
                event="Crue",
                categories=["Met"],
                urgency="Immediate",
                severity="Severe",
                certainty="Observed",
                headline="Crue de l'Aulne",
                description="Montée rapide des eaux.",
                instruction="Montez à l'étage.",
                expires=datetime(2026, 11, 27, 8, 0, tzinfo=UTC),
                areas=[
                    CapArea(
                        description="Zone inondable de l'Aulne",
                        polygons=[[(45.1, 4.1), (45.2, 4.1), (45.2, 4.2), (45.1, 4.1)]],
                        circles=[(45.15, 4.15, 0.5)],
                    )
                ],
            )
        ],
    )
    for key, value in overrides.items():
        setattr(alert, key, value)
    return alert


@pytest.mark.parametrize("path", sorted(DATA.glob("cap12-*.xml")), ids=lambda p: p.stem)
def test_it_round_trips_every_example_of_the_specification(path: Path) -> None:
    parsed = cap_parse(path.read_bytes())
    assert parsed.identifier
    again = cap_parse(cap_to_xml(parsed))
    assert again == parsed


def test_it_emits_explicit_offsets_and_lat_lon_order() -> None:
    document = cap_to_xml(sample()).decode()
    assert "<sent>2026-11-26T14:05:30+01:00</sent>" in document
    assert "<expires>2026-11-27T08:00:00+00:00</expires>" in document
    assert "<polygon>45.1,4.1 45.2,4.1 45.2,4.2 45.1,4.1</polygon>" in document
    assert "<circle>45.15,4.15 0.5</circle>" in document
    assert cap_validate(document.encode()) == []


def test_it_closes_an_open_polygon_ring() -> None:
    alert = sample()
    alert.infos[0].areas[0].polygons = [[(45.1, 4.1), (45.2, 4.1), (45.2, 4.2)]]
    assert "45.1,4.1 45.2,4.1 45.2,4.2 45.1,4.1" in cap_to_xml(alert).decode()


def test_it_writes_references_of_an_update() -> None:
    original = CapReference(
        "mairie@valmont.example", "beffroi-valmont-41", datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    )
    document = cap_to_xml(sample(msg_type="Update", references=[original])).decode()
    assert (
        "<references>mairie@valmont.example,beffroi-valmont-41,2026-11-26T09:00:00+00:00</references>"
        in document
    )


def test_it_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError):
        format_cap_datetime(datetime(2026, 1, 1))


def test_it_refuses_invalid_values_naming_the_element() -> None:
    with pytest.raises(CapError) as excinfo:
        cap_to_xml(sample(status="Maybe"))
    assert "element <status>" in str(excinfo.value)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (b"not xml", "not well-formed XML"),
        (b"<alert/>", "is not a CAP 1.2 <alert>"),
        (
            b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.1">'
            b"<identifier>x</identifier></alert>",
            "is not a CAP 1.2",
        ),
        (
            b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">'
            b"<identifier>x</identifier></alert>",
            "sender",
        ),
    ],
)
def test_it_explains_why_a_document_is_not_cap(document: bytes, expected: str) -> None:
    errors = cap_validate(document)
    assert errors
    assert expected in " ".join(errors)


def test_it_refuses_malformed_polygons_and_circles() -> None:
    document = cap_to_xml(sample()).decode()
    bad = document.replace(
        "45.1,4.1 45.2,4.1 45.2,4.2 45.1,4.1", "45.1,4.1 45.2,4.1 45.2,4.2 45.3,4.1"
    )
    assert any("first and last points differ" in e for e in cap_validate(bad.encode()))
    bad = document.replace("<circle>45.15,4.15 0.5</circle>", "<circle>45.15;4.15</circle>")
    assert any("element <circle>" in e for e in cap_validate(bad.encode()))
    bad = document.replace("45.2,4.2", "95.2,4.2")
    assert any("out of range" in e for e in cap_validate(bad.encode()))


def test_it_does_not_resolve_external_entities(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    document = (
        f'<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&x;</identifier></alert>'
    ).encode()
    with pytest.raises(CapError) as excinfo:
        cap_parse(document)
    assert "TOP-SECRET" not in str(excinfo.value)
