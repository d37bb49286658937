"""CAP 1.2 message → draft alert: spec examples, territory check, invalid documents."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from beffroi.alerts.models import Alert, AlertTransition
from beffroi.alerts.public.services import CapImportReport, cap_import, cap_topic
from beffroi.alerts.tests.factories import give_territory
from beffroi.core.imports import ImportRefused
from beffroi.core.models import AuditEvent
from beffroi.territory.models import Zone
from beffroi.testing import Cast, login_verified

DATA = Path(__file__).parent / "data"
EXAMPLES = sorted(DATA.glob("cap12-*.xml"))
# The message ends next year: the composer keeps no draft ending in the past.
EXPIRES_YEAR = timezone.now().year + 1

INSIDE = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>FR-55-2026-0042</identifier>
  <sender>pref-crise@meuse.gouv.fr</sender>
  <sent>2026-11-26T06:00:00+01:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>fr-FR</language>
    <category>Met</category>
    <event>Vigilance crues</event>
    <urgency>Expected</urgency>
    <severity>Moderate</severity>
    <certainty>Likely</certainty>
    <expires>EXPIRES_YEAR-11-27T18:00:00+01:00</expires>
    <senderName>Préfecture de la Meuse</senderName>
    <headline>Vigilance orange crues sur l'Aulne</headline>
    <description>Montée des eaux
        attendue.</description>
    <instruction>Éloignez-vous des berges.</instruction>
    <area>
      <areaDesc>Vallée de l'Aulne</areaDesc>
      <polygon>44.96,3.96 44.96,3.98 44.98,3.98 44.98,3.96 44.96,3.96</polygon>
      <circle>45.02,4.02 1.5</circle>
    </area>
  </info>
  <info>
    <language>en-GB</language>
    <category>Met</category>
    <event>Flood watch</event>
    <urgency>Expected</urgency>
    <severity>Moderate</severity>
    <certainty>Likely</certainty>
    <headline>Orange flood watch on the Aulne</headline>
    <area><areaDesc>Aulne valley</areaDesc></area>
  </info>
</alert>
""".replace("EXPIRES_YEAR", str(EXPIRES_YEAR)).encode()


def test_it_imports_a_message_inside_the_territory_as_a_draft(cast: Cast) -> None:
    give_territory(cast.org)
    result = cap_import(organisation=cast.org, document=INSIDE, author=cast.alert_author)
    alert = Alert.objects.get(pk=result.alert.pk)
    assert alert.status == Alert.Status.DRAFT
    assert alert.organisation == cast.org
    assert (alert.topic, alert.category) == ("flood", "Met")
    assert (alert.urgency, alert.severity, alert.certainty) == ("Expected", "Moderate", "Likely")
    assert alert.headline == "Vigilance orange crues sur l'Aulne"
    assert alert.description == "Montée des eaux attendue."
    assert alert.instruction == "Éloignez-vous des berges."
    assert alert.expires is not None
    assert alert.expires.isoformat() == f"{EXPIRES_YEAR}-11-27T17:00:00+00:00"
    assert alert.created_by == cast.alert_author
    assert alert.translations.get().headline == "Orange flood watch on the Aulne"
    zone = alert.zones.get()
    assert zone.kind == Zone.Kind.CUSTOM and zone.name == "Vallée de l'Aulne"
    assert zone.geometry["type"] == "MultiPolygon"  # the polygon and the circle, apart
    assert 3.95 < zone.min_lon < 3.97 and 44.95 < zone.min_lat < 44.97
    assert not alert.whole_territory
    transition = AlertTransition.objects.get(alert=alert)
    assert transition.to_status == "draft" and "FR-55-2026-0042" in transition.reason
    assert AuditEvent.objects.filter(action="alert.cap_import", target_id=str(alert.pk)).exists()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_it_refuses_the_spec_examples_outside_the_territory(cast: Cast, path: Path) -> None:
    give_territory(cast.org)
    with pytest.raises(ImportRefused) as caught:
        cap_import(organisation=cast.org, document=path.read_bytes(), author=cast.alert_author)
    report = caught.value.report
    assert isinstance(report, CapImportReport) and report.outside
    assert any("<area>" in message for message in caught.value.messages)
    assert not Alert.objects.exists()
    assert not Zone.objects.exists()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_it_imports_the_spec_examples_with_allow_outside(cast: Cast, path: Path) -> None:
    give_territory(cast.org)
    out, err = StringIO(), StringIO()
    call_command("cap_import", str(path), "--allow-outside", stdout=out, stderr=err)
    alert = Alert.objects.get(pk=int(out.getvalue().strip()))
    assert alert.status == Alert.Status.DRAFT
    assert alert.organisation == cast.org
    assert alert.headline
    assert alert.created_by == cast.alert_author  # the first alert author by default


def test_it_creates_the_draft_through_the_composer(cast: Cast) -> None:
    give_territory(cast.org)
    alert = cap_import(organisation=cast.org, document=INSIDE, author=cast.alert_author).alert
    assert alert is not None
    # alert_create's trail: its audit event and an identifier of this installation.
    assert AuditEvent.objects.filter(action="alert.create", target_id=str(alert.pk)).exists()
    assert alert.identifier.startswith(f"beffroi-{cast.org.slug}-")


def test_it_refuses_a_draft_the_composer_refuses(cast: Cast) -> None:
    give_territory(cast.org)
    onset_after_end = INSIDE.replace(
        b"<expires>",
        f"<onset>{EXPIRES_YEAR}-11-28T06:00:00+01:00</onset>\n    <expires>".encode(),
        1,
    )
    with pytest.raises(ImportRefused) as caught:
        cap_import(organisation=cast.org, document=onset_after_end, author=cast.alert_author)
    assert caught.value.messages == ["The end must come after the start."]
    assert caught.value.report.written is False
    assert not Alert.objects.exists() and not Zone.objects.exists()


def test_it_drops_an_end_date_already_past(cast: Cast) -> None:
    give_territory(cast.org)
    expired = INSIDE.replace(f"<expires>{EXPIRES_YEAR}-".encode(), b"<expires>2020-", 1)
    result = cap_import(organisation=cast.org, document=expired, author=cast.alert_author)
    assert result.alert is not None and result.alert.expires is None
    assert any("expired on 2020-11-27T18:00+01:00" in w for w in result.warnings)


def test_it_gives_a_long_headline_the_sms_budget_it_needs(cast: Cast) -> None:
    give_territory(cast.org)
    long = INSIDE.replace(
        b"<headline>Vigilance orange crues sur l'Aulne</headline>",
        ("<headline>" + "ê" * 160 + "</headline>").encode(),
        1,
    )
    alert = cap_import(organisation=cast.org, document=long, author=cast.alert_author).alert
    assert alert is not None
    # 160 UCS-2 characters and the STOP mention need three parts; the default budget is two.
    assert alert.sms_text == "ê" * 160 and alert.sms_budget_segments == 3


def test_it_maps_the_examples_fields(cast: Cast) -> None:
    give_territory(cast.org)
    storm = cap_import(
        organisation=cast.org,
        document=(DATA / "cap12-A2-severe-thunderstorm.xml").read_bytes(),
        author=cast.alert_author,
        allow_outside=True,
    ).alert
    assert (storm.topic, storm.category, storm.severity) == ("storm", "Met", "Severe")
    assert storm.instruction == "TAKE COVER IN A SUBSTANTIAL SHELTER UNTIL THE STORM PASSES."
    zone = storm.zones.get()
    # CAP "38.47,-120.14" is lat,lon: the zone (GeoJSON lon,lat) lies at longitude -120.
    assert -120.2 < zone.min_lon < -120.1 and 38.3 < zone.min_lat < 38.4
    quake = cap_import(
        organisation=cast.org,
        document=(DATA / "cap12-A3-earthquake-update.xml").read_bytes(),
        author=cast.alert_author,
        allow_outside=True,
    )
    # An update of a message never imported here becomes a new alert, with a warning.
    assert quake.alert.msg_type == Alert.MsgType.ALERT and quake.warnings
    assert quake.zones[0].area_m2 > 0  # a radius-0 circle still becomes an area
    advisory = cap_import(
        organisation=cast.org,
        document=(DATA / "cap12-A1-homeland-security.xml").read_bytes(),
        author=cast.alert_author,
        allow_outside=True,
    )
    assert advisory.zones == [] and advisory.warnings  # no geometry: the author picks zones


def test_it_refuses_on_the_command_line_naming_the_area(cast: Cast) -> None:
    give_territory(cast.org)
    path = DATA / "cap12-A2-severe-thunderstorm.xml"
    with pytest.raises(CommandError) as caught:
        call_command("cap_import", str(path), stdout=StringIO())
    message = str(caught.value)
    assert "lies outside the territory (Commune de Valmont)" in message
    assert "--allow-outside" in message
    assert not Alert.objects.exists()


@pytest.mark.parametrize(
    ("document", "fault"),
    [
        (b"<alert>not closed", "not well-formed XML"),
        (b"<feed xmlns='http://www.w3.org/2005/Atom'/>", "is not a CAP 1.2 <alert>"),
        (
            INSIDE.replace(b"<severity>Moderate</severity>", b"<severity>Big</severity>", 1),
            "element <severity>",
        ),
        (INSIDE.replace(b"<sender>pref-crise@meuse.gouv.fr</sender>", b"", 1), "( sender )"),
        (
            INSIDE.replace(b"44.96,3.96 44.96,3.98", b"44.96;3.96 44.96,3.98", 1),
            "element <polygon>",
        ),
    ],
    ids=["xml", "root", "severity", "sender", "polygon"],
)
def test_it_refuses_invalid_cap_naming_the_element(
    cast: Cast, tmp_path: Path, document: bytes, fault: str
) -> None:
    give_territory(cast.org)
    with pytest.raises(ImportRefused) as caught:
        cap_import(organisation=cast.org, document=document, author=cast.alert_author)
    assert any(fault in message for message in caught.value.messages)
    path = tmp_path / "bad.xml"
    path.write_bytes(document)
    with pytest.raises(CommandError, match="not imported"):
        call_command("cap_import", str(path), "--allow-outside", stdout=StringIO())
    assert not Alert.objects.exists() and not Zone.objects.exists()


def test_it_refuses_an_unknown_author_or_file(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "ok.xml"
    path.write_bytes(INSIDE)
    with pytest.raises(CommandError, match="neither an alert author"):
        call_command("cap_import", str(path), "--author", cast.resident.email, stdout=StringIO())
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("cap_import", str(tmp_path / "missing.xml"), stdout=StringIO())
    assert not Alert.objects.exists()


def test_it_uses_the_zones_bounding_box_without_commune_boundaries(cast: Cast) -> None:
    from beffroi.alerts.tests.factories import make_zone

    make_zone(cast.org, geometry={"type": "Polygon", "coordinates": [
        [[3.9, 44.9], [4.1, 44.9], [4.1, 45.1], [3.9, 45.1], [3.9, 44.9]]]})  # fmt: skip
    result = cap_import(organisation=cast.org, document=INSIDE, author=cast.alert_author)
    assert result.alert.zones.count() == 1
    other = INSIDE.replace(b"44.96,3.96 44.96,3.98 44.98,3.98 44.98,3.96 44.96,3.96",
                           b"48.0,2.0 48.0,2.1 48.1,2.1 48.1,2.0 48.0,2.0").replace(
        b"<circle>45.02,4.02 1.5</circle>", b"")  # fmt: skip
    with pytest.raises(ImportRefused):
        cap_import(organisation=cast.org, document=other, author=cast.alert_author)


def test_it_maps_events_to_topics() -> None:
    assert cap_topic("Vigilance canicule", ["Met"]) == "heat"
    assert cap_topic("Épisode de pollution à l'ozone", ["Env"]) == "pollution"
    assert cap_topic("Earthquake", ["Geo"]) == "public_events"
    assert cap_topic("Something", ["Transport"]) == "roads"


def test_it_imports_from_the_back_office_page(cast: Cast, client: Client) -> None:
    give_territory(cast.org)
    login_verified(client, cast.alert_author)
    url = "/backoffice/alertes/import-cap/"
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile("cap.xml", INSIDE, content_type="application/cap+xml")
    response = client.post(url, {"document": upload})
    assert response.status_code == 200
    alert = Alert.objects.get()
    assert f"Draft alert no. {alert.pk} created" in response.content.decode()
    outside = SimpleUploadedFile(
        "storm.xml", (DATA / "cap12-A2-severe-thunderstorm.xml").read_bytes()
    )
    response = client.post(url, {"document": outside})
    body = response.content.decode()
    assert "There is a problem with the form" in body
    assert "lies outside the territory" in body
    assert Alert.objects.count() == 1


def test_it_keeps_the_import_page_from_other_roles(cast: Cast, client: Client) -> None:
    login_verified(client, cast.social_agent)
    assert client.get("/backoffice/alertes/import-cap/").status_code == 403
    client.logout()
    response = client.get("/backoffice/alertes/import-cap/")
    assert response.status_code == 302


def test_it_refuses_an_oversized_upload_in_the_back_office_with_a_message(
    cast: Cast, client: Client, settings: object
) -> None:
    # Past both CAP's 5 MB and the server's body limit: the page answers, nothing is written.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024  # type: ignore[attr-defined]
    login_verified(client, cast.alert_author)
    huge = b"<alert>" + b" " * (5 * 1024 * 1024 + 1) + b"</alert>"
    upload = SimpleUploadedFile("cap.xml", huge, content_type="application/cap+xml")
    response = client.post("/backoffice/alertes/import-cap/", {"document": upload})
    assert response.status_code == 200
    assert "The file is larger than 5 MB." in response.content.decode()
    assert not Alert.objects.exists()
