"""Realisations: the agents' pages (under /backoffice/participation/realisations/).

- the list of realisations, and one button per budget whose official outcome is published:
  create the realisations of its winning projects (run again, it creates only what is
  missing);
- a realisation by hand, for a project of a budget;
- a realisation's page: edit it, set its status and progress, add a milestone with photos.

Views parse, load through ``realisations.access`` (and ``budgets.access``), call one service
and render; the services' refusals are shown as they are.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from beffroi.accounts.access import request_organisation, roles_required
from beffroi.accounts.models import User
from beffroi.participation.access import MANAGER_ROLES, ActionRefused
from beffroi.participation.budgets.access import access_budget_for_manager
from beffroi.participation.models import Budget, BudgetProject, Evaluation, Realisation
from beffroi.participation.participants.forms import form_service_errors
from beffroi.participation.realisations import evaluations, selectors, services
from beffroi.participation.realisations.access import access_realisation_for_manager
from beffroi.participation.realisations.services import MAX_PHOTOS, PhotoInput, RealisationInput
from beffroi.participation.richtext import FORMAT_HELP, editable_text

IMAGE_TYPES = "image/jpeg,image/png,image/webp"


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# --- forms ---------------------------------------------------------------------------------


class ProjectForm(forms.Form):
    project = forms.TypedChoiceField(label=gettext_lazy("Project"), coerce=int)

    def __init__(self, *args: Any, projects: list[BudgetProject], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["project"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "—"), *((p.pk, f"{p.budget.title} — {p.title}") for p in projects)]


class RealisationForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    description = forms.CharField(
        label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    service = forms.CharField(
        label=gettext_lazy("Service in charge"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("For example: technical services, green spaces."),
    )
    budget_planned = forms.DecimalField(
        label=gettext_lazy("Planned budget (€)"), min_value=0, max_digits=14, decimal_places=2
    )
    budget_spent = forms.DecimalField(
        label=gettext_lazy("Amount spent (€)"), min_value=0, max_digits=14, decimal_places=2
    )
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=1900, max_value=2200)
    lat = forms.FloatField(
        label=gettext_lazy("Latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        help_text=gettext_lazy("In decimal degrees, for example 48.5023."),
    )
    lon = forms.FloatField(
        label=gettext_lazy("Longitude"),
        required=False,
        min_value=-180,
        max_value=180,
        help_text=gettext_lazy("In decimal degrees, for example 5.5317."),
    )
    zones = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Districts and hamlets"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: those containing the place."),
    )

    def __init__(self, *args: Any, zone_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["zones"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = zone_choices

    def to_input(self) -> RealisationInput:
        data = self.cleaned_data
        zones = data["zones"]
        return RealisationInput(
            title=data["title"],
            description=data["description"],
            service=data["service"],
            budget_planned=data["budget_planned"],
            budget_spent=data["budget_spent"],
            year=data["year"],
            lat=data["lat"],
            lon=data["lon"],
            zone_ids=zones or None,
        )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=Realisation.Status.choices)
    progress = forms.IntegerField(
        label=gettext_lazy("Progress (%)"),
        help_text=gettext_lazy("From 0 to 100. A delivered realisation is at 100 %."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason for abandoning"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=gettext_lazy("Required when the realisation is abandoned: residents read it."),
    )


class MilestoneForm(forms.Form):
    date = forms.DateField(
        label=gettext_lazy("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    text = forms.CharField(
        label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n in range(1, MAX_PHOTOS + 1):
            self.fields[f"photo_{n}"] = forms.FileField(
                label=_("Photo %(n)d") % {"n": n},
                required=False,
                widget=forms.ClearableFileInput(attrs={"accept": IMAGE_TYPES}),
                help_text=gettext_lazy("JPEG, PNG or WebP."),
            )
            self.fields[f"alt_{n}"] = forms.CharField(
                label=_("Description of photo %(n)d") % {"n": n},
                max_length=200,
                required=False,
                help_text=gettext_lazy("What the photo shows, for people who cannot see it."),
            )

    def photo_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"photo_{n}"], self[f"alt_{n}"]) for n in range(1, MAX_PHOTOS + 1)]

    def photos(self) -> list[PhotoInput]:
        data = self.cleaned_data
        return [
            PhotoInput(upload=data[f"photo_{n}"], alt_text=data.get(f"alt_{n}") or "")
            for n in range(1, MAX_PHOTOS + 1)
            if data.get(f"photo_{n}")
        ]


class EvaluationOpenForm(forms.Form):
    days = forms.IntegerField(
        label=gettext_lazy("Open for (days)"),
        min_value=1,
        max_value=evaluations.EVALUATION_MAX_DAYS,
        initial=evaluations.EVALUATION_DAYS,
    )


class EvaluationDatesForm(forms.Form):
    closes_on = forms.DateField(
        label=gettext_lazy("Open until (included)"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class AssessmentForm(forms.Form):
    assessment = forms.CharField(
        label=gettext_lazy("Final assessment"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=FORMAT_HELP,
    )


# --- pages ---------------------------------------------------------------------------------


@never_cache
@roles_required(MANAGER_ROLES)
@require_GET
def realisation_list(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    realisations = list(
        Realisation.objects.filter(organisation=organisation)
        .select_related("budget")
        .order_by("-year", "title", "pk")
    )
    budgets = list(
        Budget.objects.filter(organisation=organisation, outcome__isnull=False)
        .select_related("outcome", "process")
        .annotate(made=Count("realisations", distinct=True))
        .order_by("-created_at", "pk")
    )
    return render(
        request,
        "participation/realisations/backoffice/list.html",
        {"realisations": realisations, "budgets": budgets},
    )


@never_cache
@roles_required(MANAGER_ROLES)
@require_POST
def from_outcome(request: HttpRequest, budget_id: int) -> HttpResponse:
    budget = access_budget_for_manager(request, budget_id)
    try:
        created = services.realisations_from_outcome(budget=budget, agent=_actor(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except ActionRefused as refused:
        messages.error(request, str(refused.decision.message))
    else:
        if created:
            messages.success(
                request,
                ngettext(
                    "%(count)d realisation created.",
                    "%(count)d realisations created.",
                    len(created),
                )
                % {"count": len(created)},
            )
        else:
            messages.info(request, _("Every winning project already has its realisation."))
    return redirect("participation_realisations_backoffice:list")


@never_cache
@roles_required(MANAGER_ROLES)
@require_http_methods(["GET", "POST"])
def realisation_create(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    projects = list(
        BudgetProject.objects.filter(budget__organisation=organisation)
        .filter(realisations__isnull=True)
        .select_related("budget")
        .order_by("-budget__created_at", "budget", "position", "pk")
    )
    form = ProjectForm(request.POST or None, projects=projects)
    if request.method == "POST" and form.is_valid():
        project = next((p for p in projects if p.pk == form.cleaned_data["project"]), None)
        if project is None:
            raise Http404("No such project.")
        try:
            realisation = services.realisation_create(project=project, agent=_actor(request))
        except ValidationError as error:
            form_service_errors(form, error, {})
        except ActionRefused as refused:
            form.add_error(None, str(refused.decision.message))
        else:
            messages.success(request, _("The realisation is created."))
            return redirect(
                "participation_realisations_backoffice:detail", realisation_id=realisation.pk
            )
    return render(
        request,
        "participation/realisations/backoffice/create.html",
        {"form": form, "has_projects": bool(projects)},
    )


@never_cache
@roles_required(MANAGER_ROLES)
@require_GET
def realisation_detail(request: HttpRequest, realisation_id: int) -> HttpResponse:
    realisation = access_realisation_for_manager(request, realisation_id)
    return render(
        request,
        "participation/realisations/backoffice/detail.html",
        {
            "realisation": realisation,
            "milestones": selectors.milestones_of(realisation),
            "zones": list(realisation.zones.all()),
            "followers": realisation.follows.count(),
            **_evaluation_summary(evaluations.evaluation_of(realisation)),
        },
    )


def _evaluation_summary(evaluation: Evaluation | None) -> dict[str, Any]:
    if evaluation is None:
        return {"evaluation": None}
    return {
        "evaluation": evaluation,
        "evaluation_open": evaluations.evaluation_is_open(evaluation),
        "last_day": evaluations.evaluation_last_day(evaluation),
        "satisfaction": evaluations.satisfaction_of(evaluation),
    }


def _zone_choices(request: HttpRequest) -> list[tuple[int, str]]:
    return [
        (z.pk, z.name) for z in selectors.filter_zones(organisation=request_organisation(request))
    ]


@never_cache
@roles_required(MANAGER_ROLES)
@require_http_methods(["GET", "POST"])
def realisation_update(request: HttpRequest, realisation_id: int) -> HttpResponse:
    realisation = access_realisation_for_manager(request, realisation_id)
    initial = {
        "title": realisation.title,
        "description": realisation.description,
        "service": realisation.service,
        "budget_planned": realisation.budget_planned,
        "budget_spent": realisation.budget_spent,
        "year": realisation.year,
        "lat": realisation.lat,
        "lon": realisation.lon,
        "zones": list(realisation.zones.values_list("pk", flat=True)),
    }
    form = RealisationForm(
        request.POST or None, initial=initial, zone_choices=_zone_choices(request)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.realisation_update(
                realisation=realisation, agent=_actor(request), data=form.to_input()
            )
        except ValidationError as error:
            form_service_errors(form, error, {"zone_ids": "zones"})
        except ActionRefused as refused:
            form.add_error(None, str(refused.decision.message))
        else:
            messages.success(request, _("The realisation is saved."))
            return redirect(
                "participation_realisations_backoffice:detail", realisation_id=realisation.pk
            )
    return render(
        request,
        "participation/realisations/backoffice/form.html",
        {"realisation": realisation, "form": form},
    )


@never_cache
@roles_required(MANAGER_ROLES)
@require_http_methods(["GET", "POST"])
def realisation_status(request: HttpRequest, realisation_id: int) -> HttpResponse:
    realisation = access_realisation_for_manager(request, realisation_id)
    form = StatusForm(
        request.POST or None,
        initial={
            "status": realisation.status,
            "progress": realisation.progress,
            "reason": realisation.abandon_reason,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.realisation_status_set(
                realisation=realisation,
                agent=_actor(request),
                status=form.cleaned_data["status"],
                progress=form.cleaned_data["progress"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form_service_errors(form, error, {})
        except ActionRefused as refused:
            form.add_error(None, str(refused.decision.message))
        else:
            messages.success(request, _("The status is saved."))
            return redirect(
                "participation_realisations_backoffice:detail", realisation_id=realisation.pk
            )
    return render(
        request,
        "participation/realisations/backoffice/status.html",
        {"realisation": realisation, "form": form},
    )


@never_cache
@roles_required(MANAGER_ROLES)
@require_http_methods(["GET", "POST"])
def milestone_add(request: HttpRequest, realisation_id: int) -> HttpResponse:
    realisation = access_realisation_for_manager(request, realisation_id)
    if request.method == "POST":
        form = MilestoneForm(request.POST, request.FILES)
    else:
        form = MilestoneForm(initial={"date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.milestone_add(
                realisation=realisation,
                agent=_actor(request),
                on=form.cleaned_data["date"],
                title=form.cleaned_data["title"],
                text=form.cleaned_data["text"],
                photos=form.photos(),
            )
        except ValidationError as error:
            form_service_errors(form, error, {})
        except ActionRefused as refused:
            form.add_error(None, str(refused.decision.message))
        else:
            messages.success(request, _("The milestone is added; its followers are told."))
            return redirect(
                "participation_realisations_backoffice:detail", realisation_id=realisation.pk
            )
    return render(
        request,
        "participation/realisations/backoffice/milestone_form.html",
        {"realisation": realisation, "form": form, "max_photos": MAX_PHOTOS},
    )


@never_cache
@roles_required(MANAGER_ROLES)
@require_http_methods(["GET", "POST"])
def evaluation(request: HttpRequest, realisation_id: int) -> HttpResponse:
    """The residents' evaluation of a delivered realisation: open it (delivering opens it),
    change its closing date or close it, write and publish the final assessment. The
    questions are edited with the questionnaire builder, the answers read in its results."""
    realisation = access_realisation_for_manager(request, realisation_id)
    current = evaluations.evaluation_of(realisation)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    posted = request.POST if request.method == "POST" else None
    open_form = EvaluationOpenForm(posted if action == "open" else None)
    dates_form = EvaluationDatesForm(
        posted if action == "dates" else None,
        initial={
            "closes_on": evaluations.evaluation_last_day(current) if current is not None else None
        },
    )
    assessment_form = AssessmentForm(
        posted if action == "assessment" else None,
        initial={"assessment": editable_text(current.assessment) if current else ""},
    )
    agent = _actor(request)
    done = ""
    try:
        if action == "open" and open_form.is_valid():
            evaluations.evaluation_open(
                realisation=realisation, agent=agent, days=open_form.cleaned_data["days"]
            )
            done = _("The evaluation is open; the voters and the followers are invited.")
        elif action == "dates" and current is not None and dates_form.is_valid():
            evaluations.evaluation_dates(
                evaluation=current, agent=agent, last_day=dates_form.cleaned_data["closes_on"]
            )
            done = _("The closing date is saved.")
        elif action == "close" and current is not None:
            evaluations.evaluation_close(evaluation=current, agent=agent)
            done = _("The evaluation is closed.")
        elif action == "assessment" and current is not None and assessment_form.is_valid():
            evaluations.assessment_publish(
                evaluation=current,
                agent=agent,
                text=assessment_form.cleaned_data["assessment"],
            )
            done = _("The assessment is published on the realisation's page.")
        elif action and action not in {"open", "dates", "close", "assessment"}:
            return HttpResponse(status=400)
    except ValidationError as error:
        form = {"open": open_form, "dates": dates_form, "assessment": assessment_form}.get(
            action, open_form
        )
        form_service_errors(form, error, {"closes_at": "closes_on"})
    except ActionRefused as refused:
        messages.error(request, str(refused.decision.message))
    if done:
        messages.success(request, done)
        return redirect("participation_realisations_backoffice:evaluation", realisation.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "participation/realisations/backoffice/evaluation.html",
        {
            "realisation": realisation,
            **_evaluation_summary(current),
            "open_form": open_form,
            "dates_form": dates_form,
            "assessment_form": assessment_form,
            "delivered": realisation.status == Realisation.Status.DELIVERED,
        },
        status=status,
    )
