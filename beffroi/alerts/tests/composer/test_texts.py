from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from beffroi.alerts.composer.defaults import DEFAULT_TEMPLATES, TemplateData
from beffroi.alerts.composer.services import alert_template_create, alert_templates_defaults
from beffroi.alerts.models import AlertTemplate, AlertTranslation
from beffroi.alerts.tests.factories import make_alert
from beffroi.alerts.texts import alert_texts, sms_full_text, sms_suffix
from beffroi.core.models import AuditEvent
from beffroi.messaging.sms import Encoding, sms_info
from beffroi.testing import Cast

pytestmark = pytest.mark.django_db


def test_it_marks_an_exercise_on_every_channel(cast: Cast) -> None:
    alert = make_alert(cast.org, cast.alert_author, cap_status="Exercise")
    AlertTranslation.objects.create(
        alert=alert, language="en", headline="Flood", sms_text="Flood: go upstairs."
    )
    for language in ("fr", "en"):
        texts = alert_texts(alert, language)
        for value in (texts.headline, texts.sms, texts.subject, texts.body, texts.description):
            assert value.startswith("EXERCICE - "), (language, value)
    assert alert_texts(alert, "en").headline == "EXERCICE - Flood"
    assert alert_texts(alert, "en").subject == "EXERCICE - Alerte crue"  # falls back to French
    # No English e-mail text: the English residents' e-mail is the French one, its notice
    # too (see test_a_language_without_its_own_text_gets_the_whole_base_message).
    assert "Ceci est un exercice" in alert_texts(alert, "en").body
    AlertTranslation.objects.filter(alert=alert).update(email_body="The Vence is flooding.")
    assert "This is an exercise" in alert_texts(alert, "en").body
    # the mark keeps an SMS in GSM-7
    assert sms_info(alert_texts(alert, "fr").sms).encoding == Encoding.GSM7


def test_it_leaves_a_real_alert_unmarked_and_falls_back(cast: Cast) -> None:
    alert = make_alert(cast.org, cast.alert_author, email_subject="", email_body="")
    texts = alert_texts(alert, "fr")
    assert texts.headline == "Crue de la Vence"
    assert texts.subject == "Crue de la Vence"
    assert texts.body == "La Vence déborde.\n\nMontez à l'étage."
    assert alert_texts(alert, "en") == texts  # no translation: French
    test = make_alert(cast.org, cast.alert_author, cap_status="Test")
    assert alert_texts(test, "fr").sms.startswith("TEST - ")


def test_it_counts_the_stop_mention_in_the_full_sms(cast: Cast) -> None:
    alert = make_alert(cast.org, cast.alert_author)
    assert sms_full_text(alert, "en").startswith(alert.sms_text)
    assert "STOP" in sms_full_text(alert, "en")


def test_it_ships_realistic_pcs_templates_within_budget(cast: Cast) -> None:
    names = {t.name for t in DEFAULT_TEMPLATES}
    for expected in (
        "Crue / inondation",
        "Canicule",
        "Sécheresse – restrictions d'eau",
        "Confinement",
    ):
        assert expected in names
    assert len(DEFAULT_TEMPLATES) >= 10
    for template in DEFAULT_TEMPLATES:
        info = sms_info(template.sms_text + sms_suffix("fr"))
        assert info.encoding == Encoding.GSM7, (template.name, info.non_gsm_chars)
        assert info.segments <= 2, template.name
        assert template.headline and template.instruction and template.email_body


def test_it_creates_the_default_templates_once(cast: Cast) -> None:
    AlertTemplate.objects.filter(organisation=cast.org).delete()
    created = alert_templates_defaults(organisation=cast.org)
    assert len(created) == len(DEFAULT_TEMPLATES)
    assert alert_templates_defaults(organisation=cast.org) == []
    assert AlertTemplate.objects.filter(organisation=cast.org).count() == len(DEFAULT_TEMPLATES)
    events = AuditEvent.objects.filter(organisation=cast.org, action="alert_template.create")
    # Those created with the organisation are part of setting it up: not audited.
    assert events.count() == len(created)


def test_it_gives_a_new_organisation_the_default_templates(cast: Cast) -> None:
    from beffroi.testing import make_organisation

    for organisation in (cast.org, cast.other_org):
        names = set(organisation.alert_templates.values_list("name", flat=True))
        assert names == {t.name for t in DEFAULT_TEMPLATES}
    # The demo and the admin save an Organisation like this: the templates come with it.
    third = make_organisation(name="Commune de Tiers", slug="tiers", host="tiers.localhost")
    assert third.alert_templates.count() == len(DEFAULT_TEMPLATES)
    third.name = "Commune de Tiers-sur-Mer"
    third.save()  # an update creates nothing more
    assert third.alert_templates.count() == len(DEFAULT_TEMPLATES)


def test_it_runs_the_defaults_command(cast: Cast) -> None:
    AlertTemplate.objects.all().delete()
    out = StringIO()
    call_command("alert_templates_defaults", "--all", stdout=out)
    assert "valmont: 10 template(s) created" in out.getvalue()
    assert "autreville: 10 template(s) created" in out.getvalue()
    out = StringIO()
    call_command("alert_templates_defaults", stdout=out)
    assert out.getvalue().strip() == "valmont: 0 template(s) created"


def test_it_refuses_a_duplicate_template_name(cast: Cast) -> None:
    from beffroi.alerts.workflow import AlertError

    data = TemplateData(name="Crue", topic="flood", headline="Crue")
    alert_template_create(organisation=cast.org, actor=cast.alert_author, data=data)
    with pytest.raises(AlertError) as excinfo:
        alert_template_create(organisation=cast.org, actor=cast.alert_author, data=data)
    assert "name" in excinfo.value.errors
    assert AlertTemplate.objects.filter(name="Crue").count() == 1


def test_the_email_puts_the_instructions_and_the_page_before_the_closing() -> None:
    from beffroi.alerts.texts import AlertTexts, email_text

    def texts(body: str, instruction: str = "Montez à l'étage.") -> AlertTexts:
        return AlertTexts(
            headline="Crue",
            sms="",
            subject="",
            body=body,
            instruction=instruction,
            description="",
        )

    signed = email_text(
        texts("Madame, Monsieur,\n\nLa Vence déborde.\n\nCordialement,\n\nLa mairie"),
        page_url="https://valmont.example/alertes/7/",
    )
    assert signed == (
        "Madame, Monsieur,\n\nLa Vence déborde.\n\nMontez à l'étage.\n\n"
        "Suivez cette alerte et ses mises à jour : https://valmont.example/alertes/7/\n\n"
        "Cordialement,\n\nLa mairie"
    )
    # No closing: the instructions follow the text; a last sentence is not a signature.
    assert email_text(texts("La Vence déborde.\n\nRestez prudents.")) == (
        "La Vence déborde.\n\nRestez prudents.\n\nMontez à l'étage."
    )
    # Instructions already in the text are not repeated; no link for a private alert.
    assert email_text(texts("La Vence déborde. Montez à l'étage.\n\nLa mairie")) == (
        "La Vence déborde. Montez à l'étage.\n\nLa mairie"
    )


def test_a_template_keeps_its_paragraphs_as_newlines(client: Any, cast: Cast) -> None:
    """A template's texts are copied into alerts: "\\r\\n" from the browser is stored as
    "\\n", or the alerts made from it lose their closing."""
    from django.urls import reverse

    client.force_login(cast.alert_author)
    response = client.post(
        reverse("alerts_backoffice:template_new"),
        {
            "name": "Crue",
            "topic": "flood",
            "category": "Met",
            "urgency": "Expected",
            "severity": "Moderate",
            "certainty": "Likely",
            "headline": "Crue",
            "instruction": "Montez à l'étage.\r\nRestez-y.",
            "email_body": "La Vence déborde.\r\n\r\nLa mairie",
        },
    )
    assert response.status_code == 302
    template = AlertTemplate.objects.get(name="Crue")
    assert template.email_body == "La Vence déborde.\n\nLa mairie"
    assert template.instruction == "Montez à l'étage.\nRestez-y."
