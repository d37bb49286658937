"""Bulk address resolution (``addresses_resolve``): one call for a whole list, the same
answer per query as ``address_search(…, limit=1)``, in a bounded number of queries."""

from __future__ import annotations

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from beffroi.territory.models import Address
from beffroi.territory.selectors import address_search, addresses_resolve
from beffroi.testing import Cast

QUERIES = [
    "12 r mairie",
    "12 RUE DE LA MAIRIE 99100 VALMONT",
    "12 reu de la mairie",
    "12bis r. de la mairie",
    "12 bis rue de la mairie valmont",
    "2 pl de la mairie",
    "7 av gal de gaulle",
    "3 che ecolier",
    "10 rte de lyon",
    "2 imp st exupery",
    "4 rue de l'eglise",
    "25 rue de la mairie",
    "rue de la mairie",
    "le bourg",
    "mairie",
    "zzqx wvvk",
    "",
    "12 r mairie",  # a repeated query is answered for each of its positions
]


def test_it_answers_each_query_as_the_search_does(addresses: Cast) -> None:
    resolved = addresses_resolve(organisation=addresses.org, queries=QUERIES)
    expected = [
        next(iter(address_search(organisation=addresses.org, query=q, limit=1)), None)
        for q in QUERIES
    ]
    assert resolved == expected
    assert resolved[0] is not None and resolved[0].label == "12 Rue de la Mairie, 99100 Valmont"
    assert resolved[-1] == resolved[0]
    assert resolved[15] is None and resolved[16] is None


def test_its_queries_do_not_grow_with_the_list(addresses: Cast) -> None:
    with CaptureQueriesContext(connection) as few:
        addresses_resolve(organisation=addresses.org, queries=QUERIES[:2])
    with CaptureQueriesContext(connection) as many:
        addresses_resolve(organisation=addresses.org, queries=QUERIES * 20)
    assert len(many) == len(few) <= 4


@pytest.mark.parametrize("queries", [[], ["12 rue de la mairie"]])
def test_it_finds_nothing_in_another_organisation(addresses: Cast, queries: list[str]) -> None:
    assert addresses_resolve(organisation=addresses.other_org, queries=queries) == [None] * len(
        queries
    )


def _variants(rng: random.Random, address: Address) -> list[str]:
    """Ways of typing ``address``: exact, upper case, a typo, another number, with the
    postcode (right or wrong) and the commune."""
    assert address.street is not None
    street = address.street.name
    typo_at = rng.randrange(1, len(street) - 1)
    typo = street[:typo_at] + street[typo_at + 1 :]
    number = f"{address.number}{address.suffix}"
    return [
        f"{number} {street}",
        f"{number} {street}".upper(),
        f"{number} {typo}",
        f"{int(address.number or 0) + 7} {street}",
        f"{number} {street} {address.postcode} {address.commune.name}",
        f"{number} {street} 99999",
        f"{street} {address.commune.name}",
    ]


def test_it_answers_typed_variants_of_every_address_as_the_search_does(
    addresses: Cast,
) -> None:
    """The shortcut (cheap scores only when the best address scores above what the costly
    scores can reach) must never change an answer."""
    rng = random.Random(8)
    queries = [
        query
        for address in Address.objects.filter(organisation=addresses.org, street__isnull=False)
        for query in _variants(rng, address)
    ]
    resolved = addresses_resolve(organisation=addresses.org, queries=queries)
    for query, match in zip(queries, resolved, strict=True):
        found = address_search(organisation=addresses.org, query=query, limit=1)
        assert match == (found[0] if found else None), query
