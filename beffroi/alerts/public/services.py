"""Public side of alerts: an Alert as a CAP 1.2 document, and a CAP message from an
authority (préfecture, Météo-France…) imported as a draft alert.

CAP is ``lat,lon``; zones are GeoJSON ``lon,lat``: every conversion happens here. Times are
written in the installation's time zone with an explicit offset (residents and authorities
read "14:05+01:00" more easily than UTC).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import shapely
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon, box, mapping, shape
from shapely.geometry.base import BaseGeometry

from beffroi.alerts.composer.services import (
    MAX_SMS_BUDGET,
    AlertData,
    TranslationData,
    alert_create,
)
from beffroi.alerts.models import Alert, Topic
from beffroi.alerts.public.cap import (
    CapAlert,
    CapArea,
    CapError,
    CapInfo,
    CapReference,
    cap_parse,
    cap_to_xml,
)
from beffroi.alerts.texts import BASE_LANGUAGE, exercise_marker, sms_suffix, with_marker
from beffroi.alerts.workflow import AlertError
from beffroi.core.audit import audit_record
from beffroi.core.imports import ImportRefused, ImportReport, Progress, import_write
from beffroi.messaging.sms import sms_info
from beffroi.territory.models import Commune, Organisation, Zone
from beffroi.territory.services import ZoneError, zone_create

if TYPE_CHECKING:
    from beffroi.accounts.models import User

CAP_MEDIA_TYPE = "application/cap+xml"
# CAP consumers (and SMS gateways relaying areas) choke on rings of thousands of points; a
# hundred keeps a commune's outline recognisable to within a few metres.
MAX_RING_POINTS = 100
# A drawn circle reaches Beffroi as a polygon of 64 sides (map.js); vertices this close to a
# common radius are written back as a CAP <circle>.
CIRCLE_MIN_VERTICES = 24
CIRCLE_TOLERANCE = 0.02
# A CAP circle of radius 0 (an epicentre) still needs an area to become a zone.
MIN_CIRCLE_RADIUS_KM = 0.1
CIRCLE_SIDES = 64
LANGUAGE_TAGS = {"fr": "fr-FR", "en": "en-GB"}
_GEOD = Geod(ellps="WGS84")


# ---------------------------------------------------------------------------------------------
# Alert → CAP


def alert_public_url(alert: Alert, base_url: str) -> str:
    return base_url.rstrip("/") + reverse("alerts:detail", args=[alert.pk])


def alert_cap_url(alert: Alert, base_url: str) -> str:
    return base_url.rstrip("/") + reverse("alerts:cap", args=[alert.pk])


def cap_sender(organisation: Organisation) -> str:
    """CAP forbids spaces, commas and ampersands in <sender>."""
    if organisation.contact_email:
        return organisation.contact_email
    host = organisation.hosts.order_by("-is_primary", "host").values_list("host", flat=True)
    return str(host.first() or f"{organisation.slug}.beffroi")


def cap_identifier(alert: Alert) -> str:
    text = alert.identifier or f"beffroi-{alert.organisation.slug}-{alert.pk}"
    return re.sub(r"[\s,&<]", "-", text)


def _local(moment: Any) -> Any:
    return timezone.localtime(moment, ZoneInfo(settings.TIME_ZONE))


def _sent_moment(alert: Alert) -> Any:
    return _local(alert.sent_at or alert.created_at or timezone.now())


def _reference(alert: Alert) -> CapReference:
    return CapReference(
        sender=cap_sender(alert.organisation),
        identifier=cap_identifier(alert),
        sent=_sent_moment(alert),
    )


def thread_root(alert: Alert) -> Alert:
    """The original alert of an update or cancel (chains are followed to their start)."""
    seen = {alert.pk}
    root = alert
    while root.references_id is not None and root.references_id not in seen:
        seen.add(root.references_id)
        parent = root.references
        assert parent is not None
        root = parent
    return root


def _references(alert: Alert) -> list[CapReference]:
    """The original, then the earlier follow-ups already sent: CAP consumers use the whole
    list to replace every earlier message of the incident."""
    if alert.msg_type == Alert.MsgType.ALERT or alert.references_id is None:
        return []
    root = thread_root(alert)
    earlier = Alert.objects.filter(
        references=root, sent_at__isnull=False, status__in=[Alert.Status.SENT]
    ).exclude(pk=alert.pk)
    if alert.sent_at is not None:
        earlier = earlier.filter(sent_at__lt=alert.sent_at)
    return [_reference(root), *(_reference(a) for a in earlier.order_by("sent_at", "pk"))]


def _simplified_ring(ring: Any) -> list[tuple[float, float]]:
    """A closed (lat, lon) ring of at most MAX_RING_POINTS points."""
    polygon = Polygon(ring)
    coords = list(polygon.exterior.coords)
    tolerance = 0.00001
    while len(coords) > MAX_RING_POINTS and tolerance < 1:
        simpler = polygon.simplify(tolerance, preserve_topology=True)
        if isinstance(simpler, Polygon) and not simpler.is_empty:
            coords = list(simpler.exterior.coords)
        tolerance *= 2
    return [(round(lat, 6), round(lon, 6)) for lon, lat in coords]


def _as_circle(polygon: Polygon) -> tuple[float, float, float] | None:
    """(lat, lon, radius km) when the polygon is a drawn circle, else None."""
    coords = list(polygon.exterior.coords)[:-1]
    if len(coords) < CIRCLE_MIN_VERTICES or polygon.interiors:
        return None
    centre = polygon.centroid
    lons = [c[0] for c in coords]
    lats = [c[1] for c in coords]
    _az, _back, distances = _GEOD.inv(
        [centre.x] * len(coords), [centre.y] * len(coords), lons, lats
    )
    distances = [float(d) for d in distances]
    mean = sum(distances) / len(distances)
    if mean <= 0 or any(abs(d - mean) > CIRCLE_TOLERANCE * mean for d in distances):
        return None
    return (round(centre.y, 6), round(centre.x, 6), round(mean / 1000, 3))


def _polygons(geometry: dict[str, Any]) -> list[Polygon]:
    geom = shape(geometry)
    if isinstance(geom, Polygon):
        return [geom]
    if isinstance(geom, MultiPolygon):
        return list(geom.geoms)
    return []


def _zone_area_parts(
    zone: Zone,
) -> tuple[list[list[tuple[float, float]]], list[tuple[float, float, float]]]:
    polygons: list[list[tuple[float, float]]] = []
    circles: list[tuple[float, float, float]] = []
    for polygon in _polygons(zone.geometry):
        circle = _as_circle(polygon) if zone.kind == Zone.Kind.CUSTOM else None
        if circle is not None:
            circles.append(circle)
        else:
            polygons.append(_simplified_ring(polygon.exterior.coords))
    return polygons, circles


def _communes_area(organisation: Organisation) -> CapArea:
    communes = list(organisation.communes.order_by("name"))
    area = CapArea(
        description=", ".join(c.name for c in communes) or organisation.name,
        geocodes=[("INSEE", c.insee_code) for c in communes],
    )
    for commune in communes:
        if commune.boundary:
            for polygon in _polygons(commune.boundary):
                area.polygons.append(_simplified_ring(polygon.exterior.coords))
    return area


def alert_cap_area(alert: Alert) -> CapArea:
    """The alert's target as one CAP <area>: the communes, or the union of its zones."""
    if alert.whole_territory:
        return _communes_area(alert.organisation)
    zones = list(alert.zones.order_by("name"))
    area = CapArea(description=", ".join(z.name for z in zones) or alert.organisation.name)
    for zone in zones:
        polygons, circles = _zone_area_parts(zone)
        area.polygons.extend(polygons)
        area.circles.extend(circles)
    if not zones:
        area.geocodes = [("INSEE", c.insee_code) for c in alert.organisation.communes.all()]
    return area


def _info(alert: Alert, language: str, texts: Any, area: CapArea, web: str) -> CapInfo:
    with translation.override(language):
        event = str(Topic(alert.topic).label) if alert.topic in Topic.values else alert.topic
    return CapInfo(
        language=LANGUAGE_TAGS.get(language, language),
        categories=[alert.category],
        event=event,
        urgency=alert.urgency,
        severity=alert.severity,
        certainty=alert.certainty,
        onset=_local(alert.onset) if alert.onset else None,
        expires=_local(alert.expires) if alert.expires else None,
        sender_name=alert.organisation.name,
        headline=texts.headline,
        description=texts.description,
        instruction=texts.instruction,
        web=web,
        contact=alert.organisation.contact_phone,
        areas=[area],
    )


def alert_to_cap(alert: Alert, *, base_url: str) -> CapAlert:
    """The CAP document of an alert: one <info> per language (French first)."""
    status = alert.cap_status
    if alert.sent_at is None:
        # Not sent yet: CAP's own word for a message that must not be acted upon.
        status = "Draft"
    note = ""
    if alert.cap_status == Alert.CapStatus.EXERCISE:
        with translation.override(settings.LANGUAGE_CODE):
            note = _("EXERCISE: this message is part of an exercise; no real danger.")
    area = alert_cap_area(alert)
    web = alert_public_url(alert, base_url)
    infos = [_info(alert, "fr", alert, area, web)]
    for item in alert.translations.order_by("language"):
        if item.language != "fr":
            infos.append(_info(alert, item.language, item, area, web))
    return CapAlert(
        identifier=cap_identifier(alert),
        sender=cap_sender(alert.organisation),
        sent=_sent_moment(alert),
        status=status,
        msg_type=alert.msg_type,
        scope="Public" if alert.is_public else "Restricted",
        restriction="" if alert.is_public else _("Agents of the organisation only."),
        note=note,
        references=_references(alert),
        infos=infos,
    )


def alert_cap_xml(alert: Alert, *, base_url: str) -> bytes:
    """The alert's CAP 1.2 document, validated against the OASIS schema."""
    return cap_to_xml(alert_to_cap(alert, base_url=base_url))


# ---------------------------------------------------------------------------------------------
# CAP → draft alert


@dataclass
class CapImportReport(ImportReport):
    """The import of one CAP message (``lines`` is 1): the draft and the zones made of its
    areas once written, what the author should check (``warnings``). ``outside``: refused
    because an area lies outside the territory, which ``allow_outside`` overrides."""

    alert: Alert | None = None
    zones: list[Zone] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    outside: bool = False


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Keywords of CAP <event> texts (French and English, as authorities write them), checked
# in order: the first match decides. Folded: no accents, lower case.
EVENT_TOPICS: tuple[tuple[str, str], ...] = (
    (r"inond|crue|submersion|flood|tsunami", Topic.FLOOD),
    (r"canicul|chaleur|heat", Topic.HEAT),
    (r"grand froid|froid|neige|verglas|cold|snow|ice|frost|blizzard", Topic.COLD),
    (r"secheresse|drought|restriction.*eau", Topic.DROUGHT),
    (r"pollution|ozone|particule|air quality|qualite de l.air|smoke|fumee", Topic.POLLUTION),
    (r"coupure d.eau|eau potable|water (cut|outage|supply)|boil water", Topic.WATER_CUT),
    (r"electric|coupure de courant|power|blackout", Topic.POWER_CUT),
    (r"orage|vent|tempete|storm|wind|thunder|cyclone|hurricane|tornad|pluie|rain", Topic.STORM),
    (r"route|circulation|trafic|traffic|road", Topic.ROADS),
    (r"epidemi|sanitaire|health|disease|pandemi", Topic.HEALTH),
    (r"industri|chimique|chemical|nucleai|nuclear|radiolog|gaz|gas|explosion", Topic.INDUSTRIAL),
)
# When the event says nothing we know: the CAP category. Geophysical and security events
# have no topic of their own; residents subscribed to public information get them, and the
# author picks the precise risk in the composer before anything is sent.
CATEGORY_TOPICS: dict[str, str] = {
    "Met": Topic.STORM,
    "Health": Topic.HEALTH,
    "Env": Topic.POLLUTION,
    "Transport": Topic.ROADS,
    "Infra": Topic.POWER_CUT,
    "CBRNE": Topic.INDUSTRIAL,
    "Fire": Topic.INDUSTRIAL,
}
DEFAULT_TOPIC = Topic.PUBLIC_EVENTS


def cap_topic(event: str, categories: list[str]) -> str:
    folded = _fold(event)
    for pattern, topic in EVENT_TOPICS:
        if re.search(pattern, folded):
            return str(topic)
    for category in categories:
        if category in CATEGORY_TOPICS:
            return str(CATEGORY_TOPICS[category])
    return str(DEFAULT_TOPIC)


def _clean_text(text: str, limit: int | None = None) -> str:
    # Authorities hard-wrap and indent inside XML elements: one space between words reads
    # better on the public page and costs fewer SMS parts.
    cleaned = " ".join(text.split())
    if limit is not None and len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


def _pick_info(infos: list[CapInfo]) -> tuple[CapInfo, CapInfo | None]:
    """The French <info> (else English, else the first), and an English one to translate."""

    def lang(info: CapInfo) -> str:
        return info.language.lower()[:2]

    main = next((i for i in infos if lang(i) == "fr"), None)
    main = main or next((i for i in infos if lang(i) == "en"), None) or infos[0]
    english = next((i for i in infos if lang(i) == "en" and i is not main), None)
    return main, english


def circle_polygon(lat: float, lon: float, radius_km: float) -> Polygon:
    radius = max(radius_km, MIN_CIRCLE_RADIUS_KM) * 1000
    azimuths = [360 * i / CIRCLE_SIDES for i in range(CIRCLE_SIDES)]
    lons, lats, _back = _GEOD.fwd(
        [lon] * CIRCLE_SIDES, [lat] * CIRCLE_SIDES, azimuths, [radius] * CIRCLE_SIDES
    )
    return Polygon(list(zip(lons, lats, strict=True)))


def _area_shape(area: CapArea) -> BaseGeometry | None:
    """The <area>'s polygons and circles as one shapely geometry (lon, lat), or None."""
    parts: list[BaseGeometry] = []
    for ring in area.polygons:
        polygon = Polygon([(lon, lat) for lat, lon in ring])
        if not polygon.is_valid:
            polygon = shapely.make_valid(polygon)
        parts.append(polygon)
    for lat, lon, radius in area.circles:
        parts.append(circle_polygon(lat, lon, radius))
    if not parts:
        return None
    union = shapely.union_all(parts)
    polygons = [
        g for g in getattr(union, "geoms", [union]) if isinstance(g, Polygon | MultiPolygon)
    ]
    if not polygons:
        return None
    result = shapely.union_all(polygons)
    return None if result.is_empty or result.area == 0 else result


def territory_shape(organisation: Organisation) -> BaseGeometry | None:
    """The communes' boundaries, or else the bounding box of the organisation's zones."""
    boundaries = [shape(c.boundary) for c in organisation.communes.all() if c.boundary]
    if boundaries:
        return shapely.union_all(boundaries)
    zones = Zone.objects.filter(organisation=organisation).exclude(kind=Zone.Kind.CUSTOM)
    if not zones.exists():
        zones = Zone.objects.filter(organisation=organisation)
    bounds = [(z.min_lon, z.min_lat, z.max_lon, z.max_lat) for z in zones]
    if not bounds:
        return None
    return box(
        min(b[0] for b in bounds),
        min(b[1] for b in bounds),
        max(b[2] for b in bounds),
        max(b[3] for b in bounds),
    )


def _geojson(geometry: BaseGeometry) -> dict[str, Any]:
    def lists(value: Any) -> Any:
        if isinstance(value, list | tuple):
            return [lists(v) for v in value]
        return value

    data = dict(mapping(geometry))
    return {"type": data["type"], "coordinates": lists(data["coordinates"])}


def _zone_name(organisation: Organisation, wanted: str) -> str:
    base = _clean_text(wanted, 180) or _("Imported CAP area")
    taken = {
        n.casefold()
        for n in Zone.objects.filter(organisation=organisation, kind=Zone.Kind.CUSTOM).values_list(
            "name", flat=True
        )
    }
    name, number = base, 2
    while name.casefold() in taken:
        name = f"{base} ({number})"
        number += 1
    return name


def _matching_communes(organisation: Organisation, area: CapArea) -> list[Commune]:
    codes = {value.strip() for _name, value in area.geocodes}
    return [c for c in organisation.communes.all() if c.insee_code in codes]


def _plan_areas(
    organisation: Organisation, info: CapInfo, report: CapImportReport, *, allow_outside: bool
) -> tuple[list[tuple[str, BaseGeometry]], bool]:
    """Which zones to create and whether the whole territory is meant; warnings go to
    ``report``.

    Raises ``ImportRefused`` for an area outside the territory (unless allowed).
    """
    territory = territory_shape(organisation)
    planned: list[tuple[str, BaseGeometry]] = []
    whole = False
    warnings = report.warnings
    errors: list[str] = []
    for number, area in enumerate(info.areas, start=1):
        label = area.description or _("area %(number)d") % {"number": number}
        geometry = _area_shape(area)
        if geometry is None:
            communes = _matching_communes(organisation, area)
            with_boundary = [shape(c.boundary) for c in communes if c.boundary]
            if with_boundary:
                planned.append((label, shapely.union_all(with_boundary)))
            elif communes:
                whole = True
            elif allow_outside:
                warnings.append(
                    _(
                        "The <area> “%(area)s” has no polygon, circle or INSEE code of the "
                        "territory: choose the target zones before submitting the alert."
                    )
                    % {"area": label}
                )
            else:
                errors.append(
                    _(
                        "The <area> “%(area)s” cannot be located in the territory "
                        "(%(organisation)s): it has no polygon, no circle and no INSEE code "
                        "of its communes."
                    )
                    % {"area": label, "organisation": organisation.name}
                )
            continue
        if territory is None:
            if not allow_outside:
                errors.append(
                    _(
                        "The territory (%(organisation)s) is not known yet (no commune "
                        "boundary, no zone): the <area> “%(area)s” cannot be checked."
                    )
                    % {"organisation": organisation.name, "area": label}
                )
                continue
        elif not geometry.intersects(territory):
            if not allow_outside:
                min_lon, min_lat, max_lon, max_lat = geometry.bounds
                errors.append(
                    _(
                        "The <area> “%(area)s” (latitudes %(min_lat).4f to %(max_lat).4f, "
                        "longitudes %(min_lon).4f to %(max_lon).4f) lies outside the "
                        "territory (%(organisation)s)."
                    )
                    % {
                        "area": label,
                        "min_lat": min_lat,
                        "max_lat": max_lat,
                        "min_lon": min_lon,
                        "max_lon": max_lon,
                        "organisation": organisation.name,
                    }
                )
                continue
            warnings.append(
                _("The <area> “%(area)s” lies outside the territory; imported as asked.")
                % {"area": label}
            )
        planned.append((label, geometry))
    if errors:
        # Every refusal here can be overridden by the author's explicit choice.
        report.problems.extend(errors)
        report.outside = True
        raise ImportRefused(report)
    return planned, whole


def _status_of(cap: CapAlert, report: CapImportReport) -> str:
    if cap.status in {"System"} or cap.msg_type in {"Ack", "Error"}:
        report.problems.append(
            _(
                "<status>%(status)s</status> <msgType>%(type)s</msgType> is not an alert "
                "for the population; only Alert, Update and Cancel messages are imported."
            )
            % {"status": cap.status, "type": cap.msg_type}
        )
        raise ImportRefused(report)
    if cap.status == "Exercise":
        return str(Alert.CapStatus.EXERCISE)
    if cap.status == "Test":
        return str(Alert.CapStatus.TEST)
    return str(Alert.CapStatus.ACTUAL)


def _referenced(organisation: Organisation, cap: CapAlert) -> Alert | None:
    identifiers = [ref.identifier for ref in cap.references]
    if not identifiers:
        return None
    return (
        Alert.objects.filter(organisation=organisation, identifier__in=identifiers)
        .order_by("sent_at", "pk")
        .first()
    )


def _choice(value: str, choices: list[str], default: str) -> str:
    return value if value in choices else default


def _sms_budget(headline: str, cap_status: str, languages: list[str]) -> int:
    """The SMS budget the imported text needs (the headline, marked for an exercise, with
    the STOP mention in each language): the composer refuses a draft over its budget, and
    the author shortens the text before sending rather than lose the authority's message."""
    marker = exercise_marker(Alert(cap_status=cap_status))
    needed = max(
        sms_info(with_marker(marker, headline) + sms_suffix(language)).segments
        for language in languages
    )
    return min(MAX_SMS_BUDGET, max(AlertData.sms_budget_segments, needed))


def cap_import(
    *,
    organisation: Organisation,
    document: bytes,
    author: User,
    allow_outside: bool = False,
) -> CapImportReport:
    """Create a DRAFT alert from an authority's CAP 1.2 message, through the composer's
    ``alert_create`` (its checks apply to the draft).

    Refused (``ImportRefused``) when the document is not valid CAP 1.2 (the messages name
    the element at fault), is not an alert, targets an area outside the organisation's
    territory (unless ``allow_outside``), or makes a draft the composer refuses. Each
    located <area> becomes a custom zone. All or nothing: zones and alert are created in one
    transaction. An end date already past is dropped, with a warning.
    """
    report = CapImportReport(lines=1)
    try:
        cap = cap_parse(document)
    except CapError as exc:
        report.problems.extend(exc.errors)
        raise ImportRefused(report) from exc
    except ValueError as exc:
        report.problems.append(_("The document is not valid CAP 1.2: %(error)s") % {"error": exc})
        raise ImportRefused(report) from exc
    if not cap.infos:
        report.problems.append(_("The message has no <info> element: there is nothing to relay."))
        raise ImportRefused(report)
    cap_status = _status_of(cap, report)
    info, english = _pick_info(cap.infos)
    planned, whole = _plan_areas(organisation, info, report, allow_outside=allow_outside)
    original = _referenced(organisation, cap)
    msg_type = cap.msg_type if original is not None else str(Alert.MsgType.ALERT)
    if cap.msg_type in {"Update", "Cancel"} and original is None:
        report.warnings.append(
            _(
                "The message is an %(type)s of a message that was not imported here; "
                "it becomes a new alert."
            )
            % {"type": cap.msg_type}
        )
    expires = info.expires
    if expires is not None and expires <= timezone.now():
        # The composer keeps no draft ending in the past; the message still tells the
        # author what happened, and they set an end date if they relay it.
        report.warnings.append(
            _("The message expired on %(expires)s: the draft has no end date.")
            % {"expires": _local(expires).isoformat(timespec="minutes")}
        )
        expires = None
    categories = [c for c in info.categories if c in Alert.Category.values]
    headline = _clean_text(info.headline or info.event, 160)
    description = _clean_text(info.description)
    instruction = _clean_text(info.instruction)
    source = _("Imported from the CAP message %(identifier)s of %(sender)s sent %(sent)s.") % {
        "identifier": cap.identifier,
        "sender": cap.sender,
        "sent": cap.sent.isoformat(),
    }
    translations: dict[str, TranslationData] = {}
    if english is not None and (english.headline or english.event):
        translations["en"] = TranslationData(
            headline=_clean_text(english.headline or english.event, 160),
            description=_clean_text(english.description),
            instruction=_clean_text(english.instruction),
        )
    data = AlertData(
        topic=cap_topic(info.event, info.categories),
        headline=headline,
        category=categories[0] if categories else Alert.Category.OTHER,
        urgency=_choice(info.urgency, Alert.Urgency.values, Alert.Urgency.UNKNOWN),
        severity=_choice(info.severity, Alert.Severity.values, Alert.Severity.UNKNOWN),
        certainty=_choice(info.certainty, Alert.Certainty.values, Alert.Certainty.UNKNOWN),
        cap_status=cap_status,
        description=description,
        instruction=instruction,
        sms_text=headline,
        email_subject=headline[:200],
        email_body="\n\n".join(t for t in (description, instruction) if t),
        onset=info.onset or info.effective,
        expires=expires,
        sms_budget_segments=_sms_budget(headline, cap_status, [BASE_LANGUAGE, *translations]),
        is_public=cap.scope == "Public",
        whole_territory=whole,
        translations=translations,
    )

    def write(step: Progress) -> None:
        zones: list[Zone] = []
        for label, geometry in planned:
            try:
                zone = zone_create(
                    organisation=organisation,
                    name=_zone_name(organisation, label),
                    kind=Zone.Kind.CUSTOM,
                    geometry=_geojson(geometry),
                    description=source,
                    actor=author,
                )
            except ZoneError as exc:
                report.problems.extend(
                    _("The <area> “%(area)s” cannot become a zone: %(reason)s")
                    % {"area": label, "reason": message}
                    for message in exc.messages
                )
                raise ImportRefused(report) from exc
            zones.append(zone)
        data.zones = zones
        try:
            alert = alert_create(
                organisation=organisation,
                actor=author,
                data=data,
                msg_type=msg_type,
                references=original,
                reason=source,
            )
        except AlertError as exc:
            report.problems.extend(exc.messages)
            raise ImportRefused(report) from exc
        audit_record(
            action="alert.cap_import",
            organisation=organisation,
            actor=author,
            target=alert,
            reason=source,
            data={
                "cap_identifier": cap.identifier,
                "cap_sender": cap.sender,
                "cap_sent": cap.sent.isoformat(),
                "zones": [z.pk for z in zones],
                "allow_outside": allow_outside,
                "warnings": report.warnings,
            },
        )
        report.alert, report.zones, report.created = alert, zones, 1

    import_write(report, write)
    return report
