"""Residents' registration to alerts (under /alertes/inscription/), and the agents' pages for
registrations (under /backoffice/abonnes/)."""

from django.urls import URLPattern, path

from beffroi.alerts.subscriptions import views

public: tuple[list[URLPattern], str] = (
    [
        path("", views.register, name="register"),
        path("mon-inscription/", views.mine, name="mine"),
        path("gerer/<str:token>/", views.manage, name="manage"),
        path("confirmer-email/<str:token>/", views.verify_email, name="verify_email"),
        path("desinscription/<str:token>/", views.unsubscribe, name="unsubscribe"),
    ],
    "subscriptions",
)

backoffice: tuple[list[URLPattern], str] = (
    [
        path("", views.agent_list, name="list"),
        path("nouveau/", views.agent_register, name="register"),
        path("import/", views.agent_import, name="import"),
        path("import/<int:import_id>/", views.agent_import_done, name="import_done"),
        path("<int:subscriber_id>/", views.agent_detail, name="detail"),
    ],
    "subscribers_backoffice",
)
