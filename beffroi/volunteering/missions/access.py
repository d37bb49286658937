"""Who may see and change missions, in one place.

- Anyone reads the published, full and closed missions of the organisation (a closed one
  says it takes no more volunteers).
- A draft is seen only by its organisers.
- A cancelled mission is seen by its organisers and by the volunteers who had applied to one
  of its slots (whatever became of the application): its page tells them it is cancelled
  and why, so that a link from an old e-mail does not end on an error. Anyone else gets 404.
- An association's active managers (``can_manage``: validated profile) create and edit their
  association's missions, on the public site.
- The community-life agents (``AGENT_ROLES``) and the crisis cell (``CRISIS_ROLES``, which
  prepares the urgent missions it calls volunteers out for) create the commune's own missions
  and edit any mission of the organisation, in the back office (``MISSION_ROLES``).

Every ``access_*`` loader answers 404 for another organisation's mission as for a missing one.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest

from beffroi.accounts.access import found, has_role, request_organisation
from beffroi.accounts.models import User
from beffroi.territory.models import Organisation
from beffroi.volunteering.access import MISSION_ROLES as MISSION_ROLES  # the pages' guard
from beffroi.volunteering.access import can_manage
from beffroi.volunteering.models import Application, Association, Membership, Mission, Slot

PUBLIC_STATUSES = (Mission.Status.PUBLISHED, Mission.Status.FULL, Mission.Status.CLOSED)


def missions_public(organisation: Organisation) -> QuerySet[Mission]:
    return Mission.objects.filter(organisation=organisation, status__in=PUBLIC_STATUSES)


def is_mission_agent(user: object, organisation: Organisation) -> bool:
    return isinstance(user, User) and has_role(user, organisation, *MISSION_ROLES)


def can_edit(user: object, mission: Mission) -> bool:
    """An agent of the mission's organisation, or an active manager of its association."""
    if is_mission_agent(user, mission.organisation):
        return True
    return mission.association is not None and can_manage(user, mission.association)


def can_manage_here(user: object, mission: Mission) -> bool:
    """The association's managers organise on the public site; agents in the back office."""
    return mission.association is not None and can_manage(user, mission.association)


def had_applied(user: object, mission: Mission) -> bool:
    return (
        isinstance(user, User)
        and user.is_authenticated
        and Application.objects.filter(slot__mission=mission, profile__user=user).exists()
    )


def _of(request: HttpRequest, mission_id: int) -> Mission | None:
    return (
        Mission.objects.filter(organisation=request_organisation(request), pk=mission_id)
        .select_related("association", "organisation")
        .first()
    )


def access_mission(request: HttpRequest, mission_id: int) -> Mission:
    """A mission of the request's organisation the requester may read."""
    mission = _of(request, mission_id)
    if mission is not None and mission.status not in PUBLIC_STATUSES:
        visible = can_edit(request.user, mission) or (
            mission.status == Mission.Status.CANCELLED and had_applied(request.user, mission)
        )
        if not visible:
            mission = None
    return found(mission, "mission")


def access_mission_for_manager(request: HttpRequest, mission_id: int) -> Mission:
    """A mission of an association the requester manages (public organiser pages)."""
    mission = _of(request, mission_id)
    if mission is not None and not can_manage_here(request.user, mission):
        mission = None
    return found(mission, "mission")


def access_mission_for_agent(request: HttpRequest, mission_id: int) -> Mission:
    """Any mission of the request's organisation, for its agents (back office)."""
    mission = _of(request, mission_id)
    if mission is not None and not is_mission_agent(request.user, mission.organisation):
        mission = None
    return found(mission, "mission")


def access_slot(mission: Mission, slot_id: int) -> Slot:
    return found(Slot.objects.filter(mission=mission, pk=slot_id).first(), "slot")


def managed_associations(user: object, organisation: Organisation) -> list[Association]:
    """The validated associations the user actively manages: those they create missions for."""
    if not isinstance(user, User) or not user.is_authenticated:
        return []
    return list(
        Association.objects.filter(
            organisation=organisation,
            status=Association.Status.VALIDATED,
            memberships__user=user,
            memberships__state=Membership.State.ACTIVE,
        )
        .distinct()
        .order_by("name")
    )
