"""The yearly report of a participatory budget (public, printable): the money (the budget,
the official outcome, planned and spent on its realisations), the projects (on the ballot,
selected, where each realisation stands and how residents rated it), the participation (the
ballots by district and by age band), and the satisfaction measured by the evaluations.

Only counts are shown, never a person: a district or an age band is a row of counts, and the
demographics come from what the ballot's voter gave (their participant profile, the census
list, or the columns of an imported PaBuLib file).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from beffroi.participation.budgets.access import access_budget
from beffroi.participation.models import (
    Answer,
    Ballot,
    Budget,
    BudgetOutcome,
    BudgetProject,
    CensusEntry,
    Evaluation,
    Realisation,
)
from beffroi.participation.realisations.evaluations import satisfaction_by_realisation
from beffroi.participation.realisations.services import budget_year
from beffroi.territory.models import Zone, ZoneMembership

# Lower bounds of the age bands (a band runs to the next bound).
AGE_BANDS = (0, 18, 25, 35, 50, 65, 75)


@dataclass(frozen=True)
class Row:
    """One bar of a chart: its label, its count and its share of the whole."""

    label: str
    count: int
    percent: float


@dataclass(frozen=True)
class ProjectLine:
    title: str
    cost: Decimal
    realisation: Realisation | None
    # Mean satisfaction and the number of people who answered (None: not evaluated).
    satisfaction: float | None
    respondents: int


@dataclass
class Report:
    budget: Budget
    year: int
    outcome: BudgetOutcome | None
    projects_on_ballot: int
    selected: list[ProjectLine]
    allocated: Decimal
    # What the official outcome funds beyond the amount put to the vote (the commune added).
    beyond: Decimal
    planned: Decimal
    spent: Decimal
    statuses: list[Row]
    ballots: int
    ballots_by_source: list[Row]
    census_size: int
    by_district: list[Row]
    by_age: list[Row]
    evaluated: int
    respondents: int
    satisfaction: float | None
    satisfaction_rows: list[Row] = field(default_factory=list)


def _rows(counts: Counter[str], order: list[str] | None = None) -> list[Row]:
    total = sum(counts.values())
    labels = order if order is not None else [label for label, _n in counts.most_common()]
    return [
        Row(label, counts[label], round(100 * counts[label] / total, 1) if total else 0.0)
        for label in labels
        if counts[label]
    ]


def age_band(age: int) -> str:
    bounds = list(AGE_BANDS)
    for index, low in enumerate(bounds):
        high = bounds[index + 1] if index + 1 < len(bounds) else None
        if high is None:
            return _("%(low)d and over") % {"low": low}
        if age < high:
            if low == 0:
                return _("under %(high)d") % {"high": high}
            return _("%(low)d to %(high)d") % {"low": low, "high": high - 1}
    raise AssertionError("unreachable")


def _age_labels() -> list[str]:
    return [age_band(low) for low in AGE_BANDS]


def _int(value: object) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _demographics(budget: Budget, year: int) -> tuple[Counter[str], Counter[str]]:
    """Ballots per district and per age band. A voter's district is the district (else the
    hamlet) of their address; an imported ballot's, its file's ``neighborhood`` column."""
    unknown = _("Not known")
    rows = list(
        Ballot.objects.filter(budget=budget).values_list(
            "participant_id", "participant__birth_year", "participant__address_id", "pabulib_fields"
        )
    )
    census_years = dict(
        CensusEntry.objects.filter(budget=budget, participant__isnull=False).values_list(
            "participant_id", "birth_year"
        )
    )
    addresses = {address for _p, _y, address, _f in rows if address is not None}
    place: dict[int, str] = {}
    for kind in (Zone.Kind.HAMLET, Zone.Kind.DISTRICT):
        # Districts win over hamlets: they are read last.
        for address_id, name in ZoneMembership.objects.filter(
            address_id__in=addresses, zone__kind=kind, zone__organisation_id=budget.organisation_id
        ).values_list("address_id", "zone__name"):
            place[address_id] = name
    districts: Counter[str] = Counter()
    ages: Counter[str] = Counter()
    for participant_id, birth_year, address_id, fields in rows:
        fields = fields or {}
        district = place.get(address_id) if address_id is not None else None
        if district is None:
            district = str(fields.get("neighborhood") or fields.get("district") or "").strip()
        districts[district[:1].upper() + district[1:] if district else unknown] += 1
        if birth_year is None and participant_id is not None:
            birth_year = census_years.get(participant_id)
        age = year - birth_year if birth_year is not None else _int(fields.get("age"))
        ages[age_band(age) if age is not None and 0 <= age < 130 else unknown] += 1
    return districts, ages


def budget_report(budget: Budget) -> Report:
    year = budget_year(budget)
    outcome = BudgetOutcome.objects.filter(budget=budget).first()
    selected_ids = list(outcome.selected) if outcome is not None else []
    projects = {
        p.pabulib_id: p
        for p in BudgetProject.objects.filter(budget=budget, pabulib_id__in=selected_ids)
    }
    realisations = {
        r.project_id: r for r in Realisation.objects.filter(budget=budget).select_related("project")
    }
    satisfaction = satisfaction_by_realisation([r.pk for r in realisations.values()])
    lines = []
    for pid in selected_ids:
        project = projects.get(pid)
        if project is None:
            continue
        realisation = realisations.get(project.pk)
        rated = satisfaction.get(realisation.pk) if realisation is not None else None
        lines.append(
            ProjectLine(
                title=project.title,
                cost=project.cost,
                realisation=realisation,
                satisfaction=rated.mean if rated is not None else None,
                respondents=rated.respondents if rated is not None else 0,
            )
        )
    # Realisations of projects the commune funded besides the outcome.
    for realisation in realisations.values():
        if realisation.project.pabulib_id not in projects:
            rated = satisfaction.get(realisation.pk)
            lines.append(
                ProjectLine(
                    title=realisation.title,
                    cost=realisation.project.cost,
                    realisation=realisation,
                    satisfaction=rated.mean if rated is not None else None,
                    respondents=rated.respondents if rated is not None else 0,
                )
            )
    money = Realisation.objects.filter(budget=budget).aggregate(
        planned=Sum("budget_planned"), spent=Sum("budget_spent")
    )
    status_labels = dict(Realisation.Status.choices)
    statuses: Counter[str] = Counter(
        {
            str(status_labels[row["status"]]): row["n"]
            for row in Realisation.objects.filter(budget=budget)
            .values("status")
            .annotate(n=Count("pk"))
        }
    )
    sources = dict(Ballot.Source.choices)
    by_source: Counter[str] = Counter(
        {
            str(sources.get(row["source"], row["source"])): row["n"]
            for row in Ballot.objects.filter(budget=budget).values("source").annotate(n=Count("pk"))
        }
    )
    districts, ages = _demographics(budget, year)
    evaluations = list(Evaluation.objects.filter(realisation__budget=budget))
    scale_answers: Counter[str] = Counter()
    total = 0
    count = 0
    for number, n in (
        Answer.objects.filter(
            question_id__in=[e.satisfaction_id for e in evaluations if e.satisfaction_id],
            number__isnull=False,
        )
        .values("number")
        .annotate(n=Count("pk"))
        .values_list("number", "n")
    ):
        if number is None:  # excluded by the filter; for the type checker
            continue
        scale_answers[str(number)] += n
        total += number * n
        count += n
    scale_order = sorted(scale_answers, key=int)
    allocated = sum((projects[pid].cost for pid in selected_ids if pid in projects), Decimal(0))
    return Report(
        budget=budget,
        year=year,
        outcome=outcome,
        projects_on_ballot=BudgetProject.objects.filter(budget=budget).count(),
        selected=lines,
        allocated=allocated,
        beyond=max(allocated - budget.amount, Decimal(0)),
        planned=money["planned"] or Decimal(0),
        spent=money["spent"] or Decimal(0),
        statuses=_rows(statuses, [str(label) for _v, label in Realisation.Status.choices]),
        ballots=sum(by_source.values()),
        ballots_by_source=_rows(by_source),
        census_size=CensusEntry.objects.filter(budget=budget).count(),
        by_district=_rows(districts),
        by_age=_rows(ages, [*_age_labels(), _("Not known")]),
        evaluated=len(evaluations),
        respondents=sum(s.respondents for s in satisfaction.values()),
        satisfaction=total / count if count else None,
        satisfaction_rows=_rows(scale_answers, scale_order),
    )


@require_GET
def report(request: HttpRequest, budget_id: int) -> HttpResponse:
    """The report, once the official outcome is published."""
    budget = access_budget(request, budget_id)
    published = BudgetOutcome.objects.filter(budget=budget).exists()
    return render(
        request,
        "participation/budgets/report.html",
        {
            "budget": budget,
            "process": budget.process,
            "report": budget_report(budget) if published else None,
            "now": timezone.localtime(),
        },
    )
