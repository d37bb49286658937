"""Participatory budgets: the agents' pages (under /backoffice/participation/budgets/).

- the budgets of each participatory-budget process, a budget's settings and projects (from
  proposals the services found feasible, or typed in by hand);
- the census list (CSV: checked, previewed, then imported all or nothing);
- paper ballots typed in twice by two agents (front-desk agents too);
- results under each rule, computed by a task, shown side by side, and the official outcome;
- exports: the budget as a PaBuLib file, the results as CSV.

Views parse, load through ``budgets.access``, call one service and render; the services
refuse what the rules forbid (a project once voting started, a ballot breaking the rules) and
their messages are shown as they are.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from beffroi.accounts.access import has_role, request_organisation, roles_required
from beffroi.accounts.models import User
from beffroi.core.imports import ImportRefused, ImportReport
from beffroi.core.spreadsheets import csv_cell
from beffroi.core.templatetags.core_formats import money
from beffroi.participation import access
from beffroi.participation.access import MANAGER_ROLES, ON_BEHALF_ROLES, ActionRefused
from beffroi.participation.budgets import selectors, services
from beffroi.participation.budgets.access import (
    access_budget_for_manager,
    access_budget_for_paper_entry,
)
from beffroi.participation.models import (
    BallotType,
    Blueprint,
    Budget,
    BudgetOutcome,
    BudgetProject,
    BudgetResult,
    Eligibility,
    Process,
    Proposal,
    Rule,
)
from beffroi.participation.participants.forms import form_service_errors
from beffroi.territory.models import Zone

AGENT_ROLES = MANAGER_ROLES | ON_BEHALF_ROLES
# The census file between its preview and its import (larger lists: the command line).
_CENSUS_SESSION_KEY = "participation_budgets_census"
_CENSUS_SESSION_MAX_BYTES = 2 * 1024 * 1024
_CENSUS_MAX_BYTES = 10 * 1024 * 1024
# Rules the agent asked to compute, with the time of the click: the page says "waiting for a
# worker" until the task starts (the result row then says "being computed").
_QUEUED_SESSION_KEY = "participation_budgets_queued"


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _refused_message(refused: ActionRefused) -> str:
    return str(refused.decision.message)


# --- forms ---------------------------------------------------------------------------------


# Bounds of the numbers agents type: what the columns hold (PositiveSmallIntegerField,
# PositiveIntegerField) and far above any real ballot.
SMALL_MAX = 32767
POINTS_MAX = 1_000_000
SHEET_MAX = 2_147_483_647


class BudgetForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )
    currency = forms.CharField(
        label=gettext_lazy("Currency"),
        max_length=3,
        initial="EUR",
        help_text=gettext_lazy("Its three-letter code: EUR."),
    )
    zones = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Districts and hamlets of the budget"),
        queryset=Zone.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: the whole commune."),
    )
    ballot_type = forms.ChoiceField(
        label=gettext_lazy("Kind of ballot"),
        choices=BallotType.choices,
        initial=BallotType.APPROVAL,
        widget=forms.RadioSelect,
    )
    min_projects = forms.IntegerField(
        label=gettext_lazy("Minimum number of projects on a ballot"),
        min_value=0,
        max_value=SMALL_MAX,
        initial=1,
    )
    max_projects = forms.IntegerField(
        label=gettext_lazy("Maximum number of projects on a ballot"),
        min_value=1,
        max_value=SMALL_MAX,
        required=False,
        help_text=gettext_lazy("Empty: no maximum."),
    )
    max_points = forms.IntegerField(
        label=gettext_lazy("Points each voter shares out"),
        min_value=1,
        max_value=POINTS_MAX,
        required=False,
        help_text=gettext_lazy("For cumulative ballots only."),
    )
    min_age = forms.IntegerField(
        label=gettext_lazy("Minimum age to vote"),
        min_value=0,
        max_value=120,
        required=False,
        initial=16,
        help_text=gettext_lazy("Empty: no minimum age."),
    )
    eligibility = forms.ChoiceField(
        label=gettext_lazy("Who may vote"),
        choices=Eligibility.choices,
        initial=Eligibility.ZONES,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, process: Process, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zones = self.fields["zones"]
        assert isinstance(zones, forms.ModelMultipleChoiceField)
        zones.queryset = Zone.objects.filter(
            organisation_id=process.organisation_id, kind__in=("district", "hamlet")
        ).order_by("kind", "name")

    def to_input(self) -> services.BudgetInput:
        data = self.cleaned_data
        return services.BudgetInput(
            title=data["title"],
            amount=data["amount"],
            ballot_type=data["ballot_type"],
            currency=data["currency"].strip().upper(),
            min_projects=data["min_projects"],
            max_projects=data["max_projects"],
            max_points=data["max_points"],
            min_age=data["min_age"],
            eligibility=data["eligibility"],
            zone_ids=[zone.pk for zone in data["zones"]],
        )


class ProjectForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    description = forms.CharField(
        label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    cost = forms.DecimalField(
        label=gettext_lazy("Cost (in the budget's currency)"),
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
    )
    zones = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Where"),
        queryset=Zone.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, budget: Budget, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zones = self.fields["zones"]
        assert isinstance(zones, forms.ModelMultipleChoiceField)
        zones.queryset = Zone.objects.filter(
            organisation_id=budget.organisation_id, kind__in=("district", "hamlet")
        ).order_by("kind", "name")


class CensusForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "UTF-8, “;” or “,” between columns, a header line with an identifier column "
            "(numero, identifiant or key) and optionally nom, annee de naissance, adresse."
        ),
    )


class PaperForm(forms.Form):
    """A paper sheet as the agent reads it: its number and the choices, in the shape of the
    budget's ballot (ticks, points or ranks)."""

    sheet_number = forms.IntegerField(
        label=gettext_lazy("Sheet number"),
        min_value=1,
        max_value=SHEET_MAX,
        help_text=gettext_lazy("The number printed on the sheet."),
    )

    def __init__(self, *args: Any, budget: Budget, projects: Sequence[BudgetProject], **kw: Any):
        super().__init__(*args, **kw)
        self.budget = budget
        self.projects = list(projects)
        kind = budget.ballot_type
        if kind in (BallotType.APPROVAL, BallotType.KNAPSACK):
            self.fields["projects"] = forms.MultipleChoiceField(
                label=_("Projects ticked on the sheet"),
                choices=[(str(p.pk), p.title) for p in self.projects],
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
        else:
            for project in self.projects:
                if kind == BallotType.CUMULATIVE:
                    label = _("Points for “%(title)s”") % {"title": project.title}
                else:
                    label = _("Rank of “%(title)s”") % {"title": project.title}
                self.fields[f"project_{project.pk}"] = forms.IntegerField(
                    label=label, min_value=0, max_value=POINTS_MAX, required=False
                )

    def choices(self) -> list[int] | dict[int, int]:
        if self.budget.ballot_type in (BallotType.APPROVAL, BallotType.KNAPSACK):
            return [int(pk) for pk in self.cleaned_data["projects"]]
        values: dict[int, int] = {}
        for project in self.projects:
            value = self.cleaned_data.get(f"project_{project.pk}")
            if value:
                values[project.pk] = value
        return values


class OutcomeForm(forms.Form):
    selected = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Projects funded"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(
        label=gettext_lazy("Note published with the outcome"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=gettext_lazy(
            "Say why the outcome differs from a computed rule, if it does (a project added by "
            "the municipal council, for instance)."
        ),
    )

    def __init__(self, *args: Any, projects: Sequence[BudgetProject], currency: str, **kw: Any):
        super().__init__(*args, **kw)
        field = self.fields["selected"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(p.pk, f"{p.title} — {_money(p.cost, currency)}") for p in projects]


def _money(amount: Decimal | int, currency: str) -> str:
    return money(amount, currency)


# --- list, budgets, projects ---------------------------------------------------------------


@never_cache
@roles_required(AGENT_ROLES)
@require_GET
def budget_list(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    processes = list(
        Process.objects.filter(organisation=organisation, blueprint=Blueprint.BUDGET)
        .prefetch_related(Prefetch("budgets", queryset=Budget.objects.order_by("created_at", "pk")))
        .order_by("-created_at", "pk")
    )
    return render(
        request,
        "participation/budgets/backoffice/list.html",
        {
            "processes": processes,
            "can_manage": has_role(request.user, organisation, *MANAGER_ROLES),
        },
    )


@never_cache
@roles_required(MANAGER_ROLES)
@require_http_methods(["GET", "POST"])
def budget_create(request: HttpRequest, process_id: int) -> HttpResponse:
    process = access.access_process_for_manager(request, process_id)
    if process.blueprint != Blueprint.BUDGET:
        raise Http404("Not a participatory-budget process.")
    form = BudgetForm(request.POST or None, process=process)
    if request.method == "POST" and form.is_valid():
        try:
            budget = services.budget_create(
                process=process, agent=_actor(request), data=form.to_input()
            )
        except ValidationError as error:
            form_service_errors(form, error, {"zone_ids": "zones"})
        except ActionRefused as refused:
            form.add_error(None, _refused_message(refused))
        else:
            messages.success(request, _("The budget is created: add its projects."))
            return redirect("participation_budgets_backoffice:detail", budget_id=budget.pk)
    return render(
        request,
        "participation/budgets/backoffice/budget_form.html",
        {"process": process, "form": form},
        status=400 if form.errors else 200,
    )


@never_cache
@roles_required(MANAGER_ROLES)
@require_http_methods(["GET", "POST"])
def budget_update(request: HttpRequest, budget_id: int) -> HttpResponse:
    budget = access_budget_for_manager(request, budget_id)
    initial = {
        "title": budget.title,
        "amount": budget.amount,
        "currency": budget.currency,
        "zones": list(budget.zones.all()),
        "ballot_type": budget.ballot_type,
        "min_projects": budget.min_projects,
        "max_projects": budget.max_projects,
        "max_points": budget.max_points,
        "min_age": budget.min_age,
        "eligibility": budget.eligibility,
    }
    form = BudgetForm(request.POST or None, initial=initial, process=budget.process)
    if request.method == "POST" and form.is_valid():
        try:
            services.budget_update(budget=budget, agent=_actor(request), data=form.to_input())
        except ValidationError as error:
            form_service_errors(form, error, {"zone_ids": "zones"})
        except ActionRefused as refused:
            form.add_error(None, _refused_message(refused))
        else:
            messages.success(request, _("The budget is saved."))
            return redirect("participation_budgets_backoffice:detail", budget_id=budget.pk)
    return render(
        request,
        "participation/budgets/backoffice/budget_form.html",
        {"process": budget.process, "form": form, "budget": budget},
        status=400 if form.errors else 200,
    )


def _eligible_proposals(budget: Budget) -> list[Proposal]:
    """Proposals of the budget's process the services found feasible with a cost, not yet
    projects of this budget."""
    return list(
        Proposal.objects.filter(
            process_id=budget.process_id,
            feasibility=Proposal.Feasibility.FEASIBLE,
            services_cost__gt=0,
            state=Proposal.State.PUBLISHED,
            hidden_at__isnull=True,
        )
        .exclude(budget_projects__budget=budget)
        .order_by("title", "pk")
    )


def _voting_started(budget: Budget) -> bool:
    from beffroi.participation.models import Action

    return selectors.ballots_count(budget) > 0 or Action.VOTE in access.open_actions(budget.process)


def _detail_context(budget: Budget, **extra: Any) -> dict[str, Any]:
    projects = list(budget.projects.select_related("proposal").prefetch_related("zones"))
    total = sum((p.cost for p in projects), Decimal(0))
    return {
        "budget": budget,
        "process": budget.process,
        "projects": projects,
        "total_cost": total,
        "zones": list(budget.zones.order_by("name")),
        "eligible": _eligible_proposals(budget),
        "voting_started": _voting_started(budget),
        "ballots": selectors.ballots_count(budget),
        "census_count": budget.census.count(),
        **extra,
    }


@never_cache
@roles_required(MANAGER_ROLES)
@require_GET
def budget_detail(request: HttpRequest, budget_id: int) -> HttpResponse:
    budget = access_budget_for_manager(request, budget_id)
    return render(request, "participation/budgets/backoffice/detail.html", _detail_context(budget))


@never_cache
@roles_required(MANAGER_ROLES)
@require_POST
def project_from_proposal(request: HttpRequest, budget_id: int) -> HttpResponse:
    budget = access_budget_for_manager(request, budget_id)
    raw = request.POST.get("proposal", "")
    proposal = (
        Proposal.objects.filter(organisation=budget.organisation, pk=int(raw)).first()
        if raw.isdigit()
        else None
    )
    if proposal is None:
        raise Http404("No such proposal.")
    try:
        project = services.budget_project_from_proposal(
            budget=budget, agent=_actor(request), proposal=proposal
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except ActionRefused as refused:
        messages.error(request, _refused_message(refused))
    else:
        messages.success(
            request,
            _("“%(title)s” is now a project of the budget, at %(cost)s.")
            % {"title": project.title, "cost": _money(project.cost, budget.currency)},
        )
    return redirect("participation_budgets_backoffice:detail", budget_id=budget.pk)


@never_cache
@roles_required(MANAGER_ROLES)
@require_http_methods(["GET", "POST"])
def project_create(request: HttpRequest, budget_id: int) -> HttpResponse:
    budget = access_budget_for_manager(request, budget_id)
    form = ProjectForm(request.POST or None, budget=budget)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.budget_project_create(
                budget=budget,
                agent=_actor(request),
                title=data["title"],
                cost=data["cost"],
                description=data["description"],
                zone_ids=[zone.pk for zone in data["zones"]],
            )
        except ValidationError as error:
            form_service_errors(form, error, {"zone_ids": "zones"})
        except ActionRefused as refused:
            form.add_error(None, _refused_message(refused))
        else:
            messages.success(request, _("The project is added to the budget."))
            return redirect("participation_budgets_backoffice:detail", budget_id=budget.pk)
    return render(
        request,
        "participation/budgets/backoffice/project_form.html",
        {"budget": budget, "process": budget.process, "form": form},
        status=400 if form.errors else 200,
    )


# --- census --------------------------------------------------------------------------------


@never_cache
@roles_required(MANAGER_ROLES)
@require_http_methods(["GET", "POST"])
def census_import(request: HttpRequest, budget_id: int) -> HttpResponse:
    """Upload → preview (checked, nothing written) → import (the same file, kept in the
    session). One refused line refuses the file; every refused line is listed."""
    budget = access_budget_for_manager(request, budget_id)
    form = CensusForm(request.POST or None, request.FILES or None)
    report: ImportReport | dict[str, Any] | None = None
    rejected = done = False
    fingerprint = ""
    if request.method == "POST" and request.POST.get("action") == "commit":
        form = CensusForm()
        stored = request.session.get(_CENSUS_SESSION_KEY)
        if (
            not stored
            or stored.get("budget") != budget.pk
            or stored.get("fingerprint") != request.POST.get("fingerprint")
        ):
            messages.error(request, _("Upload the file again: its preview has expired."))
            return redirect("participation_budgets_backoffice:census", budget_id=budget.pk)
        try:
            report = services.census_import(
                budget=budget, agent=_actor(request), data=bytes.fromhex(stored["data"])
            )
        except ImportRefused as exc:
            report, rejected = exc.report, True
        except ActionRefused as refused:
            messages.error(request, _refused_message(refused))
        else:
            del request.session[_CENSUS_SESSION_KEY]
            done = True
            messages.success(
                request,
                _("Census list imported: %(created)d new people, %(updated)d updated.")
                % {"created": report.created, "updated": report.updated},
            )
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > _CENSUS_MAX_BYTES:
            form.add_error("file", _("The file is larger than 10 MB."))
        else:
            data = upload.read()
            try:
                report = services.census_import(
                    budget=budget, agent=_actor(request), data=data, dry_run=True
                )
            except ImportRefused as exc:
                report, rejected = exc.report, True
            except ActionRefused as refused:
                form.add_error(None, _refused_message(refused))
            else:
                if len(data) <= _CENSUS_SESSION_MAX_BYTES:
                    fingerprint = hashlib.sha256(data).hexdigest()
                    request.session[_CENSUS_SESSION_KEY] = {
                        "budget": budget.pk,
                        "fingerprint": fingerprint,
                        "data": data.hex(),
                    }
                else:
                    form.add_error(
                        "file",
                        _("The file is checked, but too large to import from the browser."),
                    )
    if isinstance(report, ImportReport):
        report = dataclasses.asdict(report)
    return render(
        request,
        "participation/budgets/backoffice/census.html",
        {
            "budget": budget,
            "process": budget.process,
            "form": form,
            "report": report,
            "rejected": rejected,
            "done": done,
            "fingerprint": fingerprint,
            "census_count": budget.census.count(),
        },
        status=400 if rejected or form.errors else 200,
    )


# --- paper ballots -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _SheetRow:
    sheet: selectors.PaperSheet
    differences: list[str]


def _sheet_rows(budget: Budget, projects: Sequence[BudgetProject]) -> list[_SheetRow]:
    titles = {p.pk: p.title for p in projects}
    agents = dict(
        User.objects.filter(
            pk__in={a for s in selectors.paper_sheets(budget) for a in s.agents}
        ).values_list("pk", "full_name")
    )
    kind = budget.ballot_type
    rows = []
    for sheet in selectors.paper_sheets(budget):
        words = []
        for difference in sheet.differences:
            typed = []
            for agent_id, value in difference.values.items():
                name = agents.get(agent_id) or _("an agent")
                if value is None and kind in (BallotType.APPROVAL, BallotType.KNAPSACK):
                    what = _("not ticked")
                elif value is None:
                    what = _("not chosen")
                elif kind == BallotType.CUMULATIVE:
                    what = _("%(points)d points") % {"points": value}
                elif kind == BallotType.RANKED:
                    what = _("rank %(rank)d") % {"rank": value}
                else:
                    what = _("ticked")
                typed.append(_("%(agent)s: %(what)s") % {"agent": name, "what": what})
            words.append(
                _("“%(title)s” — %(typed)s")
                % {
                    "title": titles.get(difference.project_id, str(difference.project_id)),
                    "typed": pgettext("list separator", "; ").join(typed),
                }
            )
        rows.append(_SheetRow(sheet=sheet, differences=words))
    return rows


@never_cache
@roles_required(AGENT_ROLES)
@require_http_methods(["GET", "POST"])
def paper_entry(request: HttpRequest, budget_id: int) -> HttpResponse:
    budget = access_budget_for_paper_entry(request, budget_id)
    projects = list(budget.projects.all())
    form = PaperForm(request.POST or None, budget=budget, projects=projects)
    if request.method == "POST" and form.is_valid():
        number = form.cleaned_data["sheet_number"]
        try:
            sheet = services.paper_ballot_enter(
                budget=budget, agent=_actor(request), sheet_number=number, choices=form.choices()
            )
        except ValidationError as error:
            form_service_errors(form, error, {"choices": "__all__"})
        except ActionRefused as refused:
            form.add_error(None, _refused_message(refused))
        else:
            if sheet.status == "counted":
                messages.success(
                    request,
                    _("Sheet %(number)d agrees with the other typing: it counts.")
                    % {"number": number},
                )
            elif sheet.status == "waiting":
                messages.success(
                    request,
                    _("Sheet %(number)d is typed in: another agent must type it again.")
                    % {"number": number},
                )
            else:
                messages.warning(
                    request,
                    _(
                        "Sheet %(number)d differs from the other typing: it does not count. "
                        "A third agent must read the sheet again."
                    )
                    % {"number": number},
                )
            return redirect("participation_budgets_backoffice:paper", budget_id=budget.pk)
    rows = _sheet_rows(budget, projects)
    return render(
        request,
        "participation/budgets/backoffice/paper.html",
        {
            "budget": budget,
            "process": budget.process,
            "form": form,
            "choice_fields": [f for f in form if f.name != "sheet_number"],
            "rows": rows,
            "counted": sum(1 for r in rows if r.sheet.status == "counted"),
            "waiting": sum(1 for r in rows if r.sheet.status == "waiting"),
            "differing": sum(1 for r in rows if r.sheet.status == "differs"),
            "can_manage": has_role(request.user, budget.organisation, *MANAGER_ROLES),
        },
        status=400 if form.errors else 200,
    )


# --- results -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _RuleState:
    rule: str
    label: str
    result: BudgetResult | None
    queued: bool

    @property
    def running(self) -> bool:
        return self.queued or (
            self.result is not None and self.result.status == BudgetResult.Status.RUNNING
        )


def _queued(request: HttpRequest, budget: Budget) -> dict[str, datetime]:
    stored = request.session.get(_QUEUED_SESSION_KEY, {}).get(str(budget.pk), {})
    queued = {}
    for rule, text in stored.items():
        moment = parse_datetime(text)
        if moment is not None:
            queued[rule] = moment
    return queued


def _rule_states(request: HttpRequest, budget: Budget) -> list[_RuleState]:
    results = selectors.results_of(budget)
    queued = _queued(request, budget)
    states = []
    for rule, label in Rule.choices:
        result = results.get(rule)
        waiting = rule in queued and (result is None or result.started_at < queued[rule])
        states.append(_RuleState(rule=rule, label=str(label), result=result, queued=waiting))
    return states


@dataclasses.dataclass(frozen=True)
class _Cell:
    selected: bool
    explanation: str


@dataclasses.dataclass(frozen=True)
class _ProjectRow:
    project: BudgetProject
    votes: int | None
    score: int | None
    cells: list[_Cell | None]
    official: bool | None


@dataclasses.dataclass(frozen=True)
class _Difference:
    label: str
    added: list[str]
    removed: list[str]


def _results_context(request: HttpRequest, budget: Budget) -> dict[str, Any]:
    states = _rule_states(request, budget)
    done = [
        s for s in states if s.result is not None and s.result.status == BudgetResult.Status.DONE
    ]
    projects = list(budget.projects.all())
    by_pabulib = {p.pabulib_id: p for p in projects}
    explained = {
        s.rule: {
            o.project_id: o
            for o in selectors.result_outcomes(s.result, currency=budget.currency)  # type: ignore[arg-type]
        }
        for s in done
    }
    outcome = BudgetOutcome.objects.filter(budget=budget).select_related("published_by").first()
    official = set(outcome.selected) if outcome is not None else None
    rows = []
    for project in projects:
        cells: list[_Cell | None] = []
        votes = score = None
        for state in done:
            item = explained[state.rule].get(project.pabulib_id)
            if item is None:
                cells.append(None)
                continue
            data = state.result.outcomes.get(project.pabulib_id, {})  # type: ignore[union-attr]
            votes = item.votes
            if budget.ballot_type == BallotType.CUMULATIVE:
                score = data.get("score")
            cells.append(_Cell(selected=item.selected, explanation=item.explanation()))
        rows.append(
            _ProjectRow(
                project=project,
                votes=votes,
                score=score,
                cells=cells,
                official=None if official is None else project.pabulib_id in official,
            )
        )
    differences = []
    if outcome is not None:
        for state in done:
            assert state.result is not None
            difference = selectors.outcome_difference(budget, state.result)
            if difference is None:
                continue
            differences.append(
                _Difference(
                    label=state.label,
                    added=[by_pabulib[p].title for p in difference.added if p in by_pabulib],
                    removed=[by_pabulib[p].title for p in difference.removed if p in by_pabulib],
                )
            )
    official_projects = (
        [by_pabulib[p] for p in outcome.selected if p in by_pabulib] if outcome else []
    )
    return {
        "budget": budget,
        "process": budget.process,
        "states": states,
        "done": done,
        "summaries": [
            {
                "label": s.label,
                "count": len(s.result.selected),  # type: ignore[union-attr]
                "cost": s.result.cost,  # type: ignore[union-attr]
                "left": budget.amount - s.result.cost,  # type: ignore[union-attr]
            }
            for s in done
        ],
        "running": any(s.running for s in states),
        "ballots": selectors.ballots_count(budget),
        "rows": rows,
        "outcome": outcome,
        "official_projects": official_projects,
        "official_cost": sum((p.cost for p in official_projects), Decimal(0)),
        "differences": differences,
        "now": timezone.now(),
    }


@never_cache
@roles_required(MANAGER_ROLES)
@require_GET
def results(request: HttpRequest, budget_id: int) -> HttpResponse:
    budget = access_budget_for_manager(request, budget_id)
    context = _results_context(request, budget)
    if request.headers.get("HX-Request") == "true":
        if not context["running"]:
            # The computation is over: the whole page, with the results side by side.
            return HttpResponseClientRefresh()
        return render(request, "participation/budgets/backoffice/results.html#status", context)
    return render(request, "participation/budgets/backoffice/results.html", context)


@never_cache
@roles_required(MANAGER_ROLES)
@require_POST
def results_compute(request: HttpRequest, budget_id: int) -> HttpResponse:
    budget = access_budget_for_manager(request, budget_id)
    rule = request.POST.get("rule", "")
    if rule not in Rule.values:
        messages.error(request, _("Choose a rule to compute."))
        return redirect("participation_budgets_backoffice:results", budget_id=budget.pk)
    queued = request.session.get(_QUEUED_SESSION_KEY, {})
    queued.setdefault(str(budget.pk), {})[rule] = timezone.now().isoformat()
    request.session[_QUEUED_SESSION_KEY] = queued
    # Enqueued once the request's writes are committed, whatever the task backend.
    transaction.on_commit(lambda: services.results_compute_task.enqueue(budget.pk, rule))
    messages.success(
        request,
        _("The computation of “%(rule)s” is started: this page follows it.")
        % {"rule": Rule(rule).label},
    )
    return redirect("participation_budgets_backoffice:results", budget_id=budget.pk)


# --- official outcome ----------------------------------------------------------------------


def _initial_selection(budget: Budget, rule: str) -> list[int]:
    pks = dict(budget.projects.values_list("pabulib_id", "pk"))
    if rule:
        result = BudgetResult.objects.filter(
            budget=budget, rule=rule, status=BudgetResult.Status.DONE
        ).first()
        if result is not None:
            return [pks[p] for p in result.selected if p in pks]
    outcome = BudgetOutcome.objects.filter(budget=budget).first()
    if outcome is not None:
        return [pks[p] for p in outcome.selected if p in pks]
    for fallback in (Rule.MES_ADD1, Rule.MES, Rule.GREEDY):
        result = BudgetResult.objects.filter(
            budget=budget, rule=fallback, status=BudgetResult.Status.DONE
        ).first()
        if result is not None:
            return [pks[p] for p in result.selected if p in pks]
    return []


def _compare(budget: Budget, chosen: Sequence[BudgetProject]) -> list[_Difference]:
    """The chosen projects against each computed rule, in words."""
    titles = {p.pabulib_id: p.title for p in budget.projects.all()}
    chosen_ids = [p.pabulib_id for p in chosen]
    comparisons = []
    for rule, label in Rule.choices:
        result = BudgetResult.objects.filter(
            budget=budget, rule=rule, status=BudgetResult.Status.DONE
        ).first()
        if result is None:
            continue
        computed = list(result.selected)
        comparisons.append(
            _Difference(
                label=str(label),
                added=[titles[p] for p in chosen_ids if p not in computed and p in titles],
                removed=[titles[p] for p in computed if p not in chosen_ids and p in titles],
            )
        )
    return comparisons


@never_cache
@roles_required(MANAGER_ROLES)
@require_http_methods(["GET", "POST"])
def outcome_publish(request: HttpRequest, budget_id: int) -> HttpResponse:
    """Choose the funded projects (pre-filled from a computed rule), check the summary and
    its difference from each rule, confirm."""
    budget = access_budget_for_manager(request, budget_id)
    projects = list(budget.projects.all())
    rule = request.GET.get("regle", "")
    if request.method == "POST":
        form = OutcomeForm(request.POST, projects=projects, currency=budget.currency)
    else:
        form = OutcomeForm(
            initial={"selected": _initial_selection(budget, rule if rule in Rule.values else "")},
            projects=projects,
            currency=budget.currency,
        )
    if request.method == "POST" and form.is_valid():
        selected = form.cleaned_data["selected"]
        chosen = [p for p in projects if p.pk in set(selected)]
        if request.POST.get("action") == "confirm":
            try:
                services.outcome_publish(
                    budget=budget,
                    agent=_actor(request),
                    selected=selected,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                form_service_errors(form, error, {})
            except ActionRefused as refused:
                form.add_error(None, _refused_message(refused))
            else:
                messages.success(request, _("The official outcome is published."))
                return redirect("participation_budgets_backoffice:results", budget_id=budget.pk)
        elif request.POST.get("action") == "preview":
            cost = sum((p.cost for p in chosen), Decimal(0))
            return render(
                request,
                "participation/budgets/backoffice/outcome_confirm.html",
                {
                    "budget": budget,
                    "process": budget.process,
                    "form": form,
                    "chosen": chosen,
                    "cost": cost,
                    "over": cost > budget.amount,
                    "comparisons": _compare(budget, chosen),
                },
            )
    computed = [
        (rule_, label)
        for rule_, label in Rule.choices
        if BudgetResult.objects.filter(
            budget=budget, rule=rule_, status=BudgetResult.Status.DONE
        ).exists()
    ]
    return render(
        request,
        "participation/budgets/backoffice/outcome_form.html",
        {
            "budget": budget,
            "process": budget.process,
            "form": form,
            "computed": computed,
            "rule": rule,
        },
        status=400 if form.errors else 200,
    )


# --- exports -------------------------------------------------------------------------------


@never_cache
@roles_required(MANAGER_ROLES)
@require_GET
def export_pb(request: HttpRequest, budget_id: int) -> HttpResponse:
    budget = access_budget_for_manager(request, budget_id)
    text = services.pb_export(budget=budget)
    response = HttpResponse(text.encode("utf-8"), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="budget-{budget.pk}.pb"'
    return response


@never_cache
@roles_required(MANAGER_ROLES)
@require_GET
def export_results_csv(request: HttpRequest, budget_id: int) -> HttpResponse:
    """One line per project: its cost, its votes, and for each computed rule whether it was
    selected and why; the official outcome last. ``;`` and a BOM, as French spreadsheets
    open them; no cell can run as a formula."""
    budget = access_budget_for_manager(request, budget_id)
    results_ = [
        r for r in selectors.results_of(budget).values() if r.status == BudgetResult.Status.DONE
    ]
    order = {rule: position for position, rule in enumerate(Rule.values)}
    results_.sort(key=lambda r: order[r.rule])
    outcome = BudgetOutcome.objects.filter(budget=budget).first()
    explained = {
        r.rule: {o.project_id: o for o in selectors.result_outcomes(r, currency=budget.currency)}
        for r in results_
    }
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    header = [_("PaBuLib id"), _("Project"), _("Cost"), _("Votes")]
    for result in results_:
        label = Rule(result.rule).label
        header += [
            _("%(rule)s: selected") % {"rule": label},
            _("%(rule)s: why") % {"rule": label},
        ]
    if outcome is not None:
        header.append(_("Official outcome"))
    writer.writerow([csv_cell(h) for h in header])
    yes, no = _("yes"), _("no")
    for project in budget.projects.all():
        votes = ""
        cells: list[str] = []
        for result in results_:
            item = explained[result.rule].get(project.pabulib_id)
            if item is None:
                cells += ["", ""]
                continue
            votes = str(item.votes)
            cells += [yes if item.selected else no, item.explanation()]
        row = [project.pabulib_id, project.title, str(project.cost), votes, *cells]
        if outcome is not None:
            row.append(yes if project.pabulib_id in outcome.selected else no)
        writer.writerow([csv_cell(cell) for cell in row])
    response = HttpResponse(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="resultats-budget-{budget.pk}.csv"'
    return response
