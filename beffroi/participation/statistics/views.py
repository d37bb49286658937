"""Agents' statistics pages: the list of processes, one process's charts and tables, and the
CSV exports. Managers, administrators and moderators of the organisation only."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from beffroi.accounts.access import request_organisation, roles_required
from beffroi.participation.access import STATISTICS_ROLES, access_process_for_statistics
from beffroi.participation.models import Process
from beffroi.participation.statistics.charts import bar_chart, line_chart
from beffroi.participation.statistics.exports import statistics_csv, statistics_csv_name
from beffroi.participation.statistics.selectors import (
    DIMENSION_KEYS,
    METRIC_KEYS,
    METRICS,
    process_statistics_cached,
)


@require_GET
@roles_required(STATISTICS_ROLES)
def statistics_index(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    processes = Process.objects.filter(organisation=organisation).order_by("-created_at", "-pk")
    page = Paginator(processes, 25).get_page(request.GET.get("page"))
    return render(request, "participation/statistics/index.html", {"page": page})


@never_cache
@require_GET
@roles_required(STATISTICS_ROLES)
def statistics_process(request: HttpRequest, process_id: int) -> HttpResponse:
    process = access_process_for_statistics(request, process_id)
    statistics = process_statistics_cached(process=process)
    charts: dict[str, list[dict[str, Any]]] = {"days": [], "zones": [], "ages": []}
    for key, label in METRICS:
        charts["days"].append(
            {"label": label, "chart": line_chart(statistics.days, key), "metric": key}
        )
        for dimension in ("zones", "ages"):
            charts[dimension].append(
                {
                    "label": label,
                    "chart": bar_chart(statistics.rows(dimension), key),
                    "metric": key,
                }
            )
    return render(
        request,
        "participation/statistics/process.html",
        {"process": process, "statistics": statistics, "charts": charts},
    )


@never_cache
@require_GET
@roles_required(STATISTICS_ROLES)
def statistics_export(request: HttpRequest, process_id: int, dimension: str) -> HttpResponse:
    process = access_process_for_statistics(request, process_id)
    if dimension not in DIMENSION_KEYS:
        raise Http404("No such breakdown.")
    metric = request.GET.get("series") or None
    if metric is not None and metric not in METRIC_KEYS:
        raise Http404("No such series.")
    statistics = process_statistics_cached(process=process)
    content = statistics_csv(statistics=statistics, dimension=dimension, metric=metric)
    response = HttpResponse(content.encode("utf-8"), content_type="text/csv; charset=utf-8")
    filename = statistics_csv_name(statistics, dimension, metric)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
