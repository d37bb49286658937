"""Volunteers: a resident's own profile under /benevolat/profil/ and the front desk under
/backoffice/benevolat/benevoles/."""

from django.urls import URLPattern, path

from beffroi.volunteering.volunteers import backoffice as desk
from beffroi.volunteering.volunteers import views

public: tuple[list[URLPattern], str] = (
    [
        path("", views.profile, name="profile"),
        path("absences/", views.absence_add, name="absence_add"),
        path("absences/<int:absence_id>/supprimer/", views.absence_remove, name="absence_remove"),
        path("pause/", views.pause, name="pause"),
        path("supprimer/", views.delete, name="delete"),
    ],
    "volunteering_volunteers",
)
backoffice: tuple[list[URLPattern], str] = (
    [
        path("", desk.profile_list, name="list"),
        path("nouveau/", desk.profile_create, name="create"),
        path("<int:profile_id>/", desk.profile_detail, name="detail"),
        path("<int:profile_id>/modifier/", desk.profile_edit, name="edit"),
        path("<int:profile_id>/activation/", desk.profile_active, name="active"),
    ],
    "volunteering_volunteers_backoffice",
)
