"""Participation, processes: public pages (``public``, under /participer/) and back office
(``backoffice``, under /backoffice/participation/)."""

from django.urls import URLPattern, path  # noqa: F401

public: tuple[list[URLPattern], str] = ([], "participation_processes")
backoffice: tuple[list[URLPattern], str] = ([], "participation_processes_backoffice")
