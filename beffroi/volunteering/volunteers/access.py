"""Who may see a volunteer profile: the volunteer, and the front desk of their organisation
(``DESK_ROLES``). Another organisation's profile is a 404 like a missing one."""

from __future__ import annotations

from django.http import HttpRequest

from beffroi.accounts.access import found, has_role, request_organisation
from beffroi.accounts.models import User
from beffroi.volunteering.access import DESK_ROLES
from beffroi.volunteering.models import VolunteerProfile


def own_profile(request: HttpRequest) -> VolunteerProfile | None:
    """The requester's profile in the request's organisation, if they made one."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        return None
    return VolunteerProfile.objects.filter(
        organisation=request_organisation(request), user=user
    ).first()


def is_desk(request: HttpRequest) -> bool:
    return has_role(request.user, request_organisation(request), *DESK_ROLES)


def access_profile_for_desk(request: HttpRequest, profile_id: int) -> VolunteerProfile:
    organisation = request_organisation(request)
    profile = VolunteerProfile.objects.filter(organisation=organisation, pk=profile_id).first()
    if profile is not None and not is_desk(request):
        profile = None
    return found(profile, "volunteer")
