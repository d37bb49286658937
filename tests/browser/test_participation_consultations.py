"""Consultations in a real browser: no axe-core violation on the project page, the answering
page (also with its errors), the results and the agents' builder; a questionnaire answered
with the keyboard alone, conditional questions appearing as the answers call for them."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from beffroi.participation.consultations import services
from beffroi.participation.models import Response
from beffroi.participation.tests.consultations.helpers import (
    Survey,
    consultation_process,
    full_answers,
    make_project,
    make_survey,
)
from beffroi.participation.tests.factories import participant, verified
from beffroi.testing import Cast, make_cast, make_user
from tests.browser.support import axe_violations, broken_idrefs, context_for, describe, settle

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _data() -> tuple[Cast, Survey, Any]:
    cast = make_cast()
    verified(cast.resident)
    process = consultation_process(cast.org)
    project = make_project(process, image_alt="")
    survey = make_survey(process, results_live=True)
    survey.questionnaire.project = project
    survey.questionnaire.save()
    for i, scale in enumerate(("2", "4", "5")):
        user = verified(make_user(f"voisin{i}@example.org", organisation=cast.org))
        services.response_submit(
            questionnaire=survey.questionnaire,
            participant=participant(user, cast.org),
            data=full_answers(survey, **{f"q{survey.scale.pk}": [scale]}),
        )
        services.opinion_give(
            project=project,
            participant=participant(user, cast.org),
            position=("for", "against", "for")[i],
            comment="Une halle <b>enfin</b> couverte" if i == 0 else "",
        )
    return cast, survey, project


def _audit(page: Page, label: str, failures: list[str]) -> None:
    settle(page)
    violations = axe_violations(page)
    if violations:
        failures.append(f"{label} {page.url}:\n{describe(violations)}")
    if dangling := broken_idrefs(page):
        failures.append(f"{label}: references to no element: {dangling}")


def test_it_has_no_violation_on_the_consultation_pages(
    browser: Browser, live_server: LiveServer
) -> None:
    cast, survey, project = _data()
    questionnaire = survey.questionnaire
    public = "participation_consultations"
    backoffice = "participation_consultations_backoffice"
    rows: list[tuple[str, str, str]] = [
        ("resident", reverse(f"{public}:process_index", args=[project.process.slug]), "process"),
        ("resident", reverse(f"{public}:project_detail", args=[project.pk]), "project page"),
        ("anonymous", reverse(f"{public}:project_detail", args=[project.pk]), "project page"),
        ("resident", reverse(f"{public}:questionnaire_answer", args=[questionnaire.pk]), "answer"),
        (
            "resident",
            reverse(f"{public}:questionnaire_results", args=[questionnaire.pk]),
            "results",
        ),
        ("participation_manager", reverse(f"{backoffice}:index"), "back office index"),
        (
            "participation_manager",
            reverse(f"{backoffice}:process", args=[project.process.pk]),
            "back office process",
        ),
        (
            "participation_manager",
            reverse(f"{backoffice}:project_edit", args=[project.pk]),
            "project form",
        ),
        (
            "participation_manager",
            reverse(f"{backoffice}:questionnaire_builder", args=[questionnaire.pk]),
            "builder",
        ),
        (
            "participation_manager",
            reverse(f"{backoffice}:questionnaire_edit", args=[questionnaire.pk]),
            "questionnaire settings",
        ),
        (
            "participation_manager",
            reverse(f"{backoffice}:question_create", args=[questionnaire.pk]) + "?kind=matrix",
            "new matrix question",
        ),
        (
            "participation_manager",
            reverse(f"{backoffice}:question_edit", args=[survey.multiple.pk]),
            "conditional question form",
        ),
        (
            "participation_manager",
            reverse(f"{backoffice}:question_delete", args=[survey.single.pk]),
            "delete question",
        ),
        (
            "participation_manager",
            reverse(f"{backoffice}:results", args=[questionnaire.pk]),
            "back office results",
        ),
        (
            "participation_manager",
            reverse(f"{backoffice}:text_answers", args=[questionnaire.pk]),
            "free-text answers",
        ),
    ]
    failures: list[str] = []
    contexts: dict[str, Any] = {}
    try:
        for role, path, label in rows:
            if role not in contexts:
                contexts[role] = context_for(browser, live_server.url, cast.org, role)
            page = contexts[role].new_page()
            response = page.goto(live_server.url + path)
            assert response is not None
            if response.status != 200 or response.request.redirected_from is not None:
                failures.append(f"{label} {path}: HTTP {response.status} at {page.url}")
                page.close()
                continue
            _audit(page, label, failures)
            if label == "answer":
                # The page as re-displayed with errors: the summary, the messages.
                page.locator("form[data-questionnaire] button[type=submit]").click()
                expect(page.locator(".error-summary")).to_be_visible()
                _audit(page, "answer with errors", failures)
            if label == "project page" and role == "resident":
                page.locator("details summary").first.click()
                _audit(page, "project page with the table open", failures)
            page.close()
    finally:
        for context in contexts.values():
            context.close()
    assert not failures, "\n".join(failures)


def _tab_to(page: Page, target: Locator, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"could not reach {target} with Tab")


def test_it_answers_a_questionnaire_with_the_keyboard_only(
    browser: Browser, live_server: LiveServer
) -> None:
    cast, survey, _project = _data()
    s = survey
    # In English: the test reads the confirmation messages.
    context = context_for(browser, live_server.url, cast.org, "resident", "en")
    page = context.new_page()
    try:
        page.goto(
            live_server.url
            + reverse("participation_consultations:questionnaire_answer", args=[s.questionnaire.pk])
        )
        multiple = page.locator(f"#question-{s.multiple.pk}")
        # The conditional question waits for "Oui".
        expect(multiple).to_be_hidden()
        oui = page.locator(f"#q{s.single.pk}-{s.choice(s.single, 'Oui')}")
        _tab_to(page, oui)
        page.keyboard.press("Space")
        expect(oui).to_be_checked()
        expect(multiple).to_be_visible()
        expect(page.locator("#condition-status")).to_contain_text("question 1.1")
        # Two of the three choices, with Space.
        page.keyboard.press("Tab")
        expect(page.locator(f"#q{s.multiple.pk}-{s.choice(s.multiple, 'Légumes')}")).to_be_focused()
        page.keyboard.press("Space")
        page.keyboard.press("Tab")
        page.keyboard.press("Space")
        # The scale: into its radio group, then the arrows move the choice.
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        expect(page.locator(f"#q{s.scale.pk}-1")).to_be_focused()
        page.keyboard.press("Space")
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        expect(page.locator(f"#q{s.scale.pk}-4")).to_be_checked()
        page.keyboard.press("Tab")
        expect(page.locator(f"#q{s.text.pk}")).to_be_focused()
        page.keyboard.type("Des bancs à l'ombre")
        # The ranking: one select per option, chosen by typing the rank.
        for label, rank in (("Toit", "1"), ("Éclairage", "3"), ("Bancs", "2")):
            page.keyboard.press("Tab")
            select = page.locator(f"#q{s.ranking.pk}_c{s.choice(s.ranking, label)}-id")
            expect(select).to_be_focused()
            page.keyboard.type(rank)
            expect(select).to_have_value(rank)
        # The matrix: one radio group per row.
        for row in ("le samedi", "le mercredi"):
            page.keyboard.press("Tab")
            first = page.locator(
                f"#q{s.matrix.pk}_r{s.row(s.matrix, row)}-{s.choice(s.matrix, 'Jamais')}"
            )
            expect(first).to_be_focused()
            page.keyboard.press("Space")
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Tab")
        expect(page.locator("form[data-questionnaire] button[type=submit]")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator(".messages")).to_contain_text("your answers are recorded")
        response = Response.objects.get(
            questionnaire=s.questionnaire, participant=participant(cast.resident, cast.org)
        )
        answers = {
            (a.question_id, a.choice_id, a.row_id, a.number, a.text) for a in response.answers.all()
        }
        assert (s.scale.pk, None, None, 4, "") in answers
        assert (s.text.pk, None, None, None, "Des bancs à l'ombre") in answers
        assert (s.ranking.pk, s.choice(s.ranking, "Éclairage"), None, 3, "") in answers
        assert (s.multiple.pk, s.choice(s.multiple, "Légumes"), None, None, "") in answers
        assert (s.multiple.pk, s.choice(s.multiple, "Fromage"), None, None, "") in answers
        assert (
            s.matrix.pk,
            s.choice(s.matrix, "Parfois"),
            s.row(s.matrix, "le mercredi"),
            None,
            "",
        ) in answers
        # "Non" hides the multiple again: its answers are not sent, nor stored.
        non = page.locator(f"#q{s.single.pk}-{s.choice(s.single, 'Non')}")
        _tab_to(page, page.locator(f"#q{s.single.pk}-{s.choice(s.single, 'Oui')}"))
        page.keyboard.press("ArrowDown")
        expect(non).to_be_checked()
        expect(multiple).to_be_hidden()
        _tab_to(page, page.locator("form[data-questionnaire] button[type=submit]"))
        page.keyboard.press("Enter")
        expect(page.locator(".messages")).to_contain_text("Your answers are changed")
        assert not response.answers.filter(question=s.multiple).exists()
    finally:
        context.close()
