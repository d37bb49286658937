"""Matching pages (under /benevolat/pour-vous/):

- ``for_me``: the missions suited to the signed-in volunteer, ranked, each with its reasons;
- ``volunteers_for_mission``: for a mission's organisers (its association's managers) and the
  community-life agents, the volunteers to propose for a slot, with an "invite" action that
  sends the volunteer a proposal (once per mission, a few dozen a day per organiser).
"""

from __future__ import annotations

from dataclasses import replace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from beffroi.accounts.access import has_role, request_organisation
from beffroi.accounts.models import User
from beffroi.volunteering.access import CRISIS_ROLES
from beffroi.volunteering.matching import selectors, services
from beffroi.volunteering.matching.access import access_mission_for_organiser, slot_of
from beffroi.volunteering.matching.services import InvitationRefused
from beffroi.volunteering.models import Mission, Slot
from beffroi.volunteering.volunteers.access import own_profile


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


@login_required
@require_GET
def for_me(request: HttpRequest) -> HttpResponse:
    profile = own_profile(request)
    matches = selectors.missions_for_volunteer(profile=profile) if profile is not None else []
    return render(
        request,
        "volunteering/matching/for_me.html",
        {"profile": profile, "matches": matches},
    )


def _future_slots(mission: Mission) -> list[Slot]:
    return list(
        Slot.objects.filter(
            mission=mission, cancelled=False, starts_at__gte=timezone.now()
        ).order_by("starts_at", "pk")[:60]
    )


@login_required
@require_GET
def volunteers_for_mission(request: HttpRequest, mission_id: int) -> HttpResponse:
    mission = access_mission_for_organiser(request, mission_id)
    slots = _future_slots(mission)
    slot = slot_of(mission, _int(request.GET.get("slot")))
    if slot is None and slots:
        with_room = [s for s in slots if s.places_left > 0]
        slot = with_room[0] if with_room else slots[0]
    matches = selectors.volunteers_for_mission(mission=mission, slot=slot) if slot else []
    if not has_role(request.user, request_organisation(request), *CRISIS_ROLES):
        # Membership of the civil-protection reserve is the crisis cell's to know, not the
        # associations' nor community life's.
        matches = [replace(m, reservist=False) for m in matches]
    invited = selectors.invited_profile_ids(mission)
    return render(
        request,
        "volunteering/matching/volunteers_for_mission.html",
        {
            "mission": mission,
            "slots": slots,
            "slot": slot,
            "matches": matches,
            "invited": invited,
            "may_invite": mission.is_open,
        },
    )


@login_required
@require_POST
def invite(request: HttpRequest, mission_id: int, profile_id: int) -> HttpResponse:
    mission = access_mission_for_organiser(request, mission_id)
    slot = slot_of(mission, _int(request.POST.get("slot")))
    assert isinstance(request.user, User)
    try:
        invitation = services.invitation_send(
            mission=mission,
            profile_id=profile_id,
            organiser=request.user,
            slot=slot,
            request=request,
        )
    except InvitationRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("The mission is proposed to %(name)s.") % {"name": invitation.profile.full_name},
        )
    target = reverse("volunteering_matching:volunteers_for_mission", args=[mission.pk])
    return redirect(f"{target}?slot={slot.pk}" if slot is not None else target)
