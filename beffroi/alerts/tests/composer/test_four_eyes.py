"""The four-eyes rule on every path: nobody approves an alert whose content they created,
edited or submitted (services, composer pages, CAP import by page and API), except in the
emergency single-approver mode with a justification."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.accounts.models import Role, RoleAssignment, User
from beffroi.alerts.composer.services import (
    AlertData,
    AlertPermissionError,
    alert_approve,
    alert_create,
    alert_settings_update,
    alert_submit,
    alert_update_draft,
)
from beffroi.alerts.models import Alert
from beffroi.alerts.tests.factories import (
    composer_form,
    dispatched,
    give_territory,
    make_address,
    make_subscriber,
    make_zone,
)
from beffroi.alerts.tests.public.test_import import INSIDE
from beffroi.api.tests.factories import bearer, make_token
from beffroi.core.models import AuditEvent
from beffroi.territory.models import Zone
from beffroi.testing import Cast, login_verified, make_user

__all__ = ["dispatched"]  # fixture

pytestmark = pytest.mark.django_db

REFUSED = "you wrote, edited or submitted it (four-eyes rule)"


@pytest.fixture
def zone(cast: Cast) -> Zone:
    address = make_address(cast.org, 4.005, 45.005)
    make_subscriber(cast.org, address, email="a@example.org", sms="+33612345678")
    return make_zone(cast.org, "Le Bourg", 4.0, 45.0)


@pytest.fixture
def second_approver(cast: Cast) -> User:
    return make_user(
        "validation2@valmont.example", organisation=cast.org, roles=(Role.ALERT_APPROVER,)
    )


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


def _draft(cast: Cast, zone: Zone) -> Alert:
    return alert_create(organisation=cast.org, actor=cast.alert_author, data=_data(zone))


def _refused(alert: Alert, actor: User) -> str:
    with pytest.raises(AlertPermissionError) as excinfo:
        alert_approve(alert=alert, actor=actor, verified=True)
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.PENDING
    return str(excinfo.value)


def test_it_records_who_created_edited_and_submitted(
    cast: Cast, zone: Zone, second_approver: User
) -> None:
    alert = _draft(cast, zone)
    assert set(alert.contributors.all()) == {cast.alert_author}
    alert_update_draft(alert=alert, actor=cast.alert_approver, data=_data(zone, headline="Crue"))
    alert_submit(alert=alert, actor=cast.administrator)
    assert set(alert.contributors.all()) == {
        cast.alert_author,
        cast.alert_approver,
        cast.administrator,
    }


def test_it_refuses_an_approver_who_edited_and_submitted(
    cast: Cast,
    zone: Zone,
    second_approver: User,
    dispatched: Callable[[], list[int]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    alert = _draft(cast, zone)
    alert_update_draft(alert=alert, actor=cast.alert_approver, data=_data(zone, headline="Crue"))
    alert_submit(alert=alert, actor=cast.alert_approver)
    assert REFUSED in _refused(alert, cast.alert_approver)
    assert not AuditEvent.objects.filter(action="alert.approve").exists()
    with django_capture_on_commit_callbacks(execute=True):
        alert_approve(alert=alert, actor=second_approver, verified=True)
    alert.refresh_from_db()
    assert alert.status == Alert.Status.APPROVED and alert.approved_by == second_approver
    assert not alert.single_approval
    assert dispatched() == [alert.pk]


def test_it_refuses_an_approver_who_only_submitted(cast: Cast, zone: Zone) -> None:
    alert = _draft(cast, zone)
    alert_submit(alert=alert, actor=cast.alert_approver)
    assert REFUSED in _refused(alert, cast.alert_approver)


def test_it_sends_a_pending_alert_back_to_draft_when_edited(
    cast: Cast, zone: Zone, second_approver: User
) -> None:
    alert = _draft(cast, zone)
    alert_submit(alert=alert, actor=cast.alert_author)
    edited = alert_update_draft(
        alert=alert, actor=cast.alert_approver, data=_data(zone, headline="Crue majeure")
    )
    assert edited.status == Alert.Status.DRAFT and edited.headline == "Crue majeure"
    last = alert.transitions.order_by("pk").last()
    assert last is not None
    assert (last.from_status, last.to_status, last.actor) == (
        "pending",
        "draft",
        cast.alert_approver,
    )
    assert AuditEvent.objects.filter(action="alert.reopen", actor=cast.alert_approver).exists()
    # The editor's change is no rejection: no "rejected by the approver" box for the author.
    from beffroi.alerts.composer.selectors import alert_last_rejection

    assert alert_last_rejection(alert=edited) is None
    alert_submit(alert=edited, actor=cast.alert_author)
    assert REFUSED in _refused(edited, cast.alert_approver)
    alert_approve(alert=edited, actor=second_approver, verified=True)
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.APPROVED


def test_it_lets_a_contributor_approve_in_single_approver_mode_with_a_justification(
    cast: Cast, zone: Zone
) -> None:
    alert_settings_update(
        organisation=cast.org, actor=cast.administrator, single_approval_allowed=True
    )
    alert = _draft(cast, zone)
    alert_update_draft(alert=alert, actor=cast.alert_approver, data=_data(zone, headline="Crue"))
    alert_submit(alert=alert, actor=cast.alert_author)
    alert.organisation.refresh_from_db()
    from beffroi.alerts.workflow import AlertError

    with pytest.raises(AlertError) as excinfo:
        alert_approve(alert=alert, actor=cast.alert_approver, verified=True)
    assert "justification" in excinfo.value.errors
    alert_approve(
        alert=alert, actor=cast.alert_approver, verified=True, justification="Seule d'astreinte"
    )
    alert.refresh_from_db()
    assert alert.status == Alert.Status.APPROVED
    assert alert.single_approval and alert.single_approval_reason == "Seule d'astreinte"


def test_it_fills_the_contributors_of_existing_alerts(cast: Cast, zone: Zone) -> None:
    alert = _draft(cast, zone)
    alert_update_draft(alert=alert, actor=cast.alert_approver, data=_data(zone, headline="Crue"))
    alert_submit(alert=alert, actor=cast.administrator)
    alert.contributors.clear()
    migration = importlib.import_module("beffroi.alerts.migrations.0005_alert_contributors")
    migration.fill_contributors(apps, None)
    assert set(alert.contributors.all()) == {
        cast.alert_author,
        cast.alert_approver,
        cast.administrator,
    }


# -- composer pages ---------------------------------------------------------------------------


def test_it_refuses_on_the_pages_an_approver_who_edited_and_submitted(
    client: Client, cast: Cast, zone: Zone, second_approver: User
) -> None:
    alert = _draft(cast, zone)
    alert_submit(alert=alert, actor=cast.alert_author)
    login_verified(client, cast.alert_approver)
    # A pending alert can be edited: it goes back to draft, then is submitted again.
    edit = reverse("alerts_backoffice:alert_edit", args=[alert.pk])
    assert client.get(edit).status_code == 200
    response = client.post(edit, composer_form(zone, headline="Crue majeure"))
    assert response.status_code == 302
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.DRAFT
    client.post(reverse("alerts_backoffice:alert_submit", args=[alert.pk]))
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.PENDING
    detail = client.get(reverse("alerts_backoffice:alert_detail", args=[alert.pk])).content
    assert b"another approver must approve it (four-eyes rule)" in detail
    assert b"Review: approve or reject" not in detail
    refused = client.post(reverse("alerts_backoffice:alert_review", args=[alert.pk]))
    assert refused.status_code == 403
    assert REFUSED in refused.content.decode()
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.PENDING
    login_verified(client, second_approver)
    approved = client.post(reverse("alerts_backoffice:alert_review", args=[alert.pk]))
    assert approved.status_code == 302
    alert.refresh_from_db()
    assert alert.status == Alert.Status.APPROVED and alert.approved_by == second_approver
    detail = client.get(reverse("alerts_backoffice:alert_detail", args=[alert.pk])).content
    assert reverse("alerts_dispatch:live", args=[alert.pk]).encode() in detail


@pytest.mark.french
def test_it_says_the_refusal_in_french(client: Client, cast: Cast, zone: Zone) -> None:
    alert = _draft(cast, zone)
    alert_submit(alert=alert, actor=cast.alert_approver)
    login_verified(client, cast.alert_approver)
    refused = client.post(reverse("alerts_backoffice:alert_review", args=[alert.pk]))
    assert refused.status_code == 403
    assert "principe du double contrôle" in refused.content.decode()


# -- CAP import: the importer wrote the draft -------------------------------------------------


@pytest.fixture
def importer(cast: Cast) -> User:
    """An approver who may also import CAP messages (an alert author)."""
    RoleAssignment.objects.create(
        user=cast.alert_approver, organisation=cast.org, role=Role.ALERT_AUTHOR
    )
    give_territory(cast.org)
    # A resident inside the message's polygon, so the draft has an audience.
    make_subscriber(cast.org, make_address(cast.org, 3.97, 44.97), email="b@example.org")
    return cast.alert_approver


def _make_sendable(alert: Alert, author: User) -> None:
    # The message names no channel: give it one, without anyone else editing its text.
    Alert.objects.filter(pk=alert.pk).update(channels=["email"])
    alert.refresh_from_db()
    alert_submit(alert=alert, actor=author)


def test_it_refuses_the_importer_of_a_cap_message(
    client: Client, cast: Cast, importer: User, second_approver: User
) -> None:
    login_verified(client, importer)
    page = client.post(
        reverse("alerts_import:cap_import"),
        {"document": SimpleUploadedFile("alerte.xml", INSIDE, content_type="application/xml")},
    )
    assert page.status_code == 200
    alert = Alert.objects.get()
    assert set(alert.contributors.all()) == {importer}
    _make_sendable(alert, cast.alert_author)
    assert REFUSED in _refused(alert, importer)
    alert_approve(alert=alert, actor=second_approver, verified=True)
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.APPROVED


def test_it_refuses_the_importer_through_the_api(
    client: Client, cast: Cast, importer: User, second_approver: User
) -> None:
    created = client.post(
        "/api/v1/alerts/cap-import",
        INSIDE,
        content_type="application/cap+xml",
        **bearer(make_token(importer, cast.org)),
    )
    assert created.status_code == 201
    alert = Alert.objects.get(pk=created.json()["id"])
    _make_sendable(alert, cast.alert_author)
    assert REFUSED in _refused(alert, importer)
    alert_approve(alert=alert, actor=second_approver, verified=True)
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.APPROVED
