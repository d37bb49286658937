"""Public alerts page, detail, banner, Atom feed and CAP documents over HTTP."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from lxml import etree

from beffroi.alerts.models import Alert
from beffroi.alerts.public.cap import cap_validate
from beffroi.alerts.public.selectors import banner_cache_clear
from beffroi.alerts.tests.factories import make_alert, make_zone
from beffroi.testing import Cast

ATOM = "{http://www.w3.org/2005/Atom}"


def test_it_lists_current_and_past_alerts_with_severity_in_words(
    cast: Cast, client: Client
) -> None:
    zone = make_zone(cast.org)
    current = make_alert(
        cast.org,
        cast.alert_author,
        zone,
        status=Alert.Status.SENT,
        headline="Crue en cours",
        severity=Alert.Severity.SEVERE,
    )
    make_alert(
        cast.org,
        cast.alert_author,
        status=Alert.Status.SENT,
        sent_ago=timedelta(days=30),
        headline="Canicule de juillet",
        topic="heat",
        severity=Alert.Severity.MODERATE,
    )
    response = client.get("/alertes/")
    assert response.status_code == 200
    body = response.content.decode()
    current_part, past_part = body.split('id="past-heading"')
    assert "Crue en cours" in current_part and "Canicule de juillet" not in current_part
    assert "Canicule de juillet" in past_part
    assert "Severe danger" in current_part  # the severity in words, not only a colour
    assert 'class="alert-severity-icon" aria-hidden="true"' in current_part
    assert "Moderate danger" in past_part
    assert "Montez à l&#x27;étage." in current_part  # instructions of a current alert
    assert "Hameau du Pré" in current_part
    assert 'id="current-alerts-map"' in current_part
    assert f'href="/alertes/{current.pk}/"' in body
    assert "flux.atom" in body


def test_it_shows_a_cancelled_thread_as_cancelled(cast: Cast, client: Client) -> None:
    original = make_alert(
        cast.org, cast.alert_author, status=Alert.Status.SENT, sent_ago=timedelta(hours=3)
    )
    update = make_alert(
        cast.org,
        cast.alert_author,
        status=Alert.Status.SENT,
        sent_ago=timedelta(hours=2),
        msg_type=Alert.MsgType.UPDATE,
        references=original,
        headline="La crue s'aggrave",
    )
    make_alert(
        cast.org,
        cast.alert_author,
        status=Alert.Status.SENT,
        sent_ago=timedelta(hours=1),
        msg_type=Alert.MsgType.CANCEL,
        references=original,
        headline="Fin de l'alerte crue",
    )
    body = client.get("/alertes/").content.decode()
    current_part, past_part = body.split('id="past-heading"')
    assert "No alert is in force" in current_part
    assert "Fin de l&#x27;alerte crue" in past_part and "Cancelled" in past_part
    assert "2 follow-up messages" in past_part
    detail = client.get(f"/alertes/{update.pk}/").content.decode()
    assert "This alert has been cancelled." in detail
    assert detail.count('class="alert-thread-item') == 3
    assert 'aria-current="true"' in detail
    assert "La crue s&#x27;aggrave" in detail
    assert f'href="/alertes/{original.pk}/cap.xml"' in detail
    assert "alert-banner" not in detail


def test_it_shows_the_banner_on_every_page_while_an_alert_is_in_force(
    cast: Cast, client: Client
) -> None:
    assert "alert-banner" not in client.get("/").content.decode()
    alert = make_alert(
        cast.org,
        cast.alert_author,
        status=Alert.Status.SENT,
        headline="Coupure d'eau au Pré",
        severity=Alert.Severity.SEVERE,
    )
    banner_cache_clear(organisation=cast.org)
    for url in ("/", "/contact/", "/alertes/"):
        body = client.get(url).content.decode()
        assert 'class="alert-banner"' in body, url
        assert "Alert in force" in body
        assert f'href="/alertes/{alert.pk}/"' in body
        assert "Severe danger" in body
    # Another organisation's residents see nothing of it.
    other = client.get("/", HTTP_HOST="autreville.localhost").content.decode()
    assert "alert-banner" not in other


def test_it_hides_expired_private_and_unsent_alerts_from_the_banner(
    cast: Cast, client: Client
) -> None:
    make_alert(
        cast.org, cast.alert_author, status=Alert.Status.SENT, sent_ago=timedelta(days=2)
    )  # over
    make_alert(cast.org, cast.alert_author, status=Alert.Status.SENT, is_public=False)
    make_alert(cast.org, cast.alert_author, status=Alert.Status.DRAFT)  # a draft
    body = client.get("/").content.decode()
    assert "alert-banner" not in body
    listing = client.get("/alertes/").content.decode()
    assert listing.count('class="alert-card ') == 1  # only the expired public one, in the past


def test_it_marks_exercises(cast: Cast, client: Client) -> None:
    alert = make_alert(
        cast.org,
        cast.alert_author,
        status=Alert.Status.SENT,
        cap_status=Alert.CapStatus.EXERCISE,
        headline="Mise à l'abri",
    )
    banner_cache_clear(organisation=cast.org)
    body = client.get("/").content.decode()
    assert 'class="alert-exercise">EXERCISE' in body
    detail = client.get(f"/alertes/{alert.pk}/").content.decode()
    assert "This was an exercise" in detail


def test_it_refuses_private_unsent_and_foreign_alerts(cast: Cast, client: Client) -> None:
    private = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENT, is_public=False)
    draft = make_alert(cast.org, cast.alert_author, status=Alert.Status.DRAFT)
    foreign = make_alert(cast.other_org, cast.other_admin, status=Alert.Status.SENT)
    for alert in (private, draft, foreign):
        assert client.get(f"/alertes/{alert.pk}/").status_code == 404
        assert client.get(f"/alertes/{alert.pk}/cap.xml").status_code == 404


def test_it_serves_one_cap_document_per_alert(cast: Cast, client: Client) -> None:
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENT)
    response = client.get(f"/alertes/{alert.pk}/cap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/cap+xml")
    assert cap_validate(response.content) == []
    assert f"<identifier>{alert.identifier}</identifier>".encode() in response.content


def test_it_publishes_an_atom_feed_linking_valid_cap_documents(cast: Cast, client: Client) -> None:
    original = make_alert(
        cast.org, cast.alert_author, status=Alert.Status.SENT, sent_ago=timedelta(hours=2)
    )
    make_alert(
        cast.org,
        cast.alert_author,
        status=Alert.Status.SENT,
        msg_type=Alert.MsgType.UPDATE,
        references=original,
        headline="Mise à jour",
    )
    make_alert(cast.org, cast.alert_author, status=Alert.Status.SENT, is_public=False)
    make_alert(cast.other_org, cast.other_admin, status=Alert.Status.SENT)
    response = client.get("/alertes/flux.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = etree.fromstring(response.content)  # well-formed, or this raises
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id") == "https://testserver/alertes/flux.atom"
    assert feed.findtext(f"{ATOM}updated")
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    assert entries[0].findtext(f"{ATOM}title") == "Update — Mise à jour"
    for entry in entries:
        for tag in ("id", "title", "updated"):
            assert entry.findtext(f"{ATOM}{tag}")
        (link,) = [
            link
            for link in entry.findall(f"{ATOM}link")
            if link.get("type") == "application/cap+xml"
        ]
        assert link.get("rel") == "alternate"
        cap = client.get(link.get("href", "").removeprefix("https://testserver"))
        assert cap.status_code == 200
        assert cap_validate(cap.content) == []


def test_it_marks_an_exercise_once_in_the_atom_feed(cast: Cast, client: Client) -> None:
    for headline, cap_status, ago in (
        ("EXERCICE — Mise à l'abri autour du silo", Alert.CapStatus.EXERCISE, 1),
        ("Crue simulée", Alert.CapStatus.EXERCISE, 2),
        ("Essai des sirènes", Alert.CapStatus.TEST, 3),
    ):
        make_alert(
            cast.org,
            cast.alert_author,
            status=Alert.Status.SENT,
            sent_ago=timedelta(hours=ago),
            headline=headline,
            cap_status=cap_status,
        )
    feed = etree.fromstring(client.get("/alertes/flux.atom").content)
    titles = [entry.findtext(f"{ATOM}title") for entry in feed.findall(f"{ATOM}entry")]
    assert titles == [
        "EXERCICE — Mise à l'abri autour du silo",
        "EXERCICE - Crue simulée",
        "TEST - Essai des sirènes",
    ]
