"""Participatory budgets: every write. Pages, the API, commands and tasks call these.

- budgets and projects (created by agents, or from proposals found feasible with a cost);
- ballots cast online (``ballot_cast``), every rule of the ballot checked here whatever the
  client sends, one ballot per person per budget held by the database;
- census lists (CSV, all or nothing) and the claim of an entry by a participant;
- paper ballots typed in twice by two agents, counted when they agree;
- results under greedy and the Method of Equal Shares, and the official outcome;
- PaBuLib import and export.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.tasks import task
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from beffroi.accounts.access import has_role
from beffroi.accounts.models import User
from beffroi.core.audit import audit_record
from beffroi.core.imports import (
    ImportRefused,
    ImportReport,
    Progress,
    RefusedLine,
    import_check,
    import_write,
)
from beffroi.core.templatetags.core_formats import money
from beffroi.participation import access
from beffroi.participation.budgets import pabulib, rules
from beffroi.participation.budgets.access import vote_check
from beffroi.participation.budgets.selectors import (
    BallotProject,
    PaperSheet,
    ballot_projects,
    budget_election,
    paper_key,
    paper_sheet_status,
)
from beffroi.participation.models import (
    Action,
    Ballot,
    BallotChoice,
    BallotType,
    Blueprint,
    Budget,
    BudgetOutcome,
    BudgetProject,
    BudgetResult,
    CensusEntry,
    Eligibility,
    PaperBallotEntry,
    Participant,
    Process,
    Proposal,
    Rule,
)
from beffroi.territory.models import Organisation, Zone

AMOUNT_MAX = Decimal("1000000000000")
# Rows per INSERT when importing a PaBuLib file: few round trips for 50,000 ballots, well
# under SQLite's limit of variables per statement.
_BATCH = 2_000


def _refuse(code: str, message: str) -> access.ActionRefused:
    return access.ActionRefused(access.Decision(False, code, message))


def _manager(agent: User, organisation: Organisation) -> None:
    if not has_role(agent, organisation, *access.MANAGER_ROLES):
        raise _refuse("forbidden", _("Not allowed."))


def _money(amount: Decimal | int | Fraction, currency: str) -> str:
    return money(amount, currency)


def _voting_started(budget: Budget) -> bool:
    return Ballot.objects.filter(budget=budget).exists() or Action.VOTE in access.open_actions(
        budget.process
    )


# --- budgets and projects ------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetInput:
    title: str
    amount: Decimal
    ballot_type: str = BallotType.APPROVAL
    currency: str = "EUR"
    min_projects: int = 1
    max_projects: int | None = None
    max_points: int | None = None
    min_age: int | None = 16
    eligibility: str = Eligibility.ZONES
    zone_ids: Sequence[int] = ()


def _budget_errors(process: Process, data: BudgetInput) -> tuple[list[Zone], dict[str, Any]]:
    errors: dict[str, list[str]] = {}
    if not data.title.strip():
        errors["title"] = [_("Give the budget a title.")]
    if not data.amount.is_finite() or data.amount <= 0 or data.amount >= AMOUNT_MAX:
        errors["amount"] = [_("Give an amount greater than zero.")]
    if not re.fullmatch(r"[A-Z]{3}", data.currency):
        errors["currency"] = [_("Give the currency as its three-letter code (EUR).")]
    if data.ballot_type not in BallotType.values:
        errors["ballot_type"] = [_("Choose a kind of ballot.")]
    if data.min_projects < 0:
        errors["min_projects"] = [_("The minimum cannot be negative.")]
    if data.max_projects is not None and data.max_projects < max(data.min_projects, 1):
        errors["max_projects"] = [_("The maximum must be at least the minimum, and at least 1.")]
    if data.ballot_type == BallotType.CUMULATIVE and not data.max_points:
        errors["max_points"] = [_("Say how many points each voter shares out.")]
    if data.min_age is not None and not 0 <= data.min_age <= 120:
        errors["min_age"] = [_("Give an age between 0 and 120.")]
    if data.eligibility not in Eligibility.values:
        errors["eligibility"] = [_("Say who may vote.")]
    zones = list(Zone.objects.filter(organisation_id=process.organisation_id, pk__in=data.zone_ids))
    if len(zones) != len(set(data.zone_ids)):
        errors["zone_ids"] = [_("Choose zones of the commune.")]
    return zones, errors


def budget_create(*, process: Process, agent: User, data: BudgetInput) -> Budget:
    """A budget of a participatory-budget process (the commune's, or a district's)."""
    _manager(agent, process.organisation)
    zones, errors = _budget_errors(process, data)
    if process.blueprint != Blueprint.BUDGET:
        errors.setdefault("process", []).append(
            _("Budgets belong to a participatory-budget process.")
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        budget = Budget.objects.create(
            organisation=process.organisation,
            process=process,
            title=data.title.strip(),
            amount=data.amount,
            currency=data.currency,
            ballot_type=data.ballot_type,
            min_projects=data.min_projects,
            max_projects=data.max_projects,
            max_points=data.max_points if data.ballot_type == BallotType.CUMULATIVE else None,
            min_age=data.min_age,
            eligibility=data.eligibility,
        )
        budget.zones.set(zones)
        audit_record(
            action="participation.budget_create",
            organisation=process.organisation,
            actor=agent,
            target=budget,
            data={"amount": str(data.amount), "ballot_type": data.ballot_type},
        )
    return budget


def budget_update(*, budget: Budget, agent: User, data: BudgetInput) -> Budget:
    """Change a budget's settings, until voting starts (a ballot cast, or the vote phase
    open): after that, the rules the residents voted under stay as they were."""
    _manager(agent, budget.organisation)
    zones, errors = _budget_errors(budget.process, data)
    if _voting_started(budget):
        errors.setdefault("__all__", []).append(
            _("The budget cannot change once voting has started.")
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = Budget.objects.select_for_update().get(pk=budget.pk)
        before = {"amount": str(locked.amount), "ballot_type": locked.ballot_type}
        locked.title = data.title.strip()
        locked.amount = data.amount
        locked.currency = data.currency
        locked.ballot_type = data.ballot_type
        locked.min_projects = data.min_projects
        locked.max_projects = data.max_projects
        locked.max_points = data.max_points if data.ballot_type == BallotType.CUMULATIVE else None
        locked.min_age = data.min_age
        locked.eligibility = data.eligibility
        locked.save()
        locked.zones.set(zones)
        audit_record(
            action="participation.budget_update",
            organisation=locked.organisation,
            actor=agent,
            target=locked,
            data={
                "before": before,
                "amount": str(data.amount),
                "ballot_type": data.ballot_type,
            },
        )
    return locked


def _next_pabulib_id(budget: Budget) -> str:
    """One more than the largest numeric id so far (imported ids may be anything)."""
    ids = BudgetProject.objects.filter(budget=budget).values_list("pabulib_id", flat=True)
    numbers = [int(i) for i in ids if i.isdigit()]
    return str(max(numbers, default=0) + 1)


def _project_insert(
    *,
    budget: Budget,
    title: str,
    description: str,
    cost: Decimal,
    zones: Iterable[Zone],
    proposal: Proposal | None,
) -> BudgetProject:
    """Insert a project; the caller holds the budget's row lock (ids are generated)."""
    position = (
        BudgetProject.objects.filter(budget=budget).aggregate(m=Max("position"))["m"] or 0
    ) + 1
    project = BudgetProject.objects.create(
        budget=budget,
        proposal=proposal,
        title=title,
        description=description,
        cost=cost,
        pabulib_id=_next_pabulib_id(budget),
        position=position,
    )
    project.zones.set(list(zones))
    return project


def _project_errors(budget: Budget, title: str, cost: Decimal | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = [_("Give the project a title.")]
    if cost is None or not cost.is_finite() or cost <= 0:
        errors["cost"] = [_("Give a cost greater than zero.")]
    elif cost > budget.amount:
        errors["cost"] = [
            _("The cost is more than the whole budget (%(amount)s).")
            % {"amount": _money(budget.amount, budget.currency)}
        ]
    if _voting_started(budget):
        errors.setdefault("__all__", []).append(
            _("Projects cannot change once voting has started.")
        )
    return errors


def budget_project_create(
    *,
    budget: Budget,
    agent: User,
    title: str,
    cost: Decimal,
    description: str = "",
    zone_ids: Sequence[int] = (),
) -> BudgetProject:
    """A project created by the agents (a commune's own project put to the vote)."""
    _manager(agent, budget.organisation)
    errors = _project_errors(budget, title, cost)
    zones = list(Zone.objects.filter(organisation_id=budget.organisation_id, pk__in=zone_ids))
    if len(zones) != len(set(zone_ids)):
        errors["zone_ids"] = [_("Choose zones of the commune.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        Budget.objects.select_for_update().get(pk=budget.pk)
        return _project_insert(
            budget=budget,
            title=title.strip(),
            description=description,
            cost=cost,
            zones=zones,
            proposal=None,
        )


def budget_project_from_proposal(
    *, budget: Budget, agent: User, proposal: Proposal
) -> BudgetProject:
    """The proposal put to the vote at the cost the services estimated. Refused unless the
    services found it feasible and gave a cost."""
    _manager(agent, budget.organisation)
    if proposal.organisation_id != budget.organisation_id:
        raise ValidationError({"proposal": [_("This proposal is not one of the commune's.")]})
    if (
        proposal.feasibility != Proposal.Feasibility.FEASIBLE
        or proposal.services_cost is None
        or proposal.services_cost <= 0
    ):
        raise ValidationError(
            {
                "proposal": ValidationError(
                    _(
                        "Only a proposal the services found feasible, with their estimate "
                        "of its cost, can be put to the vote."
                    ),
                    code="not_feasible",
                )
            }
        )
    if proposal.hidden_at is not None or proposal.state != Proposal.State.PUBLISHED:
        raise ValidationError({"proposal": [_("This proposal is hidden or withdrawn.")]})
    errors = _project_errors(budget, proposal.title, proposal.services_cost)
    if errors:
        raise ValidationError(errors)
    from beffroi.participation.richtext import plain_text

    with transaction.atomic():
        Budget.objects.select_for_update().get(pk=budget.pk)
        if BudgetProject.objects.filter(budget=budget, proposal=proposal).exists():
            raise ValidationError(
                {"proposal": [_("This proposal is already a project of this budget.")]}
            )
        project = _project_insert(
            budget=budget,
            title=proposal.title,
            description=plain_text(proposal.body),
            cost=proposal.services_cost,
            zones=proposal.zones.all(),
            proposal=proposal,
        )
        audit_record(
            action="participation.budget_project_from_proposal",
            organisation=budget.organisation,
            actor=agent,
            target=project,
            data={"proposal": proposal.pk, "cost": str(proposal.services_cost)},
        )
    return project


# --- ballots -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CleanChoice:
    project_id: int
    position: int
    points: int | None = None
    rank: int | None = None


type Choices = Sequence[int] | Mapping[int, int]


def _choice_error(message: str, code: str) -> ValidationError:
    return ValidationError({"choices": ValidationError(message, code=code)})


def ballot_choices_clean(
    *,
    budget: Budget,
    choices: Choices,
    projects: Mapping[int, BallotProject] | None = None,
) -> list[CleanChoice]:
    """Check choices against the budget's ballot, whatever a client sends.

    ``choices``: project ids (approval, knapsack; for ranked, in order of preference), or
    project id → points (cumulative), rank (ranked) or 1/0 (approval, knapsack). Raises
    ``ValidationError`` on ``choices`` with a code: ``invalid``, ``unknown_project``,
    ``duplicate_project``, ``negative_points``, ``too_many_points``, ``ranks``, ``too_few``,
    ``too_many``, ``over_budget``.

    ``projects``: the budget's projects as ``selectors.ballot_projects`` read them in this
    request, when the caller has them already (the ballot page's form); read here otherwise.
    """
    kind = budget.ballot_type
    pairs: list[tuple[Any, Any]]
    if isinstance(choices, Mapping):
        pairs = list(choices.items())
    else:
        items = list(choices)
        if len(set(items)) != len(items):
            raise _choice_error(_("A project is chosen twice."), "duplicate_project")
        if kind == BallotType.CUMULATIVE:
            raise _choice_error(_("Give each chosen project a number of points."), "invalid")
        if kind == BallotType.RANKED:
            pairs = [(pid, rank) for rank, pid in enumerate(items, start=1)]
        else:
            pairs = [(pid, 1) for pid in items]
    for pid, value in pairs:
        for number in (pid, value):
            if isinstance(number, bool) or not isinstance(number, int):
                raise _choice_error(_("Projects, points and ranks are whole numbers."), "invalid")
    if projects is None:
        projects = ballot_projects(budget)
    elif any(project.budget_id != budget.pk for project in projects.values()):
        raise ValueError("the projects of another budget")
    if any(pid not in projects for pid, _value in pairs):
        raise _choice_error(_("A chosen project is not part of this budget."), "unknown_project")
    if kind in (BallotType.APPROVAL, BallotType.KNAPSACK):
        if any(value not in (0, 1) for _pid, value in pairs):
            raise _choice_error(_("A project is chosen or not: 1 or 0."), "invalid")
        pairs = [(pid, value) for pid, value in pairs if value == 1]
        clean = [CleanChoice(pid, position) for position, (pid, _v) in enumerate(pairs)]
    elif kind == BallotType.CUMULATIVE:
        if any(value < 0 for _pid, value in pairs):
            raise _choice_error(_("Points cannot be negative."), "negative_points")
        pairs = [(pid, value) for pid, value in pairs if value > 0]
        total = sum(value for _pid, value in pairs)
        if budget.max_points is not None and total > budget.max_points:
            raise _choice_error(
                _("You gave %(total)d points; you have %(max)d to share out.")
                % {"total": total, "max": budget.max_points},
                "too_many_points",
            )
        clean = [
            CleanChoice(pid, position, points=value) for position, (pid, value) in enumerate(pairs)
        ]
    else:
        ranks = sorted(value for _pid, value in pairs)
        if ranks != list(range(1, len(pairs) + 1)):
            raise _choice_error(
                _("Rank the chosen projects 1, 2, 3… without gaps or repeats."), "ranks"
            )
        ordered = sorted(pairs, key=lambda pair: pair[1])
        clean = [CleanChoice(pid, rank - 1, rank=rank) for pid, rank in ordered]
    count = len(clean)
    if count < budget.min_projects:
        raise _choice_error(
            ngettext(
                "Choose at least %(count)d project.",
                "Choose at least %(count)d projects.",
                budget.min_projects,
            )
            % {"count": budget.min_projects},
            "too_few",
        )
    if budget.max_projects is not None and count > budget.max_projects:
        raise _choice_error(
            ngettext(
                "Choose at most %(count)d project.",
                "Choose at most %(count)d projects.",
                budget.max_projects,
            )
            % {"count": budget.max_projects},
            "too_many",
        )
    if kind == BallotType.KNAPSACK:
        total_cost = sum((projects[c.project_id].cost for c in clean), Decimal(0))
        if total_cost > budget.amount:
            raise _choice_error(
                _("Your choices cost %(total)s, more than the budget of %(amount)s.")
                % {
                    "total": _money(total_cost, budget.currency),
                    "amount": _money(budget.amount, budget.currency),
                },
                "over_budget",
            )
    return clean


def _receipt_code() -> str:
    from beffroi.participation.budgets.selectors import RECEIPT_ALPHABET

    # One draw from the system's random source for the twelve characters: 32 letters and
    # digits, so that each byte's five low bits pick one without bias.
    assert len(RECEIPT_ALPHABET) == 32
    raw = "".join(RECEIPT_ALPHABET[byte & 31] for byte in secrets.token_bytes(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


# A new receipt code equal to one already given is a chance of one in 10^13 with 100,000
# ballots: a few attempts are more than enough, and a loop without end is worse than an error.
_INSERT_ATTEMPTS = 5


def _ballot_insert(
    *,
    budget: Budget,
    voter_key: str,
    participant: Participant | None,
    source: str,
    choices: Sequence[CleanChoice],
    now: datetime,
) -> Ballot | None:
    """Insert the voter's first ballot with its choices: the ballot, or None when the
    budget holds a ballot of this voter already (or, almost never, another ballot has the
    receipt code drawn).

    A ballot is cast by hundreds a second when a vote is announced: this is the hot path,
    in as few round trips as the database allows. On PostgreSQL one statement inserts the
    ballot (doing nothing on a conflict with any unique constraint, whatever the race: a
    concurrent insert of the same voter is waited for) and its choices only if the ballot
    went in, so it needs no transaction of its own; on SQLite, the same insert, then the
    choices, in one transaction."""
    quote = connection.ops.quote_name
    ballots = quote(Ballot._meta.db_table)
    receipt = _receipt_code()
    when = connection.ops.adapt_datetimefield_value(now)
    insert = (
        f"INSERT INTO {ballots} (budget_id, participant_id, voter_key, receipt_code, source, "  # noqa: S608
        "pabulib_fields, cast_at, updated_at) VALUES (%s, %s, %s, %s, %s, '{}', %s, %s) "
        "ON CONFLICT DO NOTHING RETURNING id"
    )
    params: list[Any] = [
        budget.pk,
        participant.pk if participant is not None else None,
        voter_key,
        receipt,
        source,
        when,
        when,
    ]
    ballot_id: int | None
    if connection.vendor == "postgresql":
        picks = quote(BallotChoice._meta.db_table)
        position, rank = quote("position"), quote("rank")
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH ballot AS ({insert}), chosen AS ("  # noqa: S608
                f"INSERT INTO {picks} (ballot_id, project_id, {position}, points, {rank}) "
                f"SELECT ballot.id, c.project_id, c.{position}, c.points, c.{rank} "
                "FROM ballot CROSS JOIN unnest(%s::bigint[], %s::smallint[], %s::integer[], "
                f"%s::smallint[]) AS c (project_id, {position}, points, {rank})) "
                "SELECT id FROM ballot",
                [
                    *params,
                    [c.project_id for c in choices],
                    [c.position for c in choices],
                    [c.points for c in choices],
                    [c.rank for c in choices],
                ],
            )
            row = cursor.fetchone()
            ballot_id = None if row is None else int(row[0])
    else:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(insert, params)
            row = cursor.fetchone()
            ballot_id = None if row is None else int(row[0])
            if ballot_id is not None:
                BallotChoice.objects.bulk_create(_choice_rows(ballot_id, choices))
    if ballot_id is None:
        return None
    ballot = Ballot(
        pk=ballot_id,
        budget=budget,
        participant=participant,
        voter_key=voter_key,
        receipt_code=receipt,
        source=source,
        pabulib_fields={},
        cast_at=now,
        updated_at=now,
    )
    ballot._state.adding = False
    ballot._state.db = connection.alias
    return ballot


def _choice_rows(ballot_id: int, choices: Sequence[CleanChoice]) -> list[BallotChoice]:
    return [
        BallotChoice(
            ballot_id=ballot_id,
            project_id=choice.project_id,
            position=choice.position,
            points=choice.points,
            rank=choice.rank,
        )
        for choice in choices
    ]


def _ballot_write(
    *,
    budget: Budget,
    voter_key: str,
    participant: Participant | None,
    source: str,
    choices: Sequence[CleanChoice],
    now: datetime,
) -> tuple[Ballot, bool]:
    """Create the voter's ballot or replace its choices: (ballot, created).

    The unique constraint on (budget, voter_key) decides between concurrent casts: the loser
    of the insert waits for the winner's transaction, then replaces the choices of the ballot
    it finds, under its row lock. The receipt code of a changed ballot stays the same."""
    for _attempt in range(_INSERT_ATTEMPTS):
        ballot = _ballot_insert(
            budget=budget,
            voter_key=voter_key,
            participant=participant,
            source=source,
            choices=choices,
            now=now,
        )
        if ballot is not None:
            return ballot, True
        with transaction.atomic():
            # Ordering would join the budget and its process, and lock their rows too.
            ballot = (
                Ballot.objects.select_for_update()
                .filter(budget=budget, voter_key=voter_key)
                .order_by()
                .first()
            )
            if ballot is None:
                # The conflict was another ballot's receipt code: draw another.
                continue
            ballot.updated_at = now
            ballot.save(update_fields=["updated_at"])
            BallotChoice.objects.filter(ballot=ballot).delete()
            BallotChoice.objects.bulk_create(_choice_rows(ballot.pk, choices))
            return ballot, False
    raise RuntimeError(f"no ballot could be inserted for {voter_key} in budget {budget.pk}")


@dataclass(frozen=True)
class BallotRecorded:
    """What ``ballot_record`` did: the ballot; whether it is the person's first (False: their
    ballot changed, same row and same receipt code); its choices as recorded, in the
    ballot's order, and the projects they were checked against (titles and costs, for an
    answer that shows them without reading them again)."""

    ballot: Ballot
    created: bool
    choices: list[CleanChoice]
    projects: Mapping[int, BallotProject]


def ballot_record(
    *,
    budget: Budget,
    participant: Participant | None,
    choices: Choices,
    now: datetime | None = None,
    projects: Mapping[int, BallotProject] | None = None,
) -> BallotRecorded:
    """Cast or change ``participant``'s ballot in ``budget``.

    Refused with ``ActionRefused`` when the ballot phase is not open or the person may not
    vote here (``budgets.access.vote_decide``: identity, age, zones or census), with
    ``ValidationError`` when the choices break the ballot's rules
    (``ballot_choices_clean``; ``projects`` as there). Nothing is written when refused. A
    ballot changed while the phase is open keeps its row and its receipt code.

    Load ``budget`` with its process and the process's phases (``access_budget``), and
    ``participant`` with its user (``request_participant``): a first ballot then costs
    three queries on PostgreSQL (who may vote, the projects, the insert), four on SQLite."""
    now = now or timezone.now()
    voter = vote_check(participant, budget, now=now)
    if projects is None:
        projects = ballot_projects(budget)
    clean = ballot_choices_clean(budget=budget, choices=choices, projects=projects)
    ballot, created = _ballot_write(
        budget=budget,
        voter_key=voter.key,
        participant=voter.participant,
        source=Ballot.Source.ONLINE,
        choices=clean,
        now=now,
    )
    return BallotRecorded(ballot, created, clean, projects)


def ballot_cast(
    *,
    budget: Budget,
    participant: Participant | None,
    choices: Choices,
    now: datetime | None = None,
) -> Ballot:
    """``ballot_record``, for callers that need only the ballot."""
    return ballot_record(budget=budget, participant=participant, choices=choices, now=now).ballot


@dataclass(frozen=True)
class Receipt:
    """What the voter downloads: the code to check later that the ballot counted."""

    budget_title: str
    organisation_name: str
    receipt_code: str
    cast_at: datetime
    updated_at: datetime


def ballot_receipt(*, ballot: Ballot) -> Receipt:
    budget = ballot.budget
    return Receipt(
        budget_title=budget.title,
        organisation_name=budget.organisation.name,
        receipt_code=ballot.receipt_code,
        cast_at=ballot.cast_at,
        updated_at=ballot.updated_at,
    )


# --- census --------------------------------------------------------------------------------


def _column_key(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]", "", plain)


_CENSUS_COLUMNS: dict[str, set[str]] = {
    "key": {"key", "identifiant", "id", "numero", "numeroelecteur", "number", "identifier"},
    "name": {"name", "nom", "nomcomplet", "nometprenom", "nomprenom", "fullname"},
    "birth_year": {
        "birthyear",
        "anneedenaissance",
        "anneenaissance",
        "naissance",
        "datedenaissance",
        "datenaissance",
        "annee",
        "yearofbirth",
        "birthdate",
        "dateofbirth",
    },
    "address": {"address", "adresse", "adressepostale"},
}
# A date of birth as French lists write it (12/03/1950, 12-03-1950) or ISO (1950-03-12).
_BIRTH_DATE = re.compile(r"^(?:\d{1,2}[/.-]\d{1,2}[/.-](\d{4})|(\d{4})-\d{2}-\d{2})$")


@dataclass
class CensusImportReport(ImportReport):
    # Header columns the import does not read: shown before anything is written, so that a
    # year of birth under an unexpected name is not silently left out.
    ignored_columns: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _CensusRow:
    key: str
    name: str
    birth_year: int | None
    address: str


def census_import(
    *,
    budget: Budget,
    agent: User,
    data: bytes,
    progress: Progress | None = None,
    dry_run: bool = False,
) -> CensusImportReport:
    """Import a census list (CSV, ``;`` or ``,``, UTF-8): columns by name, an identifier
    (``numero``, ``identifiant``, ``key``), and optionally ``nom``, ``annee de naissance``,
    ``adresse``. All or nothing, every refused line reported (``ImportRefused``). Entries
    already listed (same identifier) are updated; entries absent from the file stay."""
    _manager(agent, budget.organisation)
    report = CensusImportReport()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report.problems.append(
            _("The file is not UTF-8 text (invalid byte at position %(position)d).")
            % {"position": exc.start}
        )
        raise ImportRefused(report) from exc
    header_line = text.split("\n", 1)[0]
    delimiter = ";" if header_line.count(";") >= header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = list(reader)
    except csv.Error as exc:
        report.problems.append(_("Unreadable CSV: %(error)s") % {"error": exc})
        raise ImportRefused(report) from exc
    if not rows:
        report.problems.append(_("The file is empty."))
        raise ImportRefused(report)
    index: dict[str, int] = {}
    for position, name in enumerate(rows[0]):
        for column, names in _CENSUS_COLUMNS.items():
            if _column_key(name) in names and column not in index:
                index[column] = position
    if "key" not in index:
        report.problems.append(
            _("The header has no identifier column (numero, identifiant or key).")
        )
        raise ImportRefused(report)
    read = set(index.values())
    report.ignored_columns = [
        name.strip() or str(position + 1)
        for position, name in enumerate(rows[0])
        if position not in read
    ]
    data_rows = [(n, row) for n, row in enumerate(rows[1:], start=2) if any(c.strip() for c in row)]
    seen: dict[str, int] = {}
    this_year = timezone.localdate().year

    def check(line: int, row: list[str]) -> _CensusRow | RefusedLine:
        def get(column: str) -> str:
            position = index.get(column)
            return row[position].strip() if position is not None and position < len(row) else ""

        reasons = []
        key = get("key")
        if not key:
            reasons.append(_("the identifier is empty"))
        elif len(key) > 100:
            reasons.append(_("the identifier is longer than 100 characters"))
        elif key in seen:
            reasons.append(
                _("identifier %(key)s is already on line %(line)d")
                % {"key": key, "line": seen[key]}
            )
        else:
            seen[key] = line
        birth_year: int | None = None
        raw_year = get("birth_year")
        dated = _BIRTH_DATE.match(raw_year)
        if dated:
            raw_year = dated.group(1) or dated.group(2)
        if raw_year:
            if raw_year.isdigit() and this_year - 130 <= int(raw_year) <= this_year:
                birth_year = int(raw_year)
            else:
                reasons.append(_("%(value)s is not a year of birth") % {"value": raw_year})
        if reasons:
            return RefusedLine(line, "; ".join(reasons))
        return _CensusRow(key, get("name")[:200], birth_year, get("address")[:300])

    accepted = import_check(report, data_rows, check, progress=progress)

    def write(step: Progress) -> None:
        existing = {e.key: e for e in CensusEntry.objects.filter(budget=budget)}
        to_create, to_update = [], []
        for row in accepted:
            entry = existing.get(row.key)
            if entry is None:
                to_create.append(
                    CensusEntry(
                        budget=budget,
                        key=row.key,
                        name=row.name,
                        birth_year=row.birth_year,
                        address=row.address,
                    )
                )
            elif (entry.name, entry.birth_year, entry.address) != (
                row.name,
                row.birth_year,
                row.address,
            ):
                entry.name, entry.birth_year, entry.address = row.name, row.birth_year, row.address
                to_update.append(entry)
            else:
                report.skipped += 1
        CensusEntry.objects.bulk_create(to_create, batch_size=_BATCH)
        CensusEntry.objects.bulk_update(
            to_update, ["name", "birth_year", "address"], batch_size=_BATCH
        )
        report.created, report.updated = len(to_create), len(to_update)
        step(1, 1)
        audit_record(
            action="participation.census_import",
            organisation=budget.organisation,
            actor=agent,
            target=budget,
            data={"created": report.created, "updated": report.updated},
        )

    import_write(report, write, progress=progress, dry_run=dry_run)
    return report


def census_entry_claim(
    *, budget: Budget, participant: Participant, key: str, birth_year: int
) -> CensusEntry:
    """Link ``participant`` to the census entry they prove to be (its identifier and year of
    birth, as printed on the voting card). Refused when they do not match, or when the entry
    is already someone else's."""
    entry = CensusEntry.objects.filter(budget=budget, key=key.strip()).first()
    if entry is None or entry.birth_year is None or entry.birth_year != birth_year:
        raise ValidationError(
            {
                "key": ValidationError(
                    _("No one with this identifier and year of birth is on the list."),
                    code="no_match",
                )
            }
        )
    with transaction.atomic():
        entry = CensusEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.participant_id == participant.pk:
            return entry
        if entry.participant_id is not None:
            raise ValidationError(
                {
                    "key": ValidationError(
                        _("This entry of the list is already claimed: ask the town hall."),
                        code="claimed",
                    )
                }
            )
        if CensusEntry.objects.filter(budget=budget, participant=participant).exists():
            raise ValidationError(
                {
                    "key": ValidationError(
                        _("You already claimed another entry of this list."), code="claimed"
                    )
                }
            )
        entry.participant = participant
        entry.save(update_fields=["participant"])
    return entry


# --- paper ballots -------------------------------------------------------------------------


def _canonical(clean: Sequence[CleanChoice]) -> list[list[int]]:
    return sorted([c.project_id, c.points if c.points is not None else c.rank or 1] for c in clean)


def paper_ballot_enter(
    *, budget: Budget, agent: User, sheet_number: int, choices: Choices
) -> PaperSheet:
    """One agent's typing of paper sheet ``sheet_number``. The sheet counts (one ballot,
    source paper) as soon as two different agents typed identical choices; otherwise the
    differences are returned. The same agent typing a sheet twice is refused: the check is
    worth something only when someone else reads the sheet again."""
    if not has_role(agent, budget.organisation, *access.ON_BEHALF_ROLES):
        raise _refuse("forbidden", _("Not allowed."))
    if BudgetOutcome.objects.filter(budget=budget).exists():
        raise _refuse(
            "published",
            _("The official outcome is published: paper ballots can no longer be typed in."),
        )
    if sheet_number < 1:
        raise ValidationError({"sheet_number": [_("Give the number printed on the sheet.")]})
    clean = ballot_choices_clean(budget=budget, choices=choices)
    canonical = _canonical(clean)
    now = timezone.now()
    with transaction.atomic():
        # One sheet at a time per budget: two agents finishing together count it once.
        Budget.objects.select_for_update().get(pk=budget.pk)
        try:
            with transaction.atomic():
                PaperBallotEntry.objects.create(
                    budget=budget, sheet_number=sheet_number, agent=agent, choices=canonical
                )
        except IntegrityError:
            raise ValidationError(
                {
                    "sheet_number": ValidationError(
                        _("You already typed in sheet %(number)d: another agent must type it.")
                        % {"number": sheet_number},
                        code="same_agent",
                    )
                }
            ) from None
        entries = list(
            PaperBallotEntry.objects.filter(budget=budget, sheet_number=sheet_number)
            .order_by("created_at", "pk")
            .values_list("agent_id", "choices")
        )
        key = paper_key(sheet_number)
        counted = Ballot.objects.filter(budget=budget, voter_key=key).exists()
        if not counted and any(
            choices_ == canonical for agent_id, choices_ in entries if agent_id != agent.pk
        ):
            _ballot_write(
                budget=budget,
                voter_key=key,
                participant=None,
                source=Ballot.Source.PAPER,
                choices=clean,
                now=now,
            )
            counted = True
    return paper_sheet_status(sheet_number, entries, counted)


# --- results -------------------------------------------------------------------------------


def _fraction_text(value: Fraction | None) -> str | None:
    return None if value is None else str(value)


def _run_rule(election: pabulib.Election, rule: str) -> rules.Result:
    if rule == Rule.GREEDY:
        return rules.greedy(election)
    if rule == Rule.MES:
        return rules.equal_shares(election)
    if rule == Rule.MES_ADD1:
        return rules.equal_shares(election, add1=True)
    raise ValueError(f"unknown rule {rule!r}")


def results_compute(*, budget: Budget, rule: str, now: datetime | None = None) -> BudgetResult:
    """Compute ``rule``'s result from the ballots and store it (replacing the last one).

    The row says "being computed" while the rule runs (its own transaction, so that a page
    shows it), then holds the winners in selection order and each project's outcome with
    exact amounts."""
    if rule not in Rule.values:
        raise ValueError(f"unknown rule {rule!r}: one of {', '.join(Rule.values)}")
    started = now or timezone.now()
    result, _created = BudgetResult.objects.update_or_create(
        budget=budget,
        rule=rule,
        defaults={"status": BudgetResult.Status.RUNNING, "started_at": started, "error": ""},
    )
    try:
        built = budget_election(budget)
        computed = _run_rule(built.election, rule)
    except Exception as exc:
        result.status = BudgetResult.Status.FAILED
        result.error = str(exc)
        result.save(update_fields=["status", "error"])
        raise
    result.status = BudgetResult.Status.DONE
    result.computed_at = timezone.now()
    result.ballots = len(built.election.votes)
    result.selected = list(computed.selected)
    result.cost = Decimal(computed.cost)
    result.tie_breaking = computed.tie_breaking
    result.voter_budget = _fraction_text(computed.voter_budget) or ""
    result.outcomes = {
        project_id: {
            "status": str(outcome.status),
            "reason": str(outcome.reason),
            "cost": outcome.cost,
            "votes": outcome.votes,
            "score": computed.scores.get(project_id, outcome.votes),
            "round": outcome.round,
            "remaining_budget": _fraction_text(outcome.remaining_budget),
            "supporters_money": _fraction_text(outcome.supporters_money),
            "price_per_supporter": _fraction_text(outcome.price_per_supporter),
        }
        for project_id, outcome in computed.outcomes.items()
    }
    result.save()
    return result


@task(queue_name="default")
def results_compute_task(budget_id: int, rule: str) -> list[str]:
    """Fetch the budget, compute the rule's result; the winners' PaBuLib ids."""
    budget = Budget.objects.select_related("organisation").filter(pk=budget_id).first()
    if budget is None:
        return []
    return list(results_compute(budget=budget, rule=rule).selected)


def outcome_publish(
    *,
    budget: Budget,
    agent: User,
    selected: Sequence[int],
    note: str = "",
    now: datetime | None = None,
) -> BudgetOutcome:
    """The official outcome: the projects (ids) the commune funds. It may differ from every
    computed result (the commune adds a project); ``selectors.outcome_difference`` shows
    how. Publishing again replaces it. Refused while the vote is open: nobody may read the
    outcome while ballots can still change."""
    _manager(agent, budget.organisation)
    if Action.VOTE in access.open_actions(budget.process, now or timezone.now()):
        raise ValidationError(
            _(
                "The vote is still open: the official outcome is published once the ballot "
                "phase is over."
            )
        )
    ids = dict(BudgetProject.objects.filter(budget=budget).values_list("pk", "pabulib_id"))
    if len(set(selected)) != len(selected) or any(pk not in ids for pk in selected):
        raise ValidationError({"selected": [_("Choose projects of this budget, once each.")]})
    order = {pk: position for position, pk in enumerate(ids)}
    chosen = [ids[pk] for pk in sorted(selected, key=order.__getitem__)]
    with transaction.atomic():
        outcome, _created = BudgetOutcome.objects.update_or_create(
            budget=budget,
            defaults={
                "source": BudgetOutcome.Source.PUBLISHED,
                "selected": chosen,
                "note": note.strip(),
                "published_at": now or timezone.now(),
                "published_by": agent,
            },
        )
        audit_record(
            action="participation.budget_outcome_publish",
            organisation=budget.organisation,
            actor=agent,
            target=budget,
            data={"selected": chosen},
        )
    return outcome


# --- PaBuLib -------------------------------------------------------------------------------

# The currency of a file without a ``currency`` key, by its country.
_COUNTRY_CURRENCIES = {
    "poland": "PLN",
    "france": "EUR",
    "switzerland": "CHF",
    "netherlands": "EUR",
    "italy": "EUR",
    "spain": "EUR",
    "germany": "EUR",
}


def _ballot_settings(meta: Mapping[str, str]) -> dict[str, Any]:
    """The ballot a file describes, for ballots cast here later."""

    def number(key: str) -> int | None:
        value = meta.get(key, "").strip()
        return int(value) if value.isdigit() else None

    vote_type = meta["vote_type"]
    min_length = number("min_length")
    max_length = number("max_length")
    settings: dict[str, Any] = {
        "ballot_type": BallotType.APPROVAL,
        "min_projects": min_length if min_length is not None else 1,
        "max_projects": max_length,
        "max_points": None,
    }
    if vote_type == "approval" and "max_sum_cost" in meta:
        settings["ballot_type"] = BallotType.KNAPSACK
    elif vote_type == "choose-1":
        settings.update(min_projects=1, max_projects=1)
    elif vote_type in pabulib.POINTS_VOTE_TYPES:
        settings["ballot_type"] = BallotType.CUMULATIVE
        settings["max_points"] = number("max_sum_points")
    elif vote_type == "ordinal":
        settings["ballot_type"] = BallotType.RANKED
    if settings["max_projects"] is not None and settings["max_projects"] < settings["min_projects"]:
        settings["max_projects"] = settings["min_projects"]
    return settings


def _import_process(organisation: Organisation, meta: Mapping[str, str]) -> Process:
    """A process for an imported election: archived (a past vote, open to no one), named
    after the file's META."""
    words = [meta.get(k, "") for k in ("unit", "subunit", "district", "instance")]
    title = " ".join(w for w in words if w and w != "None")[:200] or _("Imported budget")
    base = ("pb-" + slugify(title))[:70].strip("-") or "pb"
    slug, number = base, 1
    while Process.objects.filter(organisation=organisation, slug=slug).exists():
        number += 1
        slug = f"{base}-{number}"
    return Process.objects.create(
        organisation=organisation,
        slug=slug,
        title=title,
        summary=meta.get("description", "")[:400],
        blueprint=Blueprint.BUDGET,
        status=Process.Status.ARCHIVED,
    )


def _pabulib_refused(error: pabulib.PabulibError) -> ImportRefused:
    report = ImportReport()
    for problem in error.problems:
        if problem.line is None:
            report.problems.append(problem.message)
        else:
            report.refuse(problem.line, problem.message)
    return ImportRefused(report)


def pb_import(
    *,
    data: bytes,
    organisation: Organisation,
    process: Process | None = None,
    progress: Progress | None = None,
) -> Budget:
    """A budget from a PaBuLib file: its projects, its ballots (voter key ``pb:<voter_id>``,
    source imported), its META kept for the export, and the file's ``selected`` column as
    the official outcome when it has one.

    Without ``process`` an archived participatory-budget process is created for it (an
    imported election is a past vote). A malformed file raises ``ImportRefused`` listing
    every problem with its line, and nothing is written."""
    if process is not None and process.organisation_id != organisation.pk:
        raise ValueError("the process belongs to another organisation")
    try:
        election = pabulib.parse(data)
    except pabulib.PabulibError as exc:
        raise _pabulib_refused(exc) from exc
    meta = election.meta
    report = ImportReport()
    report.lines = total = len(election.projects) + len(election.votes)
    if progress is not None:
        progress(total // 2, total)
    budget_holder: list[Budget] = []

    def write(step: Progress) -> None:
        now = timezone.now()
        target = process or _import_process(organisation, meta)
        currency = (meta.get("currency") or "").strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            currency = _COUNTRY_CURRENCIES.get(meta.get("country", "").strip().lower(), "EUR")
        title = (meta.get("description") or target.title)[:200]
        try:
            amount = Decimal(election.budget)
        except InvalidOperation:  # the parser checked it; kept for the type checker
            amount = Decimal(0)
        budget = Budget.objects.create(
            organisation=organisation,
            process=target,
            title=title,
            amount=amount,
            currency=currency,
            min_age=None,
            pabulib_meta=dict(meta),
            **_ballot_settings(meta),
        )
        projects = BudgetProject.objects.bulk_create(
            [
                BudgetProject(
                    budget=budget,
                    title=project.name[:300],
                    cost=Decimal(project.cost),
                    pabulib_id=project.project_id,
                    pabulib_fields=dict(project.fields),
                    position=position,
                )
                for position, project in enumerate(election.projects, start=1)
            ],
            batch_size=_BATCH,
        )
        project_pks = [p.pk for p in projects]
        votes = election.votes
        offsets = votes.offsets.tolist()
        flat = votes.projects.tolist()
        points = votes.points.tolist() if votes.points is not None else None
        columns = list(votes.fields)
        values = [votes.fields[c] for c in columns]
        ordinal = meta["vote_type"] == "ordinal"
        done = len(projects)
        for start in range(0, len(votes), _BATCH):
            end = min(start + _BATCH, len(votes))
            ballots = Ballot.objects.bulk_create(
                [
                    Ballot(
                        budget=budget,
                        voter_key=f"pb:{votes.voter_ids[i]}",
                        source=Ballot.Source.IMPORTED,
                        pabulib_fields={c: values[k][i] for k, c in enumerate(columns)},
                        cast_at=now,
                        updated_at=now,
                    )
                    for i in range(start, end)
                ]
            )
            choices = []
            for i, ballot in zip(range(start, end), ballots, strict=True):
                for position, entry in enumerate(range(offsets[i], offsets[i + 1])):
                    choices.append(
                        BallotChoice(
                            ballot_id=ballot.pk,
                            project_id=project_pks[flat[entry]],
                            position=position,
                            points=points[entry] if points is not None else None,
                            rank=position + 1 if ordinal else None,
                        )
                    )
            BallotChoice.objects.bulk_create(choices, batch_size=5_000)
            done += end - start
            step(done, total)
        official = [p.project_id for p in election.projects if p.selected is not None]
        if official:
            BudgetOutcome.objects.create(
                budget=budget,
                source=BudgetOutcome.Source.IMPORTED,
                selected=[p.project_id for p in election.projects if p.selected],
                note=_("The official outcome recorded in the imported file."),
                published_at=now,
            )
        report.created = 1
        audit_record(
            action="participation.budget_import",
            organisation=organisation,
            target=budget,
            data={"projects": len(projects), "ballots": len(votes)},
        )
        budget_holder.append(budget)

    import_write(report, write, progress=progress)
    return budget_holder[0]


def pb_export(*, budget: Budget) -> str:
    """The budget as a PaBuLib file (UTF-8 text, no byte-order mark). An imported budget
    gives back its file's META and columns; results recomputed from the export are the
    same as from the budget."""
    return pabulib.write(budget_election(budget, for_export=True).election)


__all__ = [
    "BallotRecorded",
    "BudgetInput",
    "CleanChoice",
    "Receipt",
    "ballot_cast",
    "ballot_choices_clean",
    "ballot_receipt",
    "ballot_record",
    "budget_create",
    "budget_project_create",
    "budget_project_from_proposal",
    "census_entry_claim",
    "census_import",
    "outcome_publish",
    "paper_ballot_enter",
    "pb_export",
    "pb_import",
    "results_compute",
    "results_compute_task",
]
