"""Public alert pages and feeds (under /alertes/), and the agents' CAP import (under
/backoffice/alertes/import-cap/)."""

from django.urls import URLPattern, path

from beffroi.alerts.public import views

public: tuple[list[URLPattern], str] = (
    [
        path("", views.alert_list, name="list"),
        path("flux.atom", views.alert_feed, name="feed"),
        path("<int:alert_id>/", views.alert_detail, name="detail"),
        path("<int:alert_id>/cap.xml", views.alert_cap, name="cap"),
    ],
    "alerts",
)

backoffice: tuple[list[URLPattern], str] = (
    [path("", views.cap_import_page, name="cap_import")],
    "alerts_import",
)
