"""RateSlot moved from alerts to messaging: the migration keeps the reservations already in
the table (a worker that was pacing an SMS gateway keeps its place after the upgrade)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_rows_when_the_table_moves_to_messaging() -> None:
    executor = MigrationExecutor(connection)
    before = [("alerts", "0003_rateslot"), ("messaging", None)]
    executor.migrate(before)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO alerts_rateslot (key, next_at) VALUES ('smpp', 1234.5)")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    tables = connection.introspection.table_names()
    assert "alerts_rateslot" not in tables
    from beffroi.messaging.models import RateSlot

    assert list(RateSlot.objects.values_list("key", "next_at")) == [("smpp", 1234.5)]
