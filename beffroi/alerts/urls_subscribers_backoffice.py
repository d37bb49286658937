"""Agents' pages for residents' registrations, mounted at /backoffice/abonnes/."""

from django.urls import path

from beffroi.alerts import views_subscriptions as views

app_name = "subscribers_backoffice"
urlpatterns: list[object] = [
    path("", views.agent_list, name="list"),
    path("nouveau/", views.agent_register, name="register"),
    path("import/", views.agent_import, name="import"),
    path("<int:subscriber_id>/", views.agent_detail, name="detail"),
]
