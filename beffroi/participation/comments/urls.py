"""Participation, comments: public pages (``public``, under /participer/commentaires/); the
moderators' side lives in the moderation area."""

from django.urls import URLPattern, path

from beffroi.participation.comments import views

public: tuple[list[URLPattern], str] = (
    [
        path("proposition/<int:proposal_id>/", views.proposal_thread, name="proposal_thread"),
        path("projet/<int:project_id>/", views.project_thread, name="project_thread"),
        path("<int:comment_id>/", views.goto, name="goto"),
        path("<int:comment_id>/modifier/", views.edit, name="edit"),
        path("<int:comment_id>/vote/", views.vote, name="vote"),
    ],
    "participation_comments",
)
backoffice: tuple[list[URLPattern], str] = ([], "participation_comments_backoffice")
