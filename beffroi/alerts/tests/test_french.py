"""The alerts' pages in French: every status by its French name (no English word, no code,
no broken elision such as "d'validation"), and every count through its plural forms."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import translation

from beffroi.alerts.composer.selectors import sms_summary
from beffroi.alerts.models import Alert, AlertTransition, VulnerablePerson
from beffroi.alerts.tests.factories import make_address, make_alert, make_zone
from beffroi.testing import Cast, login_verified

pytestmark = pytest.mark.django_db

S = Alert.Status
# A letter after an elided article or preposition must be a vowel or an h: "d'validation"
# is a word put into a sentence that was not written for it.
BAD_ELISION = re.compile(r"\b[dlDL][’']\s*[bcdfgjklmnpqrstvwxzç]")


def _labels(language: str) -> dict[str, str]:
    with translation.override(language):
        return {status.value: str(status.label) for status in S}


def _french(client: Client, url: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.get(url)
    assert response.status_code == 200, url
    return html_lib.unescape(response.content.decode())


def _visible(page: str) -> str:
    """The page's text without its markup, scripts and attributes."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def _assert_french(text: str) -> None:
    english, french = _labels("en"), _labels("fr")
    for value in S.values:
        if english[value] != french[value]:
            assert english[value] not in text, english[value]
    assert not BAD_ELISION.search(text), BAD_ELISION.search(text)


def _alert_with_history(cast: Cast, status: str) -> Alert:
    alert = make_alert(cast.org, cast.alert_author, status=status)
    AlertTransition.objects.create(alert=alert, from_status="", to_status=S.DRAFT)
    if status != S.DRAFT:
        AlertTransition.objects.create(alert=alert, from_status=S.DRAFT, to_status=status)
    return alert


def test_every_status_reads_in_french_on_the_pages_and_in_the_histories(
    client: Client, cast: Cast
) -> None:
    french = _labels("fr")
    assert french[S.PENDING] == "En attente de validation"
    login_verified(client, cast.administrator)
    listing = _visible(_french(client, reverse("alerts_backoffice:alert_list")))
    for value in S.values:
        assert french[value] in listing
    _assert_french(listing)

    for status in S.values:
        alert = _alert_with_history(cast, status)
        page = _visible(_french(client, reverse("alerts_backoffice:alert_detail", args=[alert.pk])))
        _assert_french(page)
        assert f"— → {french[S.DRAFT]}" in page
        if status != S.DRAFT:
            assert f"{french[S.DRAFT]} → {french[status]}" in page
        assert not re.search(rf"→ {status}\b", page)  # never the code
        assert "Canaux E-mail, SMS" in page  # channels by their names, not "email, sms"
        if status in (S.APPROVED, S.SENDING, S.SENT, S.FAILED, S.CANCELLED):
            report = _visible(_french(client, f"/backoffice/alertes/envoi/{alert.pk}/rapport/"))
            _assert_french(report)
            assert f"{french[S.DRAFT]} → {french[status]}" in report


def test_the_start_on_approval_and_the_review_read_in_french(client: Client, cast: Cast) -> None:
    alert = _alert_with_history(cast, S.PENDING)
    login_verified(client, cast.alert_approver)
    for url in (
        reverse("alerts_backoffice:alert_detail", args=[alert.pk]),
        reverse("alerts_backoffice:alert_review", args=[alert.pk]),
    ):
        _assert_french(_visible(_french(client, url)))


@pytest.mark.parametrize(
    ("recipients", "expected"),
    [
        (0, "1 segment × 0 destinataire SMS"),
        (1, "1 segment × 1 destinataire SMS"),
        (2, "1 segment × 2 destinataires SMS"),
    ],
)
def test_the_sms_cost_counts_in_french(cast: Cast, recipients: int, expected: str) -> None:
    alert = make_alert(cast.org, cast.alert_author)
    summary = sms_summary(alert=alert, budget=1, recipients={"fr": recipients})
    with translation.override("fr"):
        html = html_lib.unescape(
            render_to_string("alerts/composer/_sms_info.html", {"sms": summary})
        )
    assert expected in html
    assert "1 segments" not in html


def test_the_sms_parts_count_in_french(cast: Cast) -> None:
    long = make_alert(cast.org, cast.alert_author, sms_text="Crue " * 40)
    summary = sms_summary(alert=long, budget=1, recipients={"fr": 2})
    with translation.override("fr"):
        html = html_lib.unescape(
            render_to_string("alerts/composer/_sms_info.html", {"sms": summary})
        )
    assert "2 segments × 2 destinataires SMS" in html
    assert "Budget dépassé : 2 segments pour un budget de 1 segment." in html


@pytest.mark.parametrize(
    ("persons", "expected"),
    [
        (0, "Aucune personne vulnérable inscrite n'habite dans la cible."),
        (1, "1 personne vulnérable inscrite habite dans la cible"),
        (2, "2 personnes vulnérables inscrites habitent dans la cible"),
    ],
)
def test_the_vulnerable_persons_count_in_french(
    client: Client, cast: Cast, persons: int, expected: str
) -> None:
    place = make_address(cast.org, 4.005, 45.005)
    zone = make_zone(cast.org, "Le Bourg", 4.0, 45.0)
    for i in range(persons):
        VulnerablePerson.objects.create(
            organisation=cast.org,
            last_name=f"Durand {i}",
            first_name="Jeanne",
            birth_date="1938-04-02",
            situation="elderly",
            address=place,
            requested_on="2025-01-01",
            last_confirmed_on="2025-01-01",
            consent_at="2025-01-01T10:00:00Z",
        )
    alert: Any = make_alert(
        cast.org, cast.alert_author, zone, status=S.SENDING, include_vulnerable=True
    )
    login_verified(client, cast.social_agent)
    page = _visible(_french(client, reverse("alerts_backoffice:alert_detail", args=[alert.pk])))
    assert expected in page
    live = _visible(_french(client, reverse("alerts_dispatch:live", args=[alert.pk])))
    assert ("Aucune personne" in live) == (persons == 0)
    assert "appelez-la" not in live or persons == 1
