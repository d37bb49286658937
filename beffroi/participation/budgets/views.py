"""Participatory budgets, public pages: a process's budgets, the ballot (every ballot type,
without JavaScript; a running total with it), the confirmation and the receipt, the public
check of a receipt code, the claim of a census entry, and the published results with every
computed rule side by side.

Views parse, load through ``access``, call one service and render: every rule of a ballot is
the service's (``services.ballot_cast``), whatever the page or the client sends. The ballot's
form lives here with its only page (the back office's forms are its own).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from beffroi.accounts.access import request_organisation
from beffroi.core.clients import client_address
from beffroi.core.ratelimit import rate_hit
from beffroi.core.templatetags.core_formats import long_date, money
from beffroi.participation import access
from beffroi.participation.access import ALLOWED, ActionRefused, Decision
from beffroi.participation.budgets import selectors, services
from beffroi.participation.budgets.access import (
    access_ballot_box,
    access_budget,
    census_entry_of,
    vote_decide,
)
from beffroi.participation.budgets.selectors import (
    RULE_ORDER,
    BallotProject,
    BudgetState,
    ballot_rules,
    budget_state,
)
from beffroi.participation.models import (
    Ballot,
    BallotType,
    Budget,
    BudgetOutcome,
    BudgetProject,
    BudgetResult,
    Eligibility,
    Participant,
    Proposal,
    Rule,
)
from beffroi.territory.selectors import organisation_url

# Receipt codes and census identifiers must not be enumerable: a person checks a code or
# proves an entry a few times; a script trying thousands is stopped for the window.
WINDOW_SECONDS = 600
RECEIPT_LOOKUPS_PER_CLIENT = 20
CENSUS_CLAIMS_PER_CLIENT = 10
CENSUS_CLAIMS_PER_PARTICIPANT = 10

# --- the process's budgets -----------------------------------------------------------------


@dataclass(frozen=True)
class BudgetCard:
    budget: Budget
    amount: str
    zones: list[str]
    rules: str
    state: BudgetState
    projects: int
    census: bool


@require_GET
def process_budgets(request: HttpRequest, slug: str) -> HttpResponse:
    process = access.access_process(request, slug)
    budgets = list(
        Budget.objects.filter(process=process, organisation_id=process.organisation_id)
        .select_related("process")
        .prefetch_related("zones")
        .annotate(project_count=Count("projects", distinct=True))
        .order_by("created_at", "pk")
    )
    published = set(
        BudgetOutcome.objects.filter(budget__in=budgets).values_list("budget_id", flat=True)
    )
    now = timezone.now()
    for budget in budgets:
        budget.process = process  # the phases are prefetched on it
    cards = [
        BudgetCard(
            budget=budget,
            amount=money(budget.amount, budget.currency),
            zones=sorted(zone.name for zone in budget.zones.all()),
            rules=ballot_rules(budget),
            state=budget_state(budget, published=budget.pk in published, now=now),
            projects=budget.project_count,  # type: ignore[attr-defined]
            census=budget.eligibility == Eligibility.CENSUS,
        )
        for budget in budgets
    ]
    return render(
        request,
        "participation/budgets/process.html",
        {"process": process, "cards": cards},
    )


# --- the ballot ----------------------------------------------------------------------------


def _field_name(kind: str, project_id: int) -> str:
    if kind == BallotType.CUMULATIVE:
        return f"points-{project_id}"
    if kind == BallotType.RANKED:
        return f"rank-{project_id}"
    return f"project-{project_id}"


_POSTED_PROJECT = re.compile(r"(?:project|points|rank)-(\d{1,12})")


def _project_label(kind: str, title: str) -> str:
    if kind == BallotType.CUMULATIVE:
        return _("Points for “%(title)s”") % {"title": title}
    if kind == BallotType.RANKED:
        return _("Rank of “%(title)s”") % {"title": title}
    return _("Choose “%(title)s”") % {"title": title}


# A ballot sent is read by hundreds a second, and its form is shown again only when it is
# refused: the labels and costs are written when a page shows them, not for every field read.
_lazy_project_label = lazy(_project_label, str)


class _ProjectCost:
    """A project's cost as its field's help text, written when a page shows it. Not a lazy
    string: a form's bound field asks whether its help text is empty, which would write
    it."""

    __slots__ = ("cost", "currency")

    def __init__(self, cost: Decimal, currency: str) -> None:
        self.cost = cost
        self.currency = currency

    def __bool__(self) -> bool:
        return True

    def __str__(self) -> str:
        return _("Cost: %(cost)s") % {"cost": money(self.cost, self.currency)}


class BallotForm(forms.Form):
    """One field per project: a checkbox (approval, knapsack), a number of points
    (cumulative) or a rank (ranked). The form only reads what was typed; the ballot's rules
    are the service's."""

    def __init__(
        self,
        data: Any = None,
        *,
        budget: Budget,
        projects: Sequence[BallotProject],
        initial: dict[str, Any] | None = None,
        sent_only: bool = False,
    ) -> None:
        """``sent_only``: fields only for the projects ``data`` names, to read a ballot sent
        (a ballot names a few projects of many); a project not sent reads as a field left
        empty (not chosen, no points, no rank), and ``choices`` is the same. A form shown
        has a field for every project."""
        super().__init__(data, initial=initial)
        self.budget = budget
        self.kind = budget.ballot_type
        self.projects = projects
        ranks = len(projects)
        if budget.max_projects is not None:
            ranks = min(ranks, budget.max_projects)
        self.rank_count = ranks
        rank_choices = [("", gettext_lazy("Not ranked"))] + [
            (str(rank), str(rank)) for rank in range(1, ranks + 1)
        ]
        for project in projects:
            name = _field_name(self.kind, project.pk)
            if sent_only and name not in self.data:
                continue
            label = _lazy_project_label(self.kind, project.title)
            made: forms.Field
            # Widgets given as classes, their attributes set after: an instance would be
            # deep-copied by each field.
            if self.kind == BallotType.CUMULATIVE:
                made = forms.IntegerField(
                    label=label,
                    required=False,
                    min_value=0,
                    max_value=budget.max_points,
                    widget=forms.NumberInput,
                )
                made.widget.attrs.update(
                    {"step": "1", "inputmode": "numeric", "class": "ballot-points"}
                )
            elif self.kind == BallotType.RANKED:
                made = forms.TypedChoiceField(
                    label=label,
                    required=False,
                    coerce=int,
                    empty_value=None,
                    choices=rank_choices,
                    widget=forms.Select,
                )
            else:
                made = forms.BooleanField(label=label, required=False, widget=forms.CheckboxInput)
            made.widget.attrs["data-project"] = str(project.pk)
            made.widget.attrs["data-cost"] = str(project.cost)
            made.help_text = _ProjectCost(project.cost, budget.currency)  # type: ignore[assignment]
            self.fields[name] = made

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.kind == BallotType.RANKED:
            by_rank: dict[int, list[str]] = {}
            for name, value in cleaned.items():
                if value is not None:
                    by_rank.setdefault(value, []).append(name)
            for rank, names in sorted(by_rank.items()):
                if len(names) > 1:
                    for name in names:
                        self.add_error(
                            name,
                            _("Rank %(rank)d is given to more than one project.") % {"rank": rank},
                        )
        return cleaned

    def choices(self) -> dict[int, int]:
        """What the person chose, as the service reads it (project id → 1/0, points or
        rank), from the fields typed correctly. Project ids the page does not show but the
        client sent are passed on too, so that the service refuses them."""
        cleaned = getattr(self, "cleaned_data", {})
        chosen: dict[int, int] = {}
        for project in self.projects:
            value = cleaned.get(_field_name(self.kind, project.pk))
            if self.kind == BallotType.CUMULATIVE:
                chosen[project.pk] = value or 0
            elif self.kind == BallotType.RANKED:
                if value is not None:
                    chosen[project.pk] = value
            else:
                chosen[project.pk] = 1 if value else 0
        known = {project.pk for project in self.projects}
        for key in self.data:
            match = _POSTED_PROJECT.fullmatch(str(key))
            if match and int(match[1]) not in known:
                raw = str(self.data.get(key, ""))
                numbered = self.kind in (BallotType.CUMULATIVE, BallotType.RANKED)
                chosen[int(match[1])] = int(raw) if numbered and raw.isdigit() else 1
        return chosen

    def add_rule_error(self, error: ValidationError) -> None:
        """The service's refusal (the ballot as a whole: too many, over the budget…)."""
        for message in error.messages:
            self.add_error(None, message)


@dataclass
class ProjectRow:
    project: BudgetProject
    cost: str
    zones: list[str]
    proposal: Proposal | None
    field: Any = None
    chosen: str = ""  # on the confirmation: "chosen", "3 points", "rank 2"


def _projects(budget: Budget) -> list[BudgetProject]:
    return list(
        BudgetProject.objects.filter(budget=budget)
        .select_related("proposal")
        .prefetch_related("zones")
        .order_by("position", "pk")
    )


def _form_projects(projects: list[BudgetProject]) -> list[BallotProject]:
    """What the ballot's form reads of the projects the page shows."""
    return [BallotProject(p.pk, p.budget_id, p.title, p.cost) for p in projects]


def _visible_proposal(project: BudgetProject) -> Proposal | None:
    proposal = project.proposal
    if (
        proposal is None
        or proposal.hidden_at is not None
        or proposal.organisation_id != project.budget.organisation_id
    ):
        return None
    return proposal


def _rows(
    budget: Budget, projects: list[BudgetProject], form: BallotForm | None
) -> list[ProjectRow]:
    rows = []
    for project in projects:
        project.budget = budget
        rows.append(
            ProjectRow(
                project=project,
                cost=money(project.cost, budget.currency),
                zones=sorted(zone.name for zone in project.zones.all()),
                proposal=_visible_proposal(project),
                field=form[_field_name(budget.ballot_type, project.pk)] if form else None,
            )
        )
    return rows


def _own_ballot(budget: Budget, participant: Participant | None) -> Ballot | None:
    if participant is None:
        return None
    return Ballot.objects.filter(budget=budget, participant=participant).order_by("pk").first()


def _initial(budget: Budget, ballot: Ballot | None) -> dict[str, Any]:
    if ballot is None:
        return {}
    initial: dict[str, Any] = {}
    for project_id, points, rank in ballot.choices.values_list("project_id", "points", "rank"):
        name = _field_name(budget.ballot_type, project_id)
        if budget.ballot_type == BallotType.CUMULATIVE:
            initial[name] = points
        elif budget.ballot_type == BallotType.RANKED:
            initial[name] = rank
        else:
            initial[name] = True
    return initial


def _published(budget: Budget) -> bool:
    return BudgetOutcome.objects.filter(budget=budget).exists()


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}"


def _refusal_links(budget: Budget, decision: Decision) -> list[tuple[str, str]]:
    """Where to fix a refusal: (label, address)."""
    here = reverse("participation_budgets:ballot", args=[budget.pk])
    code = decision.code
    if code == "email_unverified":
        take_part = reverse("participation_participants:take_part")
        return [(_("How to take part"), _with_next(take_part, here))]
    if code in ("login", "account_needed"):
        sms = reverse("participation_participants:sms")
        return [
            (_("Log in"), _with_next(reverse("accounts:login"), here)),
            (_("Take part with an SMS code"), _with_next(sms, here)),
        ]
    if code in ("birth_year", "not_resident", "not_in_zones"):
        return [
            (
                _("Complete my participant profile"),
                _with_next(reverse("participation_participants:profile"), here),
            )
        ]
    if code == "not_on_census":
        return [
            (
                _("Confirm my identifier on the list of voters"),
                reverse("participation_budgets:census_claim", args=[budget.pk]),
            )
        ]
    return []


def _ballot_page(
    request: HttpRequest,
    budget: Budget,
    *,
    form: BallotForm | None,
    projects: list[BudgetProject],
    decision: Decision,
    ballot: Ballot | None,
    status: int = 200,
) -> HttpResponse:
    published = _published(budget)
    context = {
        "budget": budget,
        "process": budget.process,
        "form": form,
        "rows": _rows(budget, projects, form),
        "amount": money(budget.amount, budget.currency),
        "rules": ballot_rules(budget),
        "state": budget_state(budget, published=published),
        "published": published,
        "decision": decision,
        "refusal_links": _refusal_links(budget, decision),
        "ballot": ballot,
        "rank_count": form.rank_count if form else 0,
    }
    return render(request, "participation/budgets/ballot.html", context, status=status)


@require_http_methods(["GET", "POST"])
def ballot(request: HttpRequest, budget_id: int) -> HttpResponse:
    if request.method == "POST":
        box = access_ballot_box(request, budget_id)
        participant = access.request_participant(request)
        return _ballot_post(request, box.budget, participant, box.projects)
    budget = access_budget(request, budget_id)
    participant = access.request_participant(request)
    decision = vote_decide(participant, budget)
    projects = _projects(budget)
    own = _own_ballot(budget, participant)
    form = None
    if decision.allowed:
        form = BallotForm(
            budget=budget, projects=_form_projects(projects), initial=_initial(budget, own)
        )
    # Never a bare 403: a refused person is told why and where to fix it (and still sees the
    # projects).
    return _ballot_page(
        request, budget, form=form, projects=projects, decision=decision, ballot=own
    )


def _ballot_post(
    request: HttpRequest,
    budget: Budget,
    participant: Participant | None,
    projects: dict[int, BallotProject],
) -> HttpResponse:
    """A ballot sent: recorded and answered by the redirect to its confirmation, or the
    page again with every error, or with the reason of a refusal (403).

    A ballot is cast by hundreds a second when a vote is announced, so a ballot that goes
    through reads only what it needs: the budget's ballot box (``access_ballot_box``: the
    budget, its phases, and its projects' ids, titles and costs for the form, from the
    shared cache), then the service, which checks who may vote and every rule. The page's
    other reads (zones and proposals of the projects, the person's ballot) are made only to
    show the page again."""
    read = BallotForm(request.POST, budget=budget, projects=list(projects.values()), sent_only=True)
    valid = read.is_valid()
    choices = read.choices()
    decision = ALLOWED
    refused_by_rules: ValidationError | None = None
    if valid:
        try:
            recorded = services.ballot_record(
                budget=budget, participant=participant, choices=choices, projects=projects
            )
        except ActionRefused as refused:
            decision = refused.decision
        except ValidationError as error:
            refused_by_rules = error
        else:
            if recorded.created:
                messages.success(request, _("Your ballot is recorded. Thank you!"))
            else:
                messages.success(request, _("Your ballot is changed."))
            return redirect("participation_budgets:confirmation", budget.pk)
    else:
        decision = vote_decide(participant, budget)
        if decision.allowed:
            # Every error in one go: the fields typed wrong, and what the rules say of the
            # rest.
            try:
                services.ballot_choices_clean(budget=budget, choices=choices, projects=projects)
            except ValidationError as error:
                refused_by_rules = error
    shown = _projects(budget)
    own = _own_ballot(budget, participant)
    if not decision.allowed:
        return _ballot_page(
            request, budget, form=None, projects=shown, decision=decision, ballot=own, status=403
        )
    # The form shown again: a field for every project, with what was typed and the same
    # errors (only fields sent can be typed wrong), beside the full projects (their zones,
    # their proposals): those it has a field for.
    form = BallotForm(request.POST, budget=budget, projects=list(projects.values()))
    form.is_valid()
    if refused_by_rules is not None:
        form.add_rule_error(refused_by_rules)
    shown = [p for p in shown if p.pk in projects]
    return _ballot_page(request, budget, form=form, projects=shown, decision=decision, ballot=own)


def _choice_rows(budget: Budget, ballot: Ballot) -> list[ProjectRow]:
    rows = []
    for choice in ballot.choices.select_related("project").order_by("position", "pk"):
        project = choice.project
        if budget.ballot_type == BallotType.CUMULATIVE:
            chosen = ngettext("%(count)d point", "%(count)d points", choice.points or 0) % {
                "count": choice.points or 0
            }
        elif budget.ballot_type == BallotType.RANKED:
            chosen = _("rank %(rank)s") % {"rank": choice.rank}
        else:
            chosen = ""
        rows.append(
            ProjectRow(
                project=project,
                cost=money(project.cost, budget.currency),
                zones=[],
                proposal=None,
                chosen=chosen,
            )
        )
    return rows


def _ballot_or_back(request: HttpRequest, budget: Budget) -> Ballot | HttpResponse:
    participant = access.request_participant(request)
    own = _own_ballot(budget, participant)
    if own is None:
        messages.info(request, _("You have not voted in this budget yet."))
        return redirect("participation_budgets:ballot", budget.pk)
    return own


@require_GET
def confirmation(request: HttpRequest, budget_id: int) -> HttpResponse:
    budget = access_budget(request, budget_id)
    own = _ballot_or_back(request, budget)
    if isinstance(own, HttpResponse):
        return own
    published = _published(budget)
    state = budget_state(budget, published=published)
    chosen = _choice_rows(budget, own)
    total = sum((row.project.cost for row in chosen), Decimal(0))
    context = {
        "budget": budget,
        "process": budget.process,
        "ballot": own,
        "receipt": services.ballot_receipt(ballot=own),
        "choices": chosen,
        "total": money(total, budget.currency),
        "state": state,
        "changed": own.updated_at != own.cast_at,
    }
    return render(request, "participation/budgets/confirmation.html", context)


@require_GET
def receipt_download(request: HttpRequest, budget_id: int) -> HttpResponse:
    """The receipt as a text file: what it proves, the code, and where to check it."""
    budget = access_budget(request, budget_id)
    own = _ballot_or_back(request, budget)
    if isinstance(own, HttpResponse):
        return own
    receipt = services.ballot_receipt(ballot=own)
    verify_url = organisation_url(budget.organisation, reverse("participation_budgets:verify"))

    def when(moment: datetime) -> str:
        return long_date(timezone.localtime(moment), "j F Y, H:i")

    lines = [
        _("Receipt of your ballot"),
        "",
        f"{receipt.organisation_name} — {receipt.budget_title}",
        _("Receipt code: %(code)s") % {"code": receipt.receipt_code},
        _("Ballot cast on %(date)s") % {"date": when(receipt.cast_at)},
    ]
    if receipt.updated_at != receipt.cast_at:
        lines.append(_("Last changed on %(date)s") % {"date": when(receipt.updated_at)})
    lines += [
        "",
        _(
            "Keep this code: it lets you check that your ballot was counted, without "
            "revealing your choices, at %(url)s"
        )
        % {"url": verify_url},
        "",
    ]
    response = HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="recu-{receipt.receipt_code}.txt"'
    return response


# --- receipt check and census claim (rate-limited) -----------------------------------------


class ReceiptForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Receipt code"),
        max_length=40,
        help_text=gettext_lazy("Twelve letters and digits, for instance ABCD-EFGH-JK23."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_code(self) -> str:
        code = selectors.receipt_normalise(self.cleaned_data["code"])
        if not code:
            raise ValidationError(
                _("A receipt code has twelve letters and digits, for instance ABCD-EFGH-JK23."),
                code="format",
            )
        return code


def _limited(key: str, limit: int) -> int | None:
    """Count one attempt; minutes to wait when over the limit, else None."""
    decision = rate_hit(key, limit=limit, window_seconds=WINDOW_SECONDS)
    if decision.allowed:
        return None
    return max(1, int(decision.retry_after + 59) // 60)


def _too_many(minutes: int) -> str:
    return ngettext(
        "Too many attempts from your connection: try again in %(minutes)d minute.",
        "Too many attempts from your connection: try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


@require_http_methods(["GET", "POST"])
def receipt_verify(request: HttpRequest) -> HttpResponse:
    """Anyone checks a receipt code: counted or not, and when; never the choices."""
    organisation = request_organisation(request)
    form = ReceiptForm(request.POST or None)
    status: selectors.ReceiptStatus | None = None
    checked = False
    if request.method == "POST":
        wait = _limited(f"budgets:receipt:{client_address(request)}", RECEIPT_LOOKUPS_PER_CLIENT)
        if wait is not None:
            form.is_valid()
            form.add_error(None, _too_many(wait))
        elif form.is_valid():
            checked = True
            status = selectors.receipt_verify(
                organisation=organisation, receipt_code=form.cleaned_data["code"]
            )
    return render(
        request,
        "participation/budgets/verify.html",
        {"form": form, "checked": checked, "status": status},
        status=429 if request.method == "POST" and form.non_field_errors() else 200,
    )


class CensusClaimForm(forms.Form):
    key = forms.CharField(
        label=gettext_lazy("Your identifier on the list"),
        max_length=100,
        help_text=gettext_lazy("As printed on your voting card or the letter of the town hall."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    birth_year = forms.IntegerField(
        label=gettext_lazy("Year of birth"),
        min_value=1900,
        max_value=2100,
        help_text=gettext_lazy("Four digits, for instance 1984."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "bday-year"}),
    )


@require_http_methods(["GET", "POST"])
def census_claim(request: HttpRequest, budget_id: int) -> HttpResponse:
    """A resident proves to be an entry of the budget's census list (identifier and year of
    birth). The error never says whether the identifier exists."""
    budget = access_budget(request, budget_id)
    if budget.eligibility != Eligibility.CENSUS:
        raise Http404("This budget has no census list.")
    participant = access.request_participant(request)
    here = reverse("participation_budgets:census_claim", args=[budget.pk])
    form = CensusClaimForm(request.POST or None)
    claimed = participant is not None and census_entry_of(participant, budget) is not None
    if request.method == "POST" and participant is not None and form.is_valid():
        wait = _limited(f"budgets:census:{client_address(request)}", CENSUS_CLAIMS_PER_CLIENT)
        if wait is None:
            wait = _limited(f"budgets:census:p:{participant.pk}", CENSUS_CLAIMS_PER_PARTICIPANT)
        if wait is not None:
            form.add_error(None, _too_many(wait))
        else:
            try:
                services.census_entry_claim(
                    budget=budget,
                    participant=participant,
                    key=form.cleaned_data["key"],
                    birth_year=form.cleaned_data["birth_year"],
                )
            except ValidationError:
                # One message whatever the reason (no such identifier, another year of
                # birth, an entry already claimed): the list's identifiers stay secret.
                form.add_error(
                    "key",
                    _(
                        "We could not confirm this identifier with this year of birth. Check "
                        "your voting card, or ask the town hall."
                    ),
                )
            else:
                messages.success(request, _("You are on the list of voters: you can vote."))
                return redirect("participation_budgets:ballot", budget.pk)
    return render(
        request,
        "participation/budgets/census_claim.html",
        {
            "budget": budget,
            "process": budget.process,
            "form": form,
            "participant": participant,
            "claimed": claimed,
            "login_url": _with_next(reverse("accounts:login"), here),
            "sms_url": _with_next(reverse("participation_participants:sms"), here),
        },
    )


# --- results -------------------------------------------------------------------------------


@dataclass
class OutcomeRow:
    number: str
    title: str
    cost: str
    votes: int
    score: int | None
    selected: bool
    reason: str


@dataclass
class RuleColumn:
    rule: str
    label: str
    result: BudgetResult
    winners: list[str]
    used: str
    left: str
    rows: list[OutcomeRow]
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    differs: bool = False


@dataclass
class Bar:
    label: str
    count: int
    percent: float


@require_GET
def results(request: HttpRequest, budget_id: int) -> HttpResponse:
    budget = access_budget(request, budget_id)
    outcome = BudgetOutcome.objects.filter(budget=budget).first()
    if outcome is None:
        return render(
            request,
            "participation/budgets/results.html",
            {"budget": budget, "process": budget.process, "outcome": None},
        )
    projects = _projects(budget)
    titles = {project.pabulib_id: project.title for project in projects}
    costs = {project.pabulib_id: project.cost for project in projects}
    currency = budget.currency
    official = [titles.get(pid, pid) for pid in outcome.selected]
    official_cost = sum((costs.get(pid, Decimal(0)) for pid in outcome.selected), Decimal(0))
    computed = {
        result.rule: result
        for result in BudgetResult.objects.filter(budget=budget, status=BudgetResult.Status.DONE)
    }
    columns: list[RuleColumn] = []
    for rule in RULE_ORDER:
        result = computed.get(rule)
        if result is None:
            continue
        rows = []
        for project_outcome in selectors.result_outcomes(result, currency=currency):
            data = result.outcomes.get(project_outcome.project_id, {})
            rows.append(
                OutcomeRow(
                    number=project_outcome.project_id,
                    title=titles.get(project_outcome.project_id, project_outcome.project_id),
                    cost=money(project_outcome.cost, currency),
                    votes=project_outcome.votes,
                    score=data.get("score"),
                    selected=project_outcome.selected,
                    reason=project_outcome.explanation(),
                )
            )
        difference = selectors.outcome_difference(budget, result)
        columns.append(
            RuleColumn(
                rule=rule,
                label=str(Rule(rule).label),
                result=result,
                winners=[titles.get(pid, pid) for pid in result.selected],
                used=money(result.cost, currency),
                left=money(budget.amount - result.cost, currency),
                rows=rows,
                added=[titles.get(pid, pid) for pid in (difference.added if difference else ())],
                removed=[
                    titles.get(pid, pid) for pid in (difference.removed if difference else ())
                ],
                differs=bool(difference),
            )
        )
    bars: list[Bar] = []
    ballots = 0
    if columns:
        first = columns[0]
        ballots = first.result.ballots
        for row in first.rows:
            bars.append(
                Bar(
                    label=row.title,
                    count=row.votes,
                    percent=round(100 * row.votes / ballots, 1) if ballots else 0.0,
                )
            )
    context = {
        "budget": budget,
        "process": budget.process,
        "outcome": outcome,
        "official": official,
        "official_cost": money(official_cost, currency),
        "amount": money(budget.amount, currency),
        "columns": columns,
        "bars": bars,
        "ballots": ballots,
        "cumulative": budget.ballot_type == BallotType.CUMULATIVE,
    }
    return render(request, "participation/budgets/results.html", context)
