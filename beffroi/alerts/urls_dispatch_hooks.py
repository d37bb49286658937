"""Gateway callbacks: outside /backoffice/ (no session, no 2FA), authenticated by a secret."""

from django.urls import path

from beffroi.alerts import views_dispatch as views

app_name = "alerts_dispatch_hooks"

urlpatterns = [
    path("sms/<str:token>/", views.sms_webhook, name="sms_webhook"),
]
