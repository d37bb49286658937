"""Volunteering statistics, agents' pages (under /backoffice/benevolat/statistiques/): the
figures of a period as charts with their tables, and the CSV exports. Community-life agents
and the crisis cell only."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from beffroi.accounts.access import request_organisation, roles_required
from beffroi.volunteering.statistics.access import STATISTICS_ROLES
from beffroi.volunteering.statistics.charts import BarChart, bar_chart, month_label, number
from beffroi.volunteering.statistics.exports import EXPORTS, export_csv, export_name
from beffroi.volunteering.statistics.forms import PeriodForm
from beffroi.volunteering.statistics.selectors import (
    Period,
    VolunteeringStatistics,
    volunteering_statistics,
)


def _period(request: HttpRequest) -> tuple[PeriodForm, Period, bool]:
    """The period asked (``start``, ``end``), or the last twelve months; whether the asked
    period was refused."""
    default = Period.default()
    if "start" not in request.GET and "end" not in request.GET:
        form = PeriodForm(initial={"start": default.start, "end": default.end})
        return form, default, False
    form = PeriodForm(request.GET)
    if form.is_valid():
        return form, Period(form.cleaned_data["start"], form.cleaned_data["end"]), False
    return form, default, True


def _percent(value: float | None) -> str:
    return _("%(rate)s %%") % {"rate": number(value, 1)} if value is not None else "—"


def _charts(statistics: VolunteeringStatistics) -> dict[str, BarChart]:
    volunteers, missions = statistics.volunteers, statistics.missions
    hours, callouts = statistics.hours, statistics.callouts
    return {
        "channel": bar_chart(
            "channel",
            _("Active volunteers by registration channel"),
            ((label, n, number(n)) for label, n in volunteers.by_channel),
        ),
        "new": bar_chart(
            "new",
            _("New volunteers per month"),
            ((month_label(m), n, number(n)) for m, n in volunteers.new_per_month),
        ),
        "certification": bar_chart(
            "certification",
            _("Valid certifications of active volunteers"),
            ((label, n, number(n)) for label, n in volunteers.by_certification),
        ),
        "status": bar_chart(
            "status",
            _("Missions by status"),
            ((label, n, number(n)) for label, n in missions.by_status),
        ),
        "activity": bar_chart(
            "activity",
            _("Missions by activity"),
            ((label, n, number(n)) for label, n in missions.by_activity),
            summary=_("A mission may have several activities."),
        ),
        "association": bar_chart(
            "association",
            _("Missions by association"),
            ((label, n, number(n)) for label, n in missions.by_association),
        ),
        "fill": bar_chart(
            "fill",
            _("Fill rate per month"),
            (
                (month_label(row.key), row.rate or 0.0, _percent(row.rate))
                for row in missions.fill_per_month
                if row.key is not None
            ),
            summary=_("Places held over places needed by the slots of the month."),
            scale=100,
        ),
        "hours_month": bar_chart(
            "hours_month",
            _("Hours given per month"),
            (
                (
                    month_label(row.key),
                    row.hours,
                    _("%(hours)s h") % {"hours": number(row.hours, 1)},
                )
                for row in hours.per_month
                if row.key is not None
            ),
        ),
        "hours_association": bar_chart(
            "hours_association",
            _("Hours given per association"),
            (
                (row.label, row.hours, _("%(hours)s h") % {"hours": number(row.hours, 1)})
                for row in hours.per_association
            ),
        ),
        "answers": bar_chart(
            "answers",
            _("Answers to call-outs"),
            (
                (_("Yes"), callouts.yes_share or 0.0, _percent(callouts.yes_share)),
                (_("No"), callouts.no_share or 0.0, _percent(callouts.no_share)),
                (
                    _("No answer"),
                    callouts.no_answer_share or 0.0,
                    _percent(callouts.no_answer_share),
                ),
            ),
            summary=_("Share of the volunteers reached."),
            scale=100,
        ),
    }


@never_cache
@require_GET
@roles_required(STATISTICS_ROLES)
def statistics_index(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    form, period, refused = _period(request)
    statistics = volunteering_statistics(organisation=organisation, period=period)
    context: dict[str, Any] = {
        "form": form,
        "statistics": statistics,
        "charts": _charts(statistics),
        "period_query": f"start={period.start.isoformat()}&end={period.end.isoformat()}",
    }
    return render(
        request, "volunteering/statistics/index.html", context, status=400 if refused else 200
    )


@never_cache
@require_GET
@roles_required(STATISTICS_ROLES)
def statistics_export(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in EXPORTS:
        raise Http404("No such export.")
    organisation = request_organisation(request)
    _form, period, refused = _period(request)
    if refused:
        raise Http404("No such period.")
    statistics = volunteering_statistics(organisation=organisation, period=period)
    response = HttpResponse(
        export_csv(statistics, kind).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{export_name(statistics, kind)}"'
    return response
