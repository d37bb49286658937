from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from beffroi.accounts.models import Role, RoleAssignment
from beffroi.alerts.composer.services import (
    AlertData,
    AlertPermissionError,
    TranslationData,
    alert_approve,
    alert_cancel,
    alert_create,
    alert_reject,
    alert_settings_update,
    alert_submit,
    alert_update_draft,
    alert_update_from,
    single_approval_allowed,
)
from beffroi.alerts.models import Alert, AlertTransition
from beffroi.alerts.tests.factories import (
    dispatched,
    make_address,
    make_subscriber,
    make_zone,
)
from beffroi.alerts.workflow import ALLOWED_TRANSITIONS, AlertError, alert_transition
from beffroi.core.models import AuditEvent
from beffroi.territory.models import Zone
from beffroi.testing import Cast

__all__ = ["dispatched"]  # fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def zone(cast: Cast) -> Zone:
    address = make_address(cast.org, 4.005, 45.005)
    zone = make_zone(cast.org, "Le Bourg", 4.0, 45.0)
    make_subscriber(cast.org, address, email="a@example.org", sms="+33612345678")
    return zone


def _data(zone: Zone | None, **overrides: Any) -> AlertData:
    values: dict[str, Any] = {
        "topic": "flood",
        "headline": "Crue de la Vence",
        "description": "La Vence déborde.",
        "instruction": "Montez à l'étage.",
        "sms_text": "Crue de la Vence: montez a l'etage.",
        "channels": ["email", "sms"],
        "zones": [zone] if zone else [],
        "expires": timezone.now() + timedelta(hours=6),
    }
    values.update(overrides)
    return AlertData(**values)


def _draft(cast: Cast, zone: Zone, **overrides: Any) -> Alert:
    return alert_create(
        organisation=cast.org, actor=cast.alert_author, data=_data(zone, **overrides)
    )


def _pending(cast: Cast, zone: Zone, **overrides: Any) -> Alert:
    alert = _draft(cast, zone, **overrides)
    return alert_submit(alert=alert, actor=cast.alert_author)


def _actions(alert: Alert) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_type="alerts.alert", target_id=str(alert.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )


def test_it_creates_a_draft_with_translation_and_audit(cast: Cast, zone: Zone) -> None:
    alert = alert_create(
        organisation=cast.org,
        actor=cast.alert_author,
        data=_data(zone, translations={"en": TranslationData(headline="Flood", sms_text="Flood!")}),
    )
    assert alert.status == Alert.Status.DRAFT
    assert alert.identifier
    assert list(alert.zones.all()) == [zone]
    assert alert.translations.get(language="en").headline == "Flood"
    assert _actions(alert) == ["alert.create"]
    assert alert.transitions.get().to_status == "draft"


def test_it_saves_a_drawn_area_as_a_custom_zone(cast: Cast, zone: Zone) -> None:
    from beffroi.alerts.tests.factories import square

    alert = alert_create(
        organisation=cast.org,
        actor=cast.alert_author,
        data=_data(None, drawn_geometry=square(4.004, 45.004, 0.002)),
    )
    drawn = alert.zones.get()
    assert drawn.kind == Zone.Kind.CUSTOM
    assert drawn.memberships.count() == 1  # the subscriber's address, computed at once
    alert_submit(alert=alert, actor=cast.alert_author)


def test_it_refuses_an_sms_over_budget_and_saves_nothing(cast: Cast, zone: Zone) -> None:
    with pytest.raises(AlertError) as excinfo:
        _draft(cast, zone, sms_text="x" * 400, sms_budget_segments=2)
    assert "budget is 2" in excinfo.value.errors["sms_text"][0]
    assert not Alert.objects.exists()
    # UCS-2: 100 characters with an "ê" need two parts of 67.
    with pytest.raises(AlertError):
        _draft(cast, zone, sms_text="ê" * 100, sms_budget_segments=1)
    assert _draft(cast, zone, sms_text="x" * 200, sms_budget_segments=2).pk


def test_it_counts_the_exercise_mark_in_the_budget(cast: Cast, zone: Zone) -> None:
    # A text that fits one part with the STOP mention; "EXERCICE - " pushes it to two.
    from beffroi.alerts.texts import sms_suffix

    text = "a" * (158 - len(sms_suffix("fr")))
    assert _draft(cast, zone, sms_text=text, sms_budget_segments=1).pk
    for cap_status in ("Exercise", "Test"):
        with pytest.raises(AlertError) as excinfo:
            _draft(cast, zone, sms_text=text, sms_budget_segments=1, cap_status=cap_status)
        assert "GSM-7" in excinfo.value.errors["sms_text"][0]
    assert Alert.objects.count() == 1


def test_it_refuses_an_end_in_the_past(cast: Cast, zone: Zone) -> None:
    with pytest.raises(AlertError) as excinfo:
        _draft(cast, zone, expires=timezone.now() - timedelta(minutes=1))
    assert excinfo.value.errors["expires"] == ["The end date is in the past."]
    assert not Alert.objects.exists()


def test_it_refuses_to_submit_an_empty_target(cast: Cast, zone: Zone) -> None:
    alert = _draft(cast, None)  # type: ignore[arg-type]
    with pytest.raises(AlertError) as excinfo:
        alert_submit(alert=alert, actor=cast.alert_author)
    assert "zones" in excinfo.value.errors
    far = make_zone(cast.org, "Désert", 5.0, 46.0)
    nobody = _draft(cast, far)
    with pytest.raises(AlertError) as excinfo:
        alert_submit(alert=nobody, actor=cast.alert_author)
    assert "Nobody registered" in excinfo.value.errors["zones"][0]
    alert.refresh_from_db()
    assert alert.status == Alert.Status.DRAFT


def test_it_requires_a_channel_for_an_actual_alert(cast: Cast, zone: Zone) -> None:
    alert = _draft(cast, zone, channels=[])
    with pytest.raises(AlertError) as excinfo:
        alert_submit(alert=alert, actor=cast.alert_author)
    assert "A real alert needs at least one channel." in excinfo.value.errors["channels"]


def test_it_runs_the_four_eyes_flow_with_audit(
    cast: Cast,
    zone: Zone,
    dispatched: Callable[[], list[int]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    alert = _pending(cast, zone)
    assert alert.submitted_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        alert_approve(alert=alert, actor=cast.alert_approver, verified=True)
    alert.refresh_from_db()
    assert alert.status == Alert.Status.APPROVED
    assert alert.approved_by == cast.alert_approver
    assert not alert.single_approval
    assert dispatched() == [alert.pk]
    assert _actions(alert) == ["alert.create", "alert.submit", "alert.approve"]
    moves = list(alert.transitions.values_list("from_status", "to_status", "actor"))
    assert moves == [
        ("", "draft", cast.alert_author.pk),
        ("draft", "pending", cast.alert_author.pk),
        ("pending", "approved", cast.alert_approver.pk),
    ]


def test_it_rejects_with_a_reason_back_to_draft(cast: Cast, zone: Zone) -> None:
    alert = _pending(cast, zone)
    with pytest.raises(AlertError):
        alert_reject(alert=alert, actor=cast.alert_approver, reason="  ", verified=True)
    alert_reject(alert=alert, actor=cast.alert_approver, reason="Trop vague", verified=True)
    alert.refresh_from_db()
    assert alert.status == Alert.Status.DRAFT
    last = alert.transitions.last()
    assert last is not None and last.reason == "Trop vague"
    assert _actions(alert)[-1] == "alert.reject"
    alert_update_draft(alert=alert, actor=cast.alert_author, data=_data(zone, headline="Crue !"))
    assert Alert.objects.get(pk=alert.pk).headline == "Crue !"


def test_it_refuses_approval_by_the_wrong_people(
    cast: Cast, zone: Zone, dispatched: Callable[[], list[int]]
) -> None:
    alert = _pending(cast, zone)
    for user in (cast.resident, cast.alert_author, cast.administrator, cast.other_admin):
        with pytest.raises(AlertPermissionError):
            alert_approve(alert=alert, actor=user, verified=True)
    with pytest.raises(AlertPermissionError):
        alert_approve(alert=alert, actor=cast.alert_approver, verified=False)
    alert.refresh_from_db()
    assert alert.status == Alert.Status.PENDING
    assert not AuditEvent.objects.filter(action="alert.approve").exists()
    assert dispatched() == []


def test_it_refuses_self_approval_whatever_the_kind(cast: Cast, zone: Zone) -> None:
    for cap_status in ("Actual", "Exercise", "Test"):
        alert = alert_create(
            organisation=cast.org,
            actor=cast.alert_approver,
            data=_data(zone, cap_status=cap_status),
        )
        alert_submit(alert=alert, actor=cast.alert_approver)
        with pytest.raises(AlertPermissionError):
            alert_approve(alert=alert, actor=cast.alert_approver, verified=True)
        assert Alert.objects.get(pk=alert.pk).status == Alert.Status.PENDING


def test_it_allows_single_approval_only_when_enabled_and_justified(
    cast: Cast,
    zone: Zone,
    dispatched: Callable[[], list[int]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with pytest.raises(AlertPermissionError):
        alert_settings_update(
            organisation=cast.org, actor=cast.alert_approver, single_approval_allowed=True
        )
    alert_settings_update(
        organisation=cast.org, actor=cast.administrator, single_approval_allowed=True
    )
    cast.org.refresh_from_db()
    assert single_approval_allowed(cast.org)
    assert AuditEvent.objects.filter(action="alert.settings_update").exists()
    alert = alert_create(organisation=cast.org, actor=cast.alert_approver, data=_data(zone))
    alert_submit(alert=alert, actor=cast.alert_approver)
    alert.organisation.refresh_from_db()
    with pytest.raises(AlertError) as excinfo:
        alert_approve(alert=alert, actor=cast.alert_approver, verified=True)
    assert "justification" in excinfo.value.errors
    with pytest.raises(AlertPermissionError):
        alert_approve(alert=alert, actor=cast.alert_approver, verified=False, justification="x")
    with django_capture_on_commit_callbacks(execute=True):
        alert_approve(
            alert=alert,
            actor=cast.alert_approver,
            verified=True,
            justification="Seule d'astreinte cette nuit, crue rapide",
        )
    alert.refresh_from_db()
    assert alert.status == Alert.Status.APPROVED
    assert alert.single_approval
    assert alert.single_approval_reason.startswith("Seule")
    event = AuditEvent.objects.get(action="alert.single_approval")
    assert event.reason.startswith("Seule")
    assert dispatched() == [alert.pk]


def test_it_cancels_a_draft_or_pending_alert(cast: Cast, zone: Zone) -> None:
    draft = _draft(cast, zone)
    assert alert_cancel(alert=draft, actor=cast.alert_author, reason="Fausse alerte") == draft
    assert Alert.objects.get(pk=draft.pk).status == Alert.Status.CANCELLED
    pending = _pending(cast, zone)
    alert_cancel(alert=pending, actor=cast.alert_author)
    assert Alert.objects.get(pk=pending.pk).status == Alert.Status.CANCELLED
    assert _actions(pending)[-1] == "alert.cancelled"
    with pytest.raises(AlertError):
        alert_submit(alert=Alert.objects.get(pk=pending.pk), actor=cast.alert_author)


def _sent(cast: Cast, zone: Zone) -> Alert:
    alert = _pending(cast, zone)
    alert_approve(alert=alert, actor=cast.alert_approver, verified=True)
    alert_transition(alert=alert, to_status="sending", actor=None)
    alert_transition(alert=alert, to_status="sent", actor=None, reason="1 of 1")
    return alert


def test_it_cancels_a_sent_alert_with_a_cancel_message(cast: Cast, zone: Zone) -> None:
    sent = _sent(cast, zone)
    assert sent.finished_at is not None and sent.sent_at is not None
    cancel = alert_cancel(alert=sent, actor=cast.alert_author, reason="Décrue")
    assert cancel.pk != sent.pk
    assert cancel.msg_type == Alert.MsgType.CANCEL
    assert cancel.references == sent
    assert cancel.status == Alert.Status.DRAFT
    # Written in the alerts' base language (French), whatever the agent's language.
    assert cancel.headline == f"Fin d'alerte : {sent.headline}"
    assert list(cancel.zones.all()) == [zone]
    assert Alert.objects.get(pk=sent.pk).status == Alert.Status.SENT
    # the same approval flow
    alert_submit(alert=cancel, actor=cast.alert_author)
    alert_approve(alert=cancel, actor=cast.alert_approver, verified=True)
    assert Alert.objects.get(pk=cancel.pk).status == Alert.Status.APPROVED


def test_it_prepares_an_update_referencing_the_original(cast: Cast, zone: Zone) -> None:
    sent = _sent(cast, zone)
    update = alert_update_from(alert=sent, actor=cast.alert_author)
    assert update.msg_type == Alert.MsgType.UPDATE
    assert update.references == sent
    assert update.headline == sent.headline
    assert update.status == Alert.Status.DRAFT
    with pytest.raises(AlertError):
        alert_update_from(alert=_draft(cast, zone), actor=cast.alert_author)


def test_it_refuses_unknown_transitions(cast: Cast, zone: Zone) -> None:
    alert = _draft(cast, zone)
    with pytest.raises(AlertError):
        alert_transition(alert=alert, to_status="sent", actor=None)
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.DRAFT
    assert AlertTransition.objects.filter(alert=alert).count() == 1


def test_it_lets_the_system_move_an_approved_alert(cast: Cast, zone: Zone) -> None:
    sent = _sent(cast, zone)
    moves: list[tuple[str, int | None]] = list(sent.transitions.values_list("to_status", "actor"))
    assert moves[-2:] == [
        ("sending", None),
        ("sent", None),
    ]
    event = AuditEvent.objects.filter(action="alert.sent").get()
    assert event.actor is None and event.reason == "1 of 1"


def test_it_refuses_composing_to_residents_and_front_desk(cast: Cast, zone: Zone) -> None:
    for user in (cast.resident, cast.front_desk, cast.social_agent):
        with pytest.raises(AlertPermissionError):
            alert_create(organisation=cast.org, actor=user, data=_data(zone))
    other = RoleAssignment.objects.filter(user=cast.other_admin).get()
    assert other.role == Role.ADMINISTRATOR
    with pytest.raises(AlertPermissionError):
        alert_create(organisation=cast.org, actor=cast.other_admin, data=_data(zone))
    assert not Alert.objects.exists()


def test_it_refuses_zones_of_another_organisation(cast: Cast, zone: Zone) -> None:
    foreign = make_zone(cast.other_org, "Ailleurs", 4.0, 45.0)
    with pytest.raises(AlertError):
        _draft(cast, foreign)
    assert not Alert.objects.exists()
    assert ALLOWED_TRANSITIONS["sent"] == frozenset()
