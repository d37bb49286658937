"""The calendar file's status and address, cancelling what is already cancelled, and the
apply form's refusals answered 400."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from beffroi.accounts.models import User
from beffroi.testing import Cast
from beffroi.volunteering.applications import ical, services
from beffroi.volunteering.models import Application
from beffroi.volunteering.tests.applications.conftest import Scene

pytestmark = pytest.mark.django_db
NS = "volunteering_applications"
State = Application.State


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _lines(response: object) -> list[str]:
    return ical.unfold(response.content.decode())  # type: ignore[attr-defined]


def test_it_marks_the_calendar_tentative_then_confirmed_with_the_missions_page(
    cast: Cast, scene: Scene
) -> None:
    application = services.application_apply(slot=scene.mission.slots.get(), profile=scene.alice)
    client = _client(cast.resident)
    url = reverse(f"{NS}:calendar", args=[application.pk])
    lines = _lines(client.get(url))
    assert "STATUS:TENTATIVE" in lines
    [address] = [line for line in lines if line.startswith("URL:")]
    assert address.endswith(reverse("volunteering_missions:detail", args=[scene.mission.pk]))
    assert address.startswith("URL:http")
    services.application_accept(application=application, actor=cast.association_manager)
    lines = _lines(client.get(url))
    assert "STATUS:CONFIRMED" in lines and "STATUS:TENTATIVE" not in lines


def test_it_says_an_application_is_already_cancelled(cast: Cast, scene: Scene) -> None:
    application = services.application_apply(slot=scene.mission.slots.get(), profile=scene.alice)
    services.application_cancel(
        application=application,
        by=Application.CancelledBy.VOLUNTEER,
        actor=cast.resident,
        reason="",
    )
    client = _client(cast.resident)
    url = reverse(f"{NS}:cancel", args=[application.pk])
    response = client.get(url)
    content = response.content.decode()
    assert response.status_code == 200
    assert "already cancelled" in content
    assert "Confirm the cancellation" not in content
    response = client.post(url, {"reason": "Encore"})
    assert response.status_code == 409
    application.refresh_from_db()
    assert application.state == State.CANCELLED and application.cancel_reason == ""
    organiser = _client(cast.association_manager)
    url = reverse(f"{NS}:organiser_cancel", args=[application.pk])
    response = organiser.get(url)
    assert response.status_code == 200 and "already cancelled" in response.content.decode()
    assert organiser.post(url, {"reason": "Non"}).status_code == 409
    application.refresh_from_db()
    assert application.cancelled_by == Application.CancelledBy.VOLUNTEER


def test_it_answers_400_to_an_invalid_application(cast: Cast, scene: Scene) -> None:
    client = _client(cast.resident)
    url = reverse(f"{NS}:apply", args=[scene.mission.pk])
    for data in ({}, {"slot": "99999999999999999999"}, {"slot": "abc"}):
        response = client.post(url, data)
        assert response.status_code == 400
    assert not Application.objects.exists()
