"""Dispatch: from an approved alert to one message per recipient and channel, reliably.

The life of a delivery (GUIDE.md §3, "Alert dispatch"):

    pending ──claim──▶ sending ──gateway accepts──▶ sent ──receipt──▶ delivered
       ▲                  │                          └──receipt / bounce──▶ failed
       └── temporary error (backoff) / stale claim ──┘── permanent error ──▶ failed

- Approval enqueues ``alert_dispatch`` on the "alerts" queue; it creates the deliveries in
  bulk (idempotent: one row per alert × subscriber × channel in the database) and enqueues
  send tasks of ``DISPATCH_BATCH_SIZE``.
- ``deliveries_send`` claims its rows with one conditional ``UPDATE … RETURNING`` (SQLite
  ≥ 3.35 and PostgreSQL): two workers given the same ids never both send one of them.
- A worker killed after claiming leaves rows in ``sending``; ``deliveries_requeue_stale``
  puts back those claimed longer ago than ``DISPATCH_CLAIM_TIMEOUT_SECONDS``. A crash thus
  resends at most what was in flight, and loses nothing.
- A fan-out that stops (its worker killed) is restarted by the sweep after the claim timeout.
- The last task to finish, once the fan-out is done, moves the alert to ``sent`` (or
  ``failed`` when nothing could be sent), under a row lock so that two finishing tasks
  cannot both do it.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from itertools import islice, zip_longest
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import OperationalError, connection, transaction
from django.db.models import F, Max, Min, Q
from django.tasks import task  # type: ignore[import-not-found,unused-ignore]
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from beffroi.alerts.audience import Target, audience_select_sql
from beffroi.alerts.models import Alert, Channel, Delivery, Subscriber
from beffroi.alerts.texts import (
    alert_page_url,
    channel_texts,
    email_footer,
    email_subject,
    email_text,
    outgoing_sms,
)
from beffroi.alerts.workflow import alert_transition
from beffroi.core.locking import when_unlocked
from beffroi.core.phone import phone_e164_valid
from beffroi.core.workers import current_worker, workers_forget, workers_gone
from beffroi.messaging.base import EmailOut, Outcome, Receipt, SmsOut, Transport, TransportError
from beffroi.messaging.email import Bounce
from beffroi.messaging.registry import get_sms_transport, get_transport
from beffroi.messaging.sms_http import parse_http_sms_webhook
from beffroi.territory.selectors import organisation_url

__all__ = [
    "DispatchError",
    "SendReport",
    "alert_dispatch",
    "alert_dispatch_enqueue",
    "alert_finish_if_done",
    "alerts_restart_stalled_fanouts",
    "deliveries_claim",
    "deliveries_enqueue",
    "deliveries_requeue_stale",
    "deliveries_send",
    "delivery_bounce_apply",
    "delivery_receipt_apply",
    "early_receipts_apply",
    "receipt_from_gateway",
    "retry_delay",
    "sms_inbound_handle",
]

logger = logging.getLogger(__name__)

# Subscriber ids per fan-out step (one INSERT … SELECT per channel, then the send tasks of
# the new rows are enqueued): a short write lock for the workers, an early first message.
FANOUT_ID_SPAN = 25_000
# Ids the sweep reads per query when it re-enqueues overdue deliveries.
CREATE_CHUNK = 2_000
# Words a resident may answer to stop SMS (French operators' usage, and English).
STOP_WORDS = frozenset({"STOP", "STOP SMS", "ARRET", "ARRÊT", "UNSUBSCRIBE", "DESINSCRIPTION"})
# Channels with a transport in beffroi.messaging; a delivery on any other channel is refused
# with a reason instead of waiting for ever.
SENDABLE = (Channel.EMAIL, Channel.SMS)
# Ahead of imports and exports on a shared worker; a warning must not wait behind a report.
SEND_PRIORITY = 50
FANOUT_PRIORITY = 60  # the fan-out feeds the send tasks: it goes first
RETRY_PRIORITY = 40


# Deliveries this process is sending right now: its own sweeper must not take them back,
# however slow the gateway (other processes rely on DISPATCH_CLAIM_TIMEOUT_SECONDS).
_in_flight: set[int] = set()
_in_flight_lock = threading.Lock()


class DispatchError(Exception):
    """The alert cannot be dispatched in its current state."""


def _chunks[T](items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


# -- fan-out --------------------------------------------------------------------------


def alert_dispatch(*, alert: Alert) -> int:
    """Start sending ``alert``: approved → sending, one Delivery per recipient × channel,
    send tasks enqueued on the "alerts" queue (after commit). Returns the deliveries created.

    Safe to call again (after a crash during fan-out, or twice by mistake): existing
    deliveries are kept, missing ones created, pending ones enqueued again — claims make a
    duplicate task harmless.
    """

    with transaction.atomic():
        locked = Alert.objects.select_for_update().get(pk=alert.pk)
        if locked.status in (Alert.Status.APPROVED, Alert.Status.SENDING, Alert.Status.FAILED):
            Alert.objects.filter(pk=locked.pk).update(
                fanout_heartbeat_at=timezone.now(), fanout_done_at=None, fanout_by=current_worker()
            )
        if locked.status == Alert.Status.APPROVED:
            alert_transition(alert=locked, to_status=Alert.Status.SENDING, actor=None)
        elif locked.status == Alert.Status.FAILED:
            # Sent again once the gateway is back: what failed for a temporary reason gets
            # a fresh set of attempts; invalid addresses stay failed.
            alert_transition(
                alert=locked,
                to_status=Alert.Status.SENDING,
                actor=None,
                reason=gettext("Sent again after a failure."),
            )
            Delivery.objects.filter(
                alert=locked, status=Delivery.Status.FAILED, permanent_failure=False
            ).update(status=Delivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now())
        elif locked.status == Alert.Status.SENT:
            return 0  # already done: a repeated call changes nothing
        elif locked.status != Alert.Status.SENDING:
            raise DispatchError(
                gettext("Only an approved alert can be sent (this one is %(status)s).")
                % {"status": locked.get_status_display()}
            )
    alert.refresh_from_db()

    before = Delivery.objects.filter(alert=alert).count()
    last_enqueued = 0
    now = timezone.now()
    target = Target.of(alert)
    channels = [c for c in target.channels if c in SENDABLE]
    bounds = Subscriber.objects.filter(organisation_id=alert.organisation_id).aggregate(
        low=Min("pk"), high=Max("pk")
    )
    low, high = bounds["low"], bounds["high"]
    if low is not None and high is not None and channels:
        for after_id in range(low - 1, high, FANOUT_ID_SPAN):
            with transaction.atomic():
                for channel in channels:
                    _insert_deliveries(
                        alert.pk, target, channel, after_id, after_id + FANOUT_ID_SPAN, now
                    )
                # Sending starts while the fan-out goes on: the first residents are
                # warned seconds after approval, not after the whole audience is written.
                last_enqueued = _enqueue_pending_after(alert, last_enqueued)
                Alert.objects.filter(pk=alert.pk).update(
                    fanout_heartbeat_at=timezone.now(), fanout_by=current_worker()
                )
    if last_enqueued == 0:
        # Nothing new to create (a repeated call): still enqueue what an earlier,
        # interrupted call left pending. Otherwise the first chunk already did.
        with transaction.atomic():
            _enqueue_pending_after(alert, 0)
    created = Delivery.objects.filter(alert=alert).count() - before
    Alert.objects.filter(pk=alert.pk).update(fanout_done_at=timezone.now())
    # The send tasks may all have finished before the last chunk was written: they could
    # not close the alert then (fan-out not done), so this call does it.
    alert_finish_if_done(alert_id=alert.pk)
    return created


def alert_dispatch_enqueue(*, alert_id: int) -> None:
    """Enqueue the fan-out of an approved alert on the "alerts" queue (call after commit).

    With the immediate backend (tests, a one-process demo) it runs at once.
    """

    task = alert_dispatch_task
    if task.get_backend().supports_priority:
        task = task.using(priority=FANOUT_PRIORITY)
    task.enqueue(alert_id=alert_id)


def alerts_restart_stalled_fanouts(
    *, timeout: timedelta, now: datetime, gone: Sequence[str] = ()
) -> list[int]:
    """Approved or sending alerts whose fan-out shows no sign of life for ``timeout`` (its
    task was lost, or its worker died mid-way), or whose fan-out ran in a worker now
    ``gone`` (``beffroi.core.workers``): enqueue the fan-out again. ``alert_dispatch`` is
    idempotent, so a slow fan-out restarted by mistake only costs duplicate work."""
    stalled = Alert.objects.filter(
        Q(fanout_heartbeat_at__lt=now - timeout)
        | Q(fanout_heartbeat_at__isnull=True, approved_at__lt=now - timeout)
        | Q(fanout_by__in=gone),
        status__in=(Alert.Status.APPROVED, Alert.Status.SENDING),
        fanout_done_at__isnull=True,
    )
    ids = list(stalled.values_list("pk", flat=True))
    if ids:
        # Not restarted again by the next sweep before another full timeout.
        Alert.objects.filter(pk__in=ids).update(fanout_heartbeat_at=now, fanout_by="")
        for alert_id in ids:
            transaction.on_commit(partial(alert_dispatch_enqueue, alert_id=alert_id))
    return ids


def _insert_deliveries(
    alert_id: int, target: Target, channel: str, after_id: int, up_to_id: int, now: datetime
) -> None:
    """One ``INSERT … SELECT … ON CONFLICT DO NOTHING`` (SQLite ≥ 3.24, PostgreSQL) for the
    audience on ``channel`` among subscriber ids ``(after_id, up_to_id]``: no row passes
    through Python, and rows that exist already (a repeated fan-out) are kept as they are.

    The audience is never read with an open cursor while deliveries are written: on SQLite
    a connection holding a read snapshot cannot then write once a worker has committed
    (SQLITE_BUSY_SNAPSHOT, "database is locked").
    """
    select = audience_select_sql(target, channel, after_id=after_id, up_to_id=up_to_id)
    if select is None:
        return
    select_sql, select_params = select
    qn = connection.ops.quote_name
    columns = [
        "alert_id",
        "subscriber_id",
        "channel",
        "target",
        "language",
        "status",
        "attempts",
        "last_error",
        "permanent_failure",
        "provider_id",
        "next_attempt_at",
    ]
    # Only quoted identifiers, placeholders and the ORM's compiled SQL are interpolated.
    # "WHERE true" keeps SQLite from reading ON CONFLICT as a join constraint.
    sql = (
        f"INSERT INTO {qn(Delivery._meta.db_table)} "  # noqa: S608
        f"({', '.join(qn(c) for c in columns)}) "
        f"SELECT %s, a.{qn('out_subscriber')}, %s, a.{qn('out_target')}, "
        f"COALESCE(a.{qn('out_language')}, 'fr'), %s, 0, '', %s, '', %s "
        f"FROM ({select_sql}) a WHERE true ON CONFLICT DO NOTHING"
    )
    stamp = connection.ops.adapt_datetimefield_value(now)
    # Parameters in the order of the SQL text: the outer ones, then the SELECT's.
    params: list[Any] = [alert_id, channel, Delivery.Status.PENDING, False, stamp, *select_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _enqueue_pending_after(alert: Alert, after_pk: int) -> int:
    rows = list(
        Delivery.objects.filter(alert=alert, status=Delivery.Status.PENDING, pk__gt=after_pk)
        .order_by("pk")
        .values_list("pk", "channel")
    )
    if not rows:
        return after_pk
    # One channel per task: a task opens a single connection. The channels' batches
    # alternate in the queue, so that workers keep the e-mail relay and the SMS gateway busy
    # at the same time (two independent services) instead of one after the other: the SMS
    # do not wait behind every e-mail.
    by_channel: dict[str, list[int]] = defaultdict(list)
    for pk, channel in rows:
        by_channel[channel].append(pk)
    size = settings.DISPATCH_BATCH_SIZE
    batches = [
        [ids[i : i + size] for i in range(0, len(ids), size)]
        for _channel, ids in sorted(by_channel.items(), key=lambda item: item[0] != Channel.SMS)
    ]
    for round_ in zip_longest(*batches):
        for batch in round_:
            if batch:
                deliveries_enqueue(delivery_ids=batch)
    return rows[-1][0]


def deliveries_enqueue(
    *, delivery_ids: Sequence[int], run_after: datetime | None = None, retry: bool = False
) -> int:
    """Enqueue send tasks for ``delivery_ids`` in batches, after the current transaction
    commits (a task must never look for rows it cannot see yet). Returns the task count."""

    size = settings.DISPATCH_BATCH_SIZE
    batches = [list(delivery_ids[i : i + size]) for i in range(0, len(delivery_ids), size)]
    task = deliveries_send_task
    backend = task.get_backend()
    if backend.supports_priority:
        task = task.using(priority=RETRY_PRIORITY if retry else SEND_PRIORITY)
    if run_after is not None:
        if not backend.supports_defer:
            # This backend runs tasks at once: the periodic sweep enqueues the retry
            # when it is due (``deliveries_requeue_stale``).
            return 0
        task = task.using(run_after=run_after)

    def enqueue_all() -> None:
        for batch in batches:
            task.enqueue(delivery_ids=batch)

    transaction.on_commit(enqueue_all)
    return len(batches)


# -- claims ---------------------------------------------------------------------------


def deliveries_claim(*, delivery_ids: Sequence[int], now: datetime | None = None) -> list[int]:
    """Atomically move the due ``pending`` rows among ``delivery_ids`` to ``sending``,
    stamped ``claimed_at=now``; returns the ids this call claimed.

    One ``UPDATE … WHERE status = 'pending' … RETURNING id``: on PostgreSQL a concurrent
    claimer waits for the row lock then re-checks the condition; on SQLite writers are
    serialised. Either way a row is claimed by exactly one caller.
    """
    if not delivery_ids:
        return []
    sql, params = _claim_update(delivery_ids, now or timezone.now(), returning=("id",))
    with _single_write(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(int(row[0]) for row in cursor.fetchall())


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _single_write() -> Any:
    """The transaction around one writing statement. On PostgreSQL a statement outside a
    transaction is atomic by itself and committed with its answer: no BEGIN and COMMIT
    round trips, which on a send task's few statements cost as much as the statements.
    SQLite keeps its explicit transaction (its writer lock is taken once, up front)."""
    return nullcontext() if _postgres() else transaction.atomic()


def _ids_condition(ids: Sequence[int]) -> tuple[str, list[Any]]:
    """``"id" IN (…)`` for ``ids``. PostgreSQL gets them as one array parameter: a statement
    with hundreds of placeholders is split and quoted in Python by the driver on every
    execution (it caches statements of up to 50 parameters only), which cost more CPU in a
    worker than the database spent running it."""
    qn = connection.ops.quote_name
    values = [int(pk) for pk in ids]
    if _postgres():
        return f"{qn('id')} = ANY(%s::bigint[])", [_array_literal(values)]
    return f"{qn('id')} IN ({', '.join(['%s'] * len(values))})", list(values)


def _array_literal(values: Iterable[int | str]) -> str:
    """A PostgreSQL array literal (``{1,2,3}``, ``{"a","b"}``), passed as one text parameter
    and cast in the statement: the driver's own adaptation of a list walks it in Python,
    element by element, at several times the cost."""
    items = [
        str(value)
        if isinstance(value, int)
        else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        for value in values
    ]
    return "{" + ",".join(items) + "}"


def _claim_update(
    delivery_ids: Sequence[int], now: datetime, *, returning: Sequence[str]
) -> tuple[str, list[Any]]:
    """The claiming ``UPDATE … RETURNING`` (see ``deliveries_claim``) and its parameters."""
    qn = connection.ops.quote_name
    stamp = connection.ops.adapt_datetimefield_value(now)
    in_ids, id_params = _ids_condition(delivery_ids)
    # The rows are found by primary key, their status then checked: written "status = …",
    # the condition lets PostgreSQL read them through the partial index of pending rows
    # instead, which it does when its statistics predate the fan-out (a few rows, it
    # thinks), scanning there every pending row of the alert for each batch. "|| ''" keeps
    # the condition from matching that index's predicate.
    # Only quoted identifiers and placeholders are interpolated; values are parameters.
    sql = (
        f"UPDATE {qn(Delivery._meta.db_table)} "  # noqa: S608
        f"SET {qn('status')} = %s, {qn('claimed_at')} = %s, {qn('claimed_by')} = %s "
        f"WHERE {in_ids} AND {qn('status')} || '' = %s "
        f"AND ({qn('next_attempt_at')} IS NULL OR {qn('next_attempt_at')} <= %s) "
        f"RETURNING {', '.join(qn(column) for column in returning)}"
    )
    params: list[Any] = [
        Delivery.Status.SENDING,
        stamp,
        current_worker(),
        *id_params,
        Delivery.Status.PENDING,
        stamp,
    ]
    return sql, params


def _claim_for_sending(delivery_ids: Sequence[int], now: datetime) -> list[_Claimed]:
    """``deliveries_claim``, returning what sending needs of each claimed row (its
    subscriber's unsubscribe token and organisation, its alert's status and version),
    ordered by id.

    PostgreSQL: one statement, the claiming UPDATE in a ``WITH`` joined to the subscribers
    and alerts. SQLite cannot put an UPDATE in a ``WITH``: the claim, then one SELECT.
    """
    columns = ("id", "alert_id", "channel", "target", "language", "attempts", "subscriber_id")
    if not _postgres():
        claimed = deliveries_claim(delivery_ids=delivery_ids, now=now)
        return [
            _Claimed(*row)
            for row in Delivery.objects.filter(pk__in=claimed)
            .order_by("pk")
            .values_list(*_Claimed.FIELDS)
        ]
    qn = connection.ops.quote_name
    update, params = _claim_update(delivery_ids, now, returning=columns)
    subscriber, alert = qn(Subscriber._meta.db_table), qn(Alert._meta.db_table)
    picked = ", ".join(f"c.{qn(column)}" for column in columns)
    sql = (
        f"WITH c AS ({update}) "  # noqa: S608 - identifiers only
        f"SELECT {picked}, s.{qn('unsubscribe_token')}, s.{qn('organisation_id')}, "
        f"a.{qn('status')}, a.{qn('updated_at')} "
        f"FROM c LEFT JOIN {subscriber} s ON s.{qn('id')} = c.{qn('subscriber_id')} "
        f"JOIN {alert} a ON a.{qn('id')} = c.{qn('alert_id')} "
        f"ORDER BY c.{qn('id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [_Claimed(*row) for row in cursor.fetchall()]


def deliveries_requeue_stale(
    *, timeout_seconds: int | None = None, now: datetime | None = None
) -> int:
    """Put back to ``pending`` the rows claimed by a worker that died, and enqueue every
    pending row whose (re)try is overdue (its task was lost: a crash between commit and
    enqueue, a backend that cannot defer). Returns the number of deliveries enqueued.

    A worker is known dead at once when it left a heartbeat and is gone
    (``beffroi.core.workers``); a claim without a worker tag waits for the claim timeout.

    A message that kills its worker every time must not loop forever: a stale claim counts
    as an attempt, and the row fails after ``DISPATCH_MAX_ATTEMPTS``.
    """
    now = now or timezone.now()
    timeout = timedelta(
        seconds=timeout_seconds
        if timeout_seconds is not None
        else settings.DISPATCH_CLAIM_TIMEOUT_SECONDS
    )
    gone = workers_gone(now)
    with transaction.atomic():
        alerts_restart_stalled_fanouts(timeout=timeout, now=now, gone=gone)
    with _in_flight_lock:
        mine = list(_in_flight)
    stale = Delivery.objects.filter(
        Q(claimed_at__lt=now - timeout) | Q(claimed_by__in=gone), status=Delivery.Status.SENDING
    ).exclude(pk__in=mine)
    with transaction.atomic():
        given_up = stale.filter(attempts__gte=settings.DISPATCH_MAX_ATTEMPTS - 1).update(
            status=Delivery.Status.FAILED,
            last_error=gettext("The worker sending this message stopped, too many times."),
        )
        stale.update(
            status=Delivery.Status.PENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=now,
            last_error=gettext("Sent again: the worker sending it stopped."),
        )
    overdue = (
        Delivery.objects.filter(
            Q(next_attempt_at__isnull=True)
            | Q(next_attempt_at__lte=now - timeout)
            | Q(next_attempt_at=now),  # the rows put back just above
            status=Delivery.Status.PENDING,
        )
        # Sorted here, not by the database: ordered by id, SQLite would scan the whole
        # table in id order rather than the partial index of pending rows.
        .order_by()
        .values_list("pk", flat=True)
    )
    ids = sorted(overdue.iterator(chunk_size=CREATE_CHUNK))
    for chunk in _chunks(ids, 1_000):
        with transaction.atomic():
            # Not enqueued again by the next sweep before another full timeout.
            Delivery.objects.filter(pk__in=chunk).update(next_attempt_at=now)
            deliveries_enqueue(delivery_ids=chunk, retry=True)
    workers_forget(gone)
    if given_up:
        for alert_id in set(
            Delivery.objects.filter(
                status=Delivery.Status.FAILED, alert__status=Alert.Status.SENDING
            ).values_list("alert_id", flat=True)
        ):
            alert_finish_if_done(alert_id=alert_id)
    return len(ids)


# -- sending --------------------------------------------------------------------------


@dataclass
class SendReport:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    retried: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Result:
    status: str
    error: str
    permanent: bool
    attempts: int


def _record_sent(provider_ids: dict[int, str], *, claimed_at: datetime, now: datetime) -> None:
    """One UPDATE for a batch the gateway accepted, each row with its provider id, and only
    rows still under this claim."""
    qn = connection.ops.quote_name
    table = qn(Delivery._meta.db_table)
    ids = list(provider_ids)
    sent_at = connection.ops.adapt_datetimefield_value(now)
    claim = [Delivery.Status.SENDING, connection.ops.adapt_datetimefield_value(claimed_at)]
    assignments = (
        f"{qn('status')} = %s, {qn('sent_at')} = %s, {qn('next_attempt_at')} = NULL, "
        f"{qn('attempts')} = {table}.{qn('attempts')} + 1, "
    )
    params: list[Any] = [Delivery.Status.SENT, sent_at]
    if _postgres():
        # The ids and provider ids as two arrays joined to the rows (three parameters
        # whatever the group's size, see ``_ids_condition``).
        sql = (
            f"UPDATE {table} SET {assignments}"  # noqa: S608 - identifiers only
            f"{qn('provider_id')} = v.provider_id "
            "FROM unnest(%s::bigint[], %s::text[]) AS v(id, provider_id) "
            f"WHERE {table}.{qn('id')} = v.id AND {table}.{qn('status')} = %s "
            f"AND {table}.{qn('claimed_at')} = %s"
        )
        params += [
            _array_literal(ids),
            _array_literal([provider_ids[pk] for pk in ids]),
            *claim,
        ]
    else:
        cases = " ".join(["WHEN %s THEN %s"] * len(ids))
        placeholders = ", ".join(["%s"] * len(ids))
        sql = (
            f"UPDATE {table} SET {assignments}"  # noqa: S608 - identifiers only
            f"{qn('provider_id')} = CASE {qn('id')} {cases} END "
            f"WHERE {qn('id')} IN ({placeholders}) AND {qn('status')} = %s "
            f"AND {qn('claimed_at')} = %s"
        )
        for pk in ids:
            params += [pk, provider_ids[pk]]
        params += [*ids, *claim]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def retry_delay(attempts: int) -> timedelta:
    """30 s, 2 min, 8 min, 32 min… (×4 per attempt, capped), ±20 % jitter so that thousands
    of messages refused during an outage do not all come back in the same second."""
    base = settings.DISPATCH_RETRY_BASE_SECONDS * 4 ** max(attempts - 1, 0)
    seconds = min(base, settings.DISPATCH_RETRY_MAX_SECONDS)
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


@dataclass(frozen=True, slots=True)
class _Claimed:
    """A claimed delivery, as much of it as sending needs: a batch is read with one query
    into tuples (model instances of deliveries, subscribers and organisations cost more
    than the SQL)."""

    pk: int
    alert_id: int
    channel: str
    target: str
    language: str
    attempts: int
    subscriber_id: int | None
    unsubscribe_token: str | None
    organisation_id: int | None
    # The alert's, read with the claim: a cancellation is seen by the next batch, and a
    # changed alert is loaded again (``_AlertParts``).
    alert_status: str
    alert_updated_at: datetime

    FIELDS = (
        "pk",
        "alert_id",
        "channel",
        "target",
        "language",
        "attempts",
        "subscriber_id",
        "subscriber__unsubscribe_token",
        "subscriber__organisation_id",
        "alert__status",
        "alert__updated_at",
    )


# How long a worker reuses what it read of an alert and its organisation (texts, links,
# sender name) across send tasks without reading them again. An approved alert's texts
# cannot change (only a draft is edited) and a change of the alert row is seen at once
# (its ``updated_at`` is read with every claim); this bounds how long a new address or
# name of the organisation takes to reach the messages.
ALERT_PARTS_SECONDS = 30.0


@dataclass
class _AlertParts:
    """What the messages of one alert share, made once per worker (see
    ``ALERT_PARTS_SECONDS``) instead of once per batch of 500: the alert with its
    organisation and translations, its texts per language, the links' origins."""

    alert: Alert
    updated_at: datetime
    expires: float
    # language → (subject, e-mail text, e-mail language, SMS)
    bodies: dict[str, tuple[str, str, str, str]] = field(default_factory=dict)
    origins: dict[int, str] = field(default_factory=dict)  # organisation id → its URL

    def texts(self, language: str) -> tuple[str, str, str, str]:
        """The texts for a resident of ``language``: a language the alert has no text in
        gets the whole message in French (``channel_texts``)."""
        found = self.bodies.get(language)
        if found is None:
            alert = self.alert
            mail = channel_texts(alert, language, Channel.EMAIL)
            found = self.bodies[language] = (
                email_subject(mail),
                email_text(mail, page_url=alert_page_url(alert)),
                mail.email_language,
                outgoing_sms(channel_texts(alert, language, Channel.SMS)),
            )
        return found

    def origin(self, organisation_id: int) -> str:
        """The site of the subscriber's organisation (the alert's, in practice)."""
        from beffroi.territory.models import Organisation

        found = self.origins.get(organisation_id)
        if found is None:
            organisation = (
                self.alert.organisation
                if organisation_id == self.alert.organisation_id
                else Organisation.objects.get(pk=organisation_id)
            )
            found = self.origins[organisation_id] = organisation_url(organisation)
        return found


_alert_parts: dict[int, _AlertParts] = {}
_alert_parts_lock = threading.Lock()


def _alerts_parts(claimed: Iterable[_Claimed]) -> dict[int, _AlertParts]:
    """The ``_AlertParts`` of the alerts of ``claimed``: kept ones while their alert row
    is unchanged and they are fresh, the others read (one query per alert, with its
    organisation and translations)."""
    versions = {delivery.alert_id: delivery.alert_updated_at for delivery in claimed}
    now = time.monotonic()
    found: dict[int, _AlertParts] = {}
    with _alert_parts_lock:
        for alert_id, updated_at in versions.items():
            parts = _alert_parts.get(alert_id)
            if parts is not None and parts.updated_at == updated_at and parts.expires > now:
                found[alert_id] = parts
    missing = set(versions) - set(found)
    if missing:
        for alert in (
            Alert.objects.filter(pk__in=missing)
            .select_related("organisation")
            .prefetch_related("translations")
        ):
            found[alert.pk] = _AlertParts(
                alert=alert, updated_at=alert.updated_at, expires=now + ALERT_PARTS_SECONDS
            )
        with _alert_parts_lock:
            for alert_id, parts in list(_alert_parts.items()):
                if parts.expires <= now:
                    del _alert_parts[alert_id]
            _alert_parts.update((alert_id, found[alert_id]) for alert_id in missing)
    return found


def _target_error(delivery: _Claimed) -> str:
    """Why this target can never receive the message, or "" when it looks usable."""
    if delivery.subscriber_id is None:
        return gettext("The subscriber was erased before this message was sent.")
    if delivery.channel == Channel.EMAIL:
        try:
            validate_email(delivery.target)
        except ValidationError:
            return gettext("Invalid e-mail address.")
        return ""
    if delivery.channel == Channel.SMS:
        if not phone_e164_valid(delivery.target):
            return gettext("Invalid mobile number.")
        return ""
    return gettext("This channel cannot be sent yet.")


def _build_messages(
    deliveries: list[_Claimed], alerts: dict[int, _AlertParts]
) -> tuple[list[EmailOut | SmsOut], dict[int, str]]:
    """The messages to send, and the deliveries refused before sending (id → reason).

    Everything that does not depend on the resident (texts, footers, the unsubscribe URL
    around the token) is made once per alert and language: in a batch of 500 only the
    address, the key and the token change.
    """
    footers: dict[str, tuple[str, str]] = {}  # language → footer around the URL
    before_token, after_token = reverse("subscriptions:unsubscribe", args=["TOKEN"]).split(
        "TOKEN", 1
    )
    messages: list[EmailOut | SmsOut] = []
    refused: dict[int, str] = {}
    for delivery in deliveries:
        reason = _target_error(delivery)
        if reason:
            refused[delivery.pk] = reason
            continue
        parts = alerts[delivery.alert_id]
        subject, body_text, mail_language, sms_text = parts.texts(delivery.language or "fr")
        if delivery.channel == Channel.EMAIL:
            assert delivery.organisation_id is not None and delivery.unsubscribe_token is not None
            url = (
                parts.origin(delivery.organisation_id)
                + before_token
                + delivery.unsubscribe_token
                + after_token
            )
            if mail_language not in footers:
                before, _sentinel, after = email_footer(mail_language, "\0").partition("\0")
                footers[mail_language] = (before, after)
            before, after = footers[mail_language]
            messages.append(
                EmailOut(
                    key=str(delivery.pk),
                    to=delivery.target,
                    subject=subject,
                    text=body_text + before + url + after,
                    unsubscribe_url=url,
                    headers={"X-Beffroi-Alert": parts.alert.identifier},
                    sender_name=parts.alert.organisation.name,
                )
            )
        else:
            messages.append(SmsOut(key=str(delivery.pk), to=delivery.target, text=sms_text))
    return messages, refused


def _transport_for(channel: str) -> Transport:
    return get_transport("smtp") if channel == Channel.EMAIL else get_sms_transport()


def _send_channel(
    channel: str,
    messages: list[EmailOut | SmsOut],
    on_outcomes: Callable[[list[EmailOut | SmsOut], list[Outcome]], None],
) -> None:
    """Send over one connection, handing the outcomes of every ``DISPATCH_RECORD_EVERY``
    messages to ``on_outcomes`` as soon as the gateway answered them: a worker killed in
    the middle of a batch then resends at most the group in flight, not the whole batch. A
    transport that breaks is a temporary error for what it had not answered (the rows must
    not stay claimed until the stale timeout)."""
    handed = 0
    try:
        with _transport_for(channel) as transport:
            for group in _chunks(messages, settings.DISPATCH_RECORD_EVERY):
                outcomes = transport.send_many(group)  # type: ignore[arg-type]
                handed += len(group)
                on_outcomes(group, outcomes)
    except Exception as exc:
        logger.exception("Transport for %s failed", channel)
        if handed < len(messages):
            error = TransportError(f"{type(exc).__name__}: {exc}")
            rest = messages[handed:]
            on_outcomes(rest, [Outcome(message.key, None, error) for message in rest])


def deliveries_send(*, delivery_ids: Sequence[int]) -> SendReport:
    """Claim, send and record ``delivery_ids`` (a send task's whole work).

    Outcomes are written only to rows still holding this call's claim: when a stale claim
    was taken over by another worker, that worker's result wins.
    """
    report = SendReport()
    claimed_at = timezone.now()
    deliveries = _claim_for_sending(delivery_ids, claimed_at)
    report.claimed = len(deliveries)
    if not deliveries:
        return report
    claimed = [delivery.pk for delivery in deliveries]
    with _in_flight_lock:
        _in_flight.update(claimed)
    try:
        _send_claimed(deliveries, claimed_at, report)
    finally:
        with _in_flight_lock:
            _in_flight.difference_update(claimed)
    return report


def _send_claimed(deliveries: list[_Claimed], claimed_at: datetime, report: SendReport) -> None:
    batch = _Outcomes(claimed_at=claimed_at, report=report)
    live: list[_Claimed] = []
    for delivery in deliveries:
        if delivery.alert_status == Alert.Status.CANCELLED:
            reason = gettext("The alert was cancelled before this message was sent.")
            batch.fail(delivery, reason, permanent=False, attempts=delivery.attempts)
        else:
            live.append(delivery)
    alerts = _alerts_parts(live)

    by_channel: dict[str, list[_Claimed]] = defaultdict(list)
    for delivery in live:
        by_channel[delivery.channel].append(delivery)
    for channel, group in by_channel.items():
        messages, refused = _build_messages(group, alerts)
        report.by_channel[channel] = len(messages)
        by_key = {str(delivery.pk): delivery for delivery in group}
        for delivery in group:
            if delivery.pk in refused:
                batch.fail(
                    delivery, refused[delivery.pk], permanent=True, attempts=delivery.attempts
                )
        batch.record()
        if not messages:
            continue

        def answered(
            messages: list[EmailOut | SmsOut],
            outcomes: list[Outcome],
            by_key: dict[str, _Claimed] = by_key,
        ) -> None:
            by_message = {outcome.key: outcome for outcome in outcomes}
            for message in messages:
                outcome = by_message.get(message.key) or Outcome(
                    message.key, None, TransportError("No answer.")
                )
                batch.classify(by_key[message.key], outcome)
            batch.record()

        _send_channel(channel, messages, answered)
    batch.record()
    by_alert: dict[int, list[int]] = defaultdict(list)
    for delivery in deliveries:
        by_alert[delivery.alert_id].append(delivery.pk)
    for alert_id, ids in sorted(by_alert.items()):
        if not _unfinished_nearby(alert_id, ids):
            alert_finish_if_done(alert_id=alert_id)


# Deliveries looked at on each side of a batch by ``_unfinished_nearby``.
NEARBY = 16


def _unfinished_nearby(alert_id: int, ids: Sequence[int]) -> bool:
    """Whether one of the ``NEARBY`` deliveries on either side of this batch's ids belongs
    to the alert and is still pending or sending: then the alert cannot be finished, and
    ``alert_finish_if_done``'s search through all its deliveries is not needed. A fan-out
    writes an alert's deliveries with consecutive ids and tasks take them in order, so a
    neighbour is unfinished for every batch but the last few. False says nothing: ask
    ``alert_finish_if_done``.

    The neighbours are read by primary key in a materialised ``WITH``, whatever the
    planner's (possibly stale) estimate of the alert's size."""
    low, high = min(ids), max(ids)
    neighbours = [*range(max(low - NEARBY, 1), low), *range(high + 1, high + NEARBY + 1)]
    qn = connection.ops.quote_name
    in_ids, params = _ids_condition(neighbours)
    sql = (
        f"WITH near AS MATERIALIZED (SELECT {qn('alert_id')}, {qn('status')} "  # noqa: S608
        f"FROM {qn(Delivery._meta.db_table)} WHERE {in_ids}) "
        f"SELECT 1 FROM near WHERE {qn('alert_id')} = %s AND {qn('status')} IN (%s, %s) "
        "LIMIT 1"
    )
    params += [alert_id, Delivery.Status.PENDING, Delivery.Status.SENDING]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


@dataclass
class _Outcomes:
    """The outcomes of a claimed batch not written yet, grouped into a few UPDATEs (one per
    distinct result: Django's bulk_update would build a CASE per row and field, which costs
    more than the sending), written by ``record`` after every group the gateway answered."""

    claimed_at: datetime
    report: SendReport
    sent: dict[int, str] = field(default_factory=dict)  # id → provider id
    others: dict[_Result, list[int]] = field(default_factory=lambda: defaultdict(list))
    # One jittered delay per attempt count and batch.
    retry_delays: dict[int, timedelta] = field(default_factory=dict)

    def fail(self, delivery: _Claimed, reason: str, *, permanent: bool, attempts: int) -> None:
        self.others[_Result(Delivery.Status.FAILED, reason, permanent, attempts)].append(
            delivery.pk
        )

    def classify(self, delivery: _Claimed, outcome: Outcome) -> None:
        attempts = delivery.attempts + 1
        if outcome.error is None:
            self.sent[delivery.pk] = (outcome.provider_id or "")[:128]
        elif outcome.error.permanent:
            self.fail(delivery, outcome.error.message, permanent=True, attempts=attempts)
        elif attempts >= settings.DISPATCH_MAX_ATTEMPTS:
            message = gettext("Given up after %(count)d attempts: %(error)s") % {
                "count": attempts,
                "error": outcome.error.message,
            }
            self.fail(delivery, message, permanent=False, attempts=attempts)
        else:
            if attempts not in self.retry_delays:
                self.retry_delays[attempts] = retry_delay(attempts)
            self.others[
                _Result(Delivery.Status.PENDING, outcome.error.message, False, attempts)
            ].append(delivery.pk)

    def record(self) -> None:
        """Write what is waiting, in one transaction, only to rows still under this claim."""
        if not self.sent and not self.others:
            return
        done_at = timezone.now()
        report = self.report
        report.sent += len(self.sent)
        # The usual group, all accepted, is one statement: atomic by itself.
        with nullcontext() if not self.others else transaction.atomic():
            claim = Delivery.objects.filter(
                status=Delivery.Status.SENDING, claimed_at=self.claimed_at
            )
            if self.sent:
                _record_sent(self.sent, claimed_at=self.claimed_at, now=done_at)
            for result, ids in self.others.items():
                fields: dict[str, Any] = {
                    "status": result.status,
                    "last_error": result.error,
                    "permanent_failure": result.permanent,
                    "attempts": result.attempts,
                    "next_attempt_at": None,
                }
                if result.status == Delivery.Status.PENDING:
                    run_at = done_at + self.retry_delays[result.attempts]
                    fields["next_attempt_at"] = run_at
                    report.retried += len(ids)
                    deliveries_enqueue(delivery_ids=ids, run_after=run_at, retry=True)
                else:
                    report.failed += len(ids)
                claim.filter(pk__in=ids).update(**fields)
        if self.sent:
            early_receipts_apply()
        self.sent = {}
        self.others = defaultdict(list)


# -- completion -----------------------------------------------------------------------


def alert_finish_if_done(*, alert_id: int) -> bool:
    """sending → sent (or failed when not one message went out), once nothing is pending or
    sending. Called by every send task after its commit; the conditional UPDATE takes the
    alert's row lock first, so of two tasks finishing together exactly one writes the
    transition. Returns True when this call finished the alert."""

    if _has_active_deliveries(alert_id):
        return False
    now = timezone.now()
    with transaction.atomic():
        if not Alert.objects.filter(
            pk=alert_id, status=Alert.Status.SENDING, fanout_done_at__isnull=False
        ).update(finished_at=now):
            return False
        if _has_active_deliveries(alert_id):
            # A retry or a requeue made a row pending again meanwhile.
            transaction.set_rollback(True)
            return False
        alert = Alert.objects.get(pk=alert_id)
        counts = Delivery.objects.filter(alert_id=alert_id)
        total = counts.count()
        failed = counts.filter(status=Delivery.Status.FAILED).count()
        if total and failed == total:
            status = Alert.Status.FAILED
            reason = gettext("No message could be sent (%(count)d failures).") % {"count": failed}
        else:
            status = Alert.Status.SENT
            reason = gettext("%(sent)d of %(total)d messages accepted by the gateways.") % {
                "sent": total - failed,
                "total": total,
            }
        alert_transition(alert=alert, to_status=status, actor=None, reason=reason)
    return True


def _has_active_deliveries(alert_id: int) -> bool:
    """Whether a delivery of the alert is still pending or sending (``alert_finish_if_done``).

    One probe per status, each an equality on the two leading columns of the (alert,
    status, channel) index. Written ``status IN (…)``, the query was seen read by
    PostgreSQL, its statistics still those of before the fan-out, through the unique index:
    every delivery of the alert walked, 200,000 rows and 0.1 to 0.5 s, for each send task
    of a 100,000-resident alert."""
    qn = connection.ops.quote_name
    table = qn(Delivery._meta.db_table)
    probe = (
        f"EXISTS (SELECT 1 FROM {table} "  # noqa: S608 - identifiers only
        f"WHERE {qn('alert_id')} = %s AND {qn('status')} = %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {probe} OR {probe}",
            [alert_id, Delivery.Status.SENDING, alert_id, Delivery.Status.PENDING],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


# -- receipts, bounces, replies ---------------------------------------------------------


# Receipts that a gateway pushed on the sending session before this process recorded the
# batch as sent (some SMSCs answer submit_sm and report delivery within milliseconds): kept
# for a while, then applied once the batch's provider ids are written.
EARLY_RECEIPT_KEEP_SECONDS = 120.0
_early_receipts: list[tuple[Receipt, str, float]] = []
_early_receipts_lock = threading.Lock()


# A receipt meeting a locked database waits this long, then is kept for the next pass.
RECEIPT_LOCKED_WAIT_SECONDS = 0.5


def receipt_from_gateway(*, receipt: Receipt, channel: str) -> bool:
    """A receipt a transport received: applied now, or kept until its delivery is recorded
    as sent by this process. Returns whether it was applied now."""
    if _receipt_apply_or_keep(receipt, channel):
        return True
    with _early_receipts_lock:
        _early_receipts.append((receipt, channel, time.monotonic() + EARLY_RECEIPT_KEEP_SECONDS))
    return False


def early_receipts_apply() -> int:
    """Apply the kept receipts whose delivery is now recorded; forget the expired ones (the
    2nd…nth part of a long SMS, another application sharing the account). Returns how many
    were applied."""
    with _early_receipts_lock:
        kept = list(_early_receipts)
        _early_receipts.clear()
    now, applied, waiting = time.monotonic(), 0, []
    for receipt, channel, give_up_at in kept:
        if _receipt_apply_or_keep(receipt, channel):
            applied += 1
        elif give_up_at > now:
            waiting.append((receipt, channel, give_up_at))
    with _early_receipts_lock:
        _early_receipts.extend(waiting)
    return applied


def _receipt_apply_or_keep(receipt: Receipt, channel: str) -> bool:
    """``delivery_receipt_apply``, reporting a busy database (SQLite's one writer held by
    another connection) as "not applied yet": the receipt is then kept and tried again
    instead of being lost. A savepoint keeps an enclosing transaction usable."""

    def apply() -> bool:
        with transaction.atomic():
            return delivery_receipt_apply(receipt=receipt, channel=channel)

    try:
        return when_unlocked(apply, wait_seconds=RECEIPT_LOCKED_WAIT_SECONDS)
    except OperationalError:
        logger.warning("Receipt %s kept for later: the database is busy", receipt.provider_id)
        return False


def delivery_receipt_apply(*, receipt: Receipt, channel: str = Channel.SMS) -> bool:
    """sent → delivered / failed from a gateway's receipt. Returns False when no sent
    delivery has this provider id (yet: the receipt can outrun the write of "sent")."""
    # The partial index of provider ids holds the rows with one: its condition is stated
    # (SQLite uses a partial index only for a query that states its condition).
    with_provider_id = Delivery.objects.exclude(provider_id="")
    if not receipt.provider_id:
        return False
    if receipt.status == "pending":
        return with_provider_id.filter(channel=channel, provider_id=receipt.provider_id).exists()
    rows = with_provider_id.filter(
        channel=channel,
        provider_id=receipt.provider_id,
        status__in=(Delivery.Status.SENT, Delivery.Status.DELIVERED),
    )
    if receipt.status == "delivered":
        return bool(
            rows.update(
                status=Delivery.Status.DELIVERED, delivered_at=receipt.done_at or timezone.now()
            )
        )
    error = gettext("Not delivered (receipt from the gateway, error %(code)s).") % {
        "code": receipt.error_code or "?"
    }
    return bool(
        rows.update(status=Delivery.Status.FAILED, permanent_failure=True, last_error=error)
    )


def delivery_bounce_apply(*, bounce: Bounce) -> bool:
    """A non-delivery report for an e-mail: permanent → failed with the diagnostic; a
    "delayed" warning only records it. Returns True when a delivery was updated."""
    try:
        delivery_id = int(bounce.key)
    except ValueError:
        return False
    rows = Delivery.objects.filter(
        pk=delivery_id,
        channel=Channel.EMAIL,
        status__in=(Delivery.Status.SENT, Delivery.Status.DELIVERED),
    )
    diagnostic = f"{bounce.status} {bounce.diagnostic}".strip()
    if bounce.permanent:
        return bool(
            rows.update(
                status=Delivery.Status.FAILED, permanent_failure=True, last_error=diagnostic
            )
        )
    return bool(rows.update(last_error=diagnostic))


def sms_inbound_handle(*, sender: str, text: str) -> int:
    """A resident's SMS: "STOP" unsubscribes the number from SMS in every organisation that
    has it (the gateway account and sender are shared by the installation, so the reply
    cannot say which commune it meant). Returns the subscriptions changed."""
    from beffroi.alerts.subscriptions.services import subscriber_unsubscribe_by_number
    from beffroi.territory.models import Organisation

    word = " ".join(text.strip().upper().split()).rstrip(".!")
    if word not in STOP_WORDS:
        return 0
    changed = 0
    # Few organisations per installation; each normalises the number its own way.
    for organisation in Organisation.objects.all():
        changed += subscriber_unsubscribe_by_number(organisation=organisation, number=sender)
    return changed


def webhook_receipts_apply(*, events: Sequence[Mapping[str, Any]]) -> int:
    """The HTTP SMS provider's webhook events; returns how many changed a delivery."""
    applied = 0
    for event in events:
        receipt = parse_http_sms_webhook(event)
        if receipt is not None and delivery_receipt_apply(receipt=receipt):
            applied += 1
    return applied


# --- Tasks: fetch by id, call the service ------------------------------------------------


@task(queue_name="alerts")  # type: ignore[misc,unused-ignore]
def alert_dispatch_task(*, alert_id: int) -> int:
    """Fan-out of an approved alert: one delivery per recipient × channel, send tasks
    enqueued as it goes. Returns the deliveries created."""
    return alert_dispatch(alert=Alert.objects.get(pk=alert_id))


# No priority in the decorator: the RQ backend refuses one at import time; the service
# adds it with ``.using(priority=…)`` when the backend supports priorities.
@task(queue_name="alerts")  # type: ignore[misc,unused-ignore]
def deliveries_send_task(*, delivery_ids: list[int]) -> dict[str, int]:
    """Claim and send a batch of deliveries; returns the counts (stored as the task result)."""
    report = deliveries_send(delivery_ids=delivery_ids)
    return {
        "claimed": report.claimed,
        "sent": report.sent,
        "failed": report.failed,
        "retried": report.retried,
    }
