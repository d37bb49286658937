"""The composer's preview: the SMS and e-mails exactly as dispatch sends them, and the cost
of the SMS for the audience of the target, in each language."""

from __future__ import annotations

import html as html_lib
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

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
from beffroi.testing import Cast, login_verified

__all__ = ["gateways", "on_commit"]  # fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture
def zone(cast: Cast) -> Zone:
    place = make_address(cast.org, 4.005, 45.005)
    zone = make_zone(cast.org, "Le Bourg", 4.0, 45.0)
    make_subscriber(cast.org, place, email="a@example.org", sms="+33612345678")
    make_subscriber(cast.org, place, sms="+33612345679", channels=("sms",))
    make_subscriber(cast.org, place, sms="+33612345670", channels=("sms",), language="en")
    return zone


def _text(response: Any) -> str:
    return html_lib.unescape(response.content.decode())


def test_it_prices_the_sms_of_each_language_for_the_ticked_target(
    client: Client, cast: Cast, zone: Zone
) -> None:
    client.force_login(cast.alert_author)
    response = client.post(
        reverse("alerts_backoffice:sms_preview"),
        composer_form(zone, sms_budget_segments="1"),
        HTTP_HX_REQUEST="true",
    )
    html = _text(response)
    assert response.status_code == 200
    # Each SMS as sent, STOP mention in its language, in a phone frame.
    assert (
        'class="phone-bubble">Crue: montez a l\'etage.\nPour ne plus recevoir : répondez STOP</p>'
        in html
    )
    assert 'class="phone-bubble">Flood: go upstairs.\nTo stop: reply STOP</p>' in html
    # Two French SMS recipients, one English: 1 part each at 0.045 €.
    assert "1 part × 2 SMS recipients × 0.045 € = 0.09 €" in html
    # 0.045 € is rounded half up to the cent, as an invoice is (it once read 0.04 €), and
    # the total is the sum of the lines shown.
    assert "1 part × 1 SMS recipient × 0.045 € = 0.05 €" in html
    assert "Total cost of the SMS: 0.14 € for 3 recipients" in html
    # The e-mail block comes along out of band.
    assert 'id="email-preview" hx-swap-oob="true"' in html
    assert "Subject" in html and "Alerte crue" in html


def test_the_form_reprices_when_the_target_changes(client: Client, cast: Cast) -> None:
    """The cost once read "1 part × 0 SMS recipients" while the audience showed 8 SMS: the
    counter was only refreshed by the SMS fields. The whole form now refreshes it."""
    client.force_login(cast.alert_author)
    html = _text(client.get(reverse("alerts_backoffice:alert_new")))
    form = html[html.index("<form method") : html.index(">", html.index("<form method"))]
    assert f'hx-post="{reverse("alerts_backoffice:sms_preview")}"' in form
    assert 'hx-trigger="input delay:500ms, change"' in form
    assert 'hx-target="#sms-info"' in form


def test_the_detail_page_shows_the_messages_exactly_as_they_were_sent(
    client: Client,
    cast: Cast,
    zone: Zone,
    gateways: tuple[SmtpServer, SmscServer],
    on_commit: RunOnCommit,
    settings: Any,
) -> None:
    settings.ALERT_EMAIL_FROM = "Beffroi <alertes@valmont.example>"
    smtp, smsc = gateways
    alert = make_alert(
        cast.org,
        cast.alert_author,
        zone,
        status=Alert.Status.APPROVED,
        is_public=True,
        email_body="Madame, Monsieur,\n\nLa Vence déborde.\n\nLa mairie",
    )
    AlertTranslation.objects.create(
        alert=alert, language="en", headline="Flood", sms_text="Flood: go upstairs."
    )
    with on_commit():
        alert_dispatch(alert=alert)
    sent_mail = smtp.received[0].message
    token = sent_mail.get_content().rsplit("/desinscription/", 1)[1].split("/", 1)[0]

    login_verified(client, cast.alert_author)
    html = _text(client.get(reverse("alerts_backoffice:alert_detail", args=[alert.pk])))

    assert f"<dd>{sent_mail['From']}</dd>" in html.replace("\n", "")
    assert f"<dd>{sent_mail['Subject']}</dd>" in html
    shown = sent_mail.get_content().replace("\r\n", "\n").replace(token, "…").rstrip("\n")
    assert f'<pre class="email-body">{shown}</pre>' in html
    for sms in {m.text for m in smsc.accepted}:
        assert f'<p class="phone-bubble">{sms}</p>' in html
    # The e-mail's order: instructions and the public page before the signature.
    assert shown.index("Montez à l'étage.") < shown.index(f"/alertes/{alert.pk}/")
    assert shown.index(f"/alertes/{alert.pk}/") < shown.index("La mairie")
    assert "Channels</dt><dd>E-mail, SMS</dd>" in html


def test_one_preview_refreshes_the_audience_and_the_texts_left_to_fill_in(
    client: Client, cast: Cast, zone: Zone
) -> None:
    """The zones once posted their own audience request, which the form's preview sent by
    the same change cancelled: the audience never updated. The form's one request now
    answers every block."""
    client.force_login(cast.alert_author)
    page = _text(client.get(reverse("alerts_backoffice:alert_new")))
    assert reverse("alerts_backoffice:audience_preview") not in page
    assert '<div id="placeholders">' in page

    html = _text(
        client.post(
            reverse("alerts_backoffice:sms_preview"),
            composer_form(zone, sms_text="Crue vers [heure] à [secteur]."),
            HTTP_HX_REQUEST="true",
        )
    )
    audience = html[html.index('id="audience-preview"') :]
    assert 'hx-swap-oob="innerHTML"' in audience[:100]
    assert "3 persons will be warned" in audience
    assert "Le Bourg" in audience
    # The placeholders: marked in the SMS as received (in words, not colour alone) and
    # listed in the warning box, which the same answer replaces.
    cue = '<span class="visually-hidden">to fill in: </span>'
    assert f'<mark class="placeholder">{cue}[heure]</mark>' in html
    box = html[html.index('<div id="placeholders" hx-swap-oob="true">') :]
    assert "Text to fill in" in box and "[heure], [secteur]" in box

    fixed = _text(
        client.post(
            reverse("alerts_backoffice:sms_preview"),
            composer_form(zone, sms_text="Crue vers 18 h au Bourg."),
            HTTP_HX_REQUEST="true",
        )
    )
    assert '<div id="placeholders" hx-swap-oob="true"></div>' in fixed
    assert "<mark" not in fixed


def test_the_email_preview_marks_the_placeholders(client: Client, cast: Cast, zone: Zone) -> None:
    client.force_login(cast.alert_author)
    html = _text(
        client.post(
            reverse("alerts_backoffice:sms_preview"),
            composer_form(
                zone, email_subject="Crue à [heure]", email_body="Évacuez <vite> [secteur]."
            ),
            HTTP_HX_REQUEST="true",
        )
    )
    cue = '<span class="visually-hidden">to fill in: </span>'
    assert f'<dd>Crue à <mark class="placeholder">{cue}[heure]</mark></dd>' in html
    body = html[html.index('<pre class="email-body">') :]
    assert f'Évacuez <vite> <mark class="placeholder">{cue}[secteur]</mark>.' in body
    raw = client.post(
        reverse("alerts_backoffice:sms_preview"),
        composer_form(zone, email_body="Évacuez <vite> [secteur]."),
    ).content.decode()
    assert "Évacuez &lt;vite&gt; <mark" in raw  # the author's text stays escaped


def test_the_preview_shows_the_email_each_language_receives(
    client: Client, cast: Cast, zone: Zone
) -> None:
    """Without an English e-mail text, English residents get the French e-mail: the
    preview says so rather than show an "English" e-mail that nobody receives."""
    client.force_login(cast.alert_author)
    html = _text(
        client.post(
            reverse("alerts_backoffice:sms_preview"),
            composer_form(zone),
            HTTP_HX_REQUEST="true",
        )
    )
    assert "E-mail in French, as received" in html
    assert "E-mail in English, as received" not in html
    assert "Also received by the residents who chose English" in html
    english = _text(
        client.post(
            reverse("alerts_backoffice:sms_preview"),
            composer_form(zone, en_email_body="The Vence is flooding."),
            HTTP_HX_REQUEST="true",
        )
    )
    assert "E-mail in English, as received" in english
    assert "To stop receiving these alerts" in english
