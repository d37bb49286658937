"""Participation, moderation: residents' reports (``public``, under /participer/
signalements/) and the moderators' pages (``backoffice``, under /backoffice/participation/
signalements/)."""

from django.urls import URLPattern, path

from beffroi.participation.moderation import views

public: tuple[list[URLPattern], str] = (
    [
        path("proposition/<int:proposal_id>/", views.report_proposal, name="report_proposal"),
        path("commentaire/<int:comment_id>/", views.report_comment, name="report_comment"),
    ],
    "participation_moderation",
)
backoffice: tuple[list[URLPattern], str] = (
    [
        path("", views.queue, name="queue"),
        path("proposition/<int:proposal_id>/", views.proposal_detail, name="proposal"),
        path(
            "proposition/<int:proposal_id>/<slug:action>/",
            views.proposal_decide,
            name="proposal_decide",
        ),
        path("commentaire/<int:comment_id>/", views.comment_detail, name="comment"),
        path(
            "commentaire/<int:comment_id>/<slug:action>/",
            views.comment_decide,
            name="comment_decide",
        ),
        path("participants-bloques/", views.blocked_list, name="blocked"),
        path("participant/<int:participant_id>/", views.participant_detail, name="participant"),
        path(
            "participant/<int:participant_id>/bloquer/",
            views.participant_block_view,
            name="block",
        ),
        path(
            "participant/<int:participant_id>/debloquer/",
            views.participant_unblock_view,
            name="unblock",
        ),
        path("parametres/", views.settings_view, name="settings"),
    ],
    "participation_moderation_backoffice",
)
