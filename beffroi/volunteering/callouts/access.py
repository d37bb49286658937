"""Who may see a call-out: the crisis cell any of its organisation's, an association's
active managers those of their association's missions. Anyone else, and another
organisation's call-out, is a 404 like a missing one. The answer page is reached by its
unguessable token only."""

from __future__ import annotations

from django.http import HttpRequest

from beffroi.accounts.access import found, has_role, request_organisation
from beffroi.volunteering.access import CRISIS_ROLES, can_manage
from beffroi.volunteering.models import CallOut, CallOutContact, Mission


def is_crisis_cell(request: HttpRequest) -> bool:
    return has_role(request.user, request_organisation(request), *CRISIS_ROLES)


def access_callout(request: HttpRequest, callout_id: int, *, backoffice: bool) -> CallOut:
    organisation = request_organisation(request)
    callout = (
        CallOut.objects.select_related("mission", "mission__association", "organisation")
        .filter(organisation=organisation, pk=callout_id)
        .first()
    )
    if callout is not None and not (backoffice and is_crisis_cell(request)):
        association = callout.mission.association
        if backoffice or association is None or not can_manage(request.user, association):
            callout = None
    return found(callout, "call-out")


def access_mission_to_call_out(request: HttpRequest, mission_id: int) -> Mission:
    """A mission of the organisation the requester may call volunteers out for."""
    organisation = request_organisation(request)
    mission = (
        Mission.objects.select_related("association", "organisation")
        .filter(organisation=organisation, pk=mission_id)
        .first()
    )
    if (
        mission is not None
        and not is_crisis_cell(request)
        and (mission.association is None or not can_manage(request.user, mission.association))
    ):
        mission = None
    return found(mission, "mission")


def access_contact_by_token(request: HttpRequest, token: str) -> CallOutContact:
    """The contact of an answer link, on its own organisation's site only."""
    organisation = request_organisation(request)
    contact = (
        CallOutContact.objects.select_related(
            "callout", "callout__mission", "callout__organisation", "profile"
        )
        .filter(token=token, callout__organisation=organisation)
        .first()
        if 10 <= len(token) <= 64
        else None
    )
    return found(contact, "call-out answer")
