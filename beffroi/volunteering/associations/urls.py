"""Associations: public pages (``public``, under /associations/) and back office
(``backoffice``, under /backoffice/associations/)."""

from django.urls import URLPattern, path

from beffroi.volunteering.associations import backoffice as agents
from beffroi.volunteering.associations import views

public: tuple[list[URLPattern], str] = (
    [
        path("", views.directory, name="list"),
        path("carte.geojson", views.directory_map, name="map"),
        path("nouvelle/", views.association_create, name="create"),
        path("mes-associations/", views.my_associations, name="mine"),
        path("<int:association_id>/", views.association_detail, name="detail"),
        path("<int:association_id>/logo/", views.logo, name="logo"),
        path("<int:association_id>/revendiquer/", views.association_claim, name="claim"),
        path("<int:association_id>/modifier/", views.association_edit, name="edit"),
        path("<int:association_id>/responsables/", views.managers, name="managers"),
        path(
            "<int:association_id>/invitations/<int:invitation_id>/retirer/",
            views.invitation_withdraw,
            name="invitation_withdraw",
        ),
        path("invitation/<str:token>/", views.invitation, name="invitation"),
        path(
            "<int:association_id>/responsables/<int:membership_id>/retirer/",
            views.manager_remove,
            name="manager_remove",
        ),
    ],
    "volunteering_associations",
)
backoffice: tuple[list[URLPattern], str] = (
    [
        path("", agents.association_list, name="list"),
        path("import-rna/", agents.rna_import, name="import"),
        path("<int:association_id>/", agents.association_detail, name="detail"),
        path("<int:association_id>/modifier/", agents.association_edit, name="edit"),
        path("<int:association_id>/valider/", agents.association_validate, name="validate"),
        path("<int:association_id>/refuser/", agents.association_refuse, name="refuse"),
    ],
    "volunteering_associations_backoffice",
)
