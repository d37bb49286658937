from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.accounts.models import Role, RoleAssignment, User
from beffroi.alerts.composer.services import (
    AlertData,
    alert_create,
    alert_submit,
)
from beffroi.alerts.models import Alert, AlertTemplate, VulnerablePerson
from beffroi.alerts.tests.factories import (
    composer_form,
    dispatched,
    make_address,
    make_subscriber,
    make_zone,
)
from beffroi.core.models import AuditEvent
from beffroi.territory.models import Address, Zone
from beffroi.testing import Cast, login_verified

__all__ = ["dispatched"]  # fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def place(cast: Cast) -> Address:
    return make_address(cast.org, 4.005, 45.005)


@pytest.fixture
def zone(cast: Cast, place: Address) -> Zone:
    zone = make_zone(cast.org, "Le Bourg", 4.0, 45.0)
    make_subscriber(cast.org, place, email="a@example.org", sms="+33612345678")
    make_subscriber(cast.org, place, sms="+33612345679", channels=("sms",))
    return zone


def _pending(cast: Cast, zone: Zone, author: User | None = None, **fields: Any) -> Alert:
    author = author or cast.alert_author
    values: dict[str, Any] = {
        "topic": "flood",
        "headline": "Crue de la Vence",
        "description": "La Vence déborde.",
        "sms_text": "Crue: montez a l'etage.",
        "channels": ["email", "sms"],
        "zones": [zone],
    }
    values.update(fields)
    alert = alert_create(organisation=cast.org, actor=author, data=AlertData(**values))
    return alert_submit(alert=alert, actor=author)


def test_it_composes_a_draft_and_shows_its_audience(client: Client, cast: Cast, zone: Zone) -> None:
    client.force_login(cast.alert_author)
    page = client.get(reverse("alerts_backoffice:alert_new"))
    assert page.status_code == 200
    assert "Le Bourg (Hamlet) — 1 addresses" in page.content.decode()
    assert 'id="sms-info"' in page.content.decode()
    response = client.post(reverse("alerts_backoffice:alert_new"), composer_form(zone))
    alert = Alert.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("alerts_backoffice:alert_detail", args=[alert.pk])
    assert alert.created_by == cast.alert_author
    assert alert.translations.get().headline == "Flood"
    detail = client.get(response["Location"]).content.decode()
    assert "2 persons will be warned" in detail
    assert "Submit for approval" in detail
    assert "target-map" in detail
    submit = client.post(reverse("alerts_backoffice:alert_submit", args=[alert.pk]))
    assert submit.status_code == 302
    assert Alert.objects.get().status == Alert.Status.PENDING


def test_it_shows_clear_errors_and_saves_nothing(client: Client, cast: Cast, zone: Zone) -> None:
    client.force_login(cast.alert_author)
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("alerts_backoffice:alert_new"),
        composer_form(zone, expires=past, sms_text="x" * 400),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem with the form" in html
    assert "The end date is in the past." in html
    assert "but the budget is 2" in html
    assert not Alert.objects.exists()


def test_it_refuses_to_submit_an_empty_target(client: Client, cast: Cast, zone: Zone) -> None:
    client.force_login(cast.alert_author)
    client.post(reverse("alerts_backoffice:alert_new"), composer_form(None))
    alert = Alert.objects.get()
    detail = client.get(reverse("alerts_backoffice:alert_detail", args=[alert.pk]))
    assert "Choose at least one zone" in detail.content.decode()
    response = client.post(reverse("alerts_backoffice:alert_submit", args=[alert.pk]), follow=True)
    assert "Choose at least one zone" in response.content.decode()
    assert Alert.objects.get().status == Alert.Status.DRAFT


def test_it_prefills_a_new_alert_from_a_template(client: Client, cast: Cast, zone: Zone) -> None:
    template = AlertTemplate.objects.get(organisation=cast.org, name="Canicule")
    client.force_login(cast.alert_author)
    listing = client.get(reverse("alerts_backoffice:template_list")).content.decode()
    assert "New alert from “Canicule”" in listing
    page = client.get(reverse("alerts_backoffice:alert_new") + f"?template={template.pk}")
    html = page.content.decode()
    assert "Canicule : vigilance orange" in html
    assert f'name="template" value="{template.pk}"' in html
    response = client.post(
        reverse("alerts_backoffice:alert_new"),
        composer_form(zone, topic="heat", headline=template.headline, template=str(template.pk)),
    )
    assert response.status_code == 302
    assert Alert.objects.get().template == template


def test_it_manages_templates(client: Client, cast: Cast, zone: Zone) -> None:
    client.force_login(cast.alert_author)
    data = {
        "name": "Crue éclair",
        "pcs_scenario": "Inondation",
        "topic": "flood",
        "category": "Met",
        "urgency": "Immediate",
        "severity": "Severe",
        "certainty": "Likely",
        "headline": "Crue éclair",
        "default_channels": ["sms"],
        "default_zones": [zone.pk],
    }
    response = client.post(reverse("alerts_backoffice:template_new"), data)
    assert response.status_code == 302
    template = AlertTemplate.objects.get(name="Crue éclair")
    assert template.default_channels == ["sms"]
    assert list(template.default_zones.all()) == [zone]
    data["headline"] = "Crue éclair imminente"
    client.post(reverse("alerts_backoffice:template_edit", args=[template.pk]), data)
    assert AlertTemplate.objects.get(pk=template.pk).headline == "Crue éclair imminente"
    client.post(reverse("alerts_backoffice:template_delete", args=[template.pk]))
    assert not AlertTemplate.objects.filter(pk=template.pk).exists()
    client.force_login(cast.resident)
    assert client.get(reverse("alerts_backoffice:template_new")).status_code == 403


def test_it_renders_the_live_sms_counter(client: Client, cast: Cast, zone: Zone) -> None:
    client.force_login(cast.alert_author)
    url = reverse("alerts_backoffice:sms_preview")
    gsm = client.post(
        url,
        {
            "sms_text": "Crue",
            "sms_budget_segments": "1",
            "topic": "flood",
            "channels": ["sms"],
            "zones": [zone.pk],
            "cap_status": "Actual",
        },
        HTTP_HX_REQUEST="true",
    )
    html = gsm.content.decode()
    assert gsm.status_code == 200
    assert "<html" not in html
    assert "GSM-7" in html and "1 SMS part" in html
    # 2 SMS recipients × 1 part × 0.045 €
    assert "2 SMS recipients" in html and "0.09 €" in html
    ucs2 = client.post(
        url,
        {
            "sms_text": "Fenêtres fermées " * 10,
            "sms_budget_segments": "1",
            "cap_status": "Exercise",
        },
    ).content.decode()
    assert "UCS-2" in ucs2
    assert "<kbd>ê</kbd>" in ucs2
    assert "Over budget" in ucs2
    assert "per recipient" in ucs2


def test_it_previews_the_audience_of_the_ticked_target(
    client: Client, cast: Cast, zone: Zone
) -> None:
    client.force_login(cast.alert_author)
    html = client.post(
        reverse("alerts_backoffice:audience_preview"),
        {"topic": "flood", "channels": ["email", "sms"], "zones": [zone.pk]},
    ).content.decode()
    assert "2 persons will be warned" in html
    assert "Le Bourg" in html
    nobody = client.post(
        reverse("alerts_backoffice:audience_preview"),
        {"topic": "heat", "channels": ["email"], "zones": [zone.pk]},
    ).content.decode()
    assert "Nobody can be reached" in nobody


def test_it_lets_a_verified_approver_approve(
    client: Client,
    cast: Cast,
    zone: Zone,
    dispatched: Callable[[], list[int]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    alert = _pending(cast, zone)
    login_verified(client, cast.alert_approver)
    review = client.get(reverse("alerts_backoffice:alert_review", args=[alert.pk]))
    assert review.status_code == 200
    assert "Approve and send" in review.content.decode()
    assert "2 persons" in review.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("alerts_backoffice:alert_review", args=[alert.pk]))
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == Alert.Status.APPROVED and alert.approved_by == cast.alert_approver
    assert dispatched() == [alert.pk]


def test_it_shows_the_rejection_reason_to_the_author(
    client: Client, cast: Cast, zone: Zone
) -> None:
    alert = _pending(cast, zone)
    login_verified(client, cast.alert_approver)
    empty = client.post(reverse("alerts_backoffice:alert_reject", args=[alert.pk]), {"reason": ""})
    assert empty.status_code == 400
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.PENDING
    client.post(
        reverse("alerts_backoffice:alert_reject", args=[alert.pk]),
        {"reason": "Préciser le secteur"},
    )
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.DRAFT
    client.force_login(cast.alert_author)
    detail = client.get(reverse("alerts_backoffice:alert_detail", args=[alert.pk])).content.decode()
    assert "Rejected by the approver" in detail and "Préciser le secteur" in detail


def _approve(client: Client, alert: Alert) -> int:
    return client.post(reverse("alerts_backoffice:alert_review", args=[alert.pk])).status_code


def test_it_refuses_approval_to_a_resident(client: Client, cast: Cast, zone: Zone) -> None:
    alert = _pending(cast, zone)
    client.force_login(cast.resident)
    assert _approve(client, alert) == 403
    assert client.get(reverse("alerts_backoffice:alert_detail", args=[alert.pk])).status_code == 403
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.PENDING


def test_it_refuses_approval_to_an_author_without_the_approver_role(
    client: Client, cast: Cast, zone: Zone
) -> None:
    alert = _pending(cast, zone)
    client.force_login(cast.alert_author)
    assert _approve(client, alert) == 403
    assert (
        client.post(reverse("alerts_backoffice:alert_reject", args=[alert.pk]), {"reason": "x"})
    ).status_code == 403
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.PENDING


def test_it_refuses_an_author_approving_their_own_actual_alert(
    client: Client, cast: Cast, zone: Zone, dispatched: Callable[[], list[int]]
) -> None:
    RoleAssignment.objects.create(
        user=cast.alert_approver, organisation=cast.org, role=Role.ALERT_AUTHOR
    )
    alert = _pending(cast, zone, author=cast.alert_approver)
    login_verified(client, cast.alert_approver)
    detail = client.get(reverse("alerts_backoffice:alert_detail", args=[alert.pk])).content.decode()
    assert "Review: approve or reject" not in detail
    assert _approve(client, alert) == 403
    alert.refresh_from_db()
    assert alert.status == Alert.Status.PENDING and alert.approved_by is None
    assert dispatched() == []


def test_it_refuses_an_approver_without_a_proven_second_factor(
    client: Client, cast: Cast, zone: Zone
) -> None:
    alert = _pending(cast, zone)
    client.force_login(cast.alert_approver)
    response = client.post(reverse("alerts_backoffice:alert_review", args=[alert.pk]))
    assert response.status_code == 302
    assert reverse("accounts:two_factor") in response["Location"]
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.PENDING


def test_it_refuses_an_agent_of_another_organisation(
    client: Client, cast: Cast, zone: Zone
) -> None:
    alert = _pending(cast, zone)
    RoleAssignment.objects.create(
        user=cast.other_admin, organisation=cast.other_org, role=Role.ALERT_APPROVER
    )
    login_verified(client, cast.other_admin)
    # on their own organisation's host the alert does not exist
    other_host = client.post(
        reverse("alerts_backoffice:alert_review", args=[alert.pk]), HTTP_HOST="autreville.localhost"
    )
    assert other_host.status_code == 404
    # on this organisation's host they hold no role
    assert _approve(client, alert) == 403
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.PENDING
    assert not AuditEvent.objects.filter(action="alert.approve").exists()


def test_it_lists_and_filters_alerts(client: Client, cast: Cast, zone: Zone) -> None:
    _pending(cast, zone)
    alert_create(
        organisation=cast.org,
        actor=cast.alert_author,
        data=AlertData(topic="heat", headline="Canicule", zones=[zone], channels=["email"]),
    )
    client.force_login(cast.alert_author)
    html = client.get(reverse("alerts_backoffice:alert_list")).content.decode()
    assert "Crue de la Vence" in html and "Canicule" in html
    pending = client.get(reverse("alerts_backoffice:alert_list") + "?status=pending")
    assert "Canicule" not in pending.content.decode()
    assert "Crue de la Vence" in pending.content.decode()
    login_verified(client, cast.other_admin)
    other = client.get(reverse("alerts_backoffice:alert_list"), HTTP_HOST="autreville.localhost")
    assert other.status_code == 200
    assert "Crue de la Vence" not in other.content.decode()


def test_it_edits_a_draft(client: Client, cast: Cast, zone: Zone) -> None:
    client.force_login(cast.alert_author)
    client.post(reverse("alerts_backoffice:alert_new"), composer_form(zone))
    alert = Alert.objects.get()
    page = client.get(reverse("alerts_backoffice:alert_edit", args=[alert.pk]))
    assert "Crue de la Vence" in page.content.decode()
    client.post(
        reverse("alerts_backoffice:alert_edit", args=[alert.pk]),
        composer_form(zone, headline="Crue majeure", cap_status="Exercise"),
    )
    alert.refresh_from_db()
    assert alert.headline == "Crue majeure" and alert.cap_status == "Exercise"
    detail = client.get(reverse("alerts_backoffice:alert_detail", args=[alert.pk])).content.decode()
    assert "EXERCICE - Crue majeure" in detail


def test_it_cancels_and_updates_from_the_pages(
    client: Client, cast: Cast, zone: Zone, dispatched: Callable[[], list[int]]
) -> None:
    from beffroi.alerts.composer.services import alert_approve
    from beffroi.alerts.workflow import alert_transition

    alert = _pending(cast, zone)
    alert_approve(alert=alert, actor=cast.alert_approver, verified=True)
    alert_transition(alert=alert, to_status="sending", actor=None)
    alert_transition(alert=alert, to_status="sent", actor=None)
    client.force_login(cast.alert_author)
    response = client.post(reverse("alerts_backoffice:alert_update", args=[alert.pk]))
    update = Alert.objects.get(msg_type="Update")
    assert response["Location"] == reverse("alerts_backoffice:alert_edit", args=[update.pk])
    assert client.get(reverse("alerts_backoffice:alert_cancel", args=[alert.pk])).status_code == 200
    response = client.post(
        reverse("alerts_backoffice:alert_cancel", args=[alert.pk]), {"reason": "Décrue"}
    )
    cancel = Alert.objects.get(msg_type="Cancel")
    assert cancel.references == alert
    assert response["Location"] == reverse("alerts_backoffice:alert_edit", args=[cancel.pk])
    client.post(reverse("alerts_backoffice:alert_cancel", args=[update.pk]), {"reason": "Inutile"})
    assert Alert.objects.get(pk=update.pk).status == Alert.Status.CANCELLED


def test_it_lets_administrators_enable_single_approval(client: Client, cast: Cast) -> None:
    login_verified(client, cast.administrator)
    url = reverse("alerts_backoffice:settings")
    assert client.get(url).status_code == 200
    client.post(url, {"single_approval_allowed": "on"})
    cast.org.refresh_from_db()
    assert cast.org.settings["alerts"]["single_approval_allowed"] is True
    client.post(url, {})  # the box unticked: disabled again
    cast.org.refresh_from_db()
    assert cast.org.settings["alerts"]["single_approval_allowed"] is False
    client.post(url, {"single_approval_allowed": "on"})
    client.force_login(cast.alert_author)
    assert client.post(url, {}).status_code == 403
    cast.org.refresh_from_db()
    assert cast.org.settings["alerts"]["single_approval_allowed"] is True


def test_it_lets_administrators_set_the_retention_of_unsubscribed_residents(
    client: Client, cast: Cast, settings: Any
) -> None:
    from beffroi.alerts.subscriptions.services import unsubscribed_retention_days

    settings.UNSUBSCRIBED_RETENTION_DAYS = 90
    login_verified(client, cast.administrator)
    url = reverse("alerts_backoffice:settings")
    page = client.get(url).content.decode()
    assert 'name="unsubscribed_retention_days"' in page
    assert 'value="90"' in page  # the installation's default until the commune sets its own

    response = client.post(url, {"unsubscribed_retention_days": "30"})
    assert response.status_code == 302
    cast.org.refresh_from_db()
    assert cast.org.settings["alerts"]["unsubscribed_retention_days"] == 30
    assert unsubscribed_retention_days(cast.org) == 30  # what purge_unsubscribed reads
    assert AuditEvent.objects.filter(
        action="alert.settings_update", data__unsubscribed_retention_days=[None, 30]
    ).exists()

    for wrong in ("0", "3651", "-5", "trente"):
        response = client.post(url, {"unsubscribed_retention_days": wrong})
        assert response.status_code == 200, wrong
        assert response.context["form"].errors["unsubscribed_retention_days"], wrong
    cast.org.refresh_from_db()
    assert cast.org.settings["alerts"]["unsubscribed_retention_days"] == 30

    client.post(url, {})  # left empty: kept as it is
    cast.org.refresh_from_db()
    assert cast.org.settings["alerts"]["unsubscribed_retention_days"] == 30


def test_it_refuses_a_retention_out_of_range_in_the_service(cast: Cast) -> None:
    from beffroi.alerts.composer.services import alert_settings_update
    from beffroi.alerts.workflow import AlertError

    with pytest.raises(AlertError) as error:
        alert_settings_update(
            organisation=cast.org,
            actor=cast.administrator,
            single_approval_allowed=False,
            unsubscribed_retention_days=5000,
        )
    assert "unsubscribed_retention_days" in error.value.errors


def test_it_shows_the_vulnerable_count_only_to_verified_social_agents(
    client: Client, cast: Cast, zone: Zone, place: Address
) -> None:
    VulnerablePerson.objects.create(
        organisation=cast.org,
        last_name="Durand",
        first_name="Jeanne",
        birth_date="1938-04-02",
        situation="elderly",
        address=place,
        requested_on=timezone.localdate(),
        last_confirmed_on=timezone.localdate(),
        consent_at=timezone.now(),
    )
    alert = _pending(cast, zone, include_vulnerable=True)
    url = reverse("alerts_backoffice:alert_detail", args=[alert.pk])
    login_verified(client, cast.social_agent)
    assert "1 registered vulnerable person lives in the target" in client.get(url).content.decode()
    client.force_login(cast.alert_author)
    html = client.get(url).content.decode()
    assert "lives in the target" not in html
    assert "Durand" not in html
