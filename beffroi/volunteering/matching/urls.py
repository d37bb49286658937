"""Matching: public pages under /benevolat/ and the back office under /backoffice/benevolat/."""

from django.urls import URLPattern

public: tuple[list[URLPattern], str] = ([], "volunteering_matching")
backoffice: tuple[list[URLPattern], str] = ([], "volunteering_matching_backoffice")
