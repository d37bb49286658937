"""Participation, proposals: public pages (``public``, under /participer/propositions/) and
back office (``backoffice``, under /backoffice/participation/propositions/)."""

from django.urls import URLPattern, path

from beffroi.participation.proposals import feeds, views

public: tuple[list[URLPattern], str] = (
    [
        path("demarche/<slug:slug>/", views.proposal_list, name="list"),
        path("demarche/<slug:slug>/carte/", views.proposal_map, name="map"),
        path("demarche/<slug:slug>/carte.geojson", views.proposal_geojson, name="geojson"),
        path("demarche/<slug:slug>/proposer/", views.proposal_create, name="create"),
        path("demarche/<slug:slug>/similaires/", views.proposal_similar, name="similar"),
        path("demarche/<slug:slug>/flux.atom", feeds.ProposalFeed(), name="feed"),
        path("<int:proposal_id>/", views.proposal_detail, name="detail"),
        path("<int:proposal_id>/modifier/", views.proposal_update, name="update"),
        path("<int:proposal_id>/versions/", views.proposal_versions, name="versions"),
        path("<int:proposal_id>/retirer/", views.proposal_withdraw, name="withdraw"),
        path("<int:proposal_id>/soutenir/", views.support_add, name="support"),
        path("<int:proposal_id>/retirer-soutien/", views.support_withdraw, name="unsupport"),
        path("<int:proposal_id>/suivre/", views.follow, name="follow"),
        path("<int:proposal_id>/ne-plus-suivre/", views.unfollow, name="unfollow"),
        path("fichiers/<int:file_id>/", views.proposal_file, name="file"),
    ],
    "participation_proposals",
)
backoffice: tuple[list[URLPattern], str] = (
    [
        path("", views.review_index, name="index"),
        path("demarche/<int:process_id>/", views.review_list, name="list"),
        path("demarche/<int:process_id>/saisir/", views.on_behalf_create, name="on_behalf"),
        path("<int:proposal_id>/", views.review_detail, name="review"),
    ],
    "participation_proposals_backoffice",
)
