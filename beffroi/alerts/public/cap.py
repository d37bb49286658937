"""Common Alerting Protocol 1.2: build, validate and parse CAP documents.

This module knows nothing of Beffroi's models: ``CapAlert`` is the document; the alerts
services convert an Alert to and from it. Coordinates follow CAP (``lat,lon``), unlike
GeoJSON (``lon,lat``); times carry an explicit offset (CAP forbids "Z").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from lxml import etree

NS = "urn:oasis:names:tc:emergency:cap:1.2"
_Q = f"{{{NS}}}"
SCHEMA_PATH = Path(__file__).parent / "schemas" / "CAP-v1.2.xsd"
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024

STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")
SCOPES = ("Public", "Restricted", "Private")
CATEGORIES = (
    "Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
    "CBRNE", "Other",
)  # fmt: skip
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
RESPONSE_TYPES = (
    "Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None",
)  # fmt: skip


class CapError(ValueError):
    """A document that is not valid CAP 1.2; ``errors`` name the element at fault."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class CapArea:
    description: str
    # Each polygon is a closed ring of (lat, lon) pairs, first == last.
    polygons: list[list[tuple[float, float]]] = field(default_factory=list)
    # (lat, lon, radius in km)
    circles: list[tuple[float, float, float]] = field(default_factory=list)
    geocodes: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class CapInfo:
    event: str
    urgency: str
    severity: str
    certainty: str
    categories: list[str] = field(default_factory=lambda: ["Other"])
    language: str = "fr-FR"
    response_types: list[str] = field(default_factory=list)
    audience: str = ""
    event_codes: list[tuple[str, str]] = field(default_factory=list)
    effective: datetime | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    sender_name: str = ""
    headline: str = ""
    description: str = ""
    instruction: str = ""
    web: str = ""
    contact: str = ""
    parameters: list[tuple[str, str]] = field(default_factory=list)
    areas: list[CapArea] = field(default_factory=list)


@dataclass(frozen=True)
class CapReference:
    sender: str
    identifier: str
    sent: datetime

    def render(self) -> str:
        return f"{self.sender},{self.identifier},{format_cap_datetime(self.sent)}"


@dataclass
class CapAlert:
    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    scope: str = "Public"
    source: str = ""
    restriction: str = ""
    addresses: str = ""
    codes: list[str] = field(default_factory=list)
    note: str = ""
    references: list[CapReference] = field(default_factory=list)
    incidents: str = ""
    infos: list[CapInfo] = field(default_factory=list)


def format_cap_datetime(value: datetime) -> str:
    """``2026-11-26T14:05:00+01:00``: seconds, explicit offset, never "Z" nor "-00:00"."""
    if value.tzinfo is None:
        raise ValueError("CAP times must be timezone-aware")
    text = value.replace(microsecond=0).isoformat()
    if text.endswith("+00:00") or text.endswith("-00:00"):
        return text[:-6] + "+00:00"
    return text


def parse_cap_datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return value


def _fmt_number(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def format_polygon(ring: list[tuple[float, float]]) -> str:
    points = list(ring)
    if points and points[0] != points[-1]:
        points.append(points[0])
    return " ".join(f"{_fmt_number(lat)},{_fmt_number(lon)}" for lat, lon in points)


def format_circle(circle: tuple[float, float, float]) -> str:
    lat, lon, radius = circle
    return f"{_fmt_number(lat)},{_fmt_number(lon)} {_fmt_number(radius)}"


def _sub(parent: etree._Element, tag: str, text: str | None) -> None:
    if text:
        etree.SubElement(parent, _Q + tag).text = text


def _pairs(parent: etree._Element, tag: str, pairs: list[tuple[str, str]]) -> None:
    for name, value in pairs:
        element = etree.SubElement(parent, _Q + tag)
        etree.SubElement(element, _Q + "valueName").text = name
        etree.SubElement(element, _Q + "value").text = value


def cap_to_xml(alert: CapAlert) -> bytes:
    """Serialise in the element order the schema requires; the result is validated."""
    root = etree.Element(_Q + "alert", nsmap={None: NS})
    _sub(root, "identifier", alert.identifier)
    _sub(root, "sender", alert.sender)
    _sub(root, "sent", format_cap_datetime(alert.sent))
    _sub(root, "status", alert.status)
    _sub(root, "msgType", alert.msg_type)
    _sub(root, "source", alert.source)
    _sub(root, "scope", alert.scope)
    _sub(root, "restriction", alert.restriction)
    _sub(root, "addresses", alert.addresses)
    for code in alert.codes:
        _sub(root, "code", code)
    _sub(root, "note", alert.note)
    if alert.references:
        _sub(root, "references", " ".join(ref.render() for ref in alert.references))
    _sub(root, "incidents", alert.incidents)
    for info in alert.infos:
        node = etree.SubElement(root, _Q + "info")
        _sub(node, "language", info.language)
        for category in info.categories:
            _sub(node, "category", category)
        _sub(node, "event", info.event)
        for response in info.response_types:
            _sub(node, "responseType", response)
        _sub(node, "urgency", info.urgency)
        _sub(node, "severity", info.severity)
        _sub(node, "certainty", info.certainty)
        _sub(node, "audience", info.audience)
        _pairs(node, "eventCode", info.event_codes)
        for tag, moment in (
            ("effective", info.effective),
            ("onset", info.onset),
            ("expires", info.expires),
        ):
            if moment is not None:
                _sub(node, tag, format_cap_datetime(moment))
        _sub(node, "senderName", info.sender_name)
        _sub(node, "headline", info.headline)
        _sub(node, "description", info.description)
        _sub(node, "instruction", info.instruction)
        _sub(node, "web", info.web)
        _sub(node, "contact", info.contact)
        _pairs(node, "parameter", info.parameters)
        for area in info.areas:
            area_node = etree.SubElement(node, _Q + "area")
            _sub(area_node, "areaDesc", area.description)
            for ring in area.polygons:
                _sub(area_node, "polygon", format_polygon(ring))
            for circle in area.circles:
                _sub(area_node, "circle", format_circle(circle))
            _pairs(area_node, "geocode", area.geocodes)
    document = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    errors = cap_validate(document)
    if errors:
        raise CapError(errors)
    return bytes(document)


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))


def _parser() -> etree.XMLParser:
    # No entities, no network, no DTD: imported files come from outside.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_pis=True
    )


def _element_name(message: str) -> str:
    match = re.search(r"Element '\{[^}]*\}([A-Za-z]+)'", message)
    return match.group(1) if match else ""


def cap_validate(document: bytes) -> list[str]:
    """Schema errors as "line N, element <x>: message"; an empty list means valid CAP 1.2."""
    if len(document) > MAX_DOCUMENT_BYTES:
        return [f"document larger than {MAX_DOCUMENT_BYTES // 1024 // 1024} MB"]
    try:
        tree = etree.fromstring(document, _parser())
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    if tree.tag != _Q + "alert":
        found = etree.QName(tree).localname
        namespace = etree.QName(tree).namespace or "no namespace"
        return [f"root element <{found}> ({namespace}) is not a CAP 1.2 <alert> ({NS})"]
    schema = _schema()
    try:
        valid = schema.validate(tree)
    except etree.XMLSchemaValidateError as exc:
        # Raised on nodes the schema cannot type, such as an unexpanded entity reference.
        return [f"unsupported content (entities are not allowed): {exc}"]
    if valid:
        errors = _semantic_errors(tree)
        return errors
    messages = []
    for error in schema.error_log:
        name = _element_name(error.message)
        where = f"line {error.line}" + (f", element <{name}>" if name else "")
        text = re.sub(r"\{[^}]*\}", "", error.message)
        messages.append(f"{where}: {text}")
    return messages


_POINT = r"-?\d+(\.\d+)?,-?\d+(\.\d+)?"


def _semantic_errors(tree: etree._Element) -> list[str]:
    """Rules the XSD leaves to prose: coordinate syntax and ranges, closed polygons."""
    errors: list[str] = []
    for polygon in tree.iter(_Q + "polygon"):
        text = (polygon.text or "").strip()
        points = text.split()
        if len(points) < 4 or not all(re.fullmatch(_POINT, p) for p in points):
            errors.append(
                f"line {polygon.sourceline}, element <polygon>: needs at least 4 'lat,lon' pairs"
            )
            continue
        pairs = [tuple(float(v) for v in p.split(",")) for p in points]
        if pairs[0] != pairs[-1]:
            errors.append(
                f"line {polygon.sourceline}, element <polygon>: first and last points differ"
            )
        if any(not (-90 <= lat <= 90 and -180 <= lon <= 180) for lat, lon in pairs):
            errors.append(f"line {polygon.sourceline}, element <polygon>: point out of range")
    for circle in tree.iter(_Q + "circle"):
        text = (circle.text or "").strip()
        if not re.fullmatch(_POINT + r"\s+\d+(\.\d+)?", text):
            errors.append(f"line {circle.sourceline}, element <circle>: expected 'lat,lon radius'")
    return errors


def _text(node: etree._Element, tag: str) -> str:
    child = node.find(_Q + tag)
    return (child.text or "").strip() if child is not None else ""


def _texts(node: etree._Element, tag: str) -> list[str]:
    return [(child.text or "").strip() for child in node.findall(_Q + tag)]


def _pair_list(node: etree._Element, tag: str) -> list[tuple[str, str]]:
    return [(_text(child, "valueName"), _text(child, "value")) for child in node.findall(_Q + tag)]


def _optional_time(node: etree._Element, tag: str) -> datetime | None:
    text = _text(node, tag)
    return parse_cap_datetime(text) if text else None


def cap_parse(document: bytes) -> CapAlert:
    """Parse a CAP 1.2 document, refusing anything that does not validate (``CapError``)."""
    errors = cap_validate(document)
    if errors:
        raise CapError(errors)
    root = etree.fromstring(document, _parser())
    references = []
    for item in _text(root, "references").split():
        sender, identifier, sent = item.split(",", 2)
        references.append(CapReference(sender, identifier, parse_cap_datetime(sent)))
    infos = []
    for node in root.findall(_Q + "info"):
        areas = []
        for area in node.findall(_Q + "area"):
            polygons = [
                [
                    (float(lat), float(lon))
                    for lat, lon in (point.split(",") for point in text.split())
                ]
                for text in _texts(area, "polygon")
            ]
            circles = []
            for text in _texts(area, "circle"):
                centre, radius = text.split()
                lat, lon = centre.split(",")
                circles.append((float(lat), float(lon), float(radius)))
            areas.append(
                CapArea(
                    description=_text(area, "areaDesc"),
                    polygons=polygons,
                    circles=circles,
                    geocodes=_pair_list(area, "geocode"),
                )
            )
        infos.append(
            CapInfo(
                language=_text(node, "language") or "en-US",
                categories=_texts(node, "category"),
                event=_text(node, "event"),
                response_types=_texts(node, "responseType"),
                urgency=_text(node, "urgency"),
                severity=_text(node, "severity"),
                certainty=_text(node, "certainty"),
                audience=_text(node, "audience"),
                event_codes=_pair_list(node, "eventCode"),
                effective=_optional_time(node, "effective"),
                onset=_optional_time(node, "onset"),
                expires=_optional_time(node, "expires"),
                sender_name=_text(node, "senderName"),
                headline=_text(node, "headline"),
                description=_text(node, "description"),
                instruction=_text(node, "instruction"),
                web=_text(node, "web"),
                contact=_text(node, "contact"),
                parameters=_pair_list(node, "parameter"),
                areas=areas,
            )
        )
    return CapAlert(
        identifier=_text(root, "identifier"),
        sender=_text(root, "sender"),
        sent=parse_cap_datetime(_text(root, "sent")),
        status=_text(root, "status"),
        msg_type=_text(root, "msgType"),
        scope=_text(root, "scope"),
        source=_text(root, "source"),
        restriction=_text(root, "restriction"),
        addresses=_text(root, "addresses"),
        codes=_texts(root, "code"),
        note=_text(root, "note"),
        references=references,
        incidents=_text(root, "incidents"),
        infos=infos,
    )
