"""Composer pages, included at /backoffice/alertes/ (2FA-guarded prefix)."""

from django.urls import path

from beffroi.alerts.composer import views

app_name = "alerts_backoffice"
urlpatterns: list[object] = [
    path("", views.alert_list, name="alert_list"),
    path("nouvelle/", views.alert_new, name="alert_new"),
    path("apercu/sms/", views.alert_sms_preview, name="sms_preview"),
    path("apercu/audience/", views.alert_audience_preview, name="audience_preview"),
    path("<int:alert_id>/", views.alert_detail, name="alert_detail"),
    path("<int:alert_id>/modifier/", views.alert_edit, name="alert_edit"),
    path("<int:alert_id>/soumettre/", views.alert_submit_view, name="alert_submit"),
    path("<int:alert_id>/validation/", views.alert_review, name="alert_review"),
    path("<int:alert_id>/rejeter/", views.alert_reject_view, name="alert_reject"),
    path("<int:alert_id>/annuler/", views.alert_cancel_view, name="alert_cancel"),
    path("<int:alert_id>/mise-a-jour/", views.alert_update_view, name="alert_update"),
    path("modeles/", views.template_list, name="template_list"),
    path("modeles/nouveau/", views.template_edit, name="template_new"),
    path("modeles/par-defaut/", views.template_defaults, name="template_defaults"),
    path("modeles/<int:template_id>/modifier/", views.template_edit, name="template_edit"),
    path("modeles/<int:template_id>/supprimer/", views.template_delete, name="template_delete"),
    path("parametres/", views.alert_settings, name="settings"),
]
