"""Similar proposals and the list at 10,000 proposals stay right (speed: the benchmark)."""

from __future__ import annotations

import random

import pytest
from django.test import Client
from django.urls import reverse

from beffroi.participation.models import Proposal
from beffroi.participation.models.proposals import proposal_search_text
from beffroi.participation.proposals import selectors
from beffroi.participation.richtext import clean_html
from beffroi.participation.tests.factories import make_process
from beffroi.testing import Cast

_TEXT = (
    "composteur jardin banc piste cyclable arbre fontaine parc école cantine marché "
    "éclairage trottoir parking bibliothèque skatepark potager ruche abri vélo terrain "
    "sport musique fête nettoyage rivière chemin passage piéton ralentisseur aire jeux"
)
WORDS = tuple(_TEXT.split())


@pytest.mark.slow
def test_it_finds_similar_proposals_among_10000(cast: Cast) -> None:
    process = make_process(cast.org)
    rng = random.Random(7)
    rows = []
    for i in range(10_000):
        words = rng.sample(WORDS, 4)
        title = f"{words[0].capitalize()} et {words[1]} numéro {i}"
        body = clean_html(f"Nous proposons {' '.join(words)} pour le quartier {i % 40}.")
        rows.append(
            Proposal(
                organisation=cast.org,
                process=process,
                title=title,
                body=body,
                # bulk_create skips save(), which folds the text for search.
                search_text=proposal_search_text(title, body),
                supports_count=rng.randint(0, 100),
            )
        )
    Proposal.objects.bulk_create(rows, batch_size=2000)
    target = Proposal.objects.create(
        organisation=cast.org,
        process=process,
        title="Installer un hôtel à insectes au verger communal",
        body=clean_html("Un hôtel à insectes pour les pollinisateurs du verger."),
    )
    # Speed is measured by the benchmark (bench/participation.py), not here: this test proves
    # that the candidate prefilter keeps the right answer at scale, for rare and common words.
    found = selectors.similar_proposals(
        process=process, title="Hôtel à insectes au verger", body="Pour les pollinisateurs"
    )
    assert found and found[0].proposal_id == target.pk
    broad = selectors.similar_proposals(
        process=process, title="Un composteur au jardin", body="près du parc et de l'école"
    )
    assert broad
    assert all("composteur" in s.title.lower() or "jardin" in s.title.lower() for s in broad[:3])
    client = Client()
    url = reverse("participation_proposals:list", args=[process.slug])
    response = client.get(url, {"sort": "random", "seed": "5", "page": "3"})
    assert response.status_code == 200
