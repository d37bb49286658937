"""Who may see and change applications, in one place.

- A volunteer sees and cancels their own applications (through the profile linked to their
  account), writes in their threads and their testimonials.
- A mission's organisers decide on its applications, record attendance, write to the
  volunteers and publish testimonials: the active managers of the mission's association,
  and whoever may edit every mission of the organisation in the back office
  (``MISSION_ROLES``: community life and the crisis cell, which run the commune's own
  missions; those have no association), their second factor proven when their role asks.

Every loader answers 404 for another organisation's object as for a missing one, and for an
object the requester may not see.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest

from beffroi.accounts.access import found, request_organisation
from beffroi.accounts.models import User
from beffroi.volunteering.access import can_manage, is_mission_agent_verified
from beffroi.volunteering.models import (
    Application,
    Association,
    Membership,
    Mission,
    Testimonial,
    VolunteerProfile,
)


def profile_of(request: HttpRequest) -> VolunteerProfile | None:
    """The requester's volunteer profile in the request's organisation, if any."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        return None
    return (
        VolunteerProfile.objects.select_related("organisation")
        .filter(organisation=request_organisation(request), user=user)
        .first()
    )


def is_organiser(request: HttpRequest, mission: Mission) -> bool:
    organisation = request_organisation(request)
    if mission.organisation_id != organisation.pk:
        return False
    if is_mission_agent_verified(request):
        return True
    return mission.association is not None and can_manage(request.user, mission.association)


def access_mission_to_apply(request: HttpRequest, mission_id: int) -> Mission:
    """A mission of the request's organisation open to applications (published or full)."""
    mission = (
        Mission.objects.select_related("association", "organisation")
        .filter(organisation=request_organisation(request), pk=mission_id)
        .filter(status__in=[Mission.Status.PUBLISHED, Mission.Status.FULL])
        .first()
    )
    return found(mission, "mission")


def access_mission_for_organiser(request: HttpRequest, mission_id: int) -> Mission:
    """A mission the requester organises (association manager, or agent)."""
    mission = (
        Mission.objects.select_related("association", "organisation")
        .filter(organisation=request_organisation(request), pk=mission_id)
        .first()
    )
    if mission is not None and not is_organiser(request, mission):
        mission = None
    return found(mission, "mission")


def access_application_for_volunteer(request: HttpRequest, application_id: int) -> Application:
    """One of the requester's own applications."""
    profile = profile_of(request)
    application = None
    if profile is not None:
        application = (
            Application.objects.select_related(
                "slot__mission__association",
                "slot__mission__organisation",
                "profile__organisation",
            )
            .filter(pk=application_id, profile=profile)
            .first()
        )
    return found(application, "application")


def access_application_for_organiser(request: HttpRequest, application_id: int) -> Application:
    """An application to a mission the requester organises."""
    application = (
        Application.objects.select_related(
            "slot__mission__association",
            "slot__mission__organisation",
            "profile__organisation",
        )
        .filter(slot__mission__organisation=request_organisation(request), pk=application_id)
        .first()
    )
    if application is not None and not is_organiser(request, application.slot.mission):
        application = None
    return found(application, "application")


def access_testimonial_for_organiser(request: HttpRequest, testimonial_id: int) -> Testimonial:
    testimonial = (
        Testimonial.objects.select_related(
            "application__slot__mission__association",
            "application__profile__organisation",
        )
        .filter(
            application__slot__mission__organisation=request_organisation(request),
            pk=testimonial_id,
        )
        .first()
    )
    if testimonial is not None and not is_organiser(request, testimonial.application.slot.mission):
        testimonial = None
    return found(testimonial, "testimonial")


def missions_managed(request: HttpRequest) -> QuerySet[Mission]:
    """The missions of the associations the requester actively manages (validated ones), in
    the request's organisation; none for an anonymous visitor."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        return Mission.objects.none()
    return Mission.objects.filter(
        organisation=request_organisation(request),
        association__status=Association.Status.VALIDATED,
        association__memberships__user=user,
        association__memberships__state=Membership.State.ACTIVE,
    ).distinct()


def missions_of_organisation(request: HttpRequest) -> QuerySet[Mission]:
    """Every mission of the request's organisation (the agents' list; the view is guarded by
    ``roles_required(MISSION_ROLES)``)."""
    return Mission.objects.filter(organisation=request_organisation(request))
