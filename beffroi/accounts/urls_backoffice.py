"""Administrators' pages for agents and roles (mounted at /backoffice/comptes/), and the back
office's home page with the audit trail (``dashboard``, mounted at /backoffice/)."""

from django.urls import URLPattern, path

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

dashboard: tuple[list[URLPattern], str] = (
    [
        path("", views.backoffice, name="home"),
        path("journal/", views.audit_log, name="audit_log"),
    ],
    "backoffice",
)
