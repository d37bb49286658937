"""Agents' pages of the composer, under /backoffice/alertes/ (2FA-guarded prefix).

Views parse, check access, call one service and render; the four-eyes rule itself is
enforced by the services (``alert_approve``), the role guards here only keep pages closed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from beffroi.accounts.access import (
    has_role,
    is_verified,
    request_organisation,
    roles_required,
)
from beffroi.accounts.models import Role, User
from beffroi.alerts.access import (
    ALERT_VIEW_ROLES,
    APPROVER_ROLES,
    COMPOSER_ROLES,
    SETTINGS_ROLES,
    TEMPLATE_EDIT_ROLES,
    access_alert,
    access_template,
)
from beffroi.alerts.audience import (
    AudienceCounts,
    Target,
    alert_audience_counts,
    alert_vulnerable_in_target,
    target_audience_counts,
    target_channel_languages,
)
from beffroi.alerts.composer.forms import (
    TRANSLATED,
    AlertFilterForm,
    AlertForm,
    AlertSettingsForm,
    ApproveForm,
    CancelForm,
    RejectForm,
    TemplateForm,
)
from beffroi.alerts.composer.selectors import (
    alert_history,
    alert_last_rejection,
    alert_status_counts,
    alerts_for_agents,
    channel_labels,
    channel_rows,
    email_previews,
    sms_summary,
    target_geojson,
    targeting_zones,
    templates_for,
    zone_rows,
)
from beffroi.alerts.composer.services import (
    AlertPermissionError,
    alert_approve,
    alert_cancel,
    alert_create,
    alert_data_from,
    alert_is_contributor,
    alert_problems,
    alert_reject,
    alert_settings_update,
    alert_submit,
    alert_template_create,
    alert_template_delete,
    alert_template_update,
    alert_templates_defaults,
    alert_update_draft,
    alert_update_from,
    single_approval_allowed,
)
from beffroi.alerts.models import Alert, AlertTranslation, Channel, Topic
from beffroi.alerts.public.selectors import DEFAULT_DURATION, message_end
from beffroi.alerts.subscriptions.services import sms_daily_budget, unsubscribed_retention_days
from beffroi.alerts.texts import BASE_LANGUAGE, alert_texts
from beffroi.alerts.workflow import AlertError
from beffroi.territory.models import Organisation, Zone


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _add_errors(form: Form, error: AlertError) -> None:
    for field, errors in error.errors.items():
        for message in errors:
            form.add_error(field if field in form.fields else None, message)


def _posted(request: HttpRequest) -> Any:
    # Not ``request.POST or None``: a POST of only unticked boxes is empty yet a submission.
    return request.POST if request.method == "POST" else None


def _ints(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


# ---------------------------------------------------------------------------------------------
# List and detail


@roles_required(ALERT_VIEW_ROLES)
def alert_list(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    filters = AlertFilterForm(request.GET or None)
    params = filters.cleaned_data if filters.is_valid() else {}
    alerts = alerts_for_agents(
        organisation=organisation,
        status=params.get("status", ""),
        cap_status=params.get("cap_status", ""),
        topic=params.get("topic", ""),
        query=params.get("q", ""),
    )
    page = Paginator(alerts, 30).get_page(request.GET.get("page"))
    counts = alert_status_counts(organisation=organisation)
    return render(
        request,
        "alerts/composer/alert_list.html",
        {
            "page": page,
            "filters": filters,
            "status_counts": [
                (value, label, counts.get(value, 0)) for value, label in Alert.Status.choices
            ],
            "can_compose": has_role(request.user, organisation, *COMPOSER_ROLES),
            "is_approver": has_role(request.user, organisation, *APPROVER_ROLES),
            "is_admin": has_role(request.user, organisation, Role.ADMINISTRATOR),
        },
    )


def _texts_by_language(alert: Alert) -> list[tuple[str, Any]]:
    languages = [BASE_LANGUAGE, *(t.language for t in alert.translations.all())]
    return [(language, alert_texts(alert, language)) for language in dict.fromkeys(languages)]


def _alert_context(request: HttpRequest, alert: Alert) -> dict[str, Any]:
    organisation = request_organisation(request)
    user = request.user
    counts = alert_audience_counts(alert=alert)
    zones = list(alert.zones.all())
    is_composer = has_role(user, organisation, *COMPOSER_ROLES)
    is_approver = has_role(user, organisation, *APPROVER_ROLES)
    own = alert_is_contributor(alert=alert, user=user)
    pending = alert.status == Alert.Status.PENDING
    editable = alert.status in (Alert.Status.DRAFT, Alert.Status.PENDING)
    show_vulnerable = (
        alert.include_vulnerable
        and has_role(user, organisation, Role.SOCIAL_AGENT)
        and is_verified(user)
    )
    return {
        "alert": alert,
        "texts": _texts_by_language(alert),
        "counts": counts,
        "zone_rows": zone_rows(counts, zones),
        "channel_rows": channel_rows(counts),
        "channel_labels": channel_labels(alert.channels or ()),
        "sms": sms_summary(
            alert=alert,
            budget=alert.sms_budget_segments,
            recipients=counts.per_language.get(Channel.SMS, {}),
        )
        if Channel.SMS in alert.channels
        else None,
        "emails": email_previews(alert=alert) if Channel.EMAIL in alert.channels else [],
        "target_geojson": target_geojson(alert=alert),
        # The end residents read on the public page and "Mon quartier": the one set, or
        # the default a day after sending (said so).
        "effective_end": message_end(alert),
        "default_hours": int(DEFAULT_DURATION.total_seconds() // 3600),
        "transitions": alert_history(alert=alert),
        "rejection": alert_last_rejection(alert=alert),
        "problems": alert_problems(alert) if alert.status == Alert.Status.DRAFT else {},
        "vulnerable_count": alert_vulnerable_in_target(alert=alert).count()
        if show_vulnerable
        else None,
        "can_edit": is_composer and editable,
        "can_submit": is_composer and alert.status == Alert.Status.DRAFT,
        "can_review": is_approver
        and pending
        and (not own or single_approval_allowed(organisation)),
        "four_eyes_blocked": is_approver
        and pending
        and own
        and not single_approval_allowed(organisation),
        "live_url": reverse("alerts_dispatch:live", args=[alert.pk])
        if alert.status
        in (Alert.Status.APPROVED, Alert.Status.SENDING, Alert.Status.SENT, Alert.Status.FAILED)
        else "",
        "can_cancel": is_composer
        and alert.status
        in (
            Alert.Status.DRAFT,
            Alert.Status.PENDING,
            Alert.Status.APPROVED,
            Alert.Status.SENDING,
            Alert.Status.SENT,
        )
        and alert.msg_type != Alert.MsgType.CANCEL,
        "can_update": is_composer
        and alert.status in (Alert.Status.APPROVED, Alert.Status.SENDING, Alert.Status.SENT)
        and alert.msg_type != Alert.MsgType.CANCEL,
        "own": own,
    }


@roles_required(ALERT_VIEW_ROLES)
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = access_alert(request, alert_id)
    return render(request, "alerts/composer/alert_detail.html", _alert_context(request, alert))


# ---------------------------------------------------------------------------------------------
# Compose


def _form_page(
    request: HttpRequest,
    form: AlertForm,
    alert: Alert | None,
    zones: list[Zone],
    *,
    template_id: int | None = None,
) -> HttpResponse:
    organisation = request_organisation(request)
    values = form.data if form.is_bound else form.initial
    recipients = (
        target_channel_languages(Target.of(alert), Channel.SMS) if alert is not None else None
    )
    return render(
        request,
        "alerts/composer/alert_form.html",
        {
            "form": form,
            "alert": alert,
            "zones_geojson": {
                "type": "FeatureCollection",
                "features": [_zone_feature(z) for z in zones],
            },
            **_message_preview(organisation, values, recipients),
            "organisation": organisation,
            "template_id": template_id,
        },
    )


def _zone_feature(zone: Zone) -> dict[str, Any]:
    from beffroi.territory.selectors import zone_feature

    return zone_feature(zone, address_count=getattr(zone, "address_count", None))


def _probe(organisation: Organisation, values: Any) -> tuple[Alert, list[AlertTranslation]]:
    """An unsaved alert (and its English version) from the form's values as they stand:
    what the preview shows before anything is saved. ``values``: posted data or initial."""

    def text(name: str) -> str:
        value = values.get(name)
        return "" if value is None else str(value).strip()

    alert = Alert(
        organisation=organisation,
        cap_status=text("cap_status"),
        is_public=values.get("is_public") in (True, "on", "true", "1"),
        **{name: text(name) for name in TRANSLATED},
    )
    english = AlertTranslation(language="en", **{name: text(f"en_{name}") for name in TRANSLATED})
    has_english = any(getattr(english, name) for name in TRANSLATED)
    return alert, [english] if has_english else []


def _message_preview(
    organisation: Organisation, values: Any, recipients: dict[str, int] | None
) -> dict[str, Any]:
    """The SMS and e-mails of the form's alert exactly as dispatch would send them, and the
    cost of the SMS for ``recipients`` (SMS recipients per language; None: target unknown)."""
    alert, translations = _probe(organisation, values)
    return {
        "sms": sms_summary(
            alert=alert,
            translations=translations,
            budget=_int(values.get("sms_budget_segments"), 2),
            recipients=recipients,
        ),
        "emails": email_previews(alert=alert, translations=translations),
    }


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@roles_required(COMPOSER_ROLES)
@require_http_methods(["GET", "POST"])
def alert_new(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    zones = targeting_zones(organisation=organisation)
    initial: dict[str, Any] = {
        "cap_status": Alert.CapStatus.ACTUAL,
        "category": Alert.Category.SAFETY,
        "urgency": Alert.Urgency.EXPECTED,
        "severity": Alert.Severity.MODERATE,
        "certainty": Alert.Certainty.LIKELY,
        "sms_budget_segments": 2,
        "is_public": True,
        "channels": [Channel.EMAIL, Channel.SMS],
    }
    template = None
    template_id = request.GET.get("template", "")
    if template_id.isdigit():
        template = access_template(request, int(template_id))
        initial.update(AlertForm.initial_from(alert_data_from(template)))
        initial.update({"cap_status": Alert.CapStatus.ACTUAL, "is_public": True})
    form = AlertForm(_posted(request), initial=initial, zones=zones)
    if request.method == "POST" and form.is_valid():
        data = form.to_data()
        posted_template = request.POST.get("template", "")
        if posted_template.isdigit():
            data.template = access_template(request, int(posted_template))
        try:
            alert = alert_create(
                organisation=organisation, actor=_user(request), data=data, request=request
            )
        except AlertError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request, _("Draft saved. Check the audience and the texts, then submit it.")
            )
            return redirect("alerts_backoffice:alert_detail", alert_id=alert.pk)
    posted = request.POST.get("template", "")
    template_pk = template.pk if template else (int(posted) if posted.isdigit() else None)
    return _form_page(request, form, None, zones, template_id=template_pk)


@roles_required(COMPOSER_ROLES)
@require_http_methods(["GET", "POST"])
def alert_edit(request: HttpRequest, alert_id: int) -> HttpResponse:
    organisation = request_organisation(request)
    alert = access_alert(request, alert_id)
    if alert.status not in (Alert.Status.DRAFT, Alert.Status.PENDING):
        messages.error(request, _("Only a draft or a pending alert can be edited."))
        return redirect("alerts_backoffice:alert_detail", alert_id=alert.pk)
    zones = targeting_zones(
        organisation=organisation, selected=list(alert.zones.values_list("pk", flat=True))
    )
    form = AlertForm(
        _posted(request), initial=AlertForm.initial_from(alert_data_from(alert)), zones=zones
    )
    if request.method == "POST" and form.is_valid():
        try:
            alert_update_draft(
                alert=alert, actor=_user(request), data=form.to_data(), request=request
            )
        except AlertError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Draft saved."))
            return redirect("alerts_backoffice:alert_detail", alert_id=alert.pk)
    return _form_page(request, form, alert, zones)


@roles_required(COMPOSER_ROLES)
@require_POST
def alert_sms_preview(request: HttpRequest) -> HttpResponse:
    """htmx, on any change of the form: the SMS as sent in each language (encoding, parts,
    characters left, cost for the target ticked) in place, and out of band the e-mails as
    sent, the audience of the target and the placeholders left. One request refreshes them
    all: separate ones sent by the same change cancelled each other."""
    organisation = request_organisation(request)
    target = _posted_target(request)
    counts = target_audience_counts(target) if target else None
    recipients = counts.per_language.get(Channel.SMS, {}) if counts else None
    return render(
        request,
        "alerts/composer/_message_preview.html",
        {
            **_message_preview(organisation, request.POST, recipients),
            **_audience_context(request, target, counts),
            "placeholder_fields": AlertForm(request.POST, zones=[]).placeholder_fields,
            "organisation": organisation,
        },
    )


def _posted_target(request: HttpRequest) -> Target | None:
    """The target as currently ticked in the form (None when nothing can be counted yet)."""
    organisation = request_organisation(request)
    post = request.POST
    topic = post.get("topic", "")
    if topic not in Topic.values:
        return None
    zone_ids = tuple(
        Zone.objects.filter(organisation=organisation, pk__in=_ints(post.getlist("zones")))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    probe = Alert(
        cap_status=post.get("cap_status", ""),
        urgency=post.get("urgency", ""),
        severity=post.get("severity", ""),
    )
    from beffroi.alerts.audience import is_emergency

    return Target(
        organisation_id=organisation.pk,
        topic=topic,
        channels=tuple(c for c in post.getlist("channels") if c in Channel.values),
        zone_ids=zone_ids,
        whole_territory=post.get("whole_territory") in ("on", "true", "1"),
        emergency=is_emergency(probe),
    )


@roles_required(COMPOSER_ROLES)
@require_POST
def alert_audience_preview(request: HttpRequest) -> HttpResponse:
    """htmx: recipients per channel and zone for the target ticked in the form."""
    organisation = request_organisation(request)
    target = _posted_target(request)
    return render(
        request,
        "alerts/composer/_audience.html",
        {**_audience_context(request, target), "organisation": organisation},
    )


def _audience_context(
    request: HttpRequest, target: Target | None, counts: AudienceCounts | None = None
) -> dict[str, Any]:
    """What ``_audience.html`` shows for the target ticked in the form (``counts``: already
    computed for it)."""
    if counts is None and target is not None:
        counts = target_audience_counts(target)
    zones = list(Zone.objects.filter(pk__in=target.zone_ids)) if target else []
    return {
        "counts": counts,
        "zone_rows": zone_rows(counts, zones) if counts else [],
        "channel_rows": channel_rows(counts) if counts else [],
        "drawn": bool(request.POST.get("drawn_geometry", "").strip()),
        "whole_territory": bool(target and target.whole_territory),
    }


# ---------------------------------------------------------------------------------------------
# Workflow


@roles_required(COMPOSER_ROLES)
@require_POST
def alert_submit_view(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = access_alert(request, alert_id)
    try:
        alert_submit(alert=alert, actor=_user(request), request=request)
    except AlertError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The alert was submitted for approval."))
    return redirect("alerts_backoffice:alert_detail", alert_id=alert.pk)


@roles_required(APPROVER_ROLES)
@require_http_methods(["GET", "POST"])
def alert_review(request: HttpRequest, alert_id: int) -> HttpResponse:
    """The approver's page: the full preview, the audience, approve or reject."""
    alert = access_alert(request, alert_id)
    approve_form = ApproveForm(_posted(request))
    status = 200
    if request.method == "POST" and approve_form.is_valid():
        try:
            alert_approve(
                alert=alert,
                actor=_user(request),
                verified=is_verified(request.user),
                justification=approve_form.cleaned_data["justification"],
                request=request,
            )
        except AlertError as exc:
            _add_errors(approve_form, exc)
        except AlertPermissionError as exc:
            # Said on the page, not a bare 403: the approver learns why (four-eyes rule).
            approve_form.add_error(None, str(exc))
            status = 403
        else:
            messages.success(request, _("The alert was approved: sending starts now."))
            return redirect("alerts_backoffice:alert_detail", alert_id=alert.pk)
    context = _alert_context(request, alert)
    context.update(
        {"approve_form": approve_form, "reject_form": RejectForm(), "form": approve_form}
    )
    return render(request, "alerts/composer/alert_review.html", context, status=status)


@roles_required(APPROVER_ROLES)
@require_POST
def alert_reject_view(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = access_alert(request, alert_id)
    reject_form = RejectForm(request.POST)
    if reject_form.is_valid():
        try:
            alert_reject(
                alert=alert,
                actor=_user(request),
                reason=reject_form.cleaned_data["reason"],
                verified=is_verified(request.user),
                request=request,
            )
        except AlertError as exc:
            _add_errors(reject_form, exc)
        else:
            messages.success(request, _("The alert went back to its author with your reason."))
            return redirect("alerts_backoffice:alert_detail", alert_id=alert.pk)
    context = _alert_context(request, alert)
    context.update({"approve_form": ApproveForm(), "reject_form": reject_form, "form": reject_form})
    return render(request, "alerts/composer/alert_review.html", context, status=400)


@roles_required(COMPOSER_ROLES)
@require_http_methods(["GET", "POST"])
def alert_cancel_view(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = access_alert(request, alert_id)
    form = CancelForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            result = alert_cancel(
                alert=alert,
                actor=_user(request),
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except AlertError as exc:
            _add_errors(form, exc)
        else:
            if result.pk == alert.pk:
                messages.success(request, _("The alert was cancelled."))
                return redirect("alerts_backoffice:alert_detail", alert_id=alert.pk)
            messages.success(
                request,
                _(
                    "A cancellation message was prepared as a draft: check it and submit it "
                    "for approval to tell residents the alert is over."
                ),
            )
            return redirect("alerts_backoffice:alert_edit", alert_id=result.pk)
    return render(request, "alerts/composer/alert_cancel.html", {"alert": alert, "form": form})


@roles_required(COMPOSER_ROLES)
@require_POST
def alert_update_view(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = access_alert(request, alert_id)
    try:
        update = alert_update_from(alert=alert, actor=_user(request), request=request)
    except AlertError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("alerts_backoffice:alert_detail", alert_id=alert.pk)
    messages.success(request, _("An update of the alert was prepared as a draft."))
    return redirect("alerts_backoffice:alert_edit", alert_id=update.pk)


# ---------------------------------------------------------------------------------------------
# Templates


@roles_required(COMPOSER_ROLES)
def template_list(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    return render(
        request,
        "alerts/composer/template_list.html",
        {
            "templates": templates_for(organisation=organisation),
            "can_edit": has_role(request.user, organisation, *TEMPLATE_EDIT_ROLES),
        },
    )


@roles_required(TEMPLATE_EDIT_ROLES)
@require_POST
def template_defaults(request: HttpRequest) -> HttpResponse:
    created = alert_templates_defaults(organisation=request_organisation(request))
    messages.success(request, _("%(count)d PCS templates were added.") % {"count": len(created)})
    return redirect("alerts_backoffice:template_list")


@roles_required(TEMPLATE_EDIT_ROLES)
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, template_id: int | None = None) -> HttpResponse:
    organisation = request_organisation(request)
    template = access_template(request, template_id) if template_id is not None else None
    initial: dict[str, Any] = {}
    if template is not None:
        initial = {
            name: getattr(template, name)
            for name in TemplateForm.base_fields
            if name not in ("default_zones",)
        }
        initial["default_zones"] = list(template.default_zones.values_list("pk", flat=True))
    form = TemplateForm(
        _posted(request), initial=initial, zones=targeting_zones(organisation=organisation)
    )
    if request.method == "POST" and form.is_valid():
        try:
            if template is None:
                template = alert_template_create(
                    organisation=organisation, actor=_user(request), data=form.to_data()
                )
            else:
                alert_template_update(template=template, actor=_user(request), data=form.to_data())
        except AlertError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The template was saved."))
            return redirect("alerts_backoffice:template_list")
    return render(
        request, "alerts/composer/template_form.html", {"form": form, "template": template}
    )


@roles_required(TEMPLATE_EDIT_ROLES)
@require_http_methods(["GET", "POST"])
def template_delete(request: HttpRequest, template_id: int) -> HttpResponse:
    template = access_template(request, template_id)
    if request.method == "POST":
        alert_template_delete(template=template, actor=_user(request))
        messages.success(request, _("The template was deleted."))
        return redirect("alerts_backoffice:template_list")
    return render(request, "alerts/composer/template_delete.html", {"template": template})


# ---------------------------------------------------------------------------------------------
# Settings


@roles_required(SETTINGS_ROLES)
@require_http_methods(["GET", "POST"])
def alert_settings(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    form = AlertSettingsForm(
        _posted(request),
        initial={
            "single_approval_allowed": single_approval_allowed(organisation),
            "sms_daily_budget": sms_daily_budget(organisation),
            "unsubscribed_retention_days": unsubscribed_retention_days(organisation),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            alert_settings_update(
                organisation=organisation,
                actor=_user(request),
                single_approval_allowed=form.cleaned_data["single_approval_allowed"],
                sms_daily_budget=form.cleaned_data["sms_daily_budget"],
                unsubscribed_retention_days=form.cleaned_data["unsubscribed_retention_days"],
                request=request,
            )
        except AlertError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The alert settings were saved."))
            return redirect("alerts_backoffice:settings")
    return render(request, "alerts/composer/settings.html", {"form": form})
