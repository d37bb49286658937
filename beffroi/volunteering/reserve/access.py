"""The reserve is the crisis cell's: another organisation's reservist or session is a 404."""

from __future__ import annotations

from django.http import HttpRequest

from beffroi.accounts.access import found, request_organisation
from beffroi.volunteering.models import ReserveMember, TrainingSession


def access_member(request: HttpRequest, member_id: int) -> ReserveMember:
    organisation = request_organisation(request)
    return found(
        ReserveMember.objects.select_related("profile")
        .filter(organisation=organisation, pk=member_id)
        .first(),
        "reservist",
    )


def access_session(request: HttpRequest, session_id: int) -> TrainingSession:
    organisation = request_organisation(request)
    return found(
        TrainingSession.objects.filter(organisation=organisation, pk=session_id).first(),
        "training session",
    )
