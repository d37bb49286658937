"""Missions: public pages (``public``, under /benevolat/missions/) and back office
(``backoffice``, under /backoffice/benevolat/missions/)."""

from django.urls import URLPattern, path

from beffroi.volunteering.missions import backoffice as agents
from beffroi.volunteering.missions import views

public: tuple[list[URLPattern], str] = (
    [
        path("", views.mission_list, name="list"),
        path("carte.geojson", views.mission_map, name="map"),
        path("organiser/", views.my_missions, name="mine"),
        path("nouvelle/<int:association_id>/", views.mission_create, name="create"),
        path("<int:mission_id>/", views.mission_detail, name="detail"),
        path("<int:mission_id>/gerer/", views.mission_manage, name="manage"),
        path("<int:mission_id>/modifier/", views.mission_edit, name="edit"),
        path("<int:mission_id>/creneaux/ajouter/", views.manager_slot_add, name="slot_add"),
        path(
            "<int:mission_id>/creneaux/<int:slot_id>/",
            views.manager_slot_edit,
            name="slot_edit",
        ),
        path(
            "<int:mission_id>/creneaux/<int:slot_id>/retirer/",
            views.manager_slot_remove,
            name="slot_remove",
        ),
        path("<int:mission_id>/planning/", views.manager_schedule, name="schedule"),
        path("<int:mission_id>/publier/", views.manager_publish, name="publish"),
        path("<int:mission_id>/cloturer/", views.manager_close, name="close"),
        path("<int:mission_id>/annuler/", views.manager_cancel, name="cancel"),
        path("<int:mission_id>/urgence/", views.manager_urgency, name="urgency"),
    ],
    "volunteering_missions",
)
backoffice: tuple[list[URLPattern], str] = (
    [
        path("", agents.mission_list, name="list"),
        path("nouvelle/", agents.mission_create, name="create"),
        path("<int:mission_id>/", agents.mission_manage, name="manage"),
        path("<int:mission_id>/modifier/", agents.mission_edit, name="edit"),
        path("<int:mission_id>/creneaux/ajouter/", agents.slot_add, name="slot_add"),
        path("<int:mission_id>/creneaux/<int:slot_id>/", agents.slot_edit, name="slot_edit"),
        path(
            "<int:mission_id>/creneaux/<int:slot_id>/retirer/",
            agents.slot_remove,
            name="slot_remove",
        ),
        path("<int:mission_id>/planning/", agents.schedule, name="schedule"),
        path("<int:mission_id>/publier/", agents.publish, name="publish"),
        path("<int:mission_id>/cloturer/", agents.close, name="close"),
        path("<int:mission_id>/annuler/", agents.cancel, name="cancel"),
        path("<int:mission_id>/urgence/", agents.urgency, name="urgency"),
    ],
    "volunteering_missions_backoffice",
)
