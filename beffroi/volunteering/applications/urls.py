"""Applications: public pages under /benevolat/candidatures/ (volunteers and organisers:
association managers are not agents, so their page is public and guarded by access.py)."""

from django.urls import URLPattern, path

from beffroi.volunteering.applications import backoffice as agents
from beffroi.volunteering.applications import views

public: tuple[list[URLPattern], str] = (
    [
        path("", views.mine, name="mine"),
        path("missions/<int:mission_id>/postuler/", views.apply, name="apply"),
        path("missions/<int:mission_id>/", views.organiser_mission, name="organiser_mission"),
        path("<int:application_id>/annuler/", views.cancel, name="cancel"),
        path("<int:application_id>/calendrier.ics", views.calendar, name="calendar"),
        path("<int:application_id>/messages/", views.thread, name="thread"),
        path("<int:application_id>/temoignage/", views.testimonial, name="testimonial"),
        path("attestation/<int:year>/", views.certificate, name="certificate"),
        path("gestion/<int:application_id>/accepter/", views.accept, name="accept"),
        path("gestion/<int:application_id>/refuser/", views.decline, name="decline"),
        path(
            "gestion/<int:application_id>/annuler/",
            views.organiser_cancel,
            name="organiser_cancel",
        ),
        path("gestion/<int:application_id>/presence/", views.attendance, name="attendance"),
        path(
            "gestion/<int:application_id>/messages/",
            views.organiser_thread,
            name="organiser_thread",
        ),
        path(
            "temoignages/<int:testimonial_id>/publier/",
            views.testimonial_publish,
            name="testimonial_publish",
        ),
    ],
    "volunteering_applications",
)
backoffice: tuple[list[URLPattern], str] = (
    [path("", agents.mission_list, name="list")],
    "volunteering_applications_backoffice",
)
