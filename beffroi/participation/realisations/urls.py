"""Participation, realisations: public pages (``public``, under /participer/realisations/)
and back office (``backoffice``, under /backoffice/participation/realisations/)."""

from django.urls import URLPattern, path

from beffroi.participation.realisations import backoffice as agents
from beffroi.participation.realisations import views

public: tuple[list[URLPattern], str] = (
    [
        path("", views.realisation_list, name="list"),
        path("carte.geojson", views.realisation_geojson, name="geojson"),
        path("export.csv", views.export_csv, name="export_csv"),
        path("export.geojson", views.export_geojson, name="export_geojson"),
        path("<int:realisation_id>/", views.realisation_detail, name="detail"),
        path("<int:realisation_id>/suivre/", views.follow, name="follow"),
        path("<int:realisation_id>/ne-plus-suivre/", views.unfollow, name="unfollow"),
        path("photos/<int:photo_id>/", views.photo, name="photo"),
        path("<int:realisation_id>/evaluer/", views.evaluate, name="evaluate"),
        path(
            "<int:realisation_id>/evaluation/",
            views.evaluation_results,
            name="evaluation_results",
        ),
    ],
    "participation_realisations",
)
backoffice: tuple[list[URLPattern], str] = (
    [
        path("", agents.realisation_list, name="list"),
        path("nouvelle/", agents.realisation_create, name="create"),
        path(
            "budget/<int:budget_id>/depuis-le-resultat/",
            agents.from_outcome,
            name="from_outcome",
        ),
        path("<int:realisation_id>/", agents.realisation_detail, name="detail"),
        path("<int:realisation_id>/modifier/", agents.realisation_update, name="update"),
        path("<int:realisation_id>/etat/", agents.realisation_status, name="status"),
        path("<int:realisation_id>/etapes/nouvelle/", agents.milestone_add, name="milestone"),
        path("<int:realisation_id>/evaluation/", agents.evaluation, name="evaluation"),
    ],
    "participation_realisations_backoffice",
)
