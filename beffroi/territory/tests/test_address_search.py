from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from beffroi.territory.selectors import address_search
from beffroi.territory.text import fold, normalize_street, parse_address_query
from beffroi.testing import Cast


def best(cast: Cast, query: str) -> str:
    matches = address_search(organisation=cast.org, query=query)
    assert matches, f"nothing found for {query!r}"
    return matches[0].label


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("12 r mairie", "12 Rue de la Mairie, 99100 Valmont"),
        ("12 rue de la mairie", "12 Rue de la Mairie, 99100 Valmont"),
        ("12 RUE DE LA MAIRIE 99100 VALMONT", "12 Rue de la Mairie, 99100 Valmont"),
        ("12 rue de la mairei", "12 Rue de la Mairie, 99100 Valmont"),
        ("12 reu de la mairie", "12 Rue de la Mairie, 99100 Valmont"),
        ("12bis r. de la mairie", "12 bis Rue de la Mairie, 99100 Valmont"),
        ("12 b r mairie", "12 bis Rue de la Mairie, 99100 Valmont"),
        ("12 bis rue de la mairie valmont", "12 bis Rue de la Mairie, 99100 Valmont"),
        ("2 pl de la mairie", "2 Place de la Mairie, 99100 Valmont"),
        ("5 av du general de gaulle", "5 Avenue du Général de Gaulle, 99100 Valmont"),
        ("7 av gal de gaulle", "7 Avenue du Général de Gaulle, 99100 Valmont"),
        ("3 ch des ecoliers", "3 Chemin des Écoliers, 99100 Valmont"),
        ("3 che ecolier", "3 Chemin des Écoliers, 99100 Valmont"),
        ("10 rte de lyon", "10 Route de Lyon, 99100 Valmont"),
        ("2 imp st exupery", "2 Impasse Saint-Exupéry, 99100 Valmont"),
        ("4 rue de l'eglise", "4 Rue de l'Église, 99100 Valmont"),
        ("le bourg", "Le Bourg, 99100 Valmont"),
    ],
)
def test_it_finds_addresses_despite_abbreviations_typos_and_accents(
    addresses: Cast, query: str, expected: str
) -> None:
    assert best(addresses, query) == expected


def test_it_falls_back_to_the_nearest_number_with_a_lower_score(addresses: Cast) -> None:
    [exact] = address_search(organisation=addresses.org, query="3 rue de la mairie", limit=1)
    [nearest] = address_search(organisation=addresses.org, query="25 rue de la mairie", limit=1)
    assert nearest.label == "20 Rue de la Mairie, 99100 Valmont"
    assert nearest.score < exact.score


def test_it_lists_a_street_without_number(addresses: Cast) -> None:
    matches = address_search(organisation=addresses.org, query="rue de la mairie", limit=5)
    assert [m.label.split(" Rue")[0] for m in matches] == ["1", "2", "3", "4", "5"]


def test_it_returns_coordinates_and_respects_the_limit(addresses: Cast) -> None:
    matches = address_search(organisation=addresses.org, query="mairie", limit=3)
    assert len(matches) == 3
    assert all(45.0 < m.lat < 45.1 and 4.0 < m.lon < 4.1 for m in matches)


def test_it_finds_nothing_for_nonsense_or_another_organisation(addresses: Cast) -> None:
    assert address_search(organisation=addresses.org, query="zzqx wvvk") == []
    assert address_search(organisation=addresses.org, query="   ") == []
    assert address_search(organisation=addresses.other_org, query="12 rue de la mairie") == []


def test_it_parses_numbers_suffixes_and_postcodes() -> None:
    parsed = parse_address_query("12 B, r. de la Mairie 99100 Valmont")
    assert (parsed.number, parsed.suffix, parsed.postcode) == ("12", "bis", "99100")
    assert parsed.words == ["rue", "mairie", "valmont"]
    assert parse_address_query("12ter bd Foch").suffix == "ter"
    assert parse_address_query("rue du 8 mai 1945").number == ""


def test_it_normalises_street_names() -> None:
    assert normalize_street("Rue de l'Église") == "rue eglise"
    assert normalize_street("AV. du Gal de Gaulle") == "avenue general gaulle"
    assert normalize_street("Fbg St-Jean") == "faubourg saint jean"
    assert normalize_street("Lot. Les Œillets") == "lotissement oeillets"
    assert normalize_street("Ham. de la Côte") == "hameau cote"


FRENCH = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "àâäçéèêëîïôöùûüÿœæÀÂÉÈÊÇÔŒ0123456789 '-.,",
    max_size=60,
)


@given(FRENCH)
def test_normalisation_is_idempotent_and_plain_ascii(name: str) -> None:
    once = normalize_street(name)
    assert normalize_street(once) == once
    assert all(ch.isascii() and (ch.isalnum() or ch == " ") for ch in once)
    assert "  " not in once and once == once.strip()


@given(FRENCH)
def test_normalisation_ignores_case_and_accents(name: str) -> None:
    assert normalize_street(name.upper()) == normalize_street(name.lower())
    assert normalize_street(name) == normalize_street(fold(name))
