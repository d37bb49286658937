"""Who may vote in a budget, and the only way views, the API and commands load a budget.

Voting follows from the process's open phases like every other action (``access.decide``
with ``Action.VOTE``), then from the budget's own rules: its minimum age, and a verified
address in its zones or a name on its census list. A person without an account, proven by an
SMS code, votes too (the issue asks it); the participation core keeps ``Action.VOTE`` out of
``SMS_CODE_ACTIONS``, so ``vote_decide`` accepts that one refusal for a participant whose
identity the core's ``participant_eligible`` accepts.

Every loader answers 404 for another organisation's budget as for a missing one.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from beffroi.accounts.access import found, has_role, request_organisation
from beffroi.participation import access
from beffroi.participation.access import ALLOWED, ActionRefused, Decision
from beffroi.participation.budgets.selectors import BallotProject, ballot_projects
from beffroi.participation.models import (
    Action,
    Budget,
    CensusEntry,
    Eligibility,
    Participant,
    Phase,
    Process,
)
from beffroi.territory.models import Address, Organisation, ZoneMembership

_REASONS: dict[str, Promise] = {
    "not_in_zones": _("This budget is reserved to the residents of its districts."),
    "not_on_census": _(
        "This budget is reserved to the people on its list of voters: "
        "confirm your identifier on that list first."
    ),
}


def _refused(code: str) -> Decision:
    return Decision(False, code, _REASONS[code])


def lives_in_budget_zones(participant: Participant, budget: Budget) -> bool:
    """An address of the person (their own, or a place registered for alerts) in the budget's
    zones, or in its organisation when the budget has none.

    Every ballot cast asks it, by hundreds a second when a vote is announced: one statement
    whatever the case, written out (the ORM took ten times longer to build it than the
    database to answer it). Table names come from the models; values are parameters."""
    quote = connection.ops.quote_name
    sources: list[str] = []
    addresses: list[int] = []
    if participant.address_id:
        sources.append("SELECT %s")
        addresses.append(participant.address_id)
    if participant.subscriber_id:
        places = Address._meta.get_field("subscriber_places").related_model._meta.db_table
        sources.append(f"SELECT address_id FROM {quote(places)} WHERE subscriber_id = %s")  # noqa: S608
        addresses.append(participant.subscriber_id)
    if not sources:
        return False
    mine = " UNION ALL ".join(sources)
    budget_zones = quote(Budget.zones.through._meta.db_table)
    memberships = quote(ZoneMembership._meta.db_table)
    sql = (
        f"SELECT CASE WHEN EXISTS (SELECT 1 FROM {budget_zones} WHERE budget_id = %s) "  # noqa: S608
        f"THEN EXISTS (SELECT 1 FROM {memberships} m JOIN {budget_zones} z "
        f"ON z.zone_id = m.zone_id WHERE z.budget_id = %s AND m.address_id IN ({mine})) "
        f"ELSE EXISTS (SELECT 1 FROM {quote(Address._meta.db_table)} "
        f"WHERE organisation_id = %s AND id IN ({mine})) END"
    )
    params = [budget.pk, budget.pk, *addresses, budget.organisation_id, *addresses]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return bool(row and row[0])


def census_entry_of(participant: Participant, budget: Budget) -> CensusEntry | None:
    # One entry at most (unique per budget and participant): no ordering to compute.
    return CensusEntry.objects.filter(budget=budget, participant=participant).order_by().first()


def _decide(
    participant: Participant | None, budget: Budget, now: datetime | None
) -> tuple[Decision, CensusEntry | None]:
    """``vote_decide``, with the census entry the person votes as (census budgets)."""
    process = budget.process
    # A resident without an account votes after an SMS code (Action.VOTE is one of the
    # core's SMS_CODE_ACTIONS).
    decision = access.decide(participant, process, Action.VOTE, now=now)
    if not decision.allowed:
        return decision, None
    assert participant is not None
    entry = None
    if budget.eligibility == Eligibility.CENSUS:
        entry = census_entry_of(participant, budget)
        if entry is None:
            return _refused("not_on_census"), None
    if budget.min_age:
        birth_year = participant.birth_year
        if birth_year is None and entry is not None:
            birth_year = entry.birth_year
        if birth_year is None:
            return access.refused("birth_year"), entry
        if timezone.localdate().year - birth_year < budget.min_age:
            return access.refused("too_young", age=budget.min_age), entry
    if budget.eligibility == Eligibility.ZONES and not lives_in_budget_zones(participant, budget):
        return _refused("not_in_zones"), entry
    return ALLOWED, entry


def vote_decide(
    participant: Participant | None, budget: Budget, *, now: datetime | None = None
) -> Decision:
    """May ``participant`` vote in ``budget`` now? The phase and the person (the core's
    rules), then the budget's (age, zones or census)."""
    return _decide(participant, budget, now)[0]


@dataclass(frozen=True)
class Voter:
    """A person ``vote_check`` let vote, and the key of their one ballot in the budget:
    ``c:<census entry id>`` in a census budget (the person of the list, whichever account
    proved it), else ``p:<participant id>``."""

    participant: Participant
    key: str


def vote_check(
    participant: Participant | None, budget: Budget, *, now: datetime | None = None
) -> Voter:
    """``vote_decide``, for services: the voter, or ``ActionRefused``."""
    decision, entry = _decide(participant, budget, now)
    if not decision.allowed:
        raise ActionRefused(decision)
    assert participant is not None
    key = f"c:{entry.pk}" if entry is not None else f"p:{participant.pk}"
    return Voter(participant, key)


# --- Loaders -------------------------------------------------------------------------------


def budget_for_organisation(organisation: Organisation, budget_id: int) -> Budget | None:
    """A budget of ``organisation`` (commands and tasks, which have no request)."""
    return (
        Budget.objects.select_related("process", "organisation")
        .filter(organisation=organisation, pk=budget_id)
        .first()
    )


def _budget_with_phases(budget_id: int, organisation: Organisation | None) -> Budget | None:
    """The budget with its process and the process's phases: two queries and no join to
    order by (the budget with its process, then the phases of that one process)."""
    phases = Prefetch("process__phases", queryset=Phase.objects.order_by("position", "starts_at"))
    budgets = Budget.objects.select_related("process").prefetch_related(phases)
    if organisation is not None:
        budgets = budgets.filter(organisation=organisation)
    return next(iter(budgets.filter(pk=budget_id).order_by()[:1]), None)


def _visible(request: HttpRequest, budget: Budget | None, organisation: Organisation) -> Budget:
    """``budget`` as the request may see it: of its organisation (the organisation set on
    it, read from the shared cache), its process published unless the person manages it;
    else 404."""
    if budget is not None and budget.organisation_id != organisation.pk:
        budget = None
    if budget is not None:
        budget.organisation = organisation
    if (
        budget is not None
        and budget.process.status == Process.Status.DRAFT
        and not access.is_manager(request)
    ):
        budget = None
    return found(budget, "budget")


def access_budget(request: HttpRequest, budget_id: int) -> Budget:
    """A budget of a visible process of the request's organisation (drafts for managers)."""
    organisation = request_organisation(request)
    return _visible(request, _budget_with_phases(budget_id, organisation), organisation)


# --- The budget a ballot is cast in ----------------------------------------------------------
#
# A ballot is cast by hundreds a second when a vote is announced, and each cast needs the
# budget, its process and phases, and its projects: three queries that change only when an
# agent edits them (and, for the budget and its projects, never once voting has started).
# They are kept in the shared cache (Redis, or the file cache of one machine) as a "ballot
# box", checked against the budget's version token read in the same round trip. Saving or
# deleting the budget, one of its projects, its process or a phase of it draws a new token
# once the transaction commits (``budget_forget``, connected in ``setup.register``), for
# every process at once. The token is read *before* the database, so that a box read from
# the database before a change can only be stored under the token the change replaced: it
# is never served. A change that bypasses ``save()`` (a queryset ``update()``) is seen once
# the box expires.

BALLOT_BOX_SECONDS = 60


def _box_key(budget_id: int) -> str:
    return f"participation:budgets:ballot-box:{budget_id}"


def _box_version_key(budget_id: int) -> str:
    return f"participation:budgets:ballot-box-version:{budget_id}"


def budget_forget(budget_ids: Iterable[int]) -> None:
    """Once the transaction commits: the ballot boxes of these budgets are read again."""
    keys = [_box_version_key(pk) for pk in budget_ids]
    if keys:
        transaction.on_commit(
            lambda: cache.set_many({key: secrets.token_hex(8) for key in keys}, None)
        )


@dataclass(frozen=True)
class BallotBox:
    """What a ballot cast needs of its budget: the budget with its process and phases
    (``access_budget``), and its projects (``selectors.ballot_projects``)."""

    budget: Budget
    projects: dict[int, BallotProject]


def access_ballot_box(request: HttpRequest, budget_id: int) -> BallotBox:
    """``access_budget`` and the budget's projects, for a ballot cast: from the shared
    cache while the budget, its projects, its process and phases stay as they are."""
    organisation = request_organisation(request)
    key, version_key = _box_key(budget_id), _box_version_key(budget_id)
    held = cache.get_many([key, version_key])
    version: str | None = held.get(version_key)
    box = held.get(key)
    if version is not None and box is not None and box[0] == version:
        budget, projects = box[1], box[2]
    else:
        # Any organisation's budget: the box is one per budget, checked against the
        # request's organisation below.
        budget = _budget_with_phases(budget_id, None)
        projects = ballot_projects(budget) if budget is not None else {}
        if version is None:
            version = secrets.token_hex(8)
            if not cache.add(version_key, version, None):
                version = None  # drawn by another request meanwhile: the next cast stores
        if budget is not None and version is not None:
            cache.set(key, (version, budget, projects), BALLOT_BOX_SECONDS)
    return BallotBox(_visible(request, budget, organisation), projects)


def access_budget_for_manager(request: HttpRequest, budget_id: int) -> Budget:
    """Any budget of the request's organisation, for its participation managers."""
    organisation = request_organisation(request)
    budget = (
        Budget.objects.select_related("process", "organisation")
        .filter(organisation=organisation, pk=budget_id)
        .first()
    )
    if budget is not None and not access.is_manager(request):
        budget = None
    return found(budget, "budget")


def access_budget_for_paper_entry(request: HttpRequest, budget_id: int) -> Budget:
    """Any budget of the request's organisation, for the agents who type in paper ballots."""
    organisation = request_organisation(request)
    budget = (
        Budget.objects.select_related("process", "organisation")
        .filter(organisation=organisation, pk=budget_id)
        .first()
    )
    if budget is not None and not has_role(request.user, organisation, *access.ON_BEHALF_ROLES):
        budget = None
    return found(budget, "budget")
