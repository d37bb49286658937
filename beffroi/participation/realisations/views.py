"""Realisations, public pages (under /participer/realisations/): the list with its map and
timeline, filtered by year, district and status (a GET form: works without JavaScript); a
realisation's page with its milestones and photos; follow and unfollow; the map's GeoJSON and
the exports (CSV and GeoJSON).

Views parse, load through ``realisations.access``, call one service or selector and render.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from beffroi.accounts.access import request_organisation
from beffroi.core.spreadsheets import csv_cell
from beffroi.participation import access
from beffroi.participation.access import ActionRefused
from beffroi.participation.consultations import selectors as consultation_selectors
from beffroi.participation.consultations.answering import answers_as_data, questions_of
from beffroi.participation.consultations.services import AnswersInvalid
from beffroi.participation.models import Evaluation, Realisation
from beffroi.participation.realisations import evaluations, selectors, services
from beffroi.participation.realisations.access import (
    access_milestone_photo,
    access_realisation,
)
from beffroi.participation.realisations.selectors import RealisationFilters
from beffroi.territory.models import Zone


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


def _filters(request: HttpRequest, zones: list[Zone]) -> RealisationFilters:
    """The list's GET parameters; anything unreadable is ignored (the whole list)."""
    year = _int(request.GET.get("year"))
    zone_id = _int(request.GET.get("zone"))
    status = request.GET.get("status", "")
    return RealisationFilters(
        year=year if year is not None and 1900 <= year <= 2200 else None,
        zone_id=zone_id if zone_id in {z.pk for z in zones} else None,
        status=status if status in Realisation.Status.values else "",
    )


def _query(request: HttpRequest) -> str:
    params = request.GET.copy()
    for name in list(params):
        if name not in ("year", "zone", "status"):
            params.pop(name)
    return params.urlencode()


def _with_query(url: str, query: str) -> str:
    return f"{url}?{query}" if query else url


@require_GET
def realisation_list(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    zones = selectors.filter_zones(organisation=organisation)
    filters = _filters(request, zones)
    rows = selectors.realisations_listed(organisation=organisation, filters=filters)
    rated = evaluations.satisfaction_by_realisation([r.pk for r in rows])
    for row in rows:
        row.satisfaction = rated.get(row.pk)  # type: ignore[attr-defined]
    query = _query(request)
    context: dict[str, Any] = {
        "filters": filters,
        "years": selectors.realisation_years(organisation=organisation),
        "zones": zones,
        "statuses": Realisation.Status.choices,
        "realisations": rows,
        "without_place": sum(1 for r in rows if r.lat is None),
        "timeline": selectors.timeline(organisation=organisation, filters=filters),
        "geojson_url": _with_query(reverse("participation_realisations:geojson"), query),
        "csv_url": _with_query(reverse("participation_realisations:export_csv"), query),
        "export_geojson_url": _with_query(
            reverse("participation_realisations:export_geojson"), query
        ),
    }
    return render(request, "participation/realisations/list.html", context)


def _geojson_response(document: dict[str, Any], *, filename: str = "") -> HttpResponse:
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode(),
        content_type="application/geo+json",
    )
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def realisation_geojson(request: HttpRequest) -> HttpResponse:
    """The map's points: the list's filters apply."""
    organisation = request_organisation(request)
    filters = _filters(request, selectors.filter_zones(organisation=organisation))
    return _geojson_response(
        selectors.realisations_geojson(organisation=organisation, filters=filters)
    )


@require_GET
def export_geojson(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    filters = _filters(request, selectors.filter_zones(organisation=organisation))
    return _geojson_response(
        selectors.realisations_geojson(organisation=organisation, filters=filters, full=True),
        filename="realisations.geojson",
    )


@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    """Every realisation (the list's filters apply): ``;`` and a BOM, as French spreadsheets
    open them; no cell can run as a formula."""
    organisation = request_organisation(request)
    filters = _filters(request, selectors.filter_zones(organisation=organisation))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    header = [
        _("Id"),
        _("Title"),
        _("Budget"),
        _("Year"),
        _("Status"),
        _("Progress (%)"),
        _("Service in charge"),
        _("Planned budget"),
        _("Amount spent"),
        _("Currency"),
        _("Districts"),
        _("Latitude"),
        _("Longitude"),
        _("Delivered on"),
        _("Reason for abandoning"),
        _("Milestones"),
    ]
    writer.writerow([csv_cell(h) for h in header])
    for row in selectors.export_rows(organisation=organisation, filters=filters):
        writer.writerow([csv_cell(cell) for cell in row])
    response = HttpResponse(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="realisations.csv"'
    return response


def _detail_context(request: HttpRequest, realisation: Realisation) -> dict[str, Any]:
    participant = access.request_participant(request)
    return {
        "realisation": realisation,
        "process": realisation.budget.process,
        "participant": participant,
        "following": selectors.is_following(participant=participant, realisation=realisation),
        "followers": realisation.follows.count(),
        "milestones": selectors.milestones_of(realisation),
        "zones": list(realisation.zones.all()),
        "point": (
            {"lat": realisation.lat, "lon": realisation.lon}
            if realisation.lat is not None and realisation.lon is not None
            else None
        ),
        "is_manager": access.is_manager(request),
        **_evaluation_context(realisation, participant),
    }


def _evaluation_context(realisation: Realisation, participant: Any) -> dict[str, Any]:
    evaluation = evaluations.evaluation_of(realisation)
    if evaluation is None:
        return {"evaluation": None}
    return {
        "evaluation": evaluation,
        "evaluation_open": evaluations.evaluation_is_open(evaluation),
        "last_day": evaluations.evaluation_last_day(evaluation),
        "evaluation_results_public": evaluations.results_public(evaluation),
        "satisfaction": evaluations.satisfaction_of(evaluation),
        "my_response": consultation_selectors.response_of(
            evaluation.questionnaire, participant.pk if participant is not None else None
        ),
    }


@require_GET
def realisation_detail(request: HttpRequest, realisation_id: int) -> HttpResponse:
    realisation = access_realisation(request, realisation_id)
    return render(
        request,
        "participation/realisations/detail.html",
        _detail_context(request, realisation),
    )


@require_GET
def photo(request: HttpRequest, photo_id: int) -> FileResponse:
    stored = access_milestone_photo(request, photo_id)
    try:
        handle = stored.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("No such file.") from exc
    response = FileResponse(handle, content_type=stored.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _follow_action(request: HttpRequest, realisation_id: int, *, follow: bool) -> HttpResponse:
    realisation = access_realisation(request, realisation_id)
    participant = access.request_participant(request)
    if participant is None:
        return redirect_to_login(
            reverse("participation_realisations:detail", args=[realisation.pk])
        )
    try:
        if follow:
            services.realisation_follow(realisation=realisation, participant=participant)
            messages.success(
                request, _("You follow this realisation: you will be told of each milestone.")
            )
        else:
            services.realisation_unfollow(realisation=realisation, participant=participant)
            messages.success(request, _("You no longer follow this realisation."))
    except ActionRefused as refused:
        messages.error(request, str(refused.decision.message))
    return redirect("participation_realisations:detail", realisation.pk)


@require_POST
def follow(request: HttpRequest, realisation_id: int) -> HttpResponse:
    return _follow_action(request, realisation_id, follow=True)


@require_POST
def unfollow(request: HttpRequest, realisation_id: int) -> HttpResponse:
    return _follow_action(request, realisation_id, follow=False)


def _evaluation_or_404(realisation: Realisation) -> Evaluation:
    evaluation = evaluations.evaluation_of(realisation)
    if evaluation is None:
        raise Http404("No evaluation.")
    return evaluation


def evaluate(request: HttpRequest, realisation_id: int) -> HttpResponse:
    """The evaluation questionnaire of a delivered realisation: answered, or changed, by a
    resident whose identity is proven, while it is open."""
    realisation = access_realisation(request, realisation_id)
    evaluation = _evaluation_or_404(realisation)
    questionnaire = evaluation.questionnaire
    participant = access.request_participant(request)
    questions = questions_of(questionnaire)
    decision = evaluations.answer_decide(evaluation, participant)
    response = consultation_selectors.response_of(
        questionnaire, participant.pk if participant is not None else None
    )
    errors: dict[int, str] = {}
    status = 200
    if request.method == "POST":
        data = {key: request.POST.getlist(key) for key in request.POST}
        try:
            _response, created = evaluations.evaluation_answer(
                evaluation=evaluation, participant=participant, data=data
            )
        except ActionRefused as refused:
            messages.error(request, str(refused.decision.message))
            status = 403
        except AnswersInvalid as invalid:
            errors = invalid.errors
            status = 400
        else:
            messages.success(
                request,
                _("Thank you: your evaluation is recorded.")
                if created
                else _("Your evaluation is changed."),
            )
            return redirect("participation_realisations:detail", realisation.pk)
    elif request.method != "GET":
        return HttpResponse(status=405)
    else:
        data = answers_as_data(response.answers.all(), questions) if response else {}
    views = consultation_selectors.question_views(questions, data, errors)
    return render(
        request,
        "participation/realisations/evaluate.html",
        {
            "realisation": realisation,
            "evaluation": evaluation,
            "questionnaire": questionnaire,
            "questions": views,
            "errors": [v for v in views if v.error],
            "decision": decision,
            "response": response,
            "evaluation_open": evaluations.evaluation_is_open(evaluation),
            "last_day": evaluations.evaluation_last_day(evaluation),
            "results_public": evaluations.results_public(evaluation),
        },
        status=status,
    )


@require_GET
def evaluation_results(request: HttpRequest, realisation_id: int) -> HttpResponse:
    realisation = access_realisation(request, realisation_id)
    evaluation = _evaluation_or_404(realisation)
    public = evaluations.results_public(evaluation)
    return render(
        request,
        "participation/realisations/evaluation_results.html",
        {
            "realisation": realisation,
            "evaluation": evaluation,
            "questionnaire": evaluation.questionnaire,
            "public": public,
            "results": (
                consultation_selectors.questionnaire_results(evaluation.questionnaire)
                if public
                else None
            ),
            "backoffice": False,
        },
    )
