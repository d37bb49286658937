"""Participation, participants: public pages (``public``, under /participer/participant/) and
back office (``backoffice``, under /backoffice/participation/participant/)."""

from django.urls import URLPattern, path

from beffroi.participation.participants import views

public: tuple[list[URLPattern], str] = (
    [
        path("", views.take_part, name="take_part"),
        path("sms/", views.sms_request, name="sms"),
        path("sms/code/", views.sms_code, name="sms_code"),
        path("sms/deconnexion/", views.sms_signout, name="sms_signout"),
        path("profil/", views.profile, name="profile"),
    ],
    "participation_participants",
)
backoffice: tuple[list[URLPattern], str] = ([], "participation_participants_backoffice")
