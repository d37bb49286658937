"""Crisis cell views of dispatch: the live view of a sending alert, the post-alert report,
and the HTTP SMS provider's delivery webhook."""

from __future__ import annotations

import hmac
import json
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from beffroi.accounts.access import request_organisation, roles_required
from beffroi.alerts.access import ALERT_VIEW_ROLES, access_dispatch_alert, can_read_registry
from beffroi.alerts.audience import alert_vulnerable_in_target
from beffroi.alerts.dispatch.selectors import (
    dispatch_alerts,
    dispatch_failure_reasons,
    dispatch_failures,
    dispatch_progress,
    dispatch_timeline,
)
from beffroi.alerts.dispatch.services import webhook_receipts_apply

FAILURES_PER_PAGE = 50


def _vulnerable_count(request: HttpRequest, alert: Any) -> int | None:
    """Only social agents with a proven second factor see the registry, even as a count."""
    if not can_read_registry(request):
        return None
    return alert_vulnerable_in_target(alert=alert).count()


@require_GET
@roles_required(ALERT_VIEW_ROLES)
def dispatch_index(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    page = Paginator(dispatch_alerts(organisation=organisation), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "alerts/dispatch/index.html", {"page": page})


def _live_context(request: HttpRequest, alert_id: int) -> dict[str, Any]:
    alert = access_dispatch_alert(request, alert_id)
    failures = Paginator(dispatch_failures(alert=alert), FAILURES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return {
        "alert": alert,
        "progress": dispatch_progress(alert=alert),
        "page": failures,
        "vulnerable_count": _vulnerable_count(request, alert),
    }


@require_GET
@roles_required(ALERT_VIEW_ROLES)
def dispatch_live(request: HttpRequest, alert_id: int) -> HttpResponse:
    context = _live_context(request, alert_id)
    if request.headers.get("HX-Request") == "true":
        # htmx polling: only the live region; it stops polling once the alert is finished.
        return render(request, "alerts/dispatch/live.html#status", context)
    return render(request, "alerts/dispatch/live.html", context)


@require_GET
@roles_required(ALERT_VIEW_ROLES)
def dispatch_report(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = access_dispatch_alert(request, alert_id)
    return render(
        request,
        "alerts/dispatch/report.html",
        {
            "alert": alert,
            "progress": dispatch_progress(alert=alert),
            "timeline": dispatch_timeline(alert=alert),
            "reasons": dispatch_failure_reasons(alert=alert),
            "translations": alert.translations.all(),
            "zones": alert.zones.all(),
        },
    )


@csrf_exempt
@require_POST
def sms_webhook(request: HttpRequest, token: str) -> HttpResponse:
    """Delivery events of the HTTP SMS provider: ``POST`` JSON (one event or a list)."""
    expected = settings.SMS_HTTP_WEBHOOK_TOKEN
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        raise Http404
    try:
        payload = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"error": "invalid JSON"}, status=400)
    events = payload if isinstance(payload, list) else [payload]
    if not all(isinstance(event, dict) for event in events):
        return JsonResponse({"error": "expected a JSON object or a list of objects"}, status=400)
    applied = webhook_receipts_apply(events=events)
    return JsonResponse({"received": len(events), "applied": applied})
