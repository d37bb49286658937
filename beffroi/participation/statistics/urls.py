"""Participation, statistics: agents' pages only (under /backoffice/participation/statistiques/);
no public page."""

from django.urls import URLPattern, path

from beffroi.participation.statistics import views

public: tuple[list[URLPattern], str] = ([], "participation_statistics")
backoffice: tuple[list[URLPattern], str] = (
    [
        path("", views.statistics_index, name="index"),
        path("<int:process_id>/", views.statistics_process, name="process"),
        path("<int:process_id>/<slug:dimension>.csv", views.statistics_export, name="export"),
    ],
    "participation_statistics_backoffice",
)
