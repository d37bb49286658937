"""The demo commune's alert history: real content for the public page, feeds and API."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from lxml import etree

from beffroi.alerts.models import Alert, AlertTransition, Delivery, Subscriber
from beffroi.alerts.public.cap import NS, cap_validate
from beffroi.alerts.public.services import alert_cap_xml
from beffroi.demo.loader import demo_load

Q = f"{{{NS}}}"


@pytest.mark.django_db
def test_it_gives_the_demo_a_history_whose_cap_documents_all_validate(
    tmp_path: Path, client: Client
) -> None:
    report = demo_load(directory=tmp_path)
    organisation = report.organisation
    alerts = list(Alert.objects.filter(organisation=organisation).order_by("sent_at"))
    assert len(alerts) == 9
    assert Subscriber.objects.filter(organisation=organisation).count() > 150
    kinds = {(a.msg_type, a.cap_status) for a in alerts}
    assert ("Update", "Actual") in kinds and ("Cancel", "Actual") in kinds
    assert ("Alert", "Exercise") in kinds
    circles = 0
    for alert in alerts:
        document = alert_cap_xml(alert, base_url="http://localhost")
        assert cap_validate(document) == [], alert.headline
        root = etree.fromstring(document)
        assert alert.sent_at is not None
        paris = alert.sent_at.astimezone(ZoneInfo("Europe/Paris"))
        assert root.findtext(Q + "sent") == paris.isoformat(timespec="seconds")
        for polygon in root.iter(Q + "polygon"):
            lat, lon = (float(v) for v in (polygon.text or "").split()[0].split(","))
            assert 48 < lat < 49 and 5 < lon < 6  # lat,lon: the commune is at 48.5 N, 5.5 E
        circles += len(list(root.iter(Q + "circle")))
        if alert.msg_type != "Alert":
            assert alert.references is not None
            assert alert.references.identifier in (root.findtext(Q + "references") or "")
        assert AlertTransition.objects.filter(alert=alert).count() == 5
        deliveries = Delivery.objects.filter(alert=alert)
        assert deliveries.exists()
        statuses = set(deliveries.values_list("status", flat=True))
        assert "delivered" in statuses
    assert circles == 1  # the storm's circle drawn on the map
    assert Delivery.objects.filter(status="failed", permanent_failure=True).exists()

    page = client.get("/alertes/", HTTP_HOST="localhost").content.decode()
    current_part, past_part = page.split('id="past-heading"')
    assert "Épisode de pollution à l&#x27;ozone" in current_part
    # The flood's thread ended with a cancellation: in the past, and said to be cancelled.
    assert "Fin de l&#x27;alerte crue" in past_part
    assert "Cancelled" in past_part
    home = client.get("/", HTTP_HOST="localhost").content.decode()
    assert 'class="alert-banner"' in home
    feed = etree.fromstring(client.get("/alertes/flux.atom", HTTP_HOST="localhost").content)
    assert len(feed.findall("{http://www.w3.org/2005/Atom}entry")) == 9

    # A reset removes the history (updates protect their originals) and builds it again.
    demo_load(reset=True, directory=tmp_path / "again")
    assert Alert.objects.count() == 9
