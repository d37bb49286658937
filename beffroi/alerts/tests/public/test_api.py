"""Alerts API: public reads, CAP documents, delivery statistics and CAP import."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from beffroi.alerts.models import Alert, Delivery
from beffroi.alerts.public.cap import cap_validate
from beffroi.alerts.tests.factories import give_territory, make_alert
from beffroi.api.tests.factories import make_token
from beffroi.testing import Cast

DATA = Path(__file__).parent / "data"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_it_lists_public_alerts_with_filters(cast: Cast, client: Client) -> None:
    current = make_alert(
        cast.org,
        cast.alert_author,
        status=Alert.Status.SENT,
        headline="Crue",
        severity=Alert.Severity.SEVERE,
    )
    past = make_alert(
        cast.org,
        cast.alert_author,
        status=Alert.Status.SENT,
        sent_ago=timedelta(days=10),
        topic="heat",
        severity=Alert.Severity.MODERATE,
        cap_status=Alert.CapStatus.EXERCISE,
    )
    make_alert(cast.org, cast.alert_author, status=Alert.Status.SENT, is_public=False)
    make_alert(cast.org, cast.alert_author, status=Alert.Status.DRAFT)
    make_alert(cast.other_org, cast.other_admin, status=Alert.Status.SENT)
    response = client.get("/api/v1/alerts/")
    assert response.status_code == 200
    items = response.json()
    assert [i["id"] for i in items] == [current.pk, past.pk]
    first = items[0]
    assert first["in_force"] is True and first["headline"] == "Crue"
    assert first["topic_label"] == "Flood" and first["areas"] == ["Whole territory"]
    assert first["cap_url"] == f"https://testserver/alertes/{current.pk}/cap.xml"
    assert current.sent_at is not None
    assert first["sent_at"].endswith("Z")  # in UTC, to the millisecond
    milliseconds = current.sent_at.microsecond // 1000 * 1000
    assert datetime.fromisoformat(first["sent_at"]) == current.sent_at.replace(
        microsecond=milliseconds
    )

    def ids(query: str) -> list[int]:
        return [i["id"] for i in client.get(f"/api/v1/alerts/?{query}").json()]

    assert ids("state=current") == [current.pk]
    assert ids("state=past") == [past.pk]
    assert ids("topic=heat") == [past.pk]
    assert ids("severity=Severe") == [current.pk]
    assert ids("exercise=true") == [past.pk]
    assert ids("limit=1&offset=1") == [past.pk]


@pytest.mark.parametrize(
    "query",
    ["state=soon", "topic=volcano", "severity=Huge", "limit=0", "limit=99999", "offset=-1",
     "since=yesterday", "exercise=maybe"],
)  # fmt: skip
def test_it_answers_bad_filters_with_422(cast: Cast, client: Client, query: str) -> None:
    response = client.get(f"/api/v1/alerts/?{query}")
    assert response.status_code == 422
    assert response.json()["detail"] == "The request is invalid."


def test_it_gives_one_public_alert_and_its_cap(cast: Cast, client: Client) -> None:
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENT)
    private = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENT, is_public=False)
    foreign = make_alert(cast.other_org, cast.other_admin, status=Alert.Status.SENT)
    assert client.get(f"/api/v1/alerts/{alert.pk}").json()["identifier"] == alert.identifier
    cap = client.get(f"/api/v1/alerts/{alert.pk}/cap")
    assert cap.status_code == 200
    assert cap["Content-Type"].startswith("application/cap+xml")
    assert cap_validate(cap.content) == []
    for hidden in (private, foreign):
        assert client.get(f"/api/v1/alerts/{hidden.pk}").status_code == 404
        assert client.get(f"/api/v1/alerts/{hidden.pk}/cap").status_code == 404
    # An id beyond the database's integers is refused by the parameter's validation.
    assert client.get("/api/v1/alerts/99999999999999999999").status_code == 422


def _deliveries(alert: Alert) -> None:
    rows = [("email", "delivered")] * 3 + [("email", "failed"), ("sms", "sent"), ("sms", "pending")]
    Delivery.objects.bulk_create(
        Delivery(alert=alert, channel=channel, status=status, target=f"t{i}")
        for i, (channel, status) in enumerate(rows)
    )


def test_it_counts_deliveries_per_channel_and_status_for_agents(cast: Cast, client: Client) -> None:
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENT, is_public=False)
    _deliveries(alert)
    for agent in (cast.alert_author, cast.alert_approver, cast.administrator):
        response = client.get(
            f"/api/v1/alerts/{alert.pk}/deliveries/stats",
            headers=bearer(make_token(agent, cast.org)),
        )
        assert response.status_code == 200
        data = response.json()
        assert data["total"] == 6
        assert data["channels"]["email"] == {
            "pending": 0, "sending": 0, "sent": 0, "delivered": 3, "failed": 1, "total": 4,
        }  # fmt: skip
        assert data["channels"]["sms"]["sent"] == 1 and data["channels"]["sms"]["pending"] == 1


def test_it_keeps_delivery_statistics_from_others(cast: Cast, client: Client) -> None:
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENT)
    url = f"/api/v1/alerts/{alert.pk}/deliveries/stats"
    assert client.get(url).status_code == 401
    social = make_token(cast.social_agent, cast.org)
    assert client.get(url, headers=bearer(social)).status_code == 403
    # An agent of another organisation: their token does not work on this host.
    other = make_token(cast.other_admin, cast.other_org)
    assert client.get(url, headers=bearer(other)).status_code == 401
    assert (
        client.get(url, HTTP_HOST="autreville.localhost", headers=bearer(other)).status_code == 404
    )


def test_it_imports_cap_through_the_api(cast: Cast, client: Client) -> None:
    give_territory(cast.org)
    token = bearer(make_token(cast.alert_author, cast.org))
    document = (DATA / "cap12-A2-severe-thunderstorm.xml").read_bytes()
    url = "/api/v1/alerts/cap-import"
    refused = client.post(url, document, content_type="application/cap+xml", headers=token)
    assert refused.status_code == 422
    assert "lies outside the territory" in refused.json()["errors"][0]
    assert not Alert.objects.exists()
    created = client.post(
        f"{url}?allow_outside=true", document, content_type="application/cap+xml", headers=token
    )
    assert created.status_code == 201
    alert = Alert.objects.get(pk=created.json()["id"])
    assert alert.status == "draft" and alert.created_by == cast.alert_author
    assert created.json()["zones"] == [z.pk for z in alert.zones.all()]
    invalid = client.post(url, b"<alert>", content_type="application/xml", headers=token)
    assert invalid.status_code == 422
    assert "not well-formed XML" in invalid.json()["errors"][0]
    assert Alert.objects.count() == 1


def test_it_refuses_cap_import_without_the_author_role(cast: Cast, client: Client) -> None:
    url = "/api/v1/alerts/cap-import"
    document = (DATA / "cap12-A2-severe-thunderstorm.xml").read_bytes()
    assert client.post(url, document, content_type="application/xml").status_code == 401
    approver = bearer(make_token(cast.alert_approver, cast.org))
    response = client.post(url, document, content_type="application/xml", headers=approver)
    assert response.status_code == 403
    assert not Alert.objects.exists()


def test_it_answers_an_oversized_cap_import_with_413(
    cast: Cast, client: Client, settings: Any
) -> None:
    token = bearer(make_token(cast.alert_author, cast.org))
    url = "/api/v1/alerts/cap-import"
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    # Past the server's own body limit: Django refuses to read it at all.
    huge = b"<alert>" + b" " * (128 * 1024) + b"</alert>"
    response = client.post(url, huge, content_type="application/cap+xml", headers=token)
    assert response.status_code == 413
    assert response.json() == {"detail": "The request is too large."}
    assert not Alert.objects.exists()
