"""Vulnerable persons registry, mounted at /backoffice/registre/ (2FA-guarded prefix)."""

from django.urls import path

from beffroi.alerts.registry import views

app_name = "registry"

urlpatterns = [
    path("", views.registry_list, name="list"),
    path("carte/", views.registry_map, name="map"),
    path("export.csv", views.registry_export_csv, name="export"),
    path("inscrire/", views.person_create, name="create"),
    path("adresses/suggestions/", views.address_suggest, name="address_suggest"),
    path("adresse/<int:address_id>/", views.registry_list, name="at_address"),
    path("<int:person_id>/", views.person_detail, name="detail"),
    path("<int:person_id>/modifier/", views.person_update, name="update"),
    path("<int:person_id>/confirmer/", views.person_confirm, name="confirm"),
    path("<int:person_id>/supprimer/", views.person_remove, name="remove"),
    path("alerte/<int:alert_id>/fiche-appels/", views.call_sheet, name="call_sheet"),
]
