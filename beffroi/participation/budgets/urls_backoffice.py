"""Participatory budgets: the back office's URL patterns (see urls.py)."""

from django.urls import URLPattern, path

from beffroi.participation.budgets import backoffice as views

urlpatterns: list[URLPattern] = [
    path("", views.budget_list, name="list"),
    path("processus/<int:process_id>/nouveau/", views.budget_create, name="create"),
    path("<int:budget_id>/", views.budget_detail, name="detail"),
    path("<int:budget_id>/modifier/", views.budget_update, name="update"),
    path("<int:budget_id>/projets/nouveau/", views.project_create, name="project_create"),
    path(
        "<int:budget_id>/projets/depuis-une-proposition/",
        views.project_from_proposal,
        name="project_from_proposal",
    ),
    path("<int:budget_id>/liste-electorale/", views.census_import, name="census"),
    path("<int:budget_id>/bulletins-papier/", views.paper_entry, name="paper"),
    path("<int:budget_id>/resultats/", views.results, name="results"),
    path("<int:budget_id>/resultats/calculer/", views.results_compute, name="compute"),
    path("<int:budget_id>/resultat-officiel/", views.outcome_publish, name="publish"),
    path("<int:budget_id>/export.pb", views.export_pb, name="export_pb"),
    path("<int:budget_id>/resultats.csv", views.export_results_csv, name="export_csv"),
]
