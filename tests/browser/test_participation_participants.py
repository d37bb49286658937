"""Taking part with an SMS code, by keyboard only, the code really sent to a loopback SMSC;
and axe-core on the participant's pages (SMS sign-in, code, profile, notifications and their
settings)."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

# Playwright's sync API runs an asyncio loop in the test thread (see tests/browser/conftest).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from django.urls import reverse
from playwright.sync_api import Browser, Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from beffroi.alerts.tests.factories import gateways, make_address, make_subscriber
from beffroi.messaging.testing import SmscServer, SmtpServer
from beffroi.participation.models import Participant
from beffroi.participation.notifications.services import notify
from beffroi.testing import make_cast
from tests.browser.support import axe_violations, describe, new_context

__all__ = ["gateways"]

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def tab_to(page: Page, target: Locator, *, limit: int = 25) -> None:
    """Press Tab until ``target`` has the focus (as a keyboard user would)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError("the element never received the focus by Tab")


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_it_takes_part_with_an_sms_code_by_keyboard_only(
    browser: Browser,
    live_server: LiveServer,
    gateways: tuple[SmtpServer, SmscServer],
    settings: Any,
) -> None:
    cast = make_cast()
    home = make_address(cast.org, 4.0, 45.0)
    make_subscriber(cast.org, home, full_name="Jeanne Durand", sms="+33612345678")
    context = new_context(browser, language="en")
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    page.goto(live_server.url + reverse("participation_participants:sms"))
    assert_accessible(page)
    tab_to(page, page.get_by_label("Mobile number"))
    page.keyboard.type("06 12 34 56 78")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/sms/code/.*"))
    assert_accessible(page)
    smsc = gateways[1]
    smsc.wait_for(lambda: len(smsc.accepted) == 1)
    match = re.search(r"\b(\d{6})\b", smsc.accepted[0].text)
    assert match is not None
    tab_to(page, page.get_by_label("Code received by SMS"))
    page.keyboard.type(match.group(1))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/participant/profil/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My participant profile")
    expect(page.get_by_role("status").first).to_contain_text("you can take part")
    participant = Participant.objects.get(subscriber__sms_number="+33612345678")
    assert participant.user_id is None
    assert_accessible(page)

    notify(recipients=[participant], kind="comment", title="Bruno a commenté votre proposition")
    page.goto(live_server.url + reverse("participation_notifications:list"))
    expect(page.get_by_role("heading", level=2).first).to_contain_text("Bruno a commenté")
    assert_accessible(page)
    page.goto(live_server.url + reverse("participation_notifications:settings"))
    assert_accessible(page)

    # Signing out by keyboard ends the session: the profile asks to take part again.
    page.goto(live_server.url + reverse("participation_participants:profile"))
    sign_out = page.locator("main").get_by_role("button", name="Sign out")
    tab_to(page, sign_out, limit=40)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/participant/$"))
    assert_accessible(page)
    page.goto(live_server.url + reverse("participation_participants:profile"))
    expect(page.get_by_role("heading", level=1)).to_have_text("How to take part")
    assert not [e for e in errors if "Content Security Policy" in e], errors
    context.close()
