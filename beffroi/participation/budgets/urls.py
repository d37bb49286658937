"""Participation, participatory budgets: public pages (``public``, under
/participer/budgets/) and back office (``backoffice``, under
/backoffice/participation/budgets/). Each side's patterns live beside its views."""

from django.urls import URLPattern

from beffroi.participation.budgets import urls_backoffice, urls_public

public: tuple[list[URLPattern], str] = (urls_public.urlpatterns, "participation_budgets")
backoffice: tuple[list[URLPattern], str] = (
    urls_backoffice.urlpatterns,
    "participation_budgets_backoffice",
)
