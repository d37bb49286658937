"""Factories of the realisations tests: a budget whose official outcome is published."""

from __future__ import annotations

from beffroi.participation.budgets.services import outcome_publish
from beffroi.participation.models import Budget, Realisation
from beffroi.participation.realisations.services import realisations_from_outcome
from beffroi.participation.tests.budgets.helpers import make_budget, project_ids
from beffroi.testing import Cast


def budget_with_outcome(cast: Cast, *, winners: tuple[int, ...] = (0, 2)) -> Budget:
    """The budgets tests' budget (projects 1 to 4, vote to come) whose outcome funds the
    projects at the positions ``winners``."""
    budget = make_budget(cast, open_phase=None)
    ids = project_ids(budget)
    outcome_publish(
        budget=budget, agent=cast.participation_manager, selected=[ids[i] for i in winners]
    )
    return budget


def realisations_of(cast: Cast, budget: Budget) -> list[Realisation]:
    created = realisations_from_outcome(budget=budget, agent=cast.participation_manager)
    return sorted(created, key=lambda r: r.title)
