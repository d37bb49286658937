"""Administrators' pages for agents and roles, mounted at /backoffice/comptes/."""

from django.urls import path

from beffroi.accounts import views

app_name = "accounts_backoffice"
urlpatterns: list[object] = [
    path("", views.agents, name="agents"),
    path("roles/<int:assignment_id>/retirer/", views.role_revoke, name="role_revoke"),
    path(
        "agents/<int:user_id>/double-authentification/reinitialiser/",
        views.two_factor_reset,
        name="two_factor_reset",
    ),
]
