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


def test_the_report_and_the_live_view_read_as_french_is_written(client: Client, cast: Cast) -> None:
    """The sending report once read "Durée de la diffusion 0:00:01.334158", "Consignes:",
    "Type : Alerte réelle — Alerte", "Dernière erreur : aucun" and "Plan communal de
    sauvegarde de Commune de Valmont"."""
    from datetime import timedelta

    from beffroi.alerts.models import AlertTranslation

    alert = make_alert(cast.org, cast.alert_author, status=S.SENT, sms_text="Crue, montez.")
    Alert.objects.filter(pk=alert.pk).update(
        finished_at=alert.approved_at + timedelta(minutes=2, seconds=5, microseconds=334158)
    )
    AlertTranslation.objects.create(
        alert=alert, language="en", headline="Flood", sms_text="Flood, go upstairs."
    )
    login_verified(client, cast.administrator)
    report = _visible(_french(client, f"/backoffice/alertes/envoi/{alert.pk}/rapport/"))
    assert "Durée de la diffusion 2 min 5 s" in report
    assert "Pour la main courante du Plan communal de sauvegarde — Commune de Valmont." in report
    assert "de Commune de" not in report
    assert "Type Alerte réelle Risque" in report  # no "— Alerte" for a first message
    for label in ("Consignes :", "SMS :", "E-mail :", "English :"):
        assert label in report, label
    # No colon glued to a word (times such as 10:05 aside).
    glued = re.search(r".{0,30}[^\W\d]:", report.replace("https:", ""))
    assert glued is None, glued

    update = make_alert(cast.org, cast.alert_author, status=S.SENT, msg_type="Update")
    assert "Type Alerte réelle — Mise à jour" in _visible(
        _french(client, f"/backoffice/alertes/envoi/{update.pk}/rapport/")
    )
    from beffroi.alerts.models import Delivery

    Delivery.objects.create(alert=alert, channel="sms", target="+33612345678", status="sent")
    live = _visible(_french(client, f"/backoffice/alertes/envoi/{alert.pk}/"))
    assert "aucune" in live and "aucun " not in live


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0.4, "0 s"), (1.334158, "1 s"), (125, "2 min 5 s"), (120, "2 min"), (3780, "1 h 3 min")],
)
def test_a_duration_reads_in_words(seconds: float, expected: str) -> None:
    from datetime import timedelta

    from beffroi.alerts.dispatch.selectors import duration_label

    with translation.override("fr"):
        assert duration_label(timedelta(seconds=seconds)) == expected


def test_the_back_office_shows_the_end_residents_read(client: Client, cast: Cast) -> None:
    """The back office said "Fin : non définie" while the public page showed the default
    end, a day after sending."""
    from django.utils import formats, timezone

    from beffroi.alerts.public.selectors import message_end

    sent = make_alert(cast.org, cast.alert_author, status=S.SENT, lasts=None)
    end = message_end(sent)
    assert end is not None
    login_verified(client, cast.administrator)
    page = _visible(_french(client, reverse("alerts_backoffice:alert_detail", args=[sent.pk])))
    with translation.override("fr"):
        shown = formats.date_format(timezone.localtime(end), "DATETIME_FORMAT")
    assert f"Fin {shown} (par défaut, 24 heures après l'envoi : aucune fin n'a été fixée)" in page
    assert "non définie" not in page
    draft = make_alert(cast.org, cast.alert_author, lasts=None)
    page = _visible(_french(client, reverse("alerts_backoffice:alert_detail", args=[draft.pk])))
    assert "Fin 24 heures après l'envoi, par défaut (aucune fin fixée)" in page
