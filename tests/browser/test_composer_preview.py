"""The composer's live preview in a browser: one change refreshes the audience, the SMS cost,
the e-mails and the placeholders left, without one request cancelling another."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, Request, expect
from pytest_django.live_server_helper import LiveServer

from tests.browser.pages import ALERT_AUTHOR, url
from tests.browser.support import axe_violations, context_for, describe, load_site_data, settle

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def composer(browser: Browser, live_server: LiveServer) -> tuple[Page, list[str]]:
    """The new alert form as the demo's author, and the requests that failed on it."""
    organisation = load_site_data()
    context = context_for(browser, live_server.url, organisation, ALERT_AUTHOR)
    page = context.new_page()
    failed: list[str] = []

    def on_failed(request: Request) -> None:
        failed.append(f"{request.url} {request.failure}")

    page.on("requestfailed", on_failed)
    page.goto(live_server.url + url("alerts_backoffice:alert_new"))
    settle(page)
    return page, failed


def test_ticking_a_zone_updates_the_audience_and_the_cost(
    browser: Browser, live_server: LiveServer
) -> None:
    page, failed = composer(browser, live_server)
    page.locator("#id_topic").select_option("flood")
    page.locator("#id_headline").fill("Crue de l'Aulne")
    page.locator("#id_sms_text").fill("Crue: montez a l'etage.")
    audience = page.locator("#audience-preview")
    expect(audience).not_to_contain_text("seront prévenues")

    page.locator("input[name='zones']").first.check()

    expect(audience).to_contain_text(re.compile(r"\d+ personnes? (sera prévenue|seront)"))
    expect(audience.locator("table").first).to_be_visible()
    # The SMS cost of the same answer counts the recipients of the zone ticked.
    expect(page.locator("#sms-info")).to_contain_text("destinataire")
    expect(page.locator("#sms-info")).not_to_contain_text("choisissez la cible")
    # The zones' own audience request was cancelled by the form's (net::ERR_ABORTED); a
    # preview superseded by a newer one of the whole form may be, the audience may not.
    assert not [f for f in failed if "/apercu/audience/" in f], failed

    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_placeholders_are_marked_and_the_warning_follows_the_text(
    browser: Browser, live_server: LiveServer
) -> None:
    page, _failed = composer(browser, live_server)
    page.locator("#id_headline").fill("Crue de l'Aulne")
    sms = page.locator("#id_sms_text")
    sms.fill("Crue vers [heure]: montez a l'etage.")

    mark = page.locator("#sms-info mark.placeholder")
    expect(mark).to_have_text("à compléter : [heure]")
    expect(mark.locator(".visually-hidden")).to_have_text("à compléter : ")
    warning = page.locator("#placeholders")
    expect(warning).to_contain_text("Texte à compléter")
    expect(warning).to_contain_text("[heure]")

    sms.fill("Crue vers 18 h: montez a l'etage.")
    expect(page.locator("#sms-info mark")).to_have_count(0)
    expect(warning).to_be_empty()


def test_the_map_attribution_speaks_french(browser: Browser, live_server: LiveServer) -> None:
    page, _failed = composer(browser, live_server)
    leaflet = page.locator("#targeting-map .leaflet-control-attribution a[href*='leafletjs']")
    expect(leaflet).to_have_attribute("title", "Une bibliothèque JavaScript de cartes interactives")
