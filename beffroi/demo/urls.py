"""The demo's back-office pages, mounted at /backoffice/demo/ (2FA-guarded prefix)."""

from django.urls import path

from beffroi.demo import views

app_name = "demo"

urlpatterns = [
    path("boite-d-envoi/", views.outbox, name="outbox"),
    path("boite-d-envoi/<int:message_id>/repondre/", views.reply, name="reply"),
]
