"""Agents' pages of the territory, included at /backoffice/territoire/ (2FA-guarded prefix)."""

from django.urls import path

from beffroi.territory import views

app_name = "territory_backoffice"
urlpatterns: list[object] = [
    path("zones/", views.zone_list, name="zone_list"),
    path("zones/nouvelle/", views.zone_create_view, name="zone_create"),
    path("zones/importer/", views.zone_import, name="zone_import"),
    path("zones/<int:zone_id>/", views.zone_detail, name="zone_detail"),
    path("zones/<int:zone_id>/modifier/", views.zone_edit, name="zone_edit"),
    path("zones/<int:zone_id>/supprimer/", views.zone_delete_view, name="zone_delete"),
    path("adresses/", views.address_list, name="address_list"),
]
