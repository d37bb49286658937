"""Alert → CAP 1.2: every document validates, lat,lon order, offsets, references, areas."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from lxml import etree

from beffroi.alerts.models import Alert, AlertTranslation, Topic
from beffroi.alerts.public.cap import NS, cap_parse, cap_validate
from beffroi.alerts.public.services import (
    MAX_RING_POINTS,
    alert_cap_xml,
    circle_polygon,
)
from beffroi.alerts.tests.factories import give_territory, make_alert, make_zone
from beffroi.testing import Cast

BASE = "https://valmont.example"
Q = f"{{{NS}}}"


def in_paris(moment: datetime) -> str:
    """A CAP time: to the second, with the offset of Europe/Paris on that day."""
    return moment.astimezone(ZoneInfo("Europe/Paris")).isoformat(timespec="seconds")


def _doc(alert: Alert) -> etree._Element:
    document = alert_cap_xml(alert, base_url=BASE)
    assert cap_validate(document) == []
    return etree.fromstring(document)


def test_it_writes_a_valid_document_with_lat_lon_polygons_and_offsets(cast: Cast) -> None:
    zone = make_zone(cast.org)
    alert = make_alert(
        cast.org,
        cast.alert_author,
        zone,
        status=Alert.Status.SENT,
        headline="Crue de l'Aulne",
        severity=Alert.Severity.SEVERE,
    )
    root = _doc(alert)
    assert root.findtext(Q + "identifier") == alert.identifier
    assert root.findtext(Q + "sender") == "mairie@valmont.example"
    assert root.findtext(Q + "status") == "Actual"
    assert root.findtext(Q + "msgType") == "Alert"
    assert root.findtext(Q + "scope") == "Public"
    assert re.fullmatch(r".+T\d\d:\d\d:\d\d[+-]\d\d:\d\d", root.findtext(Q + "sent") or "")
    assert alert.sent_at is not None and alert.expires is not None
    assert root.findtext(Q + "sent") == in_paris(alert.sent_at)
    info = root.find(Q + "info")
    assert info is not None
    assert info.findtext(Q + "language") == "fr-FR"
    with translation.override("fr"):
        assert info.findtext(Q + "event") == str(Topic.FLOOD.label)  # in the info's language
    assert info.findtext(Q + "severity") == "Severe"
    assert info.findtext(Q + "headline") == "Crue de l'Aulne"
    assert info.findtext(Q + "web") == f"{BASE}/alertes/{alert.pk}/"
    assert info.findtext(Q + "expires") == in_paris(alert.expires)
    area = info.find(Q + "area")
    assert area is not None
    assert area.findtext(Q + "areaDesc") == "Hameau du Pré"
    polygon = (area.findtext(Q + "polygon") or "").split()
    # GeoJSON (lon 3.99, lat 44.99) becomes CAP "lat,lon".
    assert polygon[0] == "44.99,3.99"
    assert polygon[0] == polygon[-1]
    assert all(float(p.split(",")[0]) > 44 for p in polygon)


def test_it_writes_one_info_per_language(cast: Cast) -> None:
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENT)
    AlertTranslation.objects.create(
        alert=alert, language="en", headline="Aulne flood", instruction="Go upstairs."
    )
    infos = _doc(alert).findall(Q + "info")
    assert [i.findtext(Q + "language") for i in infos] == ["fr-FR", "en-GB"]
    assert infos[1].findtext(Q + "headline") == "Aulne flood"
    assert infos[1].findtext(Q + "instruction") == "Go upstairs."


def test_it_references_the_original_in_an_update_and_a_cancel(cast: Cast) -> None:
    original = make_alert(
        cast.org, cast.alert_author, status=Alert.Status.SENT, sent_ago=timedelta(hours=5)
    )
    update = make_alert(
        cast.org,
        cast.alert_author,
        status=Alert.Status.SENT,
        sent_ago=timedelta(hours=3),
        msg_type=Alert.MsgType.UPDATE,
        references=original,
    )
    cancel = make_alert(
        cast.org,
        cast.alert_author,
        status=Alert.Status.SENT,
        sent_ago=timedelta(hours=1),
        msg_type=Alert.MsgType.CANCEL,
        references=original,
    )
    sent = _doc(original).findtext(Q + "sent")
    expected = f"mairie@valmont.example,{original.identifier},{sent}"
    assert _doc(update).findtext(Q + "references") == expected
    assert _doc(update).findtext(Q + "msgType") == "Update"
    references = (_doc(cancel).findtext(Q + "references") or "").split()
    assert references[0] == expected
    assert references[1].split(",")[1] == update.identifier
    assert _doc(cancel).findtext(Q + "msgType") == "Cancel"
    assert _doc(original).find(Q + "references") is None


def test_it_writes_communes_insee_codes_and_boundary_for_the_whole_territory(cast: Cast) -> None:
    give_territory(cast.org)
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENT, whole_territory=True)
    area = _doc(alert).find(f"{Q}info/{Q}area")
    assert area is not None
    assert area.findtext(Q + "areaDesc") == "Valmont"
    geocode = area.find(Q + "geocode")
    assert geocode is not None
    assert (geocode.findtext(Q + "valueName"), geocode.findtext(Q + "value")) == ("INSEE", "99001")
    assert (area.findtext(Q + "polygon") or "").startswith("44.95,3.95 ")


def test_it_writes_a_drawn_circle_as_a_cap_circle(cast: Cast) -> None:
    ring = [[x, y] for x, y in circle_polygon(45.0, 4.0, 0.5).exterior.coords]
    zone = make_zone(
        cast.org, "Cercle", kind="custom", geometry={"type": "Polygon", "coordinates": [ring]}
    )
    alert = make_alert(cast.org, cast.alert_author, zone, status=Alert.Status.SENT)
    area = _doc(alert).find(f"{Q}info/{Q}area")
    assert area is not None
    assert area.find(Q + "polygon") is None
    centre, radius = (area.findtext(Q + "circle") or "").split()
    lat, lon = (float(v) for v in centre.split(","))
    assert math.isclose(lat, 45.0, abs_tol=0.001) and math.isclose(lon, 4.0, abs_tol=0.001)
    assert math.isclose(float(radius), 0.5, rel_tol=0.02)


def test_it_simplifies_rings_with_too_many_points(cast: Cast) -> None:
    # A 2,000-point wavy outline: a commune boundary from an official file.
    points = []
    for i in range(2000):
        angle = 2 * math.pi * i / 2000
        radius = 0.02 + 0.001 * math.sin(40 * angle)
        points.append([4.0 + radius * math.cos(angle), 45.0 + radius * math.sin(angle)])
    points.append(points[0])
    zone = make_zone(cast.org, "Contour", geometry={"type": "Polygon", "coordinates": [points]})
    alert = make_alert(cast.org, cast.alert_author, zone, status=Alert.Status.SENT)
    polygon = (_doc(alert).findtext(f"{Q}info/{Q}area/{Q}polygon") or "").split()
    assert 4 <= len(polygon) <= MAX_RING_POINTS
    assert polygon[0] == polygon[-1]


def test_it_marks_exercises_and_unsent_drafts(cast: Cast) -> None:
    exercise = make_alert(
        cast.org, cast.alert_author, status=Alert.Status.SENT, cap_status=Alert.CapStatus.EXERCISE
    )
    root = _doc(exercise)
    assert root.findtext(Q + "status") == "Exercise"
    assert "EXERCISE" in (root.findtext(Q + "note") or "")
    draft = make_alert(cast.org, cast.alert_author, status=Alert.Status.DRAFT)
    assert _doc(draft).findtext(Q + "status") == "Draft"


@pytest.mark.parametrize("whole", [True, False])
def test_it_round_trips_through_the_parser(cast: Cast, whole: bool) -> None:
    zones = [] if whole else [make_zone(cast.org)]
    alert = make_alert(
        cast.org, cast.alert_author, *zones, status=Alert.Status.SENT, whole_territory=whole
    )
    parsed = cap_parse(alert_cap_xml(alert, base_url=BASE))
    assert parsed.identifier == alert.identifier
    assert parsed.infos[0].headline == alert.headline


def test_it_prints_an_alert_with_cap_export(cast: Cast) -> None:
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENT)
    out = StringIO()
    call_command("cap_export", str(alert.pk), stdout=out)
    assert cap_validate(out.getvalue().encode()) == []
    assert f"<identifier>{alert.identifier}</identifier>" in out.getvalue()
    assert "<web>https://testserver/alertes/" in out.getvalue()


def test_it_refuses_to_export_an_unknown_or_foreign_alert(cast: Cast) -> None:
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENT)
    with pytest.raises(CommandError, match="No alert number 999999"):
        call_command("cap_export", "999999", stdout=StringIO())
    with pytest.raises(CommandError, match=f"No alert number {alert.pk} in the organisation"):
        call_command("cap_export", str(alert.pk), "--organisation", "autreville", stdout=StringIO())
    with pytest.raises(CommandError, match="No organisation with the slug"):
        call_command("cap_export", str(alert.pk), "--organisation", "nowhere", stdout=StringIO())
