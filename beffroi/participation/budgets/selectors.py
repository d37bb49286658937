"""Reads of participatory budgets: the election as PaBuLib sees it, results and their
explanations, the official outcome against a computed one, paper sheets, receipts."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from beffroi.core.templatetags.core_formats import money
from beffroi.participation.budgets import pabulib
from beffroi.participation.budgets.rules import ProjectOutcome, Reason, Status
from beffroi.participation.models import (
    Action,
    Ballot,
    BallotChoice,
    BallotType,
    Budget,
    BudgetOutcome,
    BudgetProject,
    BudgetResult,
    PaperBallotEntry,
    Phase,
    Rule,
)
from beffroi.territory.models import Organisation

# How a budget's ballot type is written in a .pb file.
VOTE_TYPES: dict[str, str] = {
    BallotType.APPROVAL: "approval",
    BallotType.KNAPSACK: "approval",
    BallotType.CUMULATIVE: "cumulative",
    BallotType.RANKED: "ordinal",
}


def pabulib_cost(cost: Decimal) -> int:
    """A project's cost in whole currency units, as PaBuLib and the rules count it: rounded
    up, so that a selection never overspends the budget because of cents."""
    return math.ceil(cost)


def _meta(budget: Budget, projects: int, voters: int) -> dict[str, str]:
    if budget.pabulib_meta:
        meta = {str(k): str(v) for k, v in budget.pabulib_meta.items()}
    else:
        organisation = budget.organisation
        meta = {
            "description": budget.title,
            "country": "France",
            "unit": organisation.name,
            "instance": str(budget.created_at.year if budget.created_at else ""),
            "budget": _amount_text(budget.amount),
            "vote_type": VOTE_TYPES[budget.ballot_type],
            "language": "french",
            "currency": budget.currency,
        }
        if budget.ballot_type in (BallotType.APPROVAL, BallotType.KNAPSACK, BallotType.RANKED):
            meta["min_length"] = str(budget.min_projects)
            if budget.max_projects is not None:
                meta["max_length"] = str(budget.max_projects)
        if budget.ballot_type == BallotType.KNAPSACK:
            meta["max_sum_cost"] = _amount_text(budget.amount)
        if budget.ballot_type == BallotType.CUMULATIVE and budget.max_points is not None:
            meta["max_sum_points"] = str(budget.max_points)
    meta["num_projects"] = str(projects)
    meta["num_votes"] = str(voters)
    return meta


def _amount_text(amount: Decimal) -> str:
    return str(amount.quantize(Decimal(1))) if amount == amount.to_integral() else str(amount)


@dataclass(frozen=True)
class BudgetElection:
    election: pabulib.Election
    # PaBuLib id → project pk.
    project_pks: dict[str, int]


def budget_election(budget: Budget, *, for_export: bool = False) -> BudgetElection:
    """The budget's projects and ballots as a PaBuLib election (validated by the parser).

    For the rules only ids, costs and choices matter; ``for_export`` adds what a .pb file
    holds besides: names, the kept columns of an imported file, each project's votes (and
    score) and the official outcome's ``selected`` for projects created here, and the other
    vote columns."""
    projects = list(
        BudgetProject.objects.filter(budget=budget)
        .order_by("position", "pk")
        .values("pk", "pabulib_id", "title", "cost", "pabulib_fields")
    )
    ballots = list(
        Ballot.objects.filter(budget=budget)
        .order_by("pk")
        .values_list("pk", "voter_key", "source", "pabulib_fields")
    )
    chosen: dict[int, list[tuple[str, int | None]]] = defaultdict(list)
    rows = (
        BallotChoice.objects.filter(ballot__budget=budget)
        .order_by("ballot_id", "position", "pk")
        .values_list("ballot_id", "project__pabulib_id", "points")
    )
    with_points = False
    for ballot_id, pabulib_id, points in rows.iterator(chunk_size=20_000):
        chosen[ballot_id].append((pabulib_id, points))
        with_points = with_points or points is not None
    if budget.ballot_type == BallotType.CUMULATIVE:
        with_points = True
    made = []
    for pk, voter_key, source, fields in ballots:
        entries = chosen.get(pk, [])
        voter_id = voter_key[3:] if voter_key.startswith("pb:") else f"b{pk}"
        extra: dict[str, str] = {}
        if for_export:
            if source == Ballot.Source.IMPORTED:
                extra = {str(k): str(v) for k, v in fields.items()}
            else:
                extra = {"voting_method": "paper" if source == Ballot.Source.PAPER else "internet"}
        made.append(
            pabulib.Ballot(
                voter_id=voter_id,
                project_ids=[pid for pid, _points in entries],
                points=[p or 0 for _pid, p in entries] if with_points else None,
                fields=extra,
            )
        )
    votes: dict[str, int] = defaultdict(int)
    scores: dict[str, int] = defaultdict(int)
    if for_export:
        for ballot in made:
            for position, pid in enumerate(ballot.project_ids):
                votes[pid] += 1
                if ballot.points is not None:
                    scores[pid] += ballot.points[position]
    official: set[str] | None = None
    if for_export:
        outcome = BudgetOutcome.objects.filter(
            budget=budget, source=BudgetOutcome.Source.PUBLISHED
        ).first()
        official = set(outcome.selected) if outcome is not None else None
    election_projects = []
    for row in projects:
        fields = {}
        if for_export:
            fields = {str(k): str(v) for k, v in row["pabulib_fields"].items()}
            if not budget.pabulib_meta:
                fields["votes"] = str(votes[row["pabulib_id"]])
                if with_points:
                    fields["score"] = str(scores[row["pabulib_id"]])
            if official is not None:
                fields["selected"] = "1" if row["pabulib_id"] in official else "0"
        election_projects.append(
            pabulib.Project(
                project_id=row["pabulib_id"],
                cost=pabulib_cost(row["cost"]),
                name=row["title"] if for_export else "",
                fields=fields,
            )
        )
    meta = _meta(budget, len(projects), len(made))
    election = pabulib.make_election(meta=meta, projects=election_projects, ballots=made)
    return BudgetElection(
        election=election, project_pks={row["pabulib_id"]: row["pk"] for row in projects}
    )


# --- results -------------------------------------------------------------------------------


def _fraction(text: str | None) -> Fraction | None:
    return None if text in (None, "") else Fraction(text)


def result_outcomes(result: BudgetResult, *, currency: str = "EUR") -> list[ProjectOutcome]:
    """The stored outcome of each project, as the engine's ``ProjectOutcome`` (its
    ``explanation()`` reads in the active language), in the budget's project order."""
    outcomes = []
    for project_id, data in result.outcomes.items():
        outcomes.append(
            ProjectOutcome(
                project_id=project_id,
                status=Status(data["status"]),
                reason=Reason(data["reason"]),
                cost=int(data["cost"]),
                votes=int(data["votes"]),
                round=data.get("round"),
                remaining_budget=_fraction(data.get("remaining_budget")),
                supporters_money=_fraction(data.get("supporters_money")),
                price_per_supporter=_fraction(data.get("price_per_supporter")),
                currency=currency,
            )
        )
    return outcomes


@dataclass(frozen=True)
class OutcomeDifference:
    """The official outcome against a computed one: projects funded although the rule did
    not select them (``added``), and selected by the rule but not funded (``removed``)."""

    added: tuple[str, ...]
    removed: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)


def outcome_difference(budget: Budget, result: BudgetResult) -> OutcomeDifference | None:
    """None when no official outcome is recorded."""
    outcome = BudgetOutcome.objects.filter(budget=budget).first()
    if outcome is None:
        return None
    official = list(outcome.selected)
    computed = list(result.selected)
    return OutcomeDifference(
        added=tuple(p for p in official if p not in set(computed)),
        removed=tuple(p for p in computed if p not in set(official)),
    )


# --- paper ballots -------------------------------------------------------------------------


@dataclass(frozen=True)
class PaperDifference:
    """A project typed differently: the value each agent typed (None: not typed)."""

    project_id: int
    values: dict[int, int | None]


@dataclass(frozen=True)
class PaperSheet:
    sheet_number: int
    agents: tuple[int, ...]
    counted: bool
    differences: tuple[PaperDifference, ...] = field(default_factory=tuple)

    @property
    def status(self) -> str:
        if self.counted:
            return "counted"
        if len(self.agents) < 2:
            return "waiting"
        return "differs"


def paper_key(sheet_number: int) -> str:
    return f"s:{sheet_number}"


def paper_sheet_status(
    sheet_number: int, entries: list[tuple[int, list[list[int]]]], counted: bool
) -> PaperSheet:
    """``entries``: (agent id, canonical choices) per agent who typed the sheet."""
    agents = tuple(agent for agent, _choices in entries)
    differences: list[PaperDifference] = []
    if not counted and len(entries) >= 2:
        typed = [{pid: value for pid, value in choices} for _agent, choices in entries]
        for pid in sorted(set().union(*typed)):
            values = {agent: typed[i].get(pid) for i, (agent, _c) in enumerate(entries)}
            if len(set(values.values())) > 1:
                differences.append(PaperDifference(project_id=pid, values=values))
    return PaperSheet(
        sheet_number=sheet_number,
        agents=agents,
        counted=counted,
        differences=tuple(differences),
    )


def paper_sheets(budget: Budget) -> list[PaperSheet]:
    """Every paper sheet typed in: counted (two agents agreed), waiting for a second agent,
    or with the differences between the agents' typings."""
    by_sheet: dict[int, list[tuple[int, list[list[int]]]]] = defaultdict(list)
    for sheet, agent, choices in (
        PaperBallotEntry.objects.filter(budget=budget)
        .order_by("sheet_number", "created_at", "pk")
        .values_list("sheet_number", "agent_id", "choices")
    ):
        by_sheet[sheet].append((agent, choices))
    counted = set(
        Ballot.objects.filter(budget=budget, source=Ballot.Source.PAPER).values_list(
            "voter_key", flat=True
        )
    )
    return [
        paper_sheet_status(sheet, entries, paper_key(sheet) in counted)
        for sheet, entries in sorted(by_sheet.items())
    ]


# --- receipts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptStatus:
    """What a receipt code proves, and nothing of the choices: the ballot is recorded in
    this budget since ``cast_at`` (last changed ``updated_at``) and was part of the ballots
    the results computed at ``counted_at`` were computed from (None: no result yet)."""

    budget_id: int
    budget_title: str
    cast_at: datetime
    updated_at: datetime
    counted_at: datetime | None


def receipt_verify(*, organisation: Organisation, receipt_code: str) -> ReceiptStatus | None:
    code = receipt_normalise(receipt_code)
    if not code:
        return None
    ballot = (
        Ballot.objects.select_related("budget")
        .filter(budget__organisation=organisation, receipt_code=code)
        .first()
    )
    if ballot is None:
        return None
    computed = (
        BudgetResult.objects.filter(
            budget_id=ballot.budget_id,
            status=BudgetResult.Status.DONE,
            computed_at__gte=ballot.updated_at,
        )
        .order_by("computed_at")
        .values_list("computed_at", flat=True)
        .first()
    )
    return ReceiptStatus(
        budget_id=ballot.budget_id,
        budget_title=ballot.budget.title,
        cast_at=ballot.cast_at,
        updated_at=ballot.updated_at,
        counted_at=computed,
    )


@dataclass(frozen=True)
class BallotProject:
    """A project as a ballot reads it: what the form shows of it, what the rules check."""

    pk: int
    budget_id: int
    title: str
    cost: Decimal


def ballot_projects(budget: Budget) -> dict[int, BallotProject]:
    """The budget's projects by id, in the ballot's order: one query, read once by a ballot
    cast (the page's form, then the rules; the API's answer)."""
    rows = (
        BudgetProject.objects.filter(budget=budget)
        .order_by("position", "pk")
        .values_list("pk", "title", "cost")
    )
    return {pk: BallotProject(pk, budget.pk, title, cost) for pk, title, cost in rows}


RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def receipt_normalise(text: str) -> str:
    """A code as typed back by a person: case, spaces and dashes do not matter."""
    cleaned = "".join(c for c in text.upper() if c.isalnum())
    if len(cleaned) != 12 or any(c not in RECEIPT_ALPHABET for c in cleaned):
        return ""
    return f"{cleaned[:4]}-{cleaned[4:8]}-{cleaned[8:]}"


def results_of(budget: Budget) -> dict[str, BudgetResult]:
    return {r.rule: r for r in BudgetResult.objects.filter(budget=budget)}


def ballots_count(budget: Budget) -> int:
    return Ballot.objects.filter(budget=budget).count()


# --- what the pages and the API say of a budget ---------------------------------------------

RULE_ORDER = (Rule.GREEDY, Rule.MES, Rule.MES_ADD1)


# --- the state of a budget -----------------------------------------------------------------


@dataclass(frozen=True)
class BudgetState:
    """``code``: "published" (results), "open" (vote open until ``date``, None when opened
    by hand without an end in sight), "upcoming" (from ``date``), "closed", or
    "not_scheduled" (the process has no vote phase yet)."""

    code: str
    date: datetime | None = None

    @property
    def open(self) -> bool:
        return self.code == "open"


def budget_state(budget: Budget, *, published: bool, now: datetime | None = None) -> BudgetState:
    """Read from the process's phases (prefetch ``process__phases`` for lists)."""
    if published:
        return BudgetState("published")
    now = now or timezone.now()
    phases = [phase for phase in budget.process.phases.all() if Action.VOTE in phase.actions]
    opened = [phase for phase in phases if phase.is_open(now)]
    if opened:
        ends = max(phase.ends_at for phase in opened)
        return BudgetState("open", ends if ends > now else None)
    coming = [phase for phase in phases if phase.mode == Phase.Mode.DATES and phase.starts_at > now]
    if coming:
        return BudgetState("upcoming", min(phase.starts_at for phase in coming))
    return BudgetState("closed" if phases else "not_scheduled")


def ballot_rules(budget: Budget) -> str:
    """The ballot type in words, with its numbers."""
    kind = budget.ballot_type
    amount = money(budget.amount, budget.currency)
    if kind == BallotType.KNAPSACK:
        text = _("Choose projects whose total cost fits in the budget of %(amount)s.") % {
            "amount": amount
        }
    elif kind == BallotType.CUMULATIVE:
        points = budget.max_points
        if points is None:
            text = _("Give points to the projects you prefer.")
        else:
            text = ngettext(
                "Share out %(points)d point between the projects you prefer.",
                "Share out %(points)d points between the projects you prefer.",
                points,
            ) % {"points": points}
    elif kind == BallotType.RANKED:
        text = _("Rank the projects you prefer: 1 for your first choice, then 2, 3…")
    else:
        text = _("Choose the projects you support.")
    limits = []
    if budget.min_projects > 1 or (kind == BallotType.APPROVAL and budget.min_projects):
        limits.append(
            ngettext(
                "at least %(count)d project",
                "at least %(count)d projects",
                budget.min_projects,
            )
            % {"count": budget.min_projects}
        )
    if budget.max_projects is not None:
        limits.append(
            ngettext(
                "at most %(count)d project",
                "at most %(count)d projects",
                budget.max_projects,
            )
            % {"count": budget.max_projects}
        )
    if limits:
        text = f"{text} " + _("You choose %(limits)s.") % {"limits": _(" and ").join(limits)}
    return text
