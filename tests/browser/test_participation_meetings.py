"""Workshops and meetings in a real browser: axe-core finds no violation on the public and
back-office pages, and a resident registers with the keyboard alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from beffroi.participation.meetings import services
from beffroi.participation.models import Meeting, PhaseType, Process, Registration
from beffroi.participation.tests.factories import (
    make_meeting,
    make_process,
    make_proposal,
    participant,
    verified,
)
from beffroi.testing import Cast, make_cast
from tests.browser.support import axe_violations, broken_idrefs, context_for, describe, settle

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@dataclass
class Scene:
    cast: Cast
    process: Process
    upcoming: Meeting
    past: Meeting


def scene() -> Scene:
    cast = make_cast()
    verified(cast.resident)
    process = make_process(
        cast.org, slug="square", title="Réaménager le square", phases=(PhaseType.WORKSHOPS,)
    )
    upcoming = make_meeting(
        process,
        title="Atelier : dessiner le square",
        capacity=12,
        lat=cast.org.center_lat,
        lon=cast.org.center_lon,
        agenda="Accueil\nTravail en groupes\nRestitution",
        accessibility="Salle de plain-pied, boucle magnétique, interprète LSF sur demande.",
        description="Un atelier ouvert à toutes et à tous.",
    )
    services.registration_create(
        meeting=upcoming, participant=participant(cast.resident2, cast.org)
    )
    past = make_meeting(process, title="Réunion de lancement", in_days=-14, capacity=30)
    services.meeting_minutes_save(
        meeting=past,
        actor=cast.participation_manager,
        minutes="<p>Trente habitants présents.</p><ul><li>Plus d'ombre</li></ul>",
        publish=True,
        attendance=31,
    )
    make_proposal(process, None, title="Des bancs à l'ombre", meeting=past)
    return Scene(cast, process, upcoming, past)


def audit(page: Page, url: str, failures: list[str]) -> None:
    response = page.goto(url)
    assert response is not None
    if response.status != 200 or response.request.redirected_from is not None:
        failures.append(f"{url}: HTTP {response.status} at {page.url}")
        return
    settle(page)
    if violations := axe_violations(page):
        failures.append(f"{url}:\n{describe(violations)}")
    if dangling := broken_idrefs(page):
        failures.append(f"{url}: references to no element: {dangling}")


def test_it_has_no_violation_on_the_meeting_pages(
    browser: Browser, live_server: LiveServer
) -> None:
    s = scene()
    base = live_server.url
    slug, up, past = s.process.slug, s.upcoming.pk, s.past.pk
    public = [
        reverse("participation_meetings:index"),
        reverse("participation_meetings:process", args=[slug]),
        reverse("participation_meetings:detail", args=[slug, up]),
        reverse("participation_meetings:detail", args=[slug, past]),
    ]
    backoffice = [
        reverse("participation_meetings_backoffice:list"),
        reverse("participation_meetings_backoffice:list") + "?quand=passees",
        reverse("participation_meetings_backoffice:create") + f"?process={s.process.pk}",
        reverse("participation_meetings_backoffice:detail", args=[up]),
        reverse("participation_meetings_backoffice:detail", args=[past]),
        reverse("participation_meetings_backoffice:update", args=[up]),
        reverse("participation_meetings_backoffice:cancel", args=[up]),
        reverse("participation_meetings_backoffice:minutes", args=[past]),
        reverse("participation_meetings_backoffice:sign_in_sheet", args=[up]),
        reverse("participation_meetings_backoffice:proposal_form", args=[up]),
    ]
    failures: list[str] = []
    for role, paths in (
        ("anonymous", public),
        ("resident", public[2:3]),
        ("participation_manager", backoffice),
    ):
        context = context_for(browser, base, s.cast.org, role)
        try:
            page = context.new_page()
            for path in paths:
                audit(page, base + path, failures)
        finally:
            context.close()
    assert not failures, "\n".join(failures)


def test_it_shows_the_form_errors_accessibly(browser: Browser, live_server: LiveServer) -> None:
    s = scene()
    context = context_for(browser, live_server.url, s.cast.org, "participation_manager")
    try:
        page = context.new_page()
        page.goto(
            live_server.url
            + reverse("participation_meetings_backoffice:create")
            + f"?process={s.process.pk}"
        )
        page.get_by_role("button", name="Créer la rencontre").or_(
            page.get_by_role("button", name="Create the meeting")
        ).click()
        expect(page.locator(".error-summary")).to_be_visible()
        settle(page)
        violations = axe_violations(page)
        assert not violations, describe(violations)
        assert not broken_idrefs(page)
    finally:
        context.close()


def test_it_registers_with_the_keyboard_only(browser: Browser, live_server: LiveServer) -> None:
    s = scene()
    context = context_for(browser, live_server.url, s.cast.org, "resident")
    try:
        page = context.new_page()
        page.goto(
            live_server.url
            + reverse("participation_meetings:detail", args=[s.process.slug, s.upcoming.pk])
        )
        register = page.locator("main form button[type=submit]").first
        for _ in range(60):
            page.keyboard.press("Tab")
            if register.evaluate("e => e === document.activeElement"):
                break
        expect(register).to_be_focused()
        assert register.evaluate("e => getComputedStyle(e).outlineStyle") != "none"
        page.keyboard.press("Enter")
        expect(page.locator(".registration-state")).to_be_visible()
        alice = participant(s.cast.resident, s.cast.org)
        registration = Registration.objects.get(meeting=s.upcoming, participant=alice)
        assert registration.status == Registration.Status.CONFIRMED
        # And cancels the same way.
        cancel = page.locator("main .meeting-registration form button[type=submit]")
        for _ in range(60):
            page.keyboard.press("Tab")
            if cancel.evaluate("e => e === document.activeElement"):
                break
        expect(cancel).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator(".registration-state")).to_have_count(0)
        registration.refresh_from_db()
        assert registration.status == Registration.Status.CANCELLED
        assert s.upcoming.starts_at > timezone.now() + timedelta(days=1)
    finally:
        context.close()
