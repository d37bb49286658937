"""Writes of the composer: alerts from draft to approval, their texts, templates and the
organisation's approval settings.

The states and the one way to move between them are in ``beffroi.alerts.workflow``; what
goes out on each channel is in ``beffroi.alerts.texts``.

Four-eyes rule: approving needs an agent holding ``alert_approver`` with a proven second
factor who did not write the content — neither created, edited nor submitted it
(``Alert.contributors``) — whatever the CAP status (an exercise approved by its author
would train nobody on the real procedure). The only exception is the emergency
single-approver mode, which the organisation's administrators must have enabled beforehand,
and which needs a written justification kept in the audit trail.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import override

from beffroi.accounts.access import has_role
from beffroi.accounts.models import Role
from beffroi.alerts.access import APPROVER_ROLES, COMPOSER_ROLES
from beffroi.alerts.audience import alert_audience_counts
from beffroi.alerts.composer.defaults import DEFAULT_TEMPLATES, TemplateData
from beffroi.alerts.dispatch.services import alert_dispatch_enqueue
from beffroi.alerts.models import (
    Alert,
    AlertTemplate,
    AlertTransition,
    AlertTranslation,
    Channel,
    Topic,
)
from beffroi.alerts.texts import (
    BASE_LANGUAGE,
    alert_placeholders,
    exercise_marker,
    message_language,
    sms_full_text,
    sms_suffix,
    with_marker,
)
from beffroi.alerts.workflow import AlertError, alert_transition
from beffroi.core.audit import audit_record
from beffroi.messaging.sms import sms_info
from beffroi.territory.models import Organisation, Zone

if TYPE_CHECKING:
    from beffroi.accounts.models import User

S = Alert.Status

LANGUAGES = ("fr", "en")
MAX_SMS_BUDGET = 10
# How long an organisation may keep an unsubscribed resident's registration: at least a day
# (the unsubscription must be provable), at most ten years (the audit trail's own retention).
MIN_RETENTION_DAYS = 1
MAX_RETENTION_DAYS = 3650


class AlertPermissionError(PermissionDenied):
    """The actor may not do this to this alert (the message says why)."""


# ---------------------------------------------------------------------------------------------
# Validation


def _budget_errors(alert: Alert) -> list[str]:
    errors = []
    # Each SMS that goes out once: a language without its own SMS text gets the French one.
    languages = [message_language(alert, t.language, Channel.SMS) for t in alert.translations.all()]
    for language in dict.fromkeys([BASE_LANGUAGE, *languages]):
        text = sms_full_text(alert, language)
        if not text:
            continue
        info = sms_info(text)
        if info.segments > alert.sms_budget_segments:
            errors.append(
                _(
                    "The SMS text (%(language)s) needs %(segments)d parts (%(encoding)s, "
                    "%(length)d characters including the exercise mark and the STOP "
                    "mention) but the budget is %(budget)d: shorten it or raise the budget."
                )
                % {
                    "language": language,
                    "segments": info.segments,
                    "encoding": info.encoding,
                    "length": info.length,
                    "budget": alert.sms_budget_segments,
                }
            )
    return errors


def _content_errors(alert: Alert, *, now: datetime) -> dict[str, list[str]]:
    """What is wrong whatever the step (draft save included)."""
    errors: dict[str, list[str]] = {}

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    if not alert.headline.strip():
        add("headline", _("Enter a headline."))
    if alert.expires is not None and alert.expires <= now:
        add("expires", _("The end date is in the past."))
    if alert.onset and alert.expires and alert.expires <= alert.onset:
        add("expires", _("The end must come after the start."))
    unknown = [c for c in alert.channels if c not in Channel.values]
    if unknown:
        add("channels", _("Unknown channel: %(channels)s.") % {"channels": ", ".join(unknown)})
    if not 1 <= alert.sms_budget_segments <= MAX_SMS_BUDGET:
        add(
            "sms_budget_segments",
            _("The SMS budget must be between 1 and %(max)d parts.") % {"max": MAX_SMS_BUDGET},
        )
    else:
        for message in _budget_errors(alert):
            add("sms_text", message)
    return errors


def _field_label(name: str) -> str:
    field = Alert._meta.get_field(name)
    return capfirst(str(field.verbose_name)) if isinstance(field, models.Field) else name


def alert_problems(alert: Alert, *, now: datetime | None = None) -> dict[str, list[str]]:
    """Everything that stops ``alert`` from being submitted or approved (empty if none)."""
    now = now or timezone.now()
    errors = _content_errors(alert, now=now)

    def add(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    if alert.cap_status == Alert.CapStatus.ACTUAL and not alert.channels:
        add("channels", _("A real alert needs at least one channel."))
    if Channel.SMS in alert.channels and not alert.sms_text.strip():
        add("sms_text", _("Write the SMS text, or untick the SMS channel."))
    if Channel.EMAIL in alert.channels and not (
        alert.email_body.strip() or alert.description.strip() or alert.instruction.strip()
    ):
        add("email_body", _("Write the e-mail text, or untick the e-mail channel."))
    for language, name, left in alert_placeholders(alert):
        key = name if language == BASE_LANGUAGE else f"{language}_{name}"
        add(
            key,
            _(
                "%(field)s (%(language)s) still holds text to fill in: %(placeholders)s. "
                "Replace it with the real information."
            )
            % {
                "field": _field_label(name),
                "language": language,
                "placeholders": ", ".join(left),
            },
        )
    if not alert.whole_territory and not alert.zones.exists():
        add("zones", _("Choose at least one zone, draw an area, or target the whole territory."))
    elif alert.channels and alert_audience_counts(alert=alert).messages == 0:
        add("zones", _("Nobody registered can be reached in this target on these channels."))
    return errors


# ---------------------------------------------------------------------------------------------
# Composing


@dataclass
class TranslationData:
    headline: str = ""
    description: str = ""
    instruction: str = ""
    sms_text: str = ""
    email_subject: str = ""
    email_body: str = ""

    def is_empty(self) -> bool:
        return not any(vars(self).values())


@dataclass
class AlertData:
    """What the author writes: every editable field of an alert."""

    topic: str
    headline: str
    category: str = Alert.Category.SAFETY
    urgency: str = Alert.Urgency.EXPECTED
    severity: str = Alert.Severity.MODERATE
    certainty: str = Alert.Certainty.LIKELY
    cap_status: str = Alert.CapStatus.ACTUAL
    description: str = ""
    instruction: str = ""
    sms_text: str = ""
    email_subject: str = ""
    email_body: str = ""
    onset: datetime | None = None
    expires: datetime | None = None
    channels: list[str] = field(default_factory=list)
    sms_budget_segments: int = 2
    include_vulnerable: bool = False
    # None: public for a real alert or a test, not for an exercise (a drill on the public
    # page and in the feeds that relay it would read as a real danger to whoever finds it).
    is_public: bool | None = None
    whole_territory: bool = False
    zones: list[Zone] = field(default_factory=list)
    # A polygon drawn on the map (GeoJSON); saved as a custom zone of the organisation.
    drawn_geometry: dict[str, Any] | None = None
    translations: dict[str, TranslationData] = field(default_factory=dict)
    template: AlertTemplate | None = None


# The Alert fields copied as they are between AlertData, forms and models.
ALERT_SCALAR_FIELDS = (
    "topic",
    "headline",
    "category",
    "urgency",
    "severity",
    "certainty",
    "cap_status",
    "description",
    "instruction",
    "sms_text",
    "email_subject",
    "email_body",
    "onset",
    "expires",
    "channels",
    "sms_budget_segments",
    "include_vulnerable",
    "is_public",
    "whole_territory",
)


def _require_composer(actor: User, organisation: Organisation) -> None:
    if not has_role(actor, organisation, *COMPOSER_ROLES):
        raise AlertPermissionError(_("Only alert authors, approvers and administrators compose."))


def _check_choices(data: AlertData) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    checks = {
        "topic": (data.topic, Topic.values),
        "category": (data.category, Alert.Category.values),
        "urgency": (data.urgency, Alert.Urgency.values),
        "severity": (data.severity, Alert.Severity.values),
        "certainty": (data.certainty, Alert.Certainty.values),
        "cap_status": (data.cap_status, Alert.CapStatus.values),
    }
    for name, (value, allowed) in checks.items():
        if value not in allowed:
            errors[name] = [_("Choose a valid value.")]
    for language in data.translations:
        if language not in LANGUAGES or language == BASE_LANGUAGE:
            errors.setdefault("", []).append(_("Unsupported language: %s.") % language)
    return errors


def _drawn_zone(organisation: Organisation, geometry: dict[str, Any], actor: User) -> Zone:
    from beffroi.territory.services import ZoneError, zone_create

    name = _("Alert area drawn on %(when)s") % {
        "when": timezone.localtime().strftime("%Y-%m-%d %H:%M:%S.%f")
    }
    try:
        return zone_create(
            organisation=organisation,
            name=name,
            kind=Zone.Kind.CUSTOM,
            geometry=geometry,
            description=_("Drawn by %(who)s for an alert.") % {"who": actor.email},
            actor=actor,
        )
    except ZoneError as exc:
        raise AlertError({"drawn_geometry": exc.messages}) from exc


def _apply(alert: Alert, data: AlertData, actor: User) -> list[Zone]:
    for name in ALERT_SCALAR_FIELDS:
        setattr(alert, name, getattr(data, name))
    alert.headline = alert.headline.strip()
    if data.is_public is None:
        alert.is_public = alert.cap_status != Alert.CapStatus.EXERCISE
    alert.channels = [c for c in Channel.values if c in data.channels]
    zones = [z for z in data.zones if z.organisation_id == alert.organisation_id]
    if len(zones) != len(data.zones):
        raise AlertError({"zones": [_("Choose zones of your organisation.")]})
    if data.template is not None:
        if data.template.organisation_id != alert.organisation_id:
            raise AlertError({"": [_("Unknown template.")]})
        alert.template = data.template
    return zones


def _save_translations(alert: Alert, translations: dict[str, TranslationData]) -> None:
    for language, texts in translations.items():
        if texts.is_empty():
            AlertTranslation.objects.filter(alert=alert, language=language).delete()
            continue
        AlertTranslation.objects.update_or_create(
            alert=alert, language=language, defaults=vars(texts)
        )


def _validate_saved(alert: Alert) -> None:
    # Budget and dates are checked on the saved rows (translations included): a failure
    # rolls the whole save back, so nothing is left half-written.
    alert.refresh_from_db()
    errors = _content_errors(alert, now=timezone.now())
    if errors:
        raise AlertError(errors)


def new_alert_identifier(organisation: Organisation) -> str:
    """Unique across installations: the identifier travels in CAP documents and feeds."""
    return f"beffroi-{organisation.slug}-{uuid.uuid4().hex[:16]}"


def alert_create(
    *,
    organisation: Organisation,
    actor: User,
    data: AlertData,
    request: HttpRequest | None = None,
    msg_type: str = Alert.MsgType.ALERT,
    references: Alert | None = None,
    reason: str = "",
) -> Alert:
    """A new draft alert written by ``actor``; ``reason`` (where the draft comes from, such
    as an authority's CAP message) is kept with its first transition."""
    _require_composer(actor, organisation)
    errors = _check_choices(data)
    if errors:
        raise AlertError(errors)
    with transaction.atomic():
        alert = Alert(
            organisation=organisation,
            identifier=new_alert_identifier(organisation),
            created_by=actor,
            msg_type=msg_type,
            references=references,
        )
        zones = _apply(alert, data, actor)
        alert.save()
        alert.contributors.add(actor)
        if data.drawn_geometry:
            zones.append(_drawn_zone(organisation, data.drawn_geometry, actor))
        alert.zones.set(zones)
        _save_translations(alert, data.translations)
        _validate_saved(alert)
        AlertTransition.objects.create(
            alert=alert, from_status="", to_status=S.DRAFT, actor=actor, reason=reason
        )
        audit_record(
            action="alert.create",
            organisation=organisation,
            actor=actor,
            target=alert,
            data={"msg_type": msg_type, "references": references.pk if references else None},
            request=request,
        )
    return alert


def alert_update_draft(
    *, alert: Alert, actor: User, data: AlertData, request: HttpRequest | None = None
) -> Alert:
    """Change a draft. A pending alert is first sent back to draft by ``actor`` (a recorded
    transition): it must be submitted again, and approved by someone who did not touch it."""
    _require_composer(actor, alert.organisation)
    errors = _check_choices(data)
    if errors:
        raise AlertError(errors)
    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        if locked.status == S.PENDING:
            alert_transition(
                alert=locked,
                to_status=S.DRAFT,
                actor=actor,
                reason=_("Edited while waiting for approval: to be submitted again."),
                request=request,
                action="reopen",
            )
        if locked.status != S.DRAFT:
            raise AlertError({"": [_("Only a draft or a pending alert can be edited.")]})
        zones = _apply(locked, data, actor)
        locked.save()
        locked.contributors.add(actor)
        if data.drawn_geometry:
            zones.append(_drawn_zone(alert.organisation, data.drawn_geometry, actor))
        locked.zones.set(zones)
        _save_translations(locked, data.translations)
        _validate_saved(locked)
        audit_record(
            action="alert.update_draft",
            organisation=alert.organisation,
            actor=actor,
            target=locked,
            request=request,
        )
    return locked


def alert_data_from(source: Alert | AlertTemplate) -> AlertData:
    """Prefill: the fields of an alert (update, cancel) or of a template (new alert)."""
    data = AlertData(
        topic=source.topic,
        headline=source.headline,
        category=source.category,
        urgency=source.urgency,
        severity=source.severity,
        certainty=source.certainty,
        description=source.description,
        instruction=source.instruction,
        sms_text=source.sms_text,
        email_subject=source.email_subject,
        email_body=source.email_body,
    )
    if isinstance(source, AlertTemplate):
        data.channels = list(source.default_channels)
        data.zones = list(source.default_zones.all())
        data.template = source
        return data
    for name in ALERT_SCALAR_FIELDS:
        setattr(data, name, getattr(source, name))
    data.zones = list(source.zones.all())
    data.translations = {
        t.language: TranslationData(
            headline=t.headline,
            description=t.description,
            instruction=t.instruction,
            sms_text=t.sms_text,
            email_subject=t.email_subject,
            email_body=t.email_body,
        )
        for t in source.translations.all()
    }
    return data


# ---------------------------------------------------------------------------------------------
# Approval workflow


def alert_submit(*, alert: Alert, actor: User, request: HttpRequest | None = None) -> Alert:
    """draft → pending: the alert is complete and waits for a second agent."""
    _require_composer(actor, alert.organisation)
    problems = alert_problems(alert)
    if problems:
        raise AlertError(problems)
    with transaction.atomic():
        alert_transition(alert=alert, to_status=S.PENDING, actor=actor, request=request)
        # Submitting vouches for the text: the submitter is no second pair of eyes either.
        alert.contributors.add(actor)
    return alert


def alert_reject(
    *,
    alert: Alert,
    actor: User,
    reason: str,
    verified: bool,
    request: HttpRequest | None = None,
) -> Alert:
    """pending → draft with the reason the author will read."""
    _require_approver(actor, alert, verified)
    if not reason.strip():
        raise AlertError({"reason": [_("Say why the alert is rejected: the author reads it.")]})
    return alert_transition(
        alert=alert, to_status=S.DRAFT, actor=actor, reason=reason.strip(), request=request
    )


def single_approval_allowed(organisation: Organisation) -> bool:
    alerts = (organisation.settings or {}).get("alerts") or {}
    return bool(alerts.get("single_approval_allowed", False))


def alert_is_contributor(*, alert: Alert, user: Any) -> bool:
    """Whether ``user`` (anonymous: never) created, edited or submitted ``alert``: then they
    may not approve it."""
    if not getattr(user, "pk", None):
        return False
    return alert.created_by_id == user.pk or alert.contributors.filter(pk=user.pk).exists()


def _require_approver(actor: User, alert: Alert, verified: bool) -> None:
    if not has_role(actor, alert.organisation, *APPROVER_ROLES):
        raise AlertPermissionError(_("Only an alert approver can approve or reject an alert."))
    if not verified:
        raise AlertPermissionError(_("Prove your second factor (2FA) before approving."))


def alert_approve(
    *,
    alert: Alert,
    actor: User,
    verified: bool,
    justification: str = "",
    request: HttpRequest | None = None,
) -> Alert:
    """pending → approved, then dispatch after commit.

    ``verified``: the view's ``is_verified(request.user)`` — a second factor proven in this
    session. Someone who created, edited or submitted the alert may approve it only in the
    emergency single-approver mode (organisation setting) and with a ``justification``.
    """
    _require_approver(actor, alert, verified)
    single = alert_is_contributor(alert=alert, user=actor)
    if single:
        if not single_approval_allowed(alert.organisation):
            raise AlertPermissionError(
                _(
                    "Another approver must approve this alert: you wrote, edited or "
                    "submitted it (four-eyes rule)."
                )
            )
        if not justification.strip():
            raise AlertError(
                {
                    "justification": [
                        _("Approving your own alert needs a justification (emergency mode).")
                    ]
                }
            )
    problems = alert_problems(alert)
    if problems:
        raise AlertError(problems)
    with transaction.atomic():
        # Checked again under the row lock: an edit committed since the first check (which
        # sends the alert back to draft) must not let its editor's approval through.
        Alert.objects.select_for_update().filter(pk=alert.pk).first()
        if alert_is_contributor(alert=alert, user=actor) != single:
            raise AlertError({"": [_("The alert changed while you reviewed it: review it again.")]})
        alert.approved_by = actor
        alert.single_approval = single
        alert.single_approval_reason = justification.strip() if single else ""
        alert.save(update_fields=["approved_by", "single_approval", "single_approval_reason"])
        alert_transition(
            alert=alert,
            to_status=S.APPROVED,
            actor=actor,
            reason=justification.strip() if single else "",
            request=request,
            data={"single_approval": single},
        )
        if single:
            audit_record(
                action="alert.single_approval",
                organisation=alert.organisation,
                actor=actor,
                target=alert,
                reason=justification.strip(),
                request=request,
            )
        alert_id = alert.pk
        transaction.on_commit(lambda: _dispatch(alert_id))
    return alert


def _dispatch(alert_id: int) -> None:
    """Hand the fan-out to a worker: for 100,000 recipients it takes longer than a request
    may, and a worker that dies during it is replaced by the sweep (``alert_dispatch`` is
    idempotent and ``deliveries_requeue_stale`` re-enqueues alerts stuck in approved)."""
    alert_dispatch_enqueue(alert_id=alert_id)


def _copy_follow_up(
    original: Alert, actor: User, msg_type: str, request: HttpRequest | None
) -> Alert:
    data = alert_data_from(original)
    data.template = original.template
    now = timezone.now()
    if data.expires is not None and data.expires <= now:
        data.expires = None
    if msg_type == Alert.MsgType.CANCEL:
        with override(BASE_LANGUAGE):
            data.headline = (_("End of alert: %(headline)s") % {"headline": original.headline})[
                :160
            ]
            data.sms_text = _("End of alert: %(headline)s. The danger is over.") % {
                "headline": original.headline
            }
            data.email_subject = data.headline
            data.email_body = _("The alert “%(headline)s” is over. The danger is over.") % {
                "headline": original.headline
            }
            data.instruction = _("You can resume your normal activities.")
        # The cancellation must be sendable whatever the original headline's letters: the
        # budget grows to what its SMS needs (the author still sees the cost and may edit).
        marker = exercise_marker(original)
        needed = sms_info(with_marker(marker, data.sms_text) + sms_suffix(BASE_LANGUAGE)).segments
        data.sms_budget_segments = min(MAX_SMS_BUDGET, max(data.sms_budget_segments, needed))
        data.urgency = Alert.Urgency.PAST
        data.severity = Alert.Severity.MINOR
        data.certainty = Alert.Certainty.OBSERVED
        data.translations = {}
        data.include_vulnerable = False
    return alert_create(
        organisation=original.organisation,
        actor=actor,
        data=data,
        request=request,
        msg_type=msg_type,
        references=original,
    )


def alert_cancel(
    *, alert: Alert, actor: User, reason: str = "", request: HttpRequest | None = None
) -> Alert:
    """Cancel an alert. A draft or pending alert is simply cancelled (returned). An alert
    already sent, or on its way, cannot be unsent: a CANCEL alert referencing it is created
    as a draft (returned), to be approved like any other alert."""
    _require_composer(actor, alert.organisation)
    if alert.status in (S.DRAFT, S.PENDING):
        return alert_transition(
            alert=alert, to_status=S.CANCELLED, actor=actor, reason=reason, request=request
        )
    if alert.status in (S.APPROVED, S.SENDING, S.SENT):
        if alert.msg_type == Alert.MsgType.CANCEL:
            raise AlertError({"": [_("A cancellation cannot itself be cancelled.")]})
        return _copy_follow_up(alert, actor, Alert.MsgType.CANCEL, request)
    raise AlertError({"": [_("This alert is already finished.")]})


def alert_update_from(*, alert: Alert, actor: User, request: HttpRequest | None = None) -> Alert:
    """A new draft UPDATE alert referencing ``alert`` (sent or being sent), prefilled."""
    _require_composer(actor, alert.organisation)
    if alert.status not in (S.APPROVED, S.SENDING, S.SENT):
        raise AlertError({"": [_("Only an alert that went out can be updated; edit the draft.")]})
    if alert.msg_type == Alert.MsgType.CANCEL:
        raise AlertError({"": [_("A cancellation cannot be updated.")]})
    return _copy_follow_up(alert, actor, Alert.MsgType.UPDATE, request)


# ---------------------------------------------------------------------------------------------
# Organisation settings


def alert_settings_update(
    *,
    organisation: Organisation,
    actor: User,
    single_approval_allowed: bool,
    sms_daily_budget: int | None = None,
    unsubscribed_retention_days: int | None = None,
    request: HttpRequest | None = None,
) -> Organisation:
    """Administrators enable or disable the emergency single-approver mode, set the daily
    budget of SMS parts outside alerts (registration codes) and the days an unsubscribed
    resident's registration is kept before ``purge_unsubscribed`` erases it (``None`` keeps
    either as it is)."""
    if not has_role(actor, organisation, Role.ADMINISTRATOR):
        raise AlertPermissionError(_("Only administrators change the alert settings."))
    if unsubscribed_retention_days is not None and not (
        MIN_RETENTION_DAYS <= unsubscribed_retention_days <= MAX_RETENTION_DAYS
    ):
        raise AlertError(
            {
                "unsubscribed_retention_days": [
                    _("Keep an unsubscribed registration between %(min)d and %(max)d days.")
                    % {"min": MIN_RETENTION_DAYS, "max": MAX_RETENTION_DAYS}
                ]
            }
        )
    with transaction.atomic():
        locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
        current = dict(locked.settings or {})
        alerts = dict(current.get("alerts") or {})
        before = bool(alerts.get("single_approval_allowed", False))
        alerts["single_approval_allowed"] = single_approval_allowed
        changes: dict[str, Any] = {"single_approval_allowed": [before, single_approval_allowed]}
        if sms_daily_budget is not None:
            changes["sms_daily_budget"] = [alerts.get("sms_daily_budget"), sms_daily_budget]
            alerts["sms_daily_budget"] = max(0, int(sms_daily_budget))
        if unsubscribed_retention_days is not None:
            changes["unsubscribed_retention_days"] = [
                alerts.get("unsubscribed_retention_days"),
                unsubscribed_retention_days,
            ]
            alerts["unsubscribed_retention_days"] = int(unsubscribed_retention_days)
        current["alerts"] = alerts
        locked.settings = current
        locked.save(update_fields=["settings"])
        audit_record(
            action="alert.settings_update",
            organisation=organisation,
            actor=actor,
            target=locked,
            data=changes,
            request=request,
        )
    organisation.settings = locked.settings
    return locked


# ---------------------------------------------------------------------------------------------
# Templates


def _template_errors(organisation: Organisation, data: TemplateData, pk: int | None) -> None:
    errors: dict[str, list[str]] = {}
    if not data.name.strip():
        errors["name"] = [_("Enter a name.")]
    elif (
        AlertTemplate.objects.filter(organisation=organisation, name=data.name.strip())
        .exclude(pk=pk or 0)
        .exists()
    ):
        errors["name"] = [_("A template with this name already exists.")]
    if not data.headline.strip():
        errors["headline"] = [_("Enter a headline.")]
    if data.topic not in Topic.values:
        errors["topic"] = [_("Choose a valid value.")]
    if any(z.organisation_id != organisation.pk for z in data.default_zones):
        errors["default_zones"] = [_("Choose zones of your organisation.")]
    if errors:
        raise AlertError(errors)


def _require_template_editor(actor: User, organisation: Organisation) -> None:
    if not has_role(actor, organisation, Role.ALERT_AUTHOR, Role.ADMINISTRATOR):
        raise AlertPermissionError(_("Only alert authors and administrators edit templates."))


def _template_apply(template: AlertTemplate, data: TemplateData) -> None:
    for name, value in vars(data).items():
        if name != "default_zones":
            setattr(template, name, value.strip() if isinstance(value, str) else value)
    template.default_channels = [c for c in Channel.values if c in data.default_channels]


def alert_template_create(
    *, organisation: Organisation, actor: User | None, data: TemplateData, audit: bool = True
) -> AlertTemplate:
    """``actor`` None: created by a command (default templates); ``audit`` False: created
    with the organisation itself (see ``alert_templates_defaults``)."""
    if actor is not None:
        _require_template_editor(actor, organisation)
    _template_errors(organisation, data, None)
    with transaction.atomic():
        template = AlertTemplate(organisation=organisation)
        _template_apply(template, data)
        template.save()
        template.default_zones.set(data.default_zones)
        if not audit:
            return template
        audit_record(
            action="alert_template.create",
            organisation=organisation,
            actor=actor,
            target=template,
            data={"name": template.name},
        )
    return template


def alert_template_update(
    *, template: AlertTemplate, actor: User, data: TemplateData
) -> AlertTemplate:
    _require_template_editor(actor, template.organisation)
    _template_errors(template.organisation, data, template.pk)
    with transaction.atomic():
        _template_apply(template, data)
        template.save()
        template.default_zones.set(data.default_zones)
        audit_record(
            action="alert_template.update",
            organisation=template.organisation,
            actor=actor,
            target=template,
        )
    return template


def alert_template_delete(*, template: AlertTemplate, actor: User) -> None:
    _require_template_editor(actor, template.organisation)
    with transaction.atomic():
        audit_record(
            action="alert_template.delete",
            organisation=template.organisation,
            actor=actor,
            target=template,
            data={"name": template.name},
        )
        template.delete()


def alert_templates_defaults(
    *, organisation: Organisation, audit: bool = True
) -> list[AlertTemplate]:
    """Create the default PCS templates the organisation lacks (by name); return the new ones.

    ``audit`` False when they come with a new organisation: part of setting it up, not an
    agent's decision, and ten identical events per commune would only bury the real ones."""
    created = []
    existing = set(
        AlertTemplate.objects.filter(organisation=organisation).values_list("name", flat=True)
    )
    for data in DEFAULT_TEMPLATES:
        if data.name in existing:
            continue
        created.append(
            alert_template_create(organisation=organisation, actor=None, data=data, audit=audit)
        )
    return created
