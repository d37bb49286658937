"""``current_alerts`` for the banner shown on every page while an alert is in force."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from beffroi.alerts.public.selectors import current_alert_summaries, severity_style


def current_alerts(request: HttpRequest) -> dict[str, Any]:
    organisation = getattr(request, "organisation", None)
    if organisation is None:
        return {"current_alerts": []}
    items = [
        {**summary, "style": severity_style(summary["severity"])}
        for summary in current_alert_summaries(organisation=organisation)
    ]
    return {"current_alerts": items}
