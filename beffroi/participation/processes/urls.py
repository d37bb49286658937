"""Participation, processes: public pages (``public``, under /participer/) and back office
(``backoffice``, under /backoffice/participation/)."""

from django.urls import URLPattern, path, register_converter

from beffroi.participation.processes import views
from beffroi.participation.processes.services import RESERVED_SLUGS


class ProcessSlugConverter:
    """A process's slug, never one of the other areas' first segments: processes are served
    at /participer/<slug>/ beside /participer/propositions/…, and whatever the order in which
    the areas are included, a process page must not swallow another area's address."""

    regex = "(?!(?:" + "|".join(sorted(RESERVED_SLUGS)) + r")(?:/|$))[-a-zA-Z0-9_]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ProcessSlugConverter, "participation_process_slug")

public: tuple[list[URLPattern], str] = (
    [
        path("", views.process_list, name="list"),
        path("<participation_process_slug:slug>/", views.process_detail, name="detail"),
        path("<participation_process_slug:slug>/carte/", views.process_map, name="map"),
        path("<participation_process_slug:slug>/suivre/", views.process_follow, name="follow"),
        path(
            "<participation_process_slug:slug>/illustration/",
            views.illustration,
            name="illustration",
        ),
        path(
            "<participation_process_slug:slug>/documents/<int:document_id>/",
            views.document_download,
            name="document",
        ),
    ],
    "participation_processes",
)
backoffice: tuple[list[URLPattern], str] = (
    [
        path("", views.backoffice_list, name="list"),
        path("nouvelle/", views.backoffice_create, name="create"),
        path("<int:process_id>/", views.backoffice_detail, name="detail"),
        path("<int:process_id>/modifier/", views.backoffice_edit, name="edit"),
        path("<int:process_id>/statut/", views.backoffice_status, name="status"),
        path("<int:process_id>/phases/", views.backoffice_phases, name="phases"),
        path(
            "<int:process_id>/phases/<int:phase_id>/modifier/",
            views.backoffice_phase_edit,
            name="phase_edit",
        ),
        path(
            "<int:process_id>/phases/<int:phase_id>/supprimer/",
            views.backoffice_phase_delete,
            name="phase_delete",
        ),
        path(
            "<int:process_id>/phases/<int:phase_id>/ouverture/",
            views.backoffice_phase_mode,
            name="phase_mode",
        ),
        path("<int:process_id>/categories/", views.backoffice_categories, name="categories"),
        path(
            "<int:process_id>/categories/<int:category_id>/modifier/",
            views.backoffice_category_edit,
            name="category_edit",
        ),
        path(
            "<int:process_id>/categories/<int:category_id>/supprimer/",
            views.backoffice_category_delete,
            name="category_delete",
        ),
        path("<int:process_id>/documents/", views.backoffice_documents, name="documents"),
        path(
            "<int:process_id>/documents/<int:document_id>/supprimer/",
            views.backoffice_document_delete,
            name="document_delete",
        ),
    ],
    "participation_processes_backoffice",
)
