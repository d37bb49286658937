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

from datetime import datetime

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


def _addresses(participant: Participant) -> set[int]:
    addresses: set[int] = set()
    if participant.address_id:
        addresses.add(participant.address_id)
    if participant.subscriber_id:
        addresses.update(
            participant.subscriber.places.values_list("address_id", flat=True)  # type: ignore[union-attr]
        )
    return addresses


def lives_in_budget_zones(participant: Participant, budget: Budget) -> bool:
    """An address of the person (their own, or a place registered for alerts) in the budget's
    zones, or in its organisation when the budget has none."""
    addresses = _addresses(participant)
    if not addresses:
        return False
    zone_ids = list(budget.zones.values_list("pk", flat=True))
    if not zone_ids:
        return Address.objects.filter(
            pk__in=addresses, organisation_id=budget.organisation_id
        ).exists()
    return ZoneMembership.objects.filter(address_id__in=addresses, zone_id__in=zone_ids).exists()


def census_entry_of(participant: Participant, budget: Budget) -> CensusEntry | None:
    return CensusEntry.objects.filter(budget=budget, participant=participant).first()


def vote_decide(
    participant: Participant | None, budget: Budget, *, now: datetime | None = None
) -> Decision:
    """May ``participant`` vote in ``budget`` now? The phase and the person (the core's
    rules), then the budget's (age, zones or census)."""
    process = budget.process
    # A resident without an account votes after an SMS code (Action.VOTE is one of the
    # core's SMS_CODE_ACTIONS).
    decision = access.decide(participant, process, Action.VOTE, now=now)
    if not decision.allowed:
        return decision
    assert participant is not None
    entry = None
    if budget.eligibility == Eligibility.CENSUS:
        entry = census_entry_of(participant, budget)
        if entry is None:
            return _refused("not_on_census")
    if budget.min_age:
        birth_year = participant.birth_year
        if birth_year is None and entry is not None:
            birth_year = entry.birth_year
        if birth_year is None:
            return access.refused("birth_year")
        if timezone.localdate().year - birth_year < budget.min_age:
            return access.refused("too_young", age=budget.min_age)
    if budget.eligibility == Eligibility.ZONES and not lives_in_budget_zones(participant, budget):
        return _refused("not_in_zones")
    return ALLOWED


def vote_check(
    participant: Participant | None, budget: Budget, *, now: datetime | None = None
) -> Participant:
    """``vote_decide``, for services: the participant, or ``ActionRefused``."""
    decision = vote_decide(participant, budget, now=now)
    if not decision.allowed:
        raise ActionRefused(decision)
    assert participant is not None
    return participant


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
    budget = (
        Budget.objects.select_related("process", "organisation")
        .prefetch_related("process__phases")
        .filter(organisation=organisation, pk=budget_id)
        .first()
    )
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
