"""What residents receive, as written in the composer: paragraphs as a browser submits them,
and the language of each message."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from beffroi.alerts.composer.selectors import email_previews, sms_summary
from beffroi.alerts.dispatch.services import alert_dispatch
from beffroi.alerts.models import Alert, AlertTranslation
from beffroi.alerts.tests.factories import (
    RunOnCommit,
    composer_form,
    gateways,
    make_address,
    make_alert,
    make_subscriber,
    make_zone,
    on_commit,
)
from beffroi.messaging.testing import SmscServer, SmtpServer
from beffroi.territory.models import Zone
from beffroi.testing import Cast

__all__ = ["gateways", "on_commit"]  # fixtures

pytestmark = pytest.mark.django_db

Gateways = tuple[SmtpServer, SmscServer]
SIGNED = "Madame, Monsieur,\r\n\r\nLa Vence déborde.\r\n\r\nCordialement,\r\n\r\nLa mairie"


@pytest.fixture
def zone(cast: Cast) -> Zone:
    place = make_address(cast.org, 4.005, 45.005)
    zone = make_zone(cast.org, "Le Bourg", 4.0, 45.0)
    make_subscriber(cast.org, place, email="marie@example.org", sms="+33612345678")
    make_subscriber(cast.org, place, email="john@example.org", sms="+33612345679", language="en")
    return zone


def _sent_mail(smtp: SmtpServer, address: str) -> str:
    mail = next(m.message for m in smtp.received if m.rcpt_tos[0] == address)
    return str(mail.get_content()).replace("\r\n", "\n")


def _sent_sms(smsc: SmscServer, number: str) -> str:
    return next(m.text for m in smsc.accepted if "+" + m.destination == number)


def test_a_form_submitted_by_a_browser_keeps_the_signature_last(
    client: Client, cast: Cast, zone: Zone, gateways: Gateways, on_commit: RunOnCommit
) -> None:
    """A browser submits textareas with "\\r\\n": the closing of the e-mail was never found,
    so the instructions and the link to the alert came after "La mairie" (the htmx preview
    sends "\\n" and looked right)."""
    smtp, _smsc = gateways
    client.force_login(cast.alert_author)
    response = client.post(
        reverse("alerts_backoffice:alert_new"),
        composer_form(zone, email_body=SIGNED, instruction="Montez à l'étage.\r\nRestez-y."),
    )
    assert response.status_code == 302
    alert = Alert.objects.get()
    assert "\r" not in alert.email_body + alert.instruction
    Alert.objects.filter(pk=alert.pk).update(status=Alert.Status.APPROVED)
    alert.refresh_from_db()
    with on_commit():
        alert_dispatch(alert=alert)

    text = _sent_mail(smtp, "marie@example.org")
    assert text.index("Montez à l'étage.\nRestez-y.") < text.index(f"/alertes/{alert.pk}/")
    assert text.index(f"/alertes/{alert.pk}/") < text.index("Cordialement,\n\nLa mairie")


def test_texts_stored_with_windows_line_breaks_are_sent_in_order(
    cast: Cast, zone: Zone, gateways: Gateways, on_commit: RunOnCommit
) -> None:
    """Alerts saved before the forms normalised line breaks (or through another way in)."""
    smtp, _smsc = gateways
    alert = make_alert(
        cast.org, cast.alert_author, zone, status=Alert.Status.APPROVED, email_body=SIGNED
    )
    with on_commit():
        alert_dispatch(alert=alert)

    text = _sent_mail(smtp, "marie@example.org")
    assert "\r" not in text
    assert text.index("Montez à l'étage.") < text.index("Cordialement,\n\nLa mairie")


def test_a_language_without_its_own_text_gets_the_whole_base_message(
    cast: Cast, zone: Zone, gateways: Gateways, on_commit: RunOnCommit
) -> None:
    """An English reader once got the French SMS with "To stop: reply STOP": now, without
    an English text for a channel, the whole message on it is the French one."""
    smtp, smsc = gateways
    alert = make_alert(cast.org, cast.alert_author, zone, status=Alert.Status.APPROVED)
    with on_commit():
        alert_dispatch(alert=alert)

    french_sms = _sent_sms(smsc, "+33612345678")
    assert _sent_sms(smsc, "+33612345679") == french_sms
    assert french_sms.endswith("\nPour ne plus recevoir : répondez STOP")
    english_mail = _sent_mail(smtp, "john@example.org")
    assert "Pour ne plus recevoir ces alertes" in english_mail
    assert "Suivez cette alerte" in english_mail
    assert "To stop" not in english_mail and "Follow this alert" not in english_mail


def test_each_channel_goes_out_in_the_language_it_has_a_text_in(
    cast: Cast, zone: Zone, gateways: Gateways, on_commit: RunOnCommit
) -> None:
    smtp, smsc = gateways
    alert = make_alert(
        cast.org, cast.alert_author, zone, status=Alert.Status.APPROVED, cap_status="Exercise"
    )
    AlertTranslation.objects.create(
        alert=alert, language="en", headline="Flood", sms_text="Flood: go upstairs."
    )
    with on_commit():
        alert_dispatch(alert=alert)

    assert _sent_sms(smsc, "+33612345679") == (
        "EXERCICE - Flood: go upstairs.\nTo stop: reply STOP"
    )
    # No English e-mail text (a headline is not a message): the French e-mail, whole.
    english_mail = _sent_mail(smtp, "john@example.org")
    assert english_mail == _sent_mail(smtp, "marie@example.org").replace(
        _token(smtp, "marie@example.org"), _token(smtp, "john@example.org")
    )
    assert "Ceci est un exercice" in english_mail


def _token(smtp: SmtpServer, address: str) -> str:
    return _sent_mail(smtp, address).rsplit("/desinscription/", 1)[1].split("/", 1)[0]


def test_the_previews_and_the_cost_show_the_versions_that_go_out(
    cast: Cast, zone: Zone, settings: Any
) -> None:
    settings.SMS_UNIT_PRICE_EUR = 0.045
    alert = make_alert(cast.org, cast.alert_author, zone)
    summary = sms_summary(alert=alert, budget=2, recipients={"fr": 3, "en": 1})
    # One version, the French one, for the 4 recipients: the English ones get it too.
    assert [(v.language, v.recipients) for v in summary.versions] == [("fr", 4)]
    assert summary.versions[0].text.endswith("répondez STOP")
    assert "chose English" in " ".join(summary.versions[0].also)
    emails = email_previews(alert=alert)
    assert [v.language for v in emails] == ["fr"]
    assert "chose English" in " ".join(emails[0].also)

    AlertTranslation.objects.create(
        alert=alert, language="en", headline="Flood", email_body="The Vence is flooding."
    )
    alert = Alert.objects.prefetch_related("translations").get(pk=alert.pk)
    summary = sms_summary(alert=alert, budget=2, recipients={"fr": 3, "en": 1})
    assert [(v.language, v.recipients) for v in summary.versions] == [("fr", 4)]
    emails = email_previews(alert=alert)
    assert [v.language for v in emails] == ["fr", "en"]
    assert emails[1].mail.text.startswith("The Vence is flooding.")
    assert "To stop receiving these alerts" in emails[1].mail.text
    assert not emails[0].also
