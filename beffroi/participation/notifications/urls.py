"""Participation, notifications: public pages (``public``, under /participer/notifications/)
and back office (``backoffice``, under /backoffice/participation/notifications/)."""

from django.urls import URLPattern, path

from beffroi.participation.notifications import views

public: tuple[list[URLPattern], str] = (
    [
        path("", views.notification_list, name="list"),
        path("<int:notification_id>/lue/", views.mark_read, name="mark_read"),
        path("tout-lu/", views.mark_all_read, name="mark_all_read"),
        path("reglages/", views.notification_settings, name="settings"),
        path("desinscription/<str:token>/", views.unsubscribe, name="unsubscribe"),
    ],
    "participation_notifications",
)
backoffice: tuple[list[URLPattern], str] = ([], "participation_notifications_backoffice")
