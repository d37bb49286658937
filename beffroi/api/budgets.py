"""Participatory budgets API (mounted at /participation/, beside the participation router):
a process's budgets, a budget with its ballot's rules and projects, my ballot (read, cast,
changed), the published results with every computed rule side by side, and the public check
of a receipt code.

The rules are the pages' own (``participation/budgets/selectors.py``): every budget is loaded
through ``budgets.access.access_budget`` (another organisation's budget, or one of a draft
process for anyone but its managers, answers 404 like a missing one), a ballot is cast only
through ``services.ballot_cast`` (the phase, the person, age, zones or census, then every
rule of the ballot), and the receipt check counts against the same per-client budget as the
page's form. Refusals are ``403 {"detail", "code"}`` with the code of ``access.Decision``
(``phase_closed``, ``login``, ``email_unverified``, ``too_young``, ``not_in_zones``,
``not_on_census``…); a ballot breaking a rule is ``422`` with the message on ``choices``.

Who is asking: as for participation, the resident signed in on the site (session cookie, with
the CSRF token in ``X-CSRFToken`` on writes), the person proven by an SMS code in that
session, or an agent's token acting as the agent's own participant.
"""

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from ninja.errors import Throttled
from ninja.responses import Status

from beffroi.accounts.access import request_organisation
from beffroi.api.participation import (
    MAX_ID,
    PARTICIPANT_AUTH,
    READ,
    WRITE,
    DecisionOut,
    ErrorOut,
    ProcessSlug,
    ValidationErrorOut,
    ZoneOut,
    _decision_out,
    _identify,
    _Links,
    _participant,
    _zone_out,
    answers_refusals,
)
from beffroi.core.clients import client_address
from beffroi.core.ratelimit import rate_hit
from beffroi.participation import access
from beffroi.participation.budgets import selectors, services, views
from beffroi.participation.budgets.access import access_ballot_box, access_budget, vote_decide
from beffroi.participation.models import (
    Ballot,
    BallotType,
    Budget,
    BudgetOutcome,
    BudgetProject,
    BudgetResult,
    Participant,
    Rule,
)

router = Router(tags=["budgets"])

BudgetId = Annotated[int, Path(ge=1, le=MAX_ID, description="The budget's number.")]
# Points and ranks a person may type: wide enough for any ballot, narrow enough that the
# database's integers never overflow (the service refuses what breaks the ballot's rules).
_VALUE = Annotated[int, Field(ge=-1_000_000, le=1_000_000)]
_PROJECT = Annotated[int, Field(ge=1, le=MAX_ID)]
MAX_CHOICES = 1000


# --- Schemas -------------------------------------------------------------------------------


class BudgetStateOut(Schema):
    code: Literal["open", "upcoming", "closed", "not_scheduled", "published"] = Field(
        description="open: ballots are cast now; upcoming: the vote opens on ``date``; "
        "closed: the vote is over, results not published yet; not_scheduled: no vote "
        "phase yet; published: the official outcome is published."
    )
    date: datetime | None = Field(
        description="open: when the vote closes (None when opened by hand without an end "
        "date); upcoming: when it opens."
    )


class BallotRulesOut(Schema):
    type: Literal["approval", "knapsack", "cumulative", "ranked"]
    type_label: str
    min_projects: int
    max_projects: int | None
    max_points: int | None = Field(description="Cumulative: the points each voter shares out.")
    text: str = Field(description="The rules in a sentence, as the ballot page says them.")


class BudgetSummaryOut(Schema):
    id: int
    process: str = Field(description="The process's slug.")
    title: str = Field(description="Plain text, as typed: escape it when showing it.")
    amount: str = Field(description="A decimal number as text, in ``currency``.")
    currency: str
    zones: list[ZoneOut] = Field(description="Empty: the whole territory.")
    ballot: BallotRulesOut
    eligibility: Literal["zones", "census"] = Field(
        description="zones: a verified address in the budget's zones (or the commune's when "
        "it has none); census: a name on the list of voters imported by the commune."
    )
    min_age: int | None
    state: BudgetStateOut
    projects_count: int
    url: str = Field(description="The ballot page.")
    results_url: str


class ProposalRefOut(Schema):
    id: int
    title: str
    url: str


class BudgetProjectOut(Schema):
    id: int = Field(description="The id a ballot names the project by.")
    number: str = Field(description="The project's PaBuLib id, used by the results.")
    title: str = Field(description="Plain text, as typed: escape it when showing it.")
    description: str = Field(description="Plain text, as typed.")
    cost: str = Field(description="A decimal number as text, in the budget's currency.")
    zones: list[ZoneOut]
    proposal: ProposalRefOut | None = Field(description="The proposal it comes from.")


class BudgetOut(BudgetSummaryOut):
    projects: list[BudgetProjectOut] = Field(description="In the ballot's order.")
    can_vote: DecisionOut = Field(description="Whether the caller may cast a ballot now.")
    voted: bool = Field(description="Whether the caller has a ballot in this budget.")


class BallotChoiceOut(Schema):
    project: int
    title: str
    cost: str
    points: int | None = Field(description="Cumulative ballots.")
    rank: int | None = Field(description="Ranked ballots: 1 for the first choice.")


class BallotOut(Schema):
    budget: int
    receipt_code: str = Field(
        description="Keep it: anyone can check with it that the ballot counted, without "
        "learning the choices (``/participation/budgets/receipts/check``)."
    )
    cast_at: datetime
    updated_at: datetime
    changed: bool = Field(description="Whether the ballot was changed after it was first cast.")
    total_cost: str = Field(description="What the chosen projects cost together.")
    choices: list[BallotChoiceOut] = Field(description="In the ballot's order (ranked: by rank).")


class BallotIn(Schema):
    choices: (
        Annotated[list[_PROJECT], Field(max_length=MAX_CHOICES)]
        | Annotated[dict[int, _VALUE], Field(max_length=MAX_CHOICES)]
    ) = Field(
        description="Either the ids of the chosen projects (approval, knapsack; ranked: in "
        'order of preference), or an object project id → value: points (cumulative, {"12": '
        '3, "15": 2}), rank (ranked, 1 first) or 1/0 (approval, knapsack). The server '
        "checks every rule of the ballot (number of projects, total cost, points, ranks).",
    )


class OutcomeProjectOut(Schema):
    project: int | None = Field(description="The project's id (None if deleted since).")
    number: str
    title: str
    cost: str


class OfficialOutcomeOut(Schema):
    source: Literal["published", "imported"] = Field(
        description="published: by the commune; imported: recorded in the imported .pb file."
    )
    published_at: datetime
    note: str
    selected: list[OutcomeProjectOut] = Field(description="The funded projects.")
    cost: str = Field(description="Their total cost.")


class ProjectOutcomeOut(Schema):
    project: int | None
    number: str
    title: str
    cost: str
    votes: int = Field(description="Ballots that chose the project.")
    score: int | None = Field(description="Cumulative ballots: its points.")
    selected: bool
    round: int | None = Field(
        description="Greedy: its rank in the order of votes; MES: the round in which it was "
        "bought or after which its supporters could no longer pay for it."
    )
    reason: Literal["fits", "does_not_fit", "bought", "supporters_short", "no_supporters"]
    explanation: str = Field(description="Why it won or lost, in the caller's language.")


class RuleResultOut(Schema):
    rule: Literal["greedy", "mes", "mes-add1"]
    label: str
    computed_at: datetime | None
    ballots: int = Field(description="Ballots the result was computed from.")
    tie_breaking: str = Field(description="How ties between projects were broken.")
    selected: list[str] = Field(description="Numbers of the selected projects, in the order "
                                "the rule took them.")  # fmt: skip
    cost: str = Field(description="Money used by the selected projects.")
    left: str = Field(description="Money of the budget left unused.")
    differs: bool = Field(description="Whether the official outcome differs from this rule's.")
    added: list[str] = Field(
        description="Numbers of projects the commune funds although the rule left them out."
    )
    removed: list[str] = Field(
        description="Numbers of projects the rule selected that the commune does not fund."
    )
    projects: list[ProjectOutcomeOut]


class BudgetResultsOut(Schema):
    budget: int
    title: str
    amount: str
    currency: str
    published: bool = Field(
        description="False until the commune publishes the official outcome: nothing else "
        "is shown before, as on the results page."
    )
    official: OfficialOutcomeOut | None
    rules: list[RuleResultOut] = Field(description="Greedy, MES, MES + add1: those computed.")


class ReceiptFilter(Schema):
    code: str = Field(
        min_length=1,
        max_length=40,
        description="The receipt code as typed: case, spaces and dashes do not matter.",
    )


class ReceiptStatusOut(Schema):
    recorded: bool = Field(description="Whether a ballot of this organisation has this code.")
    budget: int | None
    budget_title: str
    cast_at: datetime | None
    updated_at: datetime | None
    counted: bool = Field(description="Whether results were computed from it already.")
    counted_at: datetime | None = Field(
        description="When the first results including its last change were computed."
    )


# --- Helpers -------------------------------------------------------------------------------


def _money(value: Decimal) -> str:
    return str(value)


def _rules_out(budget: Budget) -> dict[str, Any]:
    kind = budget.ballot_type
    return {
        "type": kind,
        "type_label": str(BallotType(kind).label) if kind in BallotType.values else "",
        "min_projects": budget.min_projects,
        "max_projects": budget.max_projects,
        "max_points": budget.max_points,
        "text": selectors.ballot_rules(budget),
    }


def _published(budget: Budget) -> bool:
    return BudgetOutcome.objects.filter(budget=budget).exists()


def _budget_summary(
    budget: Budget, links: _Links, *, projects: int, published: bool, now: datetime
) -> dict[str, Any]:
    state = selectors.budget_state(budget, published=published, now=now)
    return {
        "id": budget.pk,
        "process": budget.process.slug,
        "title": budget.title,
        "amount": _money(budget.amount),
        "currency": budget.currency,
        "zones": [_zone_out(z) for z in sorted(budget.zones.all(), key=lambda z: z.name)],
        "ballot": _rules_out(budget),
        "eligibility": budget.eligibility,
        "min_age": budget.min_age,
        "state": {"code": state.code, "date": state.date},
        "projects_count": projects,
        "url": links("participation_budgets:ballot", budget.pk),
        "results_url": links("participation_budgets:results", budget.pk),
    }


def _projects(budget: Budget) -> list[BudgetProject]:
    return list(
        BudgetProject.objects.filter(budget=budget)
        .select_related("proposal")
        .prefetch_related("zones")
        .order_by("position", "pk")
    )


def _proposal_ref(budget: Budget, project: BudgetProject, links: _Links) -> dict[str, Any] | None:
    """The proposal a project comes from, as the ballot page links it: never a hidden one,
    nor another organisation's."""
    proposal = project.proposal
    if (
        proposal is None
        or proposal.hidden_at is not None
        or proposal.organisation_id != budget.organisation_id
    ):
        return None
    return {
        "id": proposal.pk,
        "title": proposal.title,
        "url": links("participation_proposals:detail", proposal.pk),
    }


def _own_ballot(budget: Budget, participant: Participant | None) -> Ballot | None:
    if participant is None:
        return None
    return Ballot.objects.filter(budget=budget, participant=participant).first()


def _ballot_answer(
    budget: Budget, ballot: Ballot, choices: list[tuple[int, str, Decimal, int | None, int | None]]
) -> dict[str, Any]:
    """The ballot as the API shows it; ``choices``: (project id, title, cost, points, rank)
    in the ballot's order."""
    return {
        "budget": budget.pk,
        "receipt_code": ballot.receipt_code,
        "cast_at": ballot.cast_at,
        "updated_at": ballot.updated_at,
        "changed": ballot.updated_at != ballot.cast_at,
        "total_cost": _money(sum((cost for _pid, _title, cost, _p, _r in choices), Decimal(0))),
        "choices": [
            {
                "project": project_id,
                "title": title,
                "cost": _money(cost),
                "points": points,
                "rank": rank,
            }
            for project_id, title, cost, points, rank in choices
        ],
    }


def _ballot_out(budget: Budget, ballot: Ballot) -> dict[str, Any]:
    choices = ballot.choices.select_related("project").order_by("position", "pk")
    return _ballot_answer(
        budget,
        ballot,
        [(c.project_id, c.project.title, c.project.cost, c.points, c.rank) for c in choices],
    )


def _recorded_out(budget: Budget, recorded: services.BallotRecorded) -> dict[str, Any]:
    """The ballot just recorded, from what the service checked it against: nothing is read
    again (a ballot is cast by hundreds a second when a vote is announced)."""
    projects = recorded.projects
    return _ballot_answer(
        budget,
        recorded.ballot,
        [
            (
                c.project_id,
                projects[c.project_id].title,
                projects[c.project_id].cost,
                c.points,
                c.rank,
            )
            for c in recorded.choices
        ],
    )


# --- Budgets -------------------------------------------------------------------------------


@router.get(
    "/processes/{slug}/budgets",
    response={200: list[BudgetSummaryOut], **READ},
    summary="A participatory-budget process's budgets: amount, ballot, zones, state",
)
def budget_list(request: HttpRequest, slug: ProcessSlug) -> list[dict[str, Any]]:
    _identify(request)
    process = access.access_process(request, slug)
    budgets = list(
        Budget.objects.filter(process=process, organisation_id=process.organisation_id)
        .prefetch_related("zones")
        .annotate(project_count=Count("projects", distinct=True))
        .order_by("created_at", "pk")
    )
    published = set(
        BudgetOutcome.objects.filter(budget__in=budgets).values_list("budget_id", flat=True)
    )
    links = _Links(request)
    now = timezone.now()
    result = []
    for budget in budgets:
        budget.process = process  # its phases are prefetched
        result.append(
            _budget_summary(
                budget,
                links,
                projects=budget.project_count,  # type: ignore[attr-defined]
                published=budget.pk in published,
                now=now,
            )
        )
    return result


@router.get(
    "/budgets/{budget_id}",
    response={200: BudgetOut, **READ},
    summary="A budget: amount, ballot and its rules, zones, state, projects with their costs",
    description="``can_vote`` says whether the caller may cast a ballot now, and if not, "
    "why (the code of a 403).",
)
def budget_detail(request: HttpRequest, budget_id: BudgetId) -> dict[str, Any]:
    _identify(request)
    budget = access_budget(request, budget_id)
    participant = _participant(request)
    projects = _projects(budget)
    links = _Links(request)
    return {
        **_budget_summary(
            budget,
            links,
            projects=len(projects),
            published=_published(budget),
            now=timezone.now(),
        ),
        "projects": [
            {
                "id": project.pk,
                "number": project.pabulib_id,
                "title": project.title,
                "description": project.description,
                "cost": _money(project.cost),
                "zones": [_zone_out(z) for z in sorted(project.zones.all(), key=lambda z: z.name)],
                "proposal": _proposal_ref(budget, project, links),
            }
            for project in projects
        ],
        "can_vote": _decision_out(vote_decide(participant, budget)),
        "voted": _own_ballot(budget, participant) is not None,
    }


# --- My ballot -----------------------------------------------------------------------------


@router.get(
    "/budgets/{budget_id}/ballot",
    auth=PARTICIPANT_AUTH,
    response={200: BallotOut, 401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut,
              429: ErrorOut},
    summary="My ballot in a budget, with its receipt code",
)  # fmt: skip
def ballot_detail(
    request: HttpRequest, budget_id: BudgetId
) -> dict[str, Any] | Status[dict[str, Any]]:
    budget = access_budget(request, budget_id)
    own = _own_ballot(budget, _participant(request))
    if own is None:
        return Status(404, {"detail": _("You have not voted in this budget yet.")})
    return _ballot_out(budget, own)


def _cast(request: HttpRequest, budget_id: int, payload: BallotIn) -> Status[dict[str, Any]]:
    # The budget, its phases and projects from the shared cache (a ballot is cast by
    # hundreds a second when a vote is announced); every rule is the service's.
    box = access_ballot_box(request, budget_id)
    recorded = services.ballot_record(
        budget=box.budget,
        participant=_participant(request),
        choices=payload.choices,
        projects=box.projects,
    )
    return Status(201 if recorded.created else 200, _recorded_out(box.budget, recorded))


_CAST_DESCRIPTION = (
    "Casts my ballot, or changes it while the vote is open (one ballot per person and "
    "budget; a changed ballot keeps its receipt code): 201 when cast, 200 when changed. "
    "A refusal is 403 with its code (phase_closed, login, account_needed, email_unverified, "
    "blocked, birth_year, too_young, not_in_zones, not_on_census…); a ballot breaking its "
    "rules (too few or too many projects, over the budget, points over the maximum, ranks "
    "with gaps, an unknown project) is 422 with the message on ``choices``, and nothing is "
    "written."
)


@router.post(
    "/budgets/{budget_id}/ballot",
    auth=PARTICIPANT_AUTH,
    response={200: BallotOut, 201: BallotOut, **WRITE},
    summary="Cast my ballot (or change it)",
    description=_CAST_DESCRIPTION,
)
@answers_refusals
def ballot_cast(
    request: HttpRequest, budget_id: BudgetId, payload: BallotIn
) -> Status[dict[str, Any]]:
    return _cast(request, budget_id, payload)


@router.put(
    "/budgets/{budget_id}/ballot",
    auth=PARTICIPANT_AUTH,
    response={200: BallotOut, 201: BallotOut, **WRITE},
    summary="Replace my ballot (or cast it)",
    description=_CAST_DESCRIPTION,
)
@answers_refusals
def ballot_replace(
    request: HttpRequest, budget_id: BudgetId, payload: BallotIn
) -> Status[dict[str, Any]]:
    return _cast(request, budget_id, payload)


# --- Results -------------------------------------------------------------------------------


@router.get(
    "/budgets/{budget_id}/results",
    response={200: BudgetResultsOut, **READ},
    summary="The published results: the official outcome and every computed rule side by side",
    description="Each rule's result gives each project's votes, whether it was selected and "
    "why (greedy: whether it fitted in what was left; MES: what its supporters had left "
    "against its cost), and how the official outcome differs from it. Before the commune "
    "publishes the official outcome, ``published`` is false and nothing else is given.",
)
def budget_results(request: HttpRequest, budget_id: BudgetId) -> dict[str, Any]:
    _identify(request)
    budget = access_budget(request, budget_id)
    answer: dict[str, Any] = {
        "budget": budget.pk,
        "title": budget.title,
        "amount": _money(budget.amount),
        "currency": budget.currency,
        "published": False,
        "official": None,
        "rules": [],
    }
    outcome = BudgetOutcome.objects.filter(budget=budget).first()
    if outcome is None:
        return answer
    projects = {p.pabulib_id: p for p in BudgetProject.objects.filter(budget=budget)}

    def ref(number: str) -> dict[str, Any]:
        project = projects.get(number)
        return {
            "project": project.pk if project else None,
            "number": number,
            "title": project.title if project else number,
            "cost": _money(project.cost if project else Decimal(0)),
        }

    official_cost = sum((projects[n].cost for n in outcome.selected if n in projects), Decimal(0))
    computed = {
        r.rule: r
        for r in BudgetResult.objects.filter(budget=budget, status=BudgetResult.Status.DONE)
    }
    rules = []
    for rule in selectors.RULE_ORDER:
        result = computed.get(rule)
        if result is None:
            continue
        difference = selectors.outcome_difference(budget, result)
        rows = []
        for project_outcome in selectors.result_outcomes(result, currency=budget.currency):
            data: Mapping[str, Any] = result.outcomes.get(project_outcome.project_id, {})
            rows.append(
                {
                    **ref(project_outcome.project_id),
                    "cost": _money(Decimal(project_outcome.cost)),
                    "votes": project_outcome.votes,
                    "score": data.get("score"),
                    "selected": project_outcome.selected,
                    "round": project_outcome.round,
                    "reason": project_outcome.reason.value,
                    "explanation": project_outcome.explanation(),
                }
            )
        rules.append(
            {
                "rule": rule,
                "label": str(Rule(rule).label),
                "computed_at": result.computed_at,
                "ballots": result.ballots,
                "tie_breaking": result.tie_breaking,
                "selected": list(result.selected),
                "cost": _money(result.cost),
                "left": _money(budget.amount - result.cost),
                "differs": bool(difference),
                "added": list(difference.added) if difference else [],
                "removed": list(difference.removed) if difference else [],
                "projects": rows,
            }
        )
    return {
        **answer,
        "published": True,
        "official": {
            "source": outcome.source,
            "published_at": outcome.published_at,
            "note": outcome.note,
            "selected": [ref(number) for number in outcome.selected],
            "cost": _money(official_cost),
        },
        "rules": rules,
    }


# --- Receipts ------------------------------------------------------------------------------


@router.get(
    "/budgets/receipts/check",
    response={200: ReceiptStatusOut, 422: ValidationErrorOut, 429: ErrorOut},
    summary="Check a receipt code: is the ballot recorded and counted? (never its choices)",
    description="Anyone may check a code. Each client address has the same budget of "
    "checks as on the site's form (page and API together): past it, 429 with Retry-After.",
)
def receipt_check(
    request: HttpRequest, filters: Query[ReceiptFilter]
) -> dict[str, Any] | Status[dict[str, Any]]:
    # Counted before the code is even read, as the page does: codes must not be enumerable.
    decision = rate_hit(
        f"budgets:receipt:{client_address(request)}",
        limit=views.RECEIPT_LOOKUPS_PER_CLIENT,
        window_seconds=views.WINDOW_SECONDS,
    )
    if not decision.allowed:
        raise Throttled(wait=max(1, int(decision.retry_after + 0.999)))
    code = selectors.receipt_normalise(filters.code)
    if not code:
        return Status(
            422,
            {
                "detail": _("The request is invalid."),
                "errors": {
                    "code": [
                        _(
                            "A receipt code has twelve letters and digits, for instance "
                            "ABCD-EFGH-JK23."
                        )
                    ]
                },
            },
        )
    status = selectors.receipt_verify(organisation=request_organisation(request), receipt_code=code)
    if status is None:
        return {
            "recorded": False,
            "budget": None,
            "budget_title": "",
            "cast_at": None,
            "updated_at": None,
            "counted": False,
            "counted_at": None,
        }
    return {
        "recorded": True,
        "budget": status.budget_id,
        "budget_title": status.budget_title,
        "cast_at": status.cast_at,
        "updated_at": status.updated_at,
        "counted": status.counted_at is not None,
        "counted_at": status.counted_at,
    }
