"""Helpers shared by the browser tests: contexts, sessions, waiting, axe-core, screenshots."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.core.management import call_command, get_commands
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from playwright.sync_api import Browser, BrowserContext, Page, expect

from beffroi.accounts.access import requires_two_factor
from beffroi.accounts.models import RoleAssignment, User
from beffroi.territory.models import Organisation
from beffroi.testing import login_verified, make_cast, make_user

CHROMIUM = Path("/usr/bin/chromium")
# The network is closed here: these flags stop Chromium from calling home (updates, sync,
# QUIC probes), which otherwise floods the machine with failing connections.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 375, "height": 740}
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
LOCALES = {"fr": "fr-FR", "en": "en-GB"}

# WCAG 2.0 and 2.1, levels A and AA, plus Deque's best practices (landmarks, one h1, …).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}


def new_context(browser: Browser, *, language: str = "fr", **options: Any) -> BrowserContext:
    """A desktop browser speaking ``language``, as most residents will use."""
    settings_: dict[str, Any] = {
        "viewport": DESKTOP,
        "locale": LOCALES[language],
        "timezone_id": "Europe/Paris",
        "reduced_motion": "reduce",
    }
    settings_.update(options)
    context = browser.new_context(**settings_)
    context.set_default_timeout(15_000)
    return context


def load_site_data() -> Organisation:
    """The demo commune when its command exists (realistic pages), else the test cast."""
    if "demo" in get_commands():
        call_command("demo", verbosity=0)
        organisation = Organisation.objects.get(is_default=True)
    else:
        organisation = make_cast().org
    return organisation


def user_with_role(organisation: Organisation, role: str) -> User:
    """The first user holding ``role`` (its part before any ":"); for "<role>:new", an agent
    just granted the role who has not set up a second factor yet, made here (every agent of
    the demo has one)."""
    name, _, state = role.partition(":")
    if state == "new":
        user = User.objects.filter(email=f"nouvel-agent.{name}@example.org").first()
        if user is None:
            user = make_user(
                f"nouvel-agent.{name}@example.org",
                organisation=organisation,
                roles=(name,),
                full_name="Nouvel agent",
            )
        return user
    assignment = (
        RoleAssignment.objects.filter(organisation=organisation, role=name)
        .select_related("user")
        .order_by("user__pk")
        .first()
    )
    assert assignment is not None, f"the data has no user with the role {role}"
    return assignment.user


def session_cookie(user: User, *, verified: bool) -> str:
    """A session made by Django's test client: far faster than typing into the login form."""
    client = Client()
    if verified:
        login_verified(client, user)
    else:
        client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def context_for(
    browser: Browser,
    base_url: str,
    organisation: Organisation,
    role: str,
    language: str = "fr",
    **options: Any,
) -> BrowserContext:
    """A browser context logged in as the first user holding ``role`` ("anonymous": nobody)."""
    context = new_context(browser, language=language, **options)
    cookies: list[Any] = [
        {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base_url}
    ]
    if role != "anonymous":
        user = user_with_role(organisation, role)
        # ":unverified" and ":new" log in without proving the second factor.
        verified = requires_two_factor(user, organisation) and ":" not in role
        cookies.append(
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session_cookie(user, verified=verified),
                "url": base_url,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        )
    context.add_cookies(cookies)
    return context


TILES_STATE = """
() => {
  const tiles = [...document.querySelectorAll(".leaflet-container .leaflet-tile")];
  const busy = tiles.filter(t => !t.classList.contains("leaflet-tile-loaded")
    || (t.style.opacity !== "" && Number(t.style.opacity) < 1));
  const zooming = document.querySelectorAll(".leaflet-zoom-anim").length;
  return `${tiles.length}/${busy.length}/${zooming}`;
}
"""


def _tiles_still(page: Page, *, timeout: float = 5.0) -> None:
    """Until the maps' tiles are all loaded and opaque, with no zoom running, in two looks
    200 ms apart (a fade or a late pan shows between them)."""
    deadline = time.monotonic() + timeout
    previous = ""
    while time.monotonic() < deadline:
        state = str(page.evaluate(TILES_STATE))
        if state == previous and state.split("/")[1:] == ["0", "0"]:
            return
        previous = state
        page.wait_for_timeout(200)


def settle(page: Page) -> None:
    """Wait until the page is still: loaded, map tiles drawn, fonts ready."""
    page.wait_for_load_state("load")
    # Only the maps on show: one folded in a closed <details> draws no visible tile.
    maps = ".leaflet-container:visible"
    if page.locator(maps).count():
        expect(page.locator(f"{maps} .leaflet-tile-container img").first).to_be_visible()
        expect(page.locator(f"{maps} .leaflet-tile:not(.leaflet-tile-loaded)")).to_have_count(0)
        # Loaded tiles then fade in (script-driven, so a screenshot's "animations disabled"
        # does not finish it), a zoom animates the tile panes, and a late pan adds tiles:
        # wait until every tile is loaded and opaque, twice in a row.
        _tiles_still(page)
    page.evaluate("document.fonts.ready.then(() => true)")


def axe_violations(page: Page, *, waived: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now.

    axe-playwright-python injects axe with ``page.evaluate``, which goes through the DevTools
    protocol and is not subject to the page's Content-Security-Policy: the strict CSP stays on
    and the audit sees the site exactly as residents do (no ``bypass_csp`` needed).
    ``test_it_detects_violations_under_the_csp`` proves the audit really runs.
    """
    options: dict[str, Any] = dict(AXE_OPTIONS)
    if waived:
        options["rules"] = {rule: {"enabled": False} for rule in waived}
    violations: list[dict[str, Any]] = Axe().run(page, options=options).response["violations"]
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"  - {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"      at {node['target']}: {node['failureSummary']!r}")
    return "\n".join(lines)


# Pixels that may differ from the committed image without it being rewritten: a font's or a
# border's anti-aliasing varies by a few pixels between runs, a design change does not.
SCREENSHOT_NOISE_PIXELS = 400


def screenshot(page: Page, name: str) -> None:
    """Save ``docs/screenshots/<name>``, unless the committed image differs only by
    rendering noise (so that the images change in git only when the page does)."""
    from PIL import Image, ImageChops

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)
    taken = page.screenshot(animations="disabled", caret="hide")
    path = SCREENSHOTS / name
    if path.exists():
        with Image.open(path) as old, Image.open(io.BytesIO(taken)) as new:
            if old.size == new.size:
                diff = ImageChops.difference(old.convert("RGB"), new.convert("RGB")).convert("L")
                if sum(diff.histogram()[1:]) <= SCREENSHOT_NOISE_PIXELS:
                    return
    path.write_bytes(taken)


# axe only "needs review" an aria-describedby pointing at nothing; yet then the field's error
# or help is silently lost for screen-reader users, so the walk fails on it.
BROKEN_IDREFS = """
() => [...document.querySelectorAll("[aria-describedby], [aria-labelledby], [aria-controls]")]
  .flatMap(el => ["aria-describedby", "aria-labelledby", "aria-controls"]
    .filter(name => el.hasAttribute(name))
    .flatMap(name => el.getAttribute(name).split(/\\s+/).filter(Boolean)
      .filter(id => !document.getElementById(id))
      .map(id => `${el.tagName.toLowerCase()}[${name}=${id}]`)))
"""


def broken_idrefs(page: Page) -> list[str]:
    found: list[str] = page.evaluate(BROKEN_IDREFS)
    return found


def url_names() -> set[str]:
    """Every named URL of the project, with its namespaces ("accounts:login")."""
    names: set[str] = set()

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
                walk(pattern.url_patterns, namespace)
            elif pattern.name:
                names.add(prefix + pattern.name)

    walk(get_resolver().url_patterns, "")
    return names
