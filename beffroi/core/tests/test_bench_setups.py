"""The benchmarks' data builders write rows straight into the tables (COPY, bulk INSERT):
a column added to a model must be added there too. Each builder runs here at its quick size
on the test database, so that a schema change breaks this test, not the next benchmark run."""

from __future__ import annotations

from pathlib import Path

import pytest

import bench
from bench import participation


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_participation_builder_matches_the_schema(tmp_path: Path) -> None:
    from django.db import connection

    from beffroi.participation.models import Proposal, Support

    context = bench.Context(quick=True, workdir=tmp_path, engine=connection.vendor)
    prepared = participation.setup(context)
    assert Proposal.objects.filter(process=prepared.process).count() == 500
    assert Support.objects.count() >= prepared.supports > 0
    # Rows written by hand read back as the application writes them.
    proposal = Proposal.objects.filter(process=prepared.process).first()
    assert proposal is not None and proposal.search_text and proposal.contact == ""
