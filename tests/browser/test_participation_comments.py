"""Comment threads and moderation in a real browser: axe-core finds no violation on a thread
(with replies, votes, a hidden comment, a form in error) and on the moderators' pages, and a
resident comments and replies with the keyboard alone."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect
from pytest_django.live_server_helper import LiveServer

from beffroi.accounts.models import User
from beffroi.participation.comments.services import Subject, comment_create, comment_vote
from beffroi.participation.models import Comment, Proposal
from beffroi.participation.moderation.services import Content, report_create
from beffroi.participation.tests.factories import make_process, make_proposal, participant
from beffroi.testing import Cast, make_cast, make_user
from tests.browser.support import (
    axe_violations,
    broken_idrefs,
    describe,
    new_context,
    session_cookie,
    settle,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _discussion(cast: Cast) -> tuple[Proposal, Comment]:
    process = make_process(cast.org)
    alice = participant(cast.resident, cast.org)
    bruno = participant(cast.resident2, cast.org)
    proposal = make_proposal(process, alice)
    subject = Subject(proposal=proposal)
    first = comment_create(
        participant=bruno,
        subject=subject,
        body="Très bonne idée,\nmais où le mettre ?",
        stance="for",
    )
    comment_create(
        participant=alice, subject=subject, body="Près du square.", stance="neutral", parent=first
    )
    rude = comment_create(
        participant=bruno, subject=subject, body="Texte déplacé", stance="against"
    )
    comment_vote(comment=first, participant=alice, value=1)
    Comment.objects.filter(pk=rude.pk).update(
        hidden_at=timezone.now(), hidden_reason="Propos insultants"
    )
    for index in range(2):
        reporter = participant(make_user(f"voisin{index}@example.org"), cast.org)
        report_create(reporter=reporter, content=Content(comment=first), reason="off_topic")
    return proposal, first


def _context_as(browser: Browser, live_server: LiveServer, user: User | None) -> BrowserContext:
    context = new_context(browser)
    cookies: list[Any] = [
        {"name": settings.LANGUAGE_COOKIE_NAME, "value": "fr", "url": live_server.url}
    ]
    if user is not None:
        cookies.append(
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session_cookie(user, verified=False),
                "url": live_server.url,
            }
        )
    context.add_cookies(cookies)
    return context


def _audit(page: Page, url: str, failures: list[str]) -> None:
    response = page.goto(url)
    assert response is not None
    if response.status >= 400:
        failures.append(f"{url}: HTTP {response.status}")
        return
    settle(page)
    if violations := axe_violations(page):
        failures.append(f"{url}:\n{describe(violations)}")
    if dangling := broken_idrefs(page):
        failures.append(f"{url}: references to no element: {dangling}")


def test_it_has_no_violation_on_threads_and_moderation_pages(
    browser: Browser, live_server: LiveServer
) -> None:
    cast = make_cast()
    proposal, first = _discussion(cast)
    thread = live_server.url + reverse("participation_comments:proposal_thread", args=[proposal.pk])
    failures: list[str] = []
    resident = _context_as(browser, live_server, cast.resident)
    try:
        page = resident.new_page()
        _audit(page, thread, failures)
        # The hidden comment shows its reason in words, not its text.
        expect(page.locator(".comment-hidden-notice")).to_contain_text("Propos insultants")
        expect(page.get_by_text("Texte déplacé")).to_have_count(0)
        # A form sent empty comes back with its errors, still without violation.
        page.locator("#id_comment_body").fill("   ")
        page.locator(".comment-form button[type=submit]").click()
        expect(page.locator(".comment-form .error-text")).to_be_visible()
        settle(page)
        if violations := axe_violations(page):
            failures.append(f"thread with errors:\n{describe(violations)}")
        _audit(
            page,
            live_server.url + reverse("participation_moderation:report_comment", args=[first.pk]),
            failures,
        )
        _audit(page, thread.replace(thread, thread + "?comments_sort=best"), failures)
    finally:
        resident.close()
    anonymous = _context_as(browser, live_server, None)
    try:
        _audit(anonymous.new_page(), thread, failures)
    finally:
        anonymous.close()
    moderator = _context_as(browser, live_server, cast.moderator)
    bruno = participant(cast.resident2, cast.org)
    try:
        page = moderator.new_page()
        for name, args in [
            ("participation_moderation_backoffice:queue", []),
            ("participation_moderation_backoffice:proposal", [proposal.pk]),
            ("participation_moderation_backoffice:comment", [first.pk]),
            ("participation_moderation_backoffice:participant", [bruno.pk]),
            ("participation_moderation_backoffice:blocked", []),
        ]:
            _audit(page, live_server.url + reverse(name, args=args), failures)
    finally:
        moderator.close()
    manager = _context_as(browser, live_server, cast.participation_manager)
    try:
        _audit(
            manager.new_page(),
            live_server.url + reverse("participation_moderation_backoffice:settings"),
            failures,
        )
    finally:
        manager.close()
    assert not failures, "\n".join(failures)


def _tab_to(page: Page, selector: str, limit: int = 80) -> None:
    target = page.locator(selector).first
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"{selector} never got the focus")


def test_it_comments_and_replies_with_the_keyboard_only(
    browser: Browser, live_server: LiveServer
) -> None:
    cast = make_cast()
    proposal, first = _discussion(cast)
    context = _context_as(browser, live_server, cast.association_manager)
    participant(cast.association_manager, cast.org)
    try:
        page = context.new_page()
        page.goto(
            live_server.url + reverse("participation_comments:proposal_thread", args=[proposal.pk])
        )
        _tab_to(page, "#id_comment_body")
        page.keyboard.type("Je soutiens, au clavier.")
        # The position: a group of radio buttons, "Neutral" checked; arrows choose another.
        page.keyboard.press("Tab")
        expect(page.locator("#id_comment_stance_2")).to_be_focused()
        page.keyboard.press("ArrowUp")
        page.keyboard.press("ArrowUp")
        expect(page.locator("#id_comment_stance_0")).to_be_checked()
        page.keyboard.press("Tab")
        expect(page.locator(".comment-form button[type=submit]")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator(".comment-status")).to_contain_text("comment", ignore_case=True)
        expect(page.get_by_text("Je soutiens, au clavier.")).to_be_visible()
        comment = Comment.objects.get(body="Je soutiens, au clavier.")
        assert comment.stance == "for" and comment.depth == 0

        # Reply: open the "Reply" disclosure of the first comment, write, send.
        summary = f"#comment-{first.pk} > article .comment-reply summary"
        _tab_to(page, summary)
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        expect(page.locator(f"#id_reply{first.pk}_body")).to_be_focused()
        page.keyboard.type("Réponse au clavier.")
        _tab_to(page, f"#comment-{first.pk} > article .comment-reply button[type=submit]", 10)
        page.keyboard.press("Enter")
        expect(page.get_by_text("Réponse au clavier.")).to_be_visible()
        reply = Comment.objects.get(body="Réponse au clavier.")
        assert reply.parent_id == first.pk and reply.depth == 1

        # Vote with the keyboard: the button says it is pressed.
        useful = f"#comment-{first.pk} > article .comment-vote button[value='1']"
        _tab_to(page, useful)
        page.keyboard.press("Enter")
        pressed = page.locator(f"#comment-{first.pk} > article .comment-vote button").first
        expect(pressed).to_have_attribute("aria-pressed", "true")
        first.refresh_from_db()
        assert first.votes_up == 2
    finally:
        context.close()


def test_it_comments_without_javascript(browser: Browser, live_server: LiveServer) -> None:
    cast = make_cast()
    proposal, _first = _discussion(cast)
    context = new_context(browser, java_script_enabled=False)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session_cookie(cast.association_manager, verified=False),
                "url": live_server.url,
            }
        ]
    )
    participant(cast.association_manager, cast.org)
    try:
        page = context.new_page()
        url = live_server.url + reverse(
            "participation_comments:proposal_thread", args=[proposal.pk]
        )
        page.goto(url)
        page.locator("#id_comment_body").fill("Sans JavaScript")
        page.locator("#id_comment_stance_1").check()
        page.locator(".comment-form button[type=submit]").click()
        expect(page.get_by_text("Sans JavaScript")).to_be_visible()
        assert page.url.startswith(url) and "#comment-" in page.url
        assert Comment.objects.get(body="Sans JavaScript").stance == "against"
    finally:
        context.close()
