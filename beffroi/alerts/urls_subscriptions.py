"""Residents' registration to alerts, mounted at /alertes/inscription/."""

from django.urls import path

from beffroi.alerts import views_subscriptions as views

app_name = "subscriptions"
urlpatterns: list[object] = [
    path("", views.register, name="register"),
    path("mon-inscription/", views.mine, name="mine"),
    path("gerer/<str:token>/", views.manage, name="manage"),
    path("confirmer-email/<str:token>/", views.verify_email, name="verify_email"),
    path("desinscription/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
