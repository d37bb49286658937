"""Matching: public pages under /benevolat/pour-vous/ (a volunteer's ranked missions; the
ranked volunteers of a mission for its organisers and the agents, with the invitation)."""

from django.urls import URLPattern, path

from beffroi.volunteering.matching import views

public: tuple[list[URLPattern], str] = (
    [
        path("", views.for_me, name="for_me"),
        path(
            "missions/<int:mission_id>/benevoles/",
            views.volunteers_for_mission,
            name="volunteers_for_mission",
        ),
        path(
            "missions/<int:mission_id>/benevoles/<int:profile_id>/inviter/",
            views.invite,
            name="invite",
        ),
    ],
    "volunteering_matching",
)
backoffice: tuple[list[URLPattern], str] = ([], "volunteering_matching_backoffice")
