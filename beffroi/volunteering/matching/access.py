"""Who sees the recommended volunteers of a mission: whoever may edit any mission of the
organisation in the back office (``MISSION_ROLES``: community life and the crisis cell, their
second factor proven when their role asks), and the active managers of the association that
runs it. Anyone else, and another organisation's mission, get a 404."""

from __future__ import annotations

from django.http import HttpRequest

from beffroi.accounts.access import found, request_organisation
from beffroi.volunteering.access import can_manage, is_mission_agent_verified
from beffroi.volunteering.models import Mission, Slot


def may_recommend(request: HttpRequest, mission: Mission) -> bool:
    if is_mission_agent_verified(request):
        return True
    return mission.association is not None and can_manage(request.user, mission.association)


def access_mission_for_organiser(request: HttpRequest, mission_id: int) -> Mission:
    organisation = request_organisation(request)
    mission = (
        Mission.objects.select_related("association")
        .filter(organisation=organisation, pk=mission_id)
        .first()
    )
    if mission is not None and not may_recommend(request, mission):
        mission = None
    return found(mission, "mission")


def slot_of(mission: Mission, slot_id: int | None) -> Slot | None:
    """One of the mission's slots, or None for an unknown id (the next slot is then used)."""
    if slot_id is None:
        return None
    return Slot.objects.filter(mission=mission, pk=slot_id, cancelled=False).first()
