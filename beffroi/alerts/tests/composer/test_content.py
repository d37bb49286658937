"""What an alert may carry out: no template placeholder left in any text that goes out, and
an exercise kept off the public page unless the author says otherwise."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.alerts.composer.defaults import DEFAULT_TEMPLATES
from beffroi.alerts.composer.services import (
    AlertData,
    TranslationData,
    alert_approve,
    alert_create,
    alert_data_from,
    alert_submit,
)
from beffroi.alerts.models import Alert, AlertTemplate, AlertTranslation
from beffroi.alerts.tests.factories import make_address, make_subscriber, make_zone
from beffroi.alerts.texts import alert_texts, placeholders
from beffroi.alerts.workflow import AlertError
from beffroi.territory.models import Zone
from beffroi.testing import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def zone(cast: Cast) -> Zone:
    address = make_address(cast.org, 4.005, 45.005)
    make_subscriber(cast.org, address, email="a@example.org", sms="+33612345678")
    return make_zone(cast.org, "Le Bourg", 4.0, 45.0)


def _data(zone: Zone, **overrides: Any) -> AlertData:
    values: dict[str, Any] = {
        "topic": "flood",
        "headline": "Crue de la Vence",
        "description": "La Vence déborde.",
        "sms_text": "Crue de la Vence: montez a l'etage.",
        "channels": ["email", "sms"],
        "zones": [zone],
        "expires": timezone.now() + timedelta(hours=6),
    }
    values.update(overrides)
    return AlertData(**values)


def test_it_declares_the_placeholders_of_every_default_template() -> None:
    crue = next(t for t in DEFAULT_TEMPLATES if t.name == "Crue / inondation")
    assert placeholders(crue.description) == ["[heure]", "[secteur]"]
    assert placeholders("Rien à compléter [] ni [\nici]") == []


def test_it_refuses_to_submit_an_alert_from_a_template_left_unfilled(
    cast: Cast, zone: Zone
) -> None:
    template = AlertTemplate.objects.get(organisation=cast.org, name="Crue / inondation")
    data = alert_data_from(template)
    data.zones = [zone]
    data.expires = timezone.now() + timedelta(hours=6)
    alert = alert_create(organisation=cast.org, actor=cast.alert_author, data=data)  # a draft
    with pytest.raises(AlertError) as excinfo:
        alert_submit(alert=alert, actor=cast.alert_author)
    errors = excinfo.value.errors
    assert set(errors) >= {"description", "sms_text", "email_body"}
    assert (
        "Description (fr) still holds text to fill in: [heure], [secteur]."
        in (errors["description"][0])
    )
    assert "[heure]" in errors["sms_text"][-1]
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.DRAFT


def test_it_refuses_a_placeholder_in_a_translation(cast: Cast, zone: Zone) -> None:
    alert = alert_create(
        organisation=cast.org,
        actor=cast.alert_author,
        data=_data(zone, translations={"en": TranslationData(headline="Flood at [time]")}),
    )
    with pytest.raises(AlertError) as excinfo:
        alert_submit(alert=alert, actor=cast.alert_author)
    assert "[time]" in excinfo.value.errors["en_headline"][0]
    assert "(en)" in excinfo.value.errors["en_headline"][0]


def test_it_refuses_to_approve_an_alert_still_holding_a_placeholder(cast: Cast, zone: Zone) -> None:
    alert = alert_create(organisation=cast.org, actor=cast.alert_author, data=_data(zone))
    alert_submit(alert=alert, actor=cast.alert_author)
    # Written behind the composer's back (an old pending alert, a direct edit): still caught.
    AlertTranslation.objects.create(alert=alert, language="en", headline="Flood", sms_text="[x]")
    with pytest.raises(AlertError) as excinfo:
        alert_approve(alert=alert, actor=cast.alert_approver, verified=True)
    assert "[x]" in excinfo.value.errors["en_sms_text"][0]
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.PENDING


def test_it_highlights_the_placeholders_in_the_form(client: Client, cast: Cast) -> None:
    template = AlertTemplate.objects.get(organisation=cast.org, name="Crue / inondation")
    client.force_login(cast.alert_author)
    html = client.get(
        reverse("alerts_backoffice:alert_new") + f"?template={template.pk}"
    ).content.decode()
    assert "Text to fill in" in html
    assert '<a href="#id_description">Description</a> — [heure], [secteur]' in html
    # Beside the field, in words, in the help text the field's aria-describedby points to.
    assert (
        '<div class="help" id="id_sms_text_helptext"><strong class="placeholder-note">'
        "To replace before submitting:</strong> [heure]"
    ) in html
    assert 'aria-describedby="id_sms_text_helptext"' in html


def test_it_keeps_an_exercise_off_the_public_page_by_default(cast: Cast, zone: Zone) -> None:
    exercise = alert_create(
        organisation=cast.org, actor=cast.alert_author, data=_data(zone, cap_status="Exercise")
    )
    real = alert_create(organisation=cast.org, actor=cast.alert_author, data=_data(zone))
    chosen = alert_create(
        organisation=cast.org,
        actor=cast.alert_author,
        data=_data(zone, cap_status="Exercise", is_public=True),
    )
    assert (exercise.is_public, real.is_public, chosen.is_public) == (False, True, True)


def test_it_unticks_the_public_page_for_an_exercise_in_the_form(client: Client, cast: Cast) -> None:
    client.force_login(cast.alert_author)
    html = client.get(reverse("alerts_backoffice:alert_new")).content.decode()
    assert "Off by default for an exercise" in html
    assert "/static/alerts/js/composer.js" in html


def test_it_marks_an_exercise_once_when_the_headline_already_says_it(cast: Cast) -> None:
    from beffroi.alerts.tests.factories import make_alert

    alert = make_alert(
        cast.org,
        cast.alert_author,
        headline="EXERCICE — Mise à l'abri",
        sms_text="EXERCICE: restez chez vous",
        cap_status=Alert.CapStatus.EXERCISE,
    )
    texts = alert_texts(alert, "fr")
    assert texts.headline == "EXERCICE — Mise à l'abri"
    assert texts.sms == "EXERCICE: restez chez vous"
    assert texts.subject == "EXERCICE - Alerte crue"
