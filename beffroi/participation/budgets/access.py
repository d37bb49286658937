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

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from beffroi.accounts.access import found, has_role, request_organisation
from beffroi.participation import access
from beffroi.participation.access import ALLOWED, ActionRefused, Decision
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


def access_budget(request: HttpRequest, budget_id: int) -> Budget:
    """A budget of a visible process of the request's organisation (drafts for managers)."""
    organisation = request_organisation(request)
    # Two queries and no join to order by (the budget with its process, then the phases of
    # that one process); the organisation is the request's, read from the shared cache: a
    # ballot cast loads this at every request.
    phases = Prefetch("process__phases", queryset=Phase.objects.order_by("position", "starts_at"))
    budget = next(
        iter(
            Budget.objects.select_related("process")
            .prefetch_related(phases)
            .filter(organisation=organisation, pk=budget_id)
            .order_by()[:1]
        ),
        None,
    )
    if budget is not None:
        budget.organisation = organisation
    if (
        budget is not None
        and budget.process.status == Process.Status.DRAFT
        and not access.is_manager(request)
    ):
        budget = None
    return found(budget, "budget")


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
