"""``participation_header``: what the site header shows of participation (the link to the
notifications with the unread count, signing out of an SMS-code session).

Lazy: the queries run only when a template reads it, once per request."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from beffroi.participation.notifications.selectors import unread_count
from beffroi.participation.participants.selectors import participant_known


def participation_header(request: HttpRequest) -> dict[str, Any]:
    organisation = getattr(request, "organisation", None)
    if organisation is None or not hasattr(request, "session") or not hasattr(request, "user"):
        return {}

    def header() -> dict[str, Any]:
        participant = participant_known(request=request, organisation=organisation)
        if participant is None:
            return {"participant": False, "unread": 0, "sms": False}
        return {
            "participant": True,
            "unread": unread_count(participant=participant),
            "sms": participant.user_id is None,
        }

    return {"participation_header": SimpleLazyObject(header)}
