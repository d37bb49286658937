"""Needs: public pages under /benevolat/besoins/ and the back office under
/backoffice/benevolat/besoins/."""

from django.urls import URLPattern, path

from beffroi.volunteering.needs import backoffice as agents
from beffroi.volunteering.needs import views

public: tuple[list[URLPattern], str] = (
    [
        path("", views.need_list, name="list"),
        path("carte.geojson", views.need_map, name="map"),
        path("mes-propositions/", views.my_offers, name="mine"),
        path("mes-besoins/", views.organised, name="organised"),
        path("nouveau/", views.need_create, name="create"),
        path("propositions/<int:offer_id>/retirer/", views.offer_withdraw, name="offer_withdraw"),
        path("<int:need_id>/", views.need_detail, name="detail"),
        path("<int:need_id>/proposer/", views.offer_make, name="offer"),
        path("<int:need_id>/modifier/", views.need_edit, name="edit"),
        path("<int:need_id>/gerer/", views.need_manage, name="manage"),
        path("<int:need_id>/publier/", views.need_publish, name="publish"),
        path("<int:need_id>/satisfait/", views.need_fulfil, name="fulfil"),
        path("<int:need_id>/cloturer/", views.need_close, name="close"),
        path("<int:need_id>/annuler/", views.need_cancel, name="cancel"),
        path(
            "<int:need_id>/offres/<int:offer_id>/accepter/",
            views.offer_accept,
            name="offer_accept",
        ),
        path(
            "<int:need_id>/offres/<int:offer_id>/decliner/",
            views.offer_decline,
            name="offer_decline",
        ),
    ],
    "volunteering_needs",
)
backoffice: tuple[list[URLPattern], str] = (
    [
        path("", agents.need_list, name="list"),
        path("<int:need_id>/", agents.need_detail, name="detail"),
    ],
    "volunteering_needs_backoffice",
)
