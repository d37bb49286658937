"""Processes' public and back-office pages pass axe-core with no violation (WCAG 2.1 A/AA and
best practices), maps and forms included."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from playwright.sync_api import Browser, Page
from pytest_django.live_server_helper import LiveServer

from beffroi.accounts.models import Role
from beffroi.alerts.tests.factories import make_zone
from beffroi.participation.models import PhaseType, Process
from beffroi.participation.processes import services
from beffroi.participation.tests.factories import make_process, make_proposal, participant
from beffroi.testing import make_cast
from tests.browser.support import axe_violations, broken_idrefs, context_for, describe, settle

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _data() -> dict[str, Any]:
    cast = make_cast()
    zone = make_zone(cast.org, "Quartier des Tilleuls")
    process = make_process(
        cast.org,
        slug="budget-2026",
        title="Budget participatif 2026",
        phases=(PhaseType.INFORMATION, PhaseType.PROPOSALS, PhaseType.VOTE),
        open_phase=1,
        whole_territory=False,
        summary="Proposez des projets pour votre quartier.",
    )
    process.zones.set([zone])
    make_process(cast.org, slug="plan-sobriete", title="Plan de sobriété", open_phase=None)
    make_process(
        cast.org, slug="ancienne", title="Ancienne concertation", status=Process.Status.ARCHIVED
    )
    category = services.category_create(process=process, name="Mobilité", actor=None)
    document = services.document_add(
        process=process,
        title="Règlement du budget",
        upload=SimpleUploadedFile("r.pdf", b"%PDF-1.4 test"),
        actor=None,
    )
    author = participant(cast.resident, cast.org)
    make_proposal(process, author, title="Des bancs au parc", lat=45.001, lon=4.002)
    make_proposal(process, author, title="Une piste cyclable", lat=44.999, lon=3.998)
    phase = process.phases.order_by("position").first()
    assert phase is not None
    return {
        "cast": cast,
        "process": process,
        "phase": phase,
        "category": category,
        "document": document,
    }


def _audit(page: Page, base: str, path: str, failures: list[str], label: str) -> None:
    response = page.goto(base + path)
    assert response is not None
    if response.status != 200 or response.request.redirected_from is not None:
        failures.append(f"{label} {path}: HTTP {response.status} at {page.url}")
        return
    settle(page)
    if violations := axe_violations(page):
        failures.append(f"{label} {path}:\n{describe(violations)}")
    if dangling := broken_idrefs(page):
        failures.append(f"{label} {path}: references to no element: {dangling}")


def test_it_has_no_violation_on_the_processes_pages(
    browser: Browser, live_server: LiveServer
) -> None:
    data = _data()
    process, phase = data["process"], data["phase"]
    slug = process.slug
    ids = {"process_id": process.pk}
    public = [
        reverse("participation_processes:list"),
        reverse("participation_processes:detail", kwargs={"slug": slug}),
        reverse("participation_processes:map", kwargs={"slug": slug}),
    ]
    backoffice = [
        reverse("participation_processes_backoffice:list"),
        reverse("participation_processes_backoffice:create"),
        reverse("participation_processes_backoffice:detail", kwargs=ids),
        reverse("participation_processes_backoffice:edit", kwargs=ids),
        reverse("participation_processes_backoffice:phases", kwargs=ids),
        reverse(
            "participation_processes_backoffice:phase_edit", kwargs={**ids, "phase_id": phase.pk}
        ),
        reverse(
            "participation_processes_backoffice:phase_delete",
            kwargs={**ids, "phase_id": phase.pk},
        ),
        reverse("participation_processes_backoffice:categories", kwargs=ids),
        reverse(
            "participation_processes_backoffice:category_edit",
            kwargs={**ids, "category_id": data["category"].pk},
        ),
        reverse("participation_processes_backoffice:documents", kwargs=ids),
    ]
    failures: list[str] = []
    organisation = data["cast"].org
    for role, paths in (
        ("anonymous", public),
        (Role.RESIDENT, public[1:2]),
        (Role.PARTICIPATION_MANAGER, public[1:2] + backoffice),
    ):
        context = context_for(browser, live_server.url, organisation, str(role))
        page = context.new_page()
        try:
            for path in paths:
                _audit(page, live_server.url, path, failures, str(role))
        finally:
            context.close()
    assert not failures, "\n".join(failures)


def test_it_has_no_violation_on_forms_shown_with_errors(
    browser: Browser, live_server: LiveServer
) -> None:
    data = _data()
    process = data["process"]
    context = context_for(
        browser, live_server.url, data["cast"].org, str(Role.PARTICIPATION_MANAGER)
    )
    page = context.new_page()
    failures: list[str] = []
    try:
        for path, button in (
            (reverse("participation_processes_backoffice:create"), "form.stacked button"),
            (
                reverse("participation_processes_backoffice:phases", args=[process.pk]),
                "form.stacked button",
            ),
        ):
            page.goto(live_server.url + path)
            page.locator(button).click()
            page.wait_for_load_state("load")
            assert page.locator(".error-summary").count() == 1, path
            settle(page)
            if violations := axe_violations(page):
                failures.append(f"{path} (errors):\n{describe(violations)}")
    finally:
        context.close()
    assert not failures, "\n".join(failures)
