"""Participation, consultations: public pages (``public``, under /participer/consultations/)
and back office (``backoffice``, under /backoffice/participation/consultations/)."""

from django.urls import URLPattern, path

from beffroi.participation.consultations import views

public: tuple[list[URLPattern], str] = (
    [
        path("projets/<int:project_id>/", views.project_detail, name="project_detail"),
        path("projets/<int:project_id>/avis/", views.opinion_give, name="opinion_give"),
        path(
            "questionnaires/<int:questionnaire_id>/",
            views.questionnaire_answer,
            name="questionnaire_answer",
        ),
        path(
            "questionnaires/<int:questionnaire_id>/resultats/",
            views.questionnaire_results,
            name="questionnaire_results",
        ),
        path("<slug:slug>/", views.process_index, name="process_index"),
    ],
    "participation_consultations",
)

backoffice: tuple[list[URLPattern], str] = (
    [
        path("", views.backoffice_index, name="index"),
        path("demarches/<int:process_id>/", views.backoffice_process, name="process"),
        path(
            "demarches/<int:process_id>/projets/nouveau/",
            views.project_create,
            name="project_create",
        ),
        path("projets/<int:project_id>/", views.project_edit, name="project_edit"),
        path(
            "demarches/<int:process_id>/questionnaires/nouveau/",
            views.questionnaire_create,
            name="questionnaire_create",
        ),
        path(
            "questionnaires/<int:questionnaire_id>/",
            views.questionnaire_builder,
            name="questionnaire_builder",
        ),
        path(
            "questionnaires/<int:questionnaire_id>/modifier/",
            views.questionnaire_edit,
            name="questionnaire_edit",
        ),
        path(
            "questionnaires/<int:questionnaire_id>/questions/nouvelle/",
            views.question_create,
            name="question_create",
        ),
        path("questions/<int:question_id>/", views.question_edit, name="question_edit"),
        path(
            "questions/<int:question_id>/supprimer/", views.question_delete, name="question_delete"
        ),
        path("questions/<int:question_id>/deplacer/", views.question_move, name="question_move"),
        path(
            "questionnaires/<int:questionnaire_id>/resultats/",
            views.backoffice_results,
            name="results",
        ),
        path(
            "questionnaires/<int:questionnaire_id>/reponses-libres/",
            views.text_answers,
            name="text_answers",
        ),
        path(
            "questionnaires/<int:questionnaire_id>/reponses-libres.csv",
            views.text_answers_csv,
            name="text_answers_csv",
        ),
        path(
            "reponses/<int:answer_id>/etiquettes/ajouter/",
            views.answer_tag_add,
            name="answer_tag_add",
        ),
        path(
            "reponses/<int:answer_id>/etiquettes/retirer/",
            views.answer_tag_remove,
            name="answer_tag_remove",
        ),
    ],
    "participation_consultations_backoffice",
)
