"""Maps as agents and residents meet them: French drawing tools, zones chosen from a list and
highlighted on the map, shapes out of the tab order, and the commune's own streets drawn when
no tile server is configured."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from beffroi.territory.models import Zone
from tests.browser.pages import (
    ADMINISTRATOR,
    ALERT_AUTHOR,
    ANONYMOUS,
    IDEAS,
    SOCIAL_AGENT,
    my_address_result,
    url,
    zone_path,
)
from tests.browser.support import (
    axe_violations,
    broken_idrefs,
    context_for,
    describe,
    load_site_data,
    settle,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

COMPOSER_MAP = "#targeting-map"


def open_as(browser: Browser, live_server: LiveServer, role: str, path: str) -> Page:
    organisation = load_site_data()
    context = context_for(browser, live_server.url, organisation, role)
    page = context.new_page()
    page.goto(live_server.url + path)
    settle(page)
    return page


def zone_shape(page: Page, zone: Zone) -> str:
    return f"{COMPOSER_MAP} path[data-zone-id='{zone.pk}']"


@pytest.mark.parametrize(
    ("role", "path", "map_id"),
    [
        (ADMINISTRATOR, url("territory_backoffice:zone_create"), "#draw-map"),
        (ALERT_AUTHOR, url("alerts_backoffice:alert_new"), COMPOSER_MAP),
    ],
    ids=["zone", "composer"],
)
def test_it_speaks_french_in_the_drawing_tools(
    browser: Browser, live_server: LiveServer, role: str, path: str, map_id: str
) -> None:
    page = open_as(browser, live_server, role, path)
    toolbar = page.locator(f"{map_id} .leaflet-draw-toolbar")
    expect(toolbar.locator("a.leaflet-draw-draw-polygon")).to_have_attribute(
        "title", "Dessiner un polygone"
    )
    expect(toolbar.locator("a.leaflet-draw-draw-rectangle")).to_have_attribute(
        "title", "Dessiner un rectangle"
    )
    expect(toolbar.locator("a.leaflet-draw-draw-circle")).to_have_attribute(
        "title", "Dessiner un cercle"
    )
    expect(toolbar.locator("a.leaflet-draw-edit-edit")).to_have_attribute(
        "title", "Aucune forme à modifier"
    )
    expect(page.locator(f"{map_id} a.leaflet-control-zoom-in")).to_have_attribute("title", "Zoomer")
    # The tooltip that follows the pointer while drawing, and the action buttons.
    toolbar.locator("a.leaflet-draw-draw-polygon").click()
    map_box = page.locator(map_id).bounding_box()
    assert map_box is not None
    page.mouse.move(map_box["x"] + 300, map_box["y"] + 200)
    page.mouse.move(map_box["x"] + 310, map_box["y"] + 210)
    expect(page.locator(f"{map_id} .leaflet-draw-tooltip")).to_contain_text(
        "Cliquez pour commencer à dessiner la forme."
    )
    actions = page.locator(f"{map_id} .leaflet-draw-actions a:visible")
    expect(actions.last).to_have_text("Annuler")
    expect(actions.last).to_have_attribute("title", "Annuler le dessin")


def test_it_keeps_the_zone_list_and_the_map_in_step(
    browser: Browser, live_server: LiveServer
) -> None:
    page = open_as(browser, live_server, ALERT_AUTHOR, url("alerts_backoffice:alert_new"))
    audience_url = url("alerts_backoffice:sms_preview")
    zone = Zone.objects.get(name="le Moulin")
    shape = page.locator(zone_shape(page, zone))
    box = page.get_by_role("checkbox", name="le Moulin")
    expect(box).not_to_be_checked()
    expect(shape).to_have_attribute("stroke-dasharray", "6 5")
    expect(page.locator(f"{COMPOSER_MAP} .map-zone-selected-label")).to_have_count(0)

    # The list is the keyboard's way: ticking the box highlights the zone, not by colour only.
    box.focus()
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    expect(shape).not_to_have_attribute("stroke-dasharray", "6 5")
    expect(shape).to_have_attribute("stroke-width", "4")
    expect(shape).to_have_attribute("fill", "url(#beffroi-zone-hatch)")
    expect(page.locator(f"{COMPOSER_MAP} .map-zone-selected-label")).to_have_text("✓ le Moulin")
    # A click on the shape unticks the box, and the audience preview is asked again as for a
    # tick in the list.
    with page.expect_request(lambda r: r.url.endswith(audience_url) and r.method == "POST"):
        shape.click(force=True)
    expect(box).not_to_be_checked()
    expect(shape).to_have_attribute("stroke-dasharray", "6 5")
    other = Zone.objects.get(name="les Granges")
    page.locator(zone_shape(page, other)).click(force=True)
    expect(page.get_by_role("checkbox", name="les Granges")).to_be_checked()
    # The legend says what the two looks mean.
    expect(page.locator(".map-key")).to_contain_text("Zone choisie")
    assert axe_violations(page) == [], describe(axe_violations(page))


@pytest.mark.parametrize(
    ("role", "path", "map_id"),
    [
        (ADMINISTRATOR, url("territory_backoffice:zone_list"), "#zones-map"),
        (ALERT_AUTHOR, url("alerts_backoffice:alert_new"), COMPOSER_MAP),
    ],
    ids=["zones", "composer"],
)
def test_it_keeps_zone_shapes_out_of_the_tab_order(
    browser: Browser, live_server: LiveServer, role: str, path: str, map_id: str
) -> None:
    page = open_as(browser, live_server, role, path)
    expect(page.locator(f"{map_id} .map-label-commune")).to_have_count(1)
    shapes = page.locator(f"{map_id} path")
    assert shapes.count() >= 11
    page.locator(map_id).focus()
    inside = []
    for _ in range(20):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            f"(() => {{ const e = document.activeElement;"
            f" return e.closest('{map_id}') ? e.tagName.toLowerCase() + '.'"
            f" + (e.getAttribute('class') || '') : null; }})()"
        )
        if focused is None:
            break
        inside.append(focused)
    # The map's own controls take the focus (zoom, draw tools); never a shape nor a label.
    assert all(f.startswith("a.") for f in inside), inside
    focusable = page.evaluate(
        f"[...document.querySelectorAll('{map_id} path, {map_id} .map-label')]"
        ".filter(e => e.tabIndex >= 0).length"
    )
    assert focusable == 0
    # The shapes themselves are still there for the mouse: a click opens the zone's popup.
    if map_id == "#zones-map":
        page.locator(f"{map_id} path.leaflet-interactive").first.click(force=True)
        expect(page.locator(f"{map_id} .leaflet-popup-content a")).to_have_count(1)


def test_it_draws_the_communes_streets_without_a_tile_server(
    browser: Browser, live_server: LiveServer
) -> None:
    page = open_as(browser, live_server, ADMINISTRATOR, url("territory_backoffice:zone_list"))
    commune_map = page.locator("#zones-map")
    # The village's name and hamlets are on the map at once; street names when zoomed in.
    expect(commune_map.locator(".map-label-commune")).to_have_count(1)
    expect(commune_map.locator(".map-label-place", has_text="Saint-Firmin")).to_have_count(1)
    street = commune_map.locator(".map-label-street", has_text="Rue de la Mairie")
    expect(street).to_have_count(1)
    expect(street).to_be_hidden()
    assert commune_map.locator("path.map-street").count() > 30
    zoom_in = commune_map.locator(".leaflet-control-zoom-in")
    for _ in range(6):
        if "map-show-streets" in (commune_map.get_attribute("class") or ""):
            break
        zoom_in.click()
        page.wait_for_timeout(300)
    expect(commune_map).to_have_class(re.compile(r"\bmap-show-streets\b"))
    expect(street).to_be_visible()
    colours = street.locator("span").evaluate(
        "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]"
    )
    assert colours == ["rgb(51, 51, 51)", "rgba(255, 255, 255, 0.92)"], colours
    assert not page.evaluate(
        "[...document.querySelectorAll('.map-label, path.map-street')].some(e => e.tabIndex >= 0)"
    )
    assert axe_violations(page) == [], describe(axe_violations(page))


def test_it_draws_the_streets_under_the_residents_point_picker(
    browser: Browser, live_server: LiveServer
) -> None:
    page = open_as(browser, live_server, ANONYMOUS, url("subscriptions:register"))
    picker = page.locator("div.point-picker")
    if not picker.is_visible():
        page.locator("details:has(div.point-picker) > summary").click()
    expect(picker.locator(".map-label-commune")).to_have_count(1)
    assert picker.locator("path.map-street").count() > 30


def test_it_keeps_every_map_page_free_of_violations_with_the_base_map(
    browser: Browser, live_server: LiveServer
) -> None:
    organisation = load_site_data()
    pages = {
        ANONYMOUS: [my_address_result(), url("subscriptions:register")],
        ADMINISTRATOR: [
            zone_path("territory_backoffice:zone_detail")(),
            url("territory_backoffice:zone_create"),
        ],
        SOCIAL_AGENT: [url("registry:map")],
    }
    failures = []
    for role, paths in pages.items():
        context = context_for(browser, live_server.url, organisation, role)
        page = context.new_page()
        for path in paths:
            page.goto(live_server.url + path)
            settle(page)
            details = page.locator("details:has(div.point-picker) > summary")
            if details.count():
                details.click()
            shown = page.locator("div.map:visible, div.point-picker:visible").first
            # The streets arrived (the base map is fetched after the page loads).
            expect(shown.locator(".map-label-commune")).to_have_count(1)
            if violations := axe_violations(page):
                failures.append(f"{path}:\n{describe(violations)}")
            if missing := broken_idrefs(page):
                failures.append(f"{path}: broken references {missing}")
        context.close()
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("path", "element"),
    [
        (lambda: url("participation_proposals:map", IDEAS), "div.proposals-map"),
        (lambda: url("participation_realisations:list"), "div.realisations-map"),
    ],
    ids=["proposals", "realisations"],
)
def test_it_draws_the_points_of_proposals_and_realisations(
    browser: Browser, live_server: LiveServer, path: Any, element: str
) -> None:
    """Both maps share BeffroiMap.pointsMap: the points are drawn (on a canvas), the count is
    written for screen readers, and a click on a point opens its popup with a link."""
    page = open_as(browser, live_server, ANONYMOUS, path())
    count = page.locator("#map-count")
    expect(count).to_have_text(re.compile(r"\d+$"))
    drawn = int((count.text_content() or "0").split()[-1])
    assert drawn > 0
    box = page.locator(element).bounding_box()
    assert box is not None
    assert page.locator(f"{element} .leaflet-overlay-pane canvas").count() == 1
    page.locator(element).scroll_into_view_if_needed()
    # A point is found by scanning the canvas for the markers' fill colour, then clicked.
    spot = page.evaluate(
        """(selector) => {
          const canvas = document.querySelector(selector + ' .leaflet-overlay-pane canvas');
          const ctx = canvas.getContext('2d');
          const {width, height} = canvas;
          const data = ctx.getImageData(0, 0, width, height).data;
          const ratio = width / canvas.getBoundingClientRect().width;
          for (let y = 0; y < height; y += 2) {
            for (let x = 0; x < width; x += 2) {
              const i = (y * width + x) * 4;
              const [red, green, blue] = [data[i], data[i + 1], data[i + 2]];
              // #2b6cb0 blended at 0.8 over the map: a clearly blue pixel.
              if (blue > 150 && red < 110 && green > 90 && green < 150) {
                const r = canvas.getBoundingClientRect();
                return [r.left + x / ratio, r.top + y / ratio];
              }
            }
          }
          return null;
        }""",
        element,
    )
    assert spot is not None
    page.mouse.click(spot[0], spot[1])
    popup = page.locator(f"{element} .leaflet-popup-content a")
    expect(popup).to_have_count(1)
    assert (popup.get_attribute("href") or "").startswith("/participer/")
