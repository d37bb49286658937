"""Dispatch pages: the agents' live view and report (under /backoffice/alertes/envoi/), and the
gateways' callbacks (under /alertes/envoi/: no session, no 2FA, authenticated by a secret)."""

from django.urls import URLPattern, path

from beffroi.alerts.dispatch import views

backoffice: tuple[list[URLPattern], str] = (
    [
        path("", views.dispatch_index, name="index"),
        path("<int:alert_id>/", views.dispatch_live, name="live"),
        path("<int:alert_id>/rapport/", views.dispatch_report, name="report"),
    ],
    "alerts_dispatch",
)

hooks: tuple[list[URLPattern], str] = (
    [path("sms/<str:token>/", views.sms_webhook, name="sms_webhook")],
    "alerts_dispatch_hooks",
)
