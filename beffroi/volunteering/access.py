"""Who may see and change associations, in one place.

- Anyone reads the public directory: profiles imported from the RNA (public registry data)
  and validated ones; a profile a resident created is hidden until an agent validates it.
- The agents who run community life (participation managers, administrators) validate or
  refuse creations and claims, and edit any profile of their organisation.
- An association's active managers (owner or editor) edit its profile; its pending or
  refused claimants read their own request and nothing more.

Every ``access_*`` loader answers 404 for another organisation's association as for a
missing one, and for a hidden profile to anyone who may not see it.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from beffroi.accounts.access import (
    found,
    has_role,
    is_verified,
    request_organisation,
    requires_two_factor,
)
from beffroi.accounts.models import Role, User
from beffroi.territory.models import Organisation
from beffroi.volunteering.models import Association, Membership

# Community life: validate associations, run the commune's missions and needs, see every
# mission, application and the statistics.
AGENT_ROLES: frozenset[str] = frozenset({Role.PARTICIPATION_MANAGER, Role.ADMINISTRATOR})
# The crisis cell of the PCS: launch call-outs (they reach people and cost SMS) and keep the
# civil-protection reserve (its reservists' phones). Only roles that prove a second factor
# (TWO_FACTOR_ROLES): an alert's author alone cannot reach the population either.
CRISIS_ROLES: frozenset[str] = frozenset({Role.ALERT_APPROVER, Role.ADMINISTRATOR})
# Who registers a volunteer without a smartphone on the phone and reads volunteer profiles.
DESK_ROLES: frozenset[str] = frozenset({Role.FRONT_DESK, *AGENT_ROLES, *CRISIS_ROLES})
# Who run the commune's own missions and may correct any mission of the organisation:
# community life, and the crisis cell, which prepares the urgent missions it calls volunteers
# out for. Whoever may edit a mission also answers its applications and sees the volunteers
# recommended for it: a link of the back office's mission page must never end on a 404.
MISSION_ROLES: frozenset[str] = AGENT_ROLES | CRISIS_ROLES


def is_agent(request: HttpRequest) -> bool:
    return has_role(request.user, request_organisation(request), *AGENT_ROLES)


def is_mission_agent_verified(request: HttpRequest) -> bool:
    """The requester holds a ``MISSION_ROLES`` role here, with their second factor proven
    when a role of theirs asks for one (as the back office does): an administrator's or the
    crisis cell's stolen password alone does not decide on volunteers from the public
    pages."""
    organisation = request_organisation(request)
    return has_role(request.user, organisation, *MISSION_ROLES) and (
        not requires_two_factor(request.user, organisation) or is_verified(request.user)
    )


def associations_public(organisation: Organisation) -> QuerySet[Association]:
    """Every profile the directory shows: imported or validated, and imported profiles whose
    claim is being examined (their registry data stays public meanwhile); never dissolved."""
    return Association.objects.filter(organisation=organisation, dissolved_on__isnull=True).filter(
        Q(status__in=[Association.Status.IMPORTED, Association.Status.VALIDATED])
        | Q(status=Association.Status.PENDING, source=Association.Source.RNA)
    )


def membership_of(user: object, association: Association) -> Membership | None:
    if not isinstance(user, User) or not user.is_authenticated:
        return None
    return Membership.objects.filter(association=association, user=user).first()


def can_manage(user: object, association: Association) -> bool:
    """An active manager (owner or editor) of a validated profile."""
    if association.status != Association.Status.VALIDATED:
        return False
    membership = membership_of(user, association)
    return membership is not None and membership.state == Membership.State.ACTIVE


def access_association(request: HttpRequest, association_id: int) -> Association:
    """A profile of the request's organisation the requester may read: public, or their own
    request (pending or refused), or any for the agents."""
    organisation = request_organisation(request)
    association = Association.objects.filter(organisation=organisation, pk=association_id).first()
    if (
        association is not None
        and not association.is_public
        and not is_agent(request)
        and membership_of(request.user, association) is None
    ):
        association = None
    return found(association, "association")


def access_association_for_manager(request: HttpRequest, association_id: int) -> Association:
    """A validated profile the requester manages (owner or editor)."""
    organisation = request_organisation(request)
    association = Association.objects.filter(organisation=organisation, pk=association_id).first()
    if association is not None and not can_manage(request.user, association):
        association = None
    return found(association, "association")


def access_association_for_agent(request: HttpRequest, association_id: int) -> Association:
    """Any profile of the request's organisation, for its agents (back office)."""
    organisation = request_organisation(request)
    association = Association.objects.filter(organisation=organisation, pk=association_id).first()
    if association is not None and not is_agent(request):
        association = None
    return found(association, "association")


def is_owner(user: object, association: Association) -> bool:
    if association.status != Association.Status.VALIDATED:
        return False
    membership = membership_of(user, association)
    return (
        membership is not None
        and membership.state == Membership.State.ACTIVE
        and membership.role == Membership.Role.OWNER
    )


def access_association_for_owner(request: HttpRequest, association_id: int) -> Association:
    """A validated profile the requester owns: owners choose who else manages it."""
    organisation = request_organisation(request)
    association = Association.objects.filter(organisation=organisation, pk=association_id).first()
    if association is not None and not is_owner(request.user, association):
        association = None
    return found(association, "association")
