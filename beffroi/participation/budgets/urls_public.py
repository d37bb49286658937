"""Participatory budgets: the public pages' URL patterns (see urls.py), under
/participer/budgets/. Every address of one budget has two segments or more, and so never
meets a process's slug."""

from django.urls import URLPattern, path

from beffroi.participation.budgets import report, views

urlpatterns: list[URLPattern] = [
    path("recu/verifier/", views.receipt_verify, name="verify"),
    path("budget/<int:budget_id>/", views.ballot, name="ballot"),
    path("budget/<int:budget_id>/confirmation/", views.confirmation, name="confirmation"),
    path("budget/<int:budget_id>/recu.txt", views.receipt_download, name="receipt"),
    path("budget/<int:budget_id>/liste-electorale/", views.census_claim, name="census_claim"),
    path("budget/<int:budget_id>/resultats/", views.results, name="results"),
    path("budget/<int:budget_id>/bilan/", report.report, name="report"),
    path("<slug:slug>/", views.process_budgets, name="process"),
]
