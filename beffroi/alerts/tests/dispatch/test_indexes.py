"""The deliveries' indexes: few, partial where a query looks for a small part of the table
(the sweep's claimed and waiting rows, the receipts' provider ids), and each query of the
sweep and of receipts reaching its rows through one of them on both engines."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from beffroi.alerts.dispatch.services import deliveries_requeue_stale, delivery_receipt_apply
from beffroi.alerts.models import Alert, Delivery
from beffroi.alerts.tests.factories import make_alert, make_subscribers
from beffroi.messaging.base import Receipt
from beffroi.testing import Cast

pytestmark = pytest.mark.django_db


def _indexes() -> dict[str, str]:
    """Index name → its SQL definition (the partial condition included)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s",
                [Delivery._meta.db_table],
            )
        else:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s",
                [Delivery._meta.db_table],
            )
        return {name: sql or "" for name, sql in cursor.fetchall()}


def test_deliveries_have_few_indexes_and_partial_ones_for_the_sweep_and_receipts() -> None:
    indexes = _indexes()
    # Primary key (SQLite's is the rowid, no index), unique (alert, subscriber, channel),
    # (alert, status, channel), subscriber, and the three partial ones: nothing on status,
    # provider id or alert alone.
    assert len(indexes) == (6 if connection.vendor == "sqlite" else 7), indexes
    assert "WHERE" in indexes["delivery_sending"] and "sending" in indexes["delivery_sending"]
    assert "WHERE" in indexes["delivery_pending"] and "pending" in indexes["delivery_pending"]
    assert "WHERE" in indexes["delivery_provider_id"]


def _plans(capture: CaptureQueriesContext) -> str:
    """EXPLAIN of every SELECT and UPDATE on deliveries run in ``capture``."""
    plans = []
    table = connection.ops.quote_name(Delivery._meta.db_table)
    with connection.cursor() as cursor:
        for query in capture.captured_queries:
            sql = query["sql"]
            if table not in sql or not sql.startswith(("SELECT", "UPDATE")):
                continue
            explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
            cursor.execute(explain + sql)
            plans.append(f"{sql}\n" + "\n".join(str(row[-1]) for row in cursor.fetchall()))
    return "\n\n".join(plans)


def test_the_sweep_and_receipts_reach_their_rows_through_the_partial_indexes(
    cast: Cast,
) -> None:
    make_subscribers(cast.org, 3)
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENDING)
    long_ago = timezone.now() - timedelta(hours=1)
    rows = Delivery.objects.bulk_create(
        Delivery(alert=alert, channel="sms", target=f"+3361234567{i}", status=status, **fields)
        for i, (status, fields) in enumerate(
            [
                (Delivery.Status.SENDING, {"claimed_at": long_ago}),
                (Delivery.Status.PENDING, {"next_attempt_at": None}),
                (Delivery.Status.SENT, {"provider_id": "smsc-42"}),
            ]
        )
    )
    with CaptureQueriesContext(connection) as sweep:
        assert deliveries_requeue_stale(timeout_seconds=60) == 2
    receipt = Receipt(provider_id="smsc-42", status="delivered", error_code="", done_at=None)
    with CaptureQueriesContext(connection) as receipts:
        assert delivery_receipt_apply(receipt=receipt, channel="sms")
    rows[2].refresh_from_db()
    assert rows[2].status == Delivery.Status.DELIVERED
    # SQLite names the index it searches or scans; PostgreSQL too (on a table this small
    # it may prefer reading the table: plans are checked where the index must be chosen).
    sweep_plans = _plans(sweep)
    receipt_plans = _plans(receipts)
    if connection.vendor == "sqlite":
        assert "delivery_sending" in sweep_plans
        assert "delivery_pending" in sweep_plans
        assert "delivery_provider_id" in receipt_plans
    # No query scans the whole table for a status (SQLite says "SCAN alerts_delivery"
    # with nothing after it).
    for plans in (sweep_plans, receipt_plans):
        for line in plans.splitlines():
            assert not line.rstrip().endswith(f"SCAN {Delivery._meta.db_table}"), plans


def test_a_receipt_without_provider_id_changes_nothing(cast: Cast) -> None:
    make_subscribers(cast.org, 1)
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.SENDING)
    Delivery.objects.create(alert=alert, channel="sms", target="+33612345670")
    receipt = Receipt(provider_id="", status="delivered", error_code="", done_at=None)
    assert not delivery_receipt_apply(receipt=receipt, channel="sms")
    assert not Delivery.objects.filter(status=Delivery.Status.DELIVERED).exists()
