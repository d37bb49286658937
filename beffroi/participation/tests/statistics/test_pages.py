"""The agents' statistics pages and CSV exports: who may read them, what they say, and a
constant number of queries whatever the volume."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from beffroi.accounts.models import User
from beffroi.participation.statistics.exports import csv_cell
from beffroi.participation.tests.factories import make_process
from beffroi.participation.tests.statistics.dataset import build, bulk, zone
from beffroi.testing import Cast, login_verified


def page_url(process_id: int) -> str:
    return reverse("participation_statistics_backoffice:process", kwargs={"process_id": process_id})


def export_url(process_id: int, dimension: str) -> str:
    return reverse(
        "participation_statistics_backoffice:export",
        kwargs={"process_id": process_id, "dimension": dimension},
    )


def agent(client: Client, user: User) -> Client:
    login_verified(client, user)
    return client


def rows(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


@pytest.mark.parametrize("role", ["participation_manager", "moderator", "administrator"])
def test_it_shows_the_statistics_to_managers_and_moderators(
    cast: Cast, client: Client, role: str
) -> None:
    data = build(cast)
    response = agent(client, getattr(cast, role)).get(page_url(data.process.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Statistics: Des idées pour Valmont" in html
    # Numbers in text, hidden content marked, every breakdown's table and CSV link.
    assert "of which 1 hidden by moderation and 1 withdrawn" in html
    assert 'role="img"' in html and "Busiest day:" in html
    for caption in ("Numbers per day", "Numbers per zone", "Numbers per age band"):
        assert f"<caption>{caption}</caption>" in html
    for dimension in ("days", "zones", "ages"):
        assert export_url(data.process.pk, dimension) in html
    assert "Zone inondable" in html and "No known zone" in html and "75 and over" in html


def test_it_lists_the_processes_and_is_on_the_dashboard(cast: Cast, client: Client) -> None:
    data = build(cast)
    agent(client, cast.moderator)
    response = client.get(reverse("participation_statistics_backoffice:index"))
    assert response.status_code == 200
    assert page_url(data.process.pk) in response.content.decode()
    assert "ailleurs" not in response.content.decode()
    dashboard = client.get(reverse("backoffice:home"))
    assert reverse("participation_statistics_backoffice:index") in dashboard.content.decode()


def test_it_refuses_residents_and_agents_without_the_role(cast: Cast, client: Client) -> None:
    data = build(cast)
    urls = [
        reverse("participation_statistics_backoffice:index"),
        page_url(data.process.pk),
        export_url(data.process.pk, "days"),
    ]
    for url in urls:
        anonymous = Client().get(url)
        assert anonymous.status_code == 302
        assert anonymous["Location"].startswith(reverse("accounts:login"))
    client.force_login(cast.resident)
    for url in urls:
        assert client.get(url).status_code == 403
    front_desk = agent(Client(), cast.front_desk)
    for url in urls:
        assert front_desk.get(url).status_code == 403


def test_it_answers_404_for_another_organisations_process(cast: Cast, client: Client) -> None:
    foreign = make_process(cast.other_org, slug="ailleurs-stats")
    agent(client, cast.participation_manager)
    assert client.get(page_url(foreign.pk)).status_code == 404
    assert client.get(export_url(foreign.pk, "zones")).status_code == 404
    assert client.get(page_url(999_999)).status_code == 404


def test_it_answers_404_for_an_unknown_breakdown_or_series(cast: Cast, client: Client) -> None:
    data = build(cast)
    agent(client, cast.participation_manager)
    assert client.get(export_url(data.process.pk, "communes")).status_code == 404
    response = client.get(export_url(data.process.pk, "days") + "?series=votes")
    assert response.status_code == 404


def test_it_exports_each_breakdown_as_csv_for_excel(cast: Cast, client: Client) -> None:
    data = build(cast)
    agent(client, cast.participation_manager)
    response = client.get(export_url(data.process.pk, "days"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="statistiques-idees-2025-par-jour-')
    assert disposition.endswith('.csv"')
    table = rows(response.content)
    assert table[0] == [
        "Day",
        "Participants",
        "Proposals",
        "Proposals: of which hidden",
        "Supports",
        "Comments",
        "Comments: of which hidden",
    ]
    assert table[1:] == [
        ["2025-03-01", "2", "2", "1", "0", "0", "0"],
        ["2025-03-02", "2", "0", "0", "2", "2", "1"],
        ["2025-03-03", "0", "0", "0", "0", "0", "0"],
        ["2025-03-04", "2", "0", "0", "2", "1", "0"],
        ["2025-03-05", "0", "1", "0", "0", "0", "0"],
    ]
    ages = rows(client.get(export_url(data.process.pk, "ages")).content)
    assert ages[0][0] == "Age band"
    assert ages[-1] == ["Unknown", "2", "1", "0", "1", "2", "1"]


def test_it_exports_one_series_alone(cast: Cast, client: Client) -> None:
    data = build(cast)
    agent(client, cast.participation_manager)
    response = client.get(export_url(data.process.pk, "zones") + "?series=supports")
    assert 'filename="statistiques-idees-2025-par-zone-soutiens-' in response["Content-Disposition"]
    # Zones in the order of the page (kind, then name), "no known zone" last.
    assert rows(response.content) == [
        ["Zone", "Supports"],
        ["Nord", "2"],
        ["Sud", "1"],
        ["Zone inondable", "1"],
        ["Hameau vide", "0"],
        ["No known zone", "1"],
    ]
    comments = client.get(export_url(data.process.pk, "ages") + "?series=comments")
    assert rows(comments.content)[0] == ["Age band", "Comments", "Comments: of which hidden"]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_it_defuses_spreadsheet_formulas(start: str) -> None:
    assert csv_cell(f"{start}HYPERLINK(1)") == f"'{start}HYPERLINK(1)"
    assert csv_cell("Nord") == "Nord"
    assert csv_cell(12) == "12"


def test_it_defuses_a_zone_named_like_a_formula_and_escapes_it_on_the_page(
    cast: Cast, client: Client
) -> None:
    data = build(cast)
    zone(cast.org, '=HYPERLINK("http://evil.example","<script>alert(1)</script>")')
    agent(client, cast.participation_manager)
    table = rows(client.get(export_url(data.process.pk, "zones")).content)
    names = [row[0] for row in table]
    assert '\'=HYPERLINK("http://evil.example","<script>alert(1)</script>")' in names
    html = client.get(page_url(data.process.pk)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


_last: list[Any] = []


def _queries(client: Client, url: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    _last[:] = captured.captured_queries
    return len(captured)


def test_it_makes_as_many_queries_whatever_the_volume(
    cast: Cast, client: Client, django_assert_max_num_queries: Any
) -> None:
    data = build(cast)
    agent(client, cast.participation_manager)
    url = page_url(data.process.pk)
    csv_url = export_url(data.process.pk, "zones")
    client.get(url)  # warm the session and the organisation caches
    small, small_csv = _queries(client, url), _queries(client, csv_url)
    bulk(data.process, people=40, proposals=60, supports_each=10)
    zone(cast.org, "Encore une zone")
    cache.clear()
    with django_assert_max_num_queries(small):
        assert client.get(url).status_code == 200
    cache.clear()
    with django_assert_max_num_queries(small_csv):
        assert client.get(csv_url).status_code == 200
    assert _queries(client, url) == small
    # Of which the statistics' own: the process, its phases, four statements.
    statistics = [q for q in _last if "participation_" in q["sql"] or "territory_zone" in q["sql"]]
    assert len(statistics) <= 7


def test_it_keeps_the_figures_a_few_minutes_and_says_when_they_were_computed(
    cast: Cast, client: Client
) -> None:
    data = build(cast)
    agent(client, cast.participation_manager)
    first = _queries(client, page_url(data.process.pk))
    with CaptureQueriesContext(connection) as captured:
        html = client.get(page_url(data.process.pk)).content.decode()
        client.get(export_url(data.process.pk, "ages"))
    # The page and the export after it read the figures computed for the first view.
    assert len(captured) < 2 * first - 4
    assert "Figures computed at" in html


@pytest.mark.french
def test_it_speaks_french_on_the_page_and_in_the_csv(cast: Cast, client: Client) -> None:
    data = build(cast)
    agent(client, cast.participation_manager)
    html = client.get(page_url(data.process.pk)).content.decode()
    assert "Statistiques : Des idées pour Valmont" in html
    assert "Aucune zone connue" in html and "75 ans et plus" in html
    table = rows(client.get(export_url(data.process.pk, "days")).content)
    assert table[0][:3] == ["Jour", "Participants", "Propositions"]
    assert table[0][3] == "Propositions : nombre masqué par la modération"
