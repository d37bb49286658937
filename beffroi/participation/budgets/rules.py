"""Voting rules of participatory budgets: greedy, and the Method of Equal Shares (MES).

Both are exact and follow pabutools 1.2.3 (the reference implementation the PaBuLib world
uses) to the tie: the same winners on every file, so a commune can show that its published
result is the one anybody recomputes from the published ``.pb`` file.

- ``greedy``: projects by score, descending (approvals; total points for cumulative and
  scoring ballots, and for ordinal ballots that carry points), each taken if it still fits in
  what is left of the budget, skipped otherwise (and the next ones still considered).
- ``equal_shares``: MES with cost utilities (pabutools ``method_of_equal_shares(instance,
  profile, sat_class=Cost_Sat)``). Every voter gets an equal share of the budget; at each
  round the project whose supporters can pay for it with the lowest maximal payment per unit
  of cost is bought, its supporters paying equally (those with less paying all they have).
  For cost utilities a ballot only says which projects it lists: cumulative points and ordinal
  ranks are ignored, exactly as pabutools' ``Cost_Sat`` does with such ballots.
- ``equal_shares(..., add1=True)``: pabutools' ``voter_budget_increment=1`` completion. MES is
  run again with each voter's share raised by 1 (currency unit) until the outcome is
  exhaustive (no supported project still fits in the budget), and the last outcome that did
  not overspend the budget is returned. There is no greedy completion afterwards.

Ties are broken as pabutools' default ``lexico_tie_breaking``: by project id compared as text
(so "10" comes before "9").

MES is computed on *classes* of voters with the same remaining money rather than on voters:
voters who approved the same bought projects have paid the same, so a Wrocław-sized election
(53,801 voters) has a few hundred classes. Prices are first found with floats, vectorised
over classes and projects (numpy), then every decision that floats could get wrong (the
cheapest project when two are within 1e-9 of each other, whether supporters can still afford
a project) is taken again with exact fractions, as pabutools does with gmpy2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

import numpy as np
from django.utils.translation import gettext_lazy as _

from beffroi.participation.budgets.pabulib import Election, IntArray

TIE_BREAKING = "lexicographic order of project ids as text (pabutools' lexico_tie_breaking)"
# Relative margin under which two float prices (or money and a cost) are re-compared
# exactly: float errors here are around 1e-15 relative, six orders of magnitude below.
_EPSILON = 1e-9


class Status(StrEnum):
    SELECTED = "selected"
    REJECTED = "rejected"


class Reason(StrEnum):
    FITS = "fits"  # greedy: fitted in what was left of the budget
    DOES_NOT_FIT = "does_not_fit"  # greedy: cost more than what was left
    BOUGHT = "bought"  # MES: its supporters paid for it at this round
    SUPPORTERS_SHORT = "supporters_short"  # MES: its supporters' money fell below its cost
    NO_SUPPORTERS = "no_supporters"  # MES: nobody voted for it


@dataclass(frozen=True)
class ProjectOutcome:
    """Why a project was selected or not, as data (amounts exact) and as a sentence.

    ``round`` is the rank in greedy's order, or MES's round (1-based) in which the project
    was bought, or after which its supporters could no longer pay for it (0: before any
    purchase). ``remaining_budget`` (greedy) is what was left of the budget when the project's
    turn came. ``supporters_money`` (MES) is what its supporters had left together at that
    moment, ``price_per_supporter`` (MES, selected) the most any supporter paid (supporters
    with less paid all they had).
    """

    project_id: str
    status: Status
    reason: Reason
    cost: int
    votes: int
    round: int | None = None
    remaining_budget: Fraction | None = None
    supporters_money: Fraction | None = None
    price_per_supporter: Fraction | None = None
    currency: str = "EUR"

    @property
    def selected(self) -> bool:
        return self.status is Status.SELECTED

    def explanation(self) -> str:
        """The reason as a sentence in the active language."""

        from beffroi.core.templatetags.core_formats import money as display

        def money(value: Fraction | int | None) -> str:
            return display(Decimal(0) if value is None else _decimal(value), self.currency)

        params = {
            "cost": money(self.cost),
            "remaining": money(self.remaining_budget),
            "money": money(self.supporters_money),
            "price": money(self.price_per_supporter),
            "round": self.round,
            "votes": self.votes,
        }
        if self.reason is Reason.FITS:
            text = _("fitted in the remaining %(remaining)s for a cost of %(cost)s")
        elif self.reason is Reason.DOES_NOT_FIT:
            text = _("did not fit in the remaining %(remaining)s for a cost of %(cost)s")
        elif self.reason is Reason.BOUGHT:
            text = _(
                "selected in round %(round)s: its %(votes)s supporters paid %(cost)s, "
                "at most %(price)s each"
            )
        elif self.reason is Reason.SUPPORTERS_SHORT:
            text = _("its supporters' remaining share was %(money)s for a cost of %(cost)s")
        else:
            text = _("nobody voted for it")
        return str(text) % params


@dataclass(frozen=True)
class Result:
    """The outcome of a rule on an election.

    ``selected``: project ids in the order the rule took them. ``cost``: money used.
    ``votes``: per project, how many ballots list it; ``scores``: per project, total points
    when ballots carry points (else equal to ``votes``). ``outcomes``: per project (file
    order), why. ``voter_budget``: MES only, each voter's share in the run returned (the
    initial share plus ``increments`` with add1).
    """

    rule: str
    tie_breaking: str
    budget: Fraction
    selected: tuple[str, ...]
    cost: int
    votes: Mapping[str, int]
    scores: Mapping[str, int]
    outcomes: Mapping[str, ProjectOutcome]
    voter_budget: Fraction | None = None
    increments: int = 0
    currency: str = "EUR"
    extra: Mapping[str, object] = field(default_factory=dict)

    @property
    def leftover(self) -> Fraction:
        return self.budget - self.cost


def _decimal(value: Fraction | int) -> Decimal:
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(value.numerator) / Decimal(value.denominator)


def _budget(election: Election, budget: Fraction | int | Decimal | None) -> Fraction:
    return Fraction(election.budget if budget is None else budget)


def _currency(election: Election) -> str:
    return election.meta.get("currency", "EUR") or "EUR"


def _counts(election: Election) -> tuple[list[int], list[int]]:
    """(ballots listing each project, total points per project or ballots if no points)."""
    count = len(election.projects)
    votes = np.bincount(election.votes.projects, minlength=count)
    if election.votes.points is None:
        return votes.tolist(), votes.tolist()
    scores = np.bincount(
        election.votes.projects, weights=election.votes.points.astype(np.float64), minlength=count
    )
    return votes.tolist(), [round(x) for x in scores.tolist()]


def greedy(
    election: Election,
    *,
    budget: Fraction | int | Decimal | None = None,
    by: str | None = None,
) -> Result:
    """Greedy by score (pabutools ``greedy_utilitarian_welfare``; with ``Cost_Sat`` for
    approval its order is the number of approvals).

    ``by``: "votes" (ballots listing the project) or "points" (total points); by default
    points when ballots carry them and the vote type is cumulative, scoring or ordinal,
    votes otherwise. Projects nobody voted for come last and are still taken if they fit,
    as pabutools does.
    """
    limit = _budget(election, budget)
    votes, scores = _counts(election)
    if by is None:
        by = (
            "points"
            if election.votes.points is not None and election.vote_type != "approval"
            else "votes"
        )
    if by not in ("votes", "points"):
        raise ValueError(f"greedy: unknown score {by!r}")
    key = scores if by == "points" else votes
    order = sorted(
        range(len(election.projects)),
        key=lambda i: (-key[i], election.projects[i].project_id),
    )
    remaining = limit
    selected: list[str] = []
    outcomes: dict[str, ProjectOutcome] = {}
    currency = _currency(election)
    for rank, i in enumerate(order, start=1):
        project = election.projects[i]
        fits = project.cost <= remaining
        outcomes[project.project_id] = ProjectOutcome(
            project_id=project.project_id,
            status=Status.SELECTED if fits else Status.REJECTED,
            reason=Reason.FITS if fits else Reason.DOES_NOT_FIT,
            cost=project.cost,
            votes=votes[i],
            round=rank,
            remaining_budget=remaining,
            currency=currency,
        )
        if fits:
            selected.append(project.project_id)
            remaining -= project.cost
    ids = [p.project_id for p in election.projects]
    return Result(
        rule="greedy",
        tie_breaking=TIE_BREAKING,
        budget=limit,
        selected=tuple(selected),
        cost=sum(election.projects[election.project_index[p]].cost for p in selected),
        votes=dict(zip(ids, votes, strict=True)),
        scores=dict(zip(ids, scores, strict=True)),
        outcomes={pid: outcomes[pid] for pid in ids},
        currency=currency,
        extra={"by": by},
    )


@dataclass
class _Run:
    selected: list[int]
    outcomes: dict[int, ProjectOutcome]


class _EqualShares:
    """MES with cost utilities over classes of voters holding the same money."""

    def __init__(self, election: Election, limit: Fraction) -> None:
        self.election = election
        self.limit = limit
        self.currency = _currency(election)
        votes = election.votes
        self.voters = len(votes)
        self.project_count = len(election.projects)
        self.entry_project = votes.projects
        self.entry_voter = votes.voter_of_entry
        self.costs = [p.cost for p in election.projects]
        self.cost_array = np.array(self.costs, dtype=np.float64)
        self.ids = [p.project_id for p in election.projects]
        supporters = np.bincount(self.entry_project, minlength=self.project_count)
        self.supporter_counts: list[int] = supporters.tolist()
        order = np.argsort(self.entry_project, kind="stable")
        starts = np.concatenate(([0], np.cumsum(supporters)))
        by_project = self.entry_voter[order]
        self.supporters: list[IntArray] = [
            by_project[starts[p] : starts[p + 1]] for p in range(self.project_count)
        ]
        # pabutools leaves out projects nobody supports (and buys free ones first: costs are
        # positive here, the parser refuses anything else).
        self.candidates = [p for p in range(self.project_count) if self.supporter_counts[p] > 0]

    def run(self, share: Fraction) -> _Run:
        n = self.voters
        project_count = self.project_count
        class_of = np.zeros(n, dtype=np.int64)
        money: list[Fraction] = [share]
        remaining = set(self.candidates)
        selected: list[int] = []
        outcomes: dict[int, ProjectOutcome] = {}
        round_number = 0
        while remaining:
            classes = len(money)
            flat = np.bincount(
                class_of[self.entry_voter] * project_count + self.entry_project,
                minlength=classes * project_count,
            )
            counts = flat.reshape(classes, project_count)
            order = sorted(range(classes), key=money.__getitem__)
            sorted_counts = counts[order, :]
            sorted_money = np.array([float(money[c]) for c in order], dtype=np.float64)
            held = sorted_counts * sorted_money[:, None]
            available = held.sum(axis=0)
            # Supporters ahead of each class (poorer), and what they hold together.
            before = np.cumsum(sorted_counts, axis=0) - sorted_counts
            held_before = np.cumsum(held, axis=0) - held
            left = np.array(self.supporter_counts, dtype=np.float64)[None, :] - before
            with np.errstate(divide="ignore", invalid="ignore"):
                price = (self.cost_array[None, :] - held_before) / left
            pays_in_full = (sorted_counts > 0) & (price <= sorted_money[:, None])
            first = np.argmax(pays_in_full, axis=0)
            float_price = price[first, np.arange(project_count)]

            affordable: list[int] = []
            for p in sorted(remaining):
                cost = self.costs[p]
                if available[p] >= cost * (1 + _EPSILON):
                    affordable.append(p)
                    continue
                exact = None
                if available[p] > cost * (1 - _EPSILON):
                    exact = self._exact_money(p, counts, money)
                    if exact >= cost:
                        affordable.append(p)
                        continue
                if exact is None:
                    exact = self._exact_money(p, counts, money)
                remaining.discard(p)
                outcomes[p] = self._outcome(
                    p, Status.REJECTED, Reason.SUPPORTERS_SHORT, round_number, money=exact
                )
            if not affordable:
                break
            ratio = {p: float_price[p] / self.costs[p] for p in affordable}
            best_float = min(ratio.values())
            near = [p for p in affordable if ratio[p] <= best_float * (1 + _EPSILON)]
            if len(near) == 1:
                chosen = near[0]
                chosen_price = self._exact_price(chosen, counts, money, order)
            else:
                exact_prices = {p: self._exact_price(p, counts, money, order) for p in near}
                chosen = min(near, key=lambda p: (exact_prices[p] / self.costs[p], self.ids[p]))
                chosen_price = exact_prices[chosen]
            round_number += 1
            outcomes[chosen] = self._outcome(
                chosen,
                Status.SELECTED,
                Reason.BOUGHT,
                round_number,
                money=self._exact_money(chosen, counts, money),
                price=chosen_price,
            )
            selected.append(chosen)
            remaining.discard(chosen)
            class_of, money = self._pay(chosen, chosen_price, counts, money, class_of)
        return _Run(selected=selected, outcomes=outcomes)

    def _exact_money(self, p: int, counts: np.ndarray, money: list[Fraction]) -> Fraction:
        column = counts[:, p].tolist()
        return sum((money[c] * k for c, k in enumerate(column) if k), Fraction(0))

    def _exact_price(
        self, p: int, counts: np.ndarray, money: list[Fraction], order: Sequence[int]
    ) -> Fraction:
        """pabutools' affordability × cost: the most a supporter pays, poorest first."""
        cost = self.costs[p]
        column = counts[:, p].tolist()
        left = self.supporter_counts[p]
        paid = Fraction(0)
        for c in order:
            k = column[c]
            if not k:
                continue
            candidate = (cost - paid) / left
            if candidate <= money[c]:
                return candidate
            paid += money[c] * k
            left -= k
        raise AssertionError("an affordable project always has a price")

    def _pay(
        self,
        p: int,
        price: Fraction,
        counts: np.ndarray,
        money: list[Fraction],
        class_of: IntArray,
    ) -> tuple[IntArray, list[Fraction]]:
        column = counts[:, p].tolist()
        new_money = list(money)
        index = {m: c for c, m in enumerate(money)}
        remap = np.arange(len(money), dtype=np.int64)
        for c, k in enumerate(column):
            if not k:
                continue
            after = money[c] - min(money[c], price)
            target = index.get(after)
            if target is None:
                target = len(new_money)
                new_money.append(after)
                index[after] = target
            remap[c] = target
        supporters = self.supporters[p]
        class_of[supporters] = remap[class_of[supporters]]
        # Drop classes nobody is in any more, so the class count stays small.
        used, class_of = np.unique(class_of, return_inverse=True)
        return class_of.astype(np.int64), [new_money[c] for c in used.tolist()]

    def _outcome(
        self,
        p: int,
        status: Status,
        reason: Reason,
        round_number: int,
        *,
        money: Fraction | None = None,
        price: Fraction | None = None,
    ) -> ProjectOutcome:
        return ProjectOutcome(
            project_id=self.ids[p],
            status=status,
            reason=reason,
            cost=self.costs[p],
            votes=self.supporter_counts[p],
            round=round_number,
            supporters_money=money,
            price_per_supporter=price,
            currency=self.currency,
        )

    def exhaustive(self, selected: Sequence[int]) -> bool:
        """pabutools' ``is_exhaustive`` over supported projects: none still fits."""
        spent = sum(self.costs[p] for p in selected)
        chosen = set(selected)
        return all(p in chosen or spent + self.costs[p] > self.limit for p in self.candidates)


def equal_shares(
    election: Election,
    *,
    add1: bool = False,
    budget: Fraction | int | Decimal | None = None,
    max_increments: int | None = None,
) -> Result:
    """The Method of Equal Shares with cost utilities, optionally with pabutools' add1
    completion (``voter_budget_increment=1``); see the module's docstring.

    ``max_increments`` bounds add1's loop (None: until it stops by itself, which it does
    once shares exceed the budget at the latest).
    """
    limit = _budget(election, budget)
    engine = _EqualShares(election, limit)
    votes, scores = _counts(election)
    n = len(election.votes)
    share = limit / n if n else Fraction(0)
    increments = 0
    run = _Run([], {}) if n == 0 else engine.run(share)
    if add1 and n:
        while not engine.exhaustive(run.selected):
            if max_increments is not None and increments >= max_increments:
                break
            candidate = engine.run(share + increments + 1)
            if sum(engine.costs[p] for p in candidate.selected) > limit:
                break
            increments += 1
            run = candidate
    ids = engine.ids
    outcomes: dict[str, ProjectOutcome] = {}
    for p, project_id in enumerate(ids):
        outcome = run.outcomes.get(p)
        if outcome is None:
            outcome = ProjectOutcome(
                project_id=project_id,
                status=Status.REJECTED,
                reason=Reason.NO_SUPPORTERS,
                cost=engine.costs[p],
                votes=votes[p],
                currency=engine.currency,
            )
        outcomes[project_id] = outcome
    return Result(
        rule="equalshares/add1" if add1 else "equalshares",
        tie_breaking=TIE_BREAKING,
        budget=limit,
        selected=tuple(ids[p] for p in run.selected),
        cost=sum(engine.costs[p] for p in run.selected),
        votes=dict(zip(ids, votes, strict=True)),
        scores=dict(zip(ids, scores, strict=True)),
        outcomes=outcomes,
        voter_budget=share + increments if n else None,
        increments=increments,
        currency=engine.currency,
    )


RULES = ("greedy", "equalshares", "equalshares/add1")


def compute(election: Election, rule: str | None = None) -> Result:
    """The result under ``rule`` (default: the file's ``rule`` meta), one of ``RULES``."""
    name = rule or election.rule
    if name == "greedy":
        return greedy(election)
    if name == "equalshares":
        return equal_shares(election)
    if name == "equalshares/add1":
        return equal_shares(election, add1=True)
    raise ValueError(f"unsupported rule {name!r}: Beffroi computes {', '.join(RULES)}")
