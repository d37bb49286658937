"""Statistics: agents' pages only, under /backoffice/benevolat/statistiques/; no public page."""

from django.urls import URLPattern, path

from beffroi.volunteering.statistics import views

public: tuple[list[URLPattern], str] = ([], "volunteering_statistics")
backoffice: tuple[list[URLPattern], str] = (
    [
        path("", views.statistics_index, name="index"),
        path("<slug:kind>.csv", views.statistics_export, name="export"),
    ],
    "volunteering_statistics_backoffice",
)
