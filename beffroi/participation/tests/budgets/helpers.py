"""Factories of the budgets tests: a budget in a process whose ballot phase is open."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from beffroi.participation.models import (
    BallotType,
    Blueprint,
    Budget,
    BudgetProject,
    Participant,
    PhaseType,
)
from beffroi.participation.tests.factories import make_process, participant
from beffroi.testing import Cast


def make_budget(
    cast: Cast,
    *,
    open_phase: int | None = 0,
    slug: str = "budget-2026",
    projects: tuple[str, ...] = ("30000", "50000", "20000", "40000"),
    **fields: Any,
) -> Budget:
    """A budget of 100,000 € (approval, 1 to 3 projects, from 16 years of age by default)
    with ``projects`` of these costs; its process's ballot phase is open unless
    ``open_phase`` is None (the phase is still to come)."""
    process = make_process(
        cast.org,
        slug=slug,
        blueprint=Blueprint.BUDGET,
        phases=(PhaseType.VOTE,),
        open_phase=open_phase,
    )
    values: dict[str, Any] = {
        "title": "Budget participatif 2026",
        "amount": Decimal("100000"),
        "ballot_type": BallotType.APPROVAL,
        "min_projects": 1,
        "max_projects": 3,
    }
    values.update(fields)
    budget = Budget.objects.create(organisation=cast.org, process=process, **values)
    for position, cost in enumerate(projects, start=1):
        BudgetProject.objects.create(
            budget=budget,
            title=f"Projet {position}",
            cost=Decimal(cost),
            pabulib_id=str(position),
            position=position,
        )
    return budget


def project_ids(budget: Budget) -> list[int]:
    return list(budget.projects.order_by("position").values_list("pk", flat=True))


def voter(cast: Cast, *, second: bool = False, birth_year: int = 1980) -> Participant:
    """A resident with a verified account, an address in the commune and a year of birth."""
    from beffroi.alerts.tests.factories import make_address

    person = participant(cast.resident2 if second else cast.resident, cast.org)
    person.birth_year = birth_year
    person.address = make_address(cast.org, 4.002, 45.002, "Le Pré")
    person.save(update_fields=["birth_year", "address"])
    return person


def close_vote(budget: Budget) -> None:
    """Close the ballot phase by hand (the official outcome waits for it)."""
    from django.core.cache import cache

    from beffroi.participation.budgets.access import _box_version_key
    from beffroi.participation.models import Phase

    Phase.objects.filter(process=budget.process, type=PhaseType.VOTE).update(mode=Phase.Mode.CLOSED)
    budget.process.refresh_from_db()
    # A queryset update() sends no signal (and a test's transaction never commits): the
    # budget's ballot box is read again, as after a phase saved.
    cache.delete(_box_version_key(budget.pk))
