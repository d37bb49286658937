"""Participation, meetings: public pages (``public``, under /participer/rencontres/) and back
office (``backoffice``, under /backoffice/participation/rencontres/)."""

from django.urls import URLPattern, path

from beffroi.participation.meetings import views

public: tuple[list[URLPattern], str] = (
    [
        path("", views.meetings_index, name="index"),
        path("<slug:slug>/", views.process_meetings, name="process"),
        path("<slug:slug>/<int:meeting_id>/", views.meeting_detail, name="detail"),
        path("<slug:slug>/<int:meeting_id>/inscription/", views.meeting_register, name="register"),
        path(
            "<slug:slug>/<int:meeting_id>/desinscription/",
            views.meeting_unregister,
            name="unregister",
        ),
        path("<slug:slug>/<int:meeting_id>/agenda.ics", views.meeting_calendar, name="ical"),
    ],
    "participation_meetings",
)
backoffice: tuple[list[URLPattern], str] = (
    [
        path("", views.backoffice_list, name="list"),
        path("nouvelle/", views.backoffice_create, name="create"),
        path("adresses/suggestions/", views.address_suggest, name="address_suggest"),
        path("<int:meeting_id>/", views.backoffice_detail, name="detail"),
        path("<int:meeting_id>/modifier/", views.backoffice_update, name="update"),
        path("<int:meeting_id>/annuler/", views.backoffice_cancel, name="cancel"),
        path("<int:meeting_id>/compte-rendu/", views.backoffice_minutes, name="minutes"),
        path("<int:meeting_id>/presences/", views.backoffice_attendance, name="attendance"),
        path("<int:meeting_id>/inscrire/", views.backoffice_register, name="register"),
        path(
            "<int:meeting_id>/inscriptions/<int:registration_id>/annuler/",
            views.backoffice_unregister,
            name="unregister",
        ),
        path("<int:meeting_id>/propositions/", views.backoffice_attach, name="attach"),
        path(
            "<int:meeting_id>/propositions/<int:proposal_id>/detacher/",
            views.backoffice_detach,
            name="detach",
        ),
        path("<int:meeting_id>/feuille-emargement/", views.sign_in_sheet, name="sign_in_sheet"),
        path("<int:meeting_id>/formulaire-proposition/", views.proposal_form, name="proposal_form"),
    ],
    "participation_meetings_backoffice",
)
