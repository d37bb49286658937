"""Call-outs: the organiser side and the volunteers' answer links under /benevolat/appels/,
the crisis cell's pages under /backoffice/benevolat/appels/."""

from django.urls import URLPattern, path

from beffroi.volunteering.callouts import backoffice as crisis
from beffroi.volunteering.callouts import views

public: tuple[list[URLPattern], str] = (
    [
        path("", views.organiser_list, name="list"),
        path("nouvel-appel/", views.organiser_start, name="start"),
        path("<int:callout_id>/", views.organiser_detail, name="detail"),
        path("<int:callout_id>/arreter/", views.organiser_stop, name="stop"),
        path("r/<str:token>/", views.answer, name="answer"),
    ],
    "volunteering_callouts",
)
backoffice: tuple[list[URLPattern], str] = (
    [
        path("", crisis.callout_list, name="list"),
        path("nouvel-appel/", crisis.callout_start, name="start"),
        path("<int:callout_id>/", crisis.callout_detail, name="detail"),
        path("<int:callout_id>/arreter/", crisis.callout_stop, name="stop"),
        path("<int:callout_id>/vague-suivante/", crisis.callout_wave, name="wave"),
    ],
    "volunteering_callouts_backoffice",
)
