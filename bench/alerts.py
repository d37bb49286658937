"""Alert hot paths: the audience over a million residents, and the fan-out of 100,000 alerts.

``alerts_audience``: a generated commune (100,000 addresses, 50 zones, the territory
benchmark's generators) with 1,000,000 registered residents; one alert targets ten zones
(hamlets and flood zones) and all of them, on e-mail and SMS, for the "flood" topic.

``alerts_fanout``: 100,000 residents × (e-mail + SMS), from approval to the last message
accepted by a loopback SMTP server and a loopback SMPP server (each in its own process), with
real ``beffroi dispatch_worker`` processes; compared with bare ``smtplib`` / ``smpplib`` loops
over the same number of connections against the same servers in the same run. Also the peak
memory of one worker process at 10,000 and 100,000 recipients.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from bench import Context, Measure, benchmark, create_organisation, measures_by_size, timed
from bench.territory import ZONES, generate_addresses, generate_zones

if TYPE_CHECKING:
    from beffroi.territory.models import Organisation

SEED = 112
# Zones of the audience alert: ten of the small ones (hamlets, flood and risk zones).
TARGET_ZONES = 10
COPY_BATCH = 20_000

# Shares of the generated residents (a French commune's alert registry, roughly).
P_EMAIL = 0.65
P_SMS = 0.8
P_VOICE = 0.2
P_VERIFIED = 0.9
P_SECOND_PLACE = 0.2
P_UNSUBSCRIBED = 0.03
TOPICS = ("flood", "storm", "heat", "drought", "water_cut", "power_cut", "roads")
P_TOPIC = {"flood": 0.7, "storm": 0.6, "heat": 0.5}


# ---------------------------------------------------------------------------------------------
# Data


def create_addresses(organisation: Organisation, count: int) -> list[int]:
    """``count`` map-point addresses (no street) spread like the territory benchmark's."""
    from beffroi.territory.models import Address, Commune

    commune = Commune.objects.create(
        organisation=organisation, insee_code="31555", name="Valmont-sur-Garonne"
    )
    Address.objects.bulk_create(
        (
            Address(
                organisation=organisation,
                commune=commune,
                ban_id=a.ban_id,
                number=str(a.number),
                lon=a.lon,
                lat=a.lat,
            )
            for a in generate_addresses(count)
        ),
        batch_size=5_000,
    )
    return list(
        Address.objects.filter(organisation=organisation)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def create_zones(organisation: Organisation) -> list[int]:
    from beffroi.territory.models import Zone
    from beffroi.territory.services import memberships_rebuild
    from bench.territory import _create_zones

    _create_zones(organisation, generate_zones(ZONES))
    memberships_rebuild(organisation=organisation)
    return list(
        Zone.objects.filter(organisation=organisation).order_by("pk").values_list("pk", flat=True)
    )


def _subscriber_columns() -> list[str]:
    return [
        "organisation_id",
        "full_name",
        "language",
        "email",
        "email_verified_at",
        "sms_number",
        "sms_verified_at",
        "voice_number",
        "voice_verified_at",
        "channels",
        "topics",
        "consent_version",
        "consent_at",
        "consent_text_hash",
        "source",
        "unsubscribe_token",
        "unsubscribed_at",
        "unsubscribe_reason",
        "created_at",
        "updated_at",
    ]


def _bulk_insert(table: str, columns: list[str], rows: Any) -> int:
    """Raw inserts in batches: COPY on PostgreSQL, ``executemany`` on SQLite."""
    from django.db import connection, transaction

    qn = connection.ops.quote_name
    count = 0
    batch: list[tuple[Any, ...]] = []

    def flush(cursor: Any) -> None:
        nonlocal count
        if not batch:
            return
        if connection.vendor == "postgresql":
            names = ", ".join(qn(c) for c in columns)
            with cursor.cursor.copy(f"COPY {qn(table)} ({names}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row(row)
        else:
            names = ", ".join(qn(c) for c in columns)
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {qn(table)} ({names}) VALUES ({marks})", batch)
        count += len(batch)
        batch.clear()

    with transaction.atomic(), connection.cursor() as cursor:
        for row in rows:
            batch.append(row)
            if len(batch) >= COPY_BATCH:
                flush(cursor)
        flush(cursor)
    return count


def create_subscribers(
    organisation: Organisation,
    count: int,
    address_ids: list[int],
    *,
    seed: int = SEED,
    everyone: bool = False,
    log: Callable[[str], None] | None = None,
) -> int:
    """``count`` subscribers with one place each (a fifth with a second one), inserted raw.

    ``everyone``: every subscriber verified on e-mail and SMS, following "flood" (fan-out).
    """
    import secrets

    from django.db import connection

    from beffroi.alerts.models import Place, Subscriber

    rng = random.Random(seed)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    stamp: Any = now if connection.vendor == "postgresql" else now.isoformat()
    token_prefix = secrets.token_hex(4)
    first_id = (Subscriber.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1

    def rows() -> Any:
        for i in range(count):
            if everyone:
                email = sms = True
                voice = False
                topics = ["flood"]
                unsubscribed = False
                verified = True
            else:
                email = rng.random() < P_EMAIL
                sms = rng.random() < P_SMS or not email
                voice = rng.random() < P_VOICE
                topics = [t for t in TOPICS if rng.random() < P_TOPIC.get(t, 0.3)]
                unsubscribed = rng.random() < P_UNSUBSCRIBED
                verified = rng.random() < P_VERIFIED
            channels = [c for c, on in (("email", email), ("sms", sms), ("voice", voice)) if on]
            number = f"+336{10_000_000 + i:08d}"
            yield (
                organisation.pk,
                f"Habitant {i}",
                "en" if i % 20 == 0 else "fr",
                f"habitant{i}@example.org" if email else "",
                stamp if email and verified else None,
                number if sms else "",
                stamp if sms and verified else None,
                f"+335{10_000_000 + i:08d}" if voice else "",
                stamp if voice and verified else None,
                json.dumps(channels),
                json.dumps(topics),
                "2026-01",
                stamp,
                "",
                "import",
                f"{token_prefix}{first_id + i:x}",
                stamp if unsubscribed else None,
                "",
                stamp,
                stamp,
            )

    inserted = _bulk_insert(Subscriber._meta.db_table, _subscriber_columns(), rows())
    if log:
        log(f"inserted {inserted:,} subscribers")
    ids = Subscriber.objects.filter(organisation=organisation).order_by("pk")
    subscriber_ids = list(ids.values_list("pk", flat=True))

    def places() -> Any:
        for subscriber_id in subscriber_ids:
            first = rng.choice(address_ids)
            yield (subscriber_id, "home", first)
            if rng.random() < P_SECOND_PLACE:
                second = rng.choice(address_ids)
                if second != first:
                    yield (subscriber_id, "work", second)

    placed = _bulk_insert(Place._meta.db_table, ["subscriber_id", "kind", "address_id"], places())
    if log:
        log(f"inserted {placed:,} places")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return inserted


# ---------------------------------------------------------------------------------------------
# Audience


@dataclass(frozen=True)
class AudiencePrepared:
    organisation_id: int
    target_zone_ids: tuple[int, ...]
    all_zone_ids: tuple[int, ...]
    subscribers: int
    drawn_zone_id: int = 0


def create_drawn_shape(organisation: Organisation) -> int:
    """What an author draws on the composer's map: a wide irregular polygon over the western
    half of the commune, saved as the composer saves it (a custom zone, memberships computed)."""
    from beffroi.territory.models import Zone
    from beffroi.territory.services import zone_create
    from bench.territory import CENTER, EXTENT

    lon, lat = CENTER
    dx, dy = EXTENT
    ring = [
        (lon - dx, lat - dy),
        (lon + 0.1 * dx, lat - 0.8 * dy),
        (lon + 0.2 * dx, lat + 0.1 * dy),
        (lon - 0.1 * dx, lat + dy),
        (lon - dx, lat + 0.7 * dy),
    ]
    geometry = {"type": "Polygon", "coordinates": [[*map(list, ring), list(ring[0])]]}
    zone = zone_create(
        organisation=organisation,
        name="Zone dessinée",
        kind=Zone.Kind.CUSTOM,
        geometry=geometry,
    )
    return int(zone.pk)


def audience_setup(context: Context) -> AudiencePrepared:
    subscribers = context.size(1_000_000, 20_000)
    organisation = create_organisation("audience")
    addresses = create_addresses(organisation, context.size(100_000, 5_000))
    context.log(f"created {len(addresses):,} addresses")
    zones = create_zones(organisation)
    context.log(f"created {len(zones)} zones and their memberships")
    create_subscribers(organisation, subscribers, addresses, log=context.log)
    # Zones 1–5 are large districts: the target is ten small ones (hamlets, flood zones).
    target = tuple(zones[5 : 5 + TARGET_ZONES])
    drawn = create_drawn_shape(organisation)
    context.log("drew a custom zone over the western half")
    return AudiencePrepared(organisation.pk, target, tuple(zones), subscribers, drawn)


def _target(prepared: AudiencePrepared, zone_ids: tuple[int, ...]) -> Any:
    """The bench alert: "flood", e-mail + SMS, on ``zone_ids`` (none: the whole territory)."""
    from beffroi.alerts.audience import Target

    return Target(
        organisation_id=prepared.organisation_id,
        topic="flood",
        channels=("email", "sms"),
        zone_ids=zone_ids,
        whole_territory=not zone_ids,
        emergency=False,
    )


def _in_target_sql(zone_ids: tuple[int, ...]) -> str:
    """Subscriber ids with a place in the zones (any place for the whole territory)."""
    if not zone_ids:
        return "SELECT p.subscriber_id FROM alerts_place p"
    marks = ", ".join(["%s"] * len(zone_ids))
    return (
        "SELECT p.subscriber_id FROM alerts_place p "
        "JOIN territory_zonemembership m ON m.address_id = p.address_id "
        f"WHERE m.zone_id IN ({marks})"
    )


def raw_in_target_count(zone_ids: tuple[int, ...]) -> int:
    """Floor: distinct subscribers with a place in the zones, one bare SQL join (no topic,
    channel, verification nor unsubscription filter)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(DISTINCT subscriber_id) FROM ({_in_target_sql(zone_ids)}) t",
            list(zone_ids),
        )
        return int(cursor.fetchone()[0])


def raw_in_target_rows(zone_ids: tuple[int, ...]) -> int:
    """Floor of the stream: the same join fetching (id, language, e-mail, number) rows."""
    from django.db import connection

    count = 0
    with connection.chunked_cursor() as cursor:
        cursor.execute(
            "SELECT s.id, s.language, s.email, s.sms_number FROM alerts_subscriber s "
            f"WHERE s.id IN ({_in_target_sql(zone_ids)})",
            list(zone_ids),
        )
        while rows := cursor.fetchmany(5_000):
            count += len(rows)
    return count


def _stream_count(target: Any) -> int:
    from beffroi.alerts.audience import target_audience

    return sum(1 for _recipient in target_audience(target))


# The machine is shared and its speed swings: each count is timed this many times, with its
# floor, and keeps its best (as ``timeit`` does).
AUDIENCE_REPEATS = 3


def _best_of[T](repeats: int, call: Callable[[], T]) -> tuple[float, T]:
    runs = [timed(call) for _ in range(repeats)]
    return min(runs, key=lambda run: run[0])


def audience_measures(context: Context, prepared: AudiencePrepared) -> list[Measure]:
    """The counts the author sees before sending, and the recipient list the fan-out reads,
    for ten zones and for all fifty."""
    from beffroi.alerts.audience import target_audience_counts

    measures: list[Measure] = []
    labels: dict[str, str] = {}
    for label, suffix, zone_ids in (
        (f"{TARGET_ZONES} zones", "", prepared.target_zone_ids),
        (f"all {ZONES} zones", "_all_zones", prepared.all_zone_ids),
        ("the whole territory", "_whole_territory", ()),
        ("a shape drawn over half the commune", "_drawn_shape", (prepared.drawn_zone_id,)),
    ):
        target = _target(prepared, zone_ids)
        floor_s, in_target = _best_of(AUDIENCE_REPEATS, partial(raw_in_target_count, zone_ids))
        seconds, counts = _best_of(AUDIENCE_REPEATS, partial(target_audience_counts, target))
        context.log(
            f"{label}: counts in {seconds:.2f}s ({counts.persons:,} persons, "
            f"{counts.messages:,} messages; {in_target:,} with a place there)"
        )
        measures.append(
            Measure(
                f"audience_seconds{suffix}",
                f"`alert_audience_counts` for {label} × topic “flood” × e-mail + SMS over "
                f"{prepared.subscribers:,} residents: {counts.persons:,} persons, "
                f"{counts.messages:,} messages, per channel, language and zone (one statement; "
                f"best of {AUDIENCE_REPEATS}, as its floor)",
                seconds,
                "s",
                "one bare SQL join place → membership counting the distinct residents with a "
                "place in those zones (no topic, channel or consent filter)",
                floor_s,
            )
        )
        context.extra.setdefault("audience_counts_seconds", {})[label] = round(seconds, 3)
        labels[f"audience_seconds{suffix}"] = label
        raw_s, raw_rows = timed(partial(raw_in_target_rows, zone_ids))
        stream_s, recipients = timed(partial(_stream_count, target))
        context.log(f"{label}: stream of {recipients:,} recipients in {stream_s:.2f}s")
        measures.append(
            Measure(
                f"audience_stream_seconds{suffix}",
                f"`alert_audience` streamed to the end for {label}: {recipients:,} recipients "
                "(one per resident and channel), what the fan-out reads",
                stream_s,
                "s",
                f"the bare join fetching id, language, e-mail and number of the {raw_rows:,} "
                "residents with a place there, through the same chunked cursor",
                raw_s,
            )
        )
    worst = max(
        (m for m in measures if m.name.startswith("audience_seconds")), key=lambda m: m.value
    )
    measures.append(
        Measure(
            "audience_worst_seconds",
            "the slowest of the `alert_audience_counts` above: the worst any target costs "
            f"the author (here {labels[worst.name]})",
            worst.value,
            "s",
            f"its own floor: {worst.baseline_description}",
            worst.baseline_value,
        )
    )
    return measures


# ---------------------------------------------------------------------------------------------
# Fan-out


FANOUT_WORKERS = 2  # dispatch_worker processes, and bare-loop processes: one per core
FANOUT_TIMEOUT = 1_800.0
FANOUT_REPEATS = 2  # alternate runs of the bare loops and of Beffroi; the best of each
SMS_TEXT = "Crue de l'Aulne: montez a l'etage, ne prenez pas la voiture."
EMAIL_BODY = (
    "La crue de l'Aulne atteint les quartiers bas. Montez a l'etage, coupez le gaz et "
    "l'electricite, ne prenez pas la voiture. Suivez les consignes de la mairie."
)


def _fanout_organisation(slug: str, count: int, context: Context) -> int:
    organisation = create_organisation(slug)
    addresses = create_addresses(organisation, 1_000)
    create_subscribers(organisation, count, addresses, everyone=True, seed=count)
    context.log(f"{slug}: {count:,} residents on e-mail and SMS")
    return organisation.pk


def _fanout_alert(organisation_id: int, author_id: int) -> int:
    from django.utils import timezone

    from beffroi.alerts.models import Alert

    now = timezone.now()
    alert = Alert.objects.create(
        organisation_id=organisation_id,
        identifier=f"bench-{organisation_id}-{uuid.uuid4().hex}",
        status=Alert.Status.APPROVED,
        topic="flood",
        headline="Crue de l'Aulne",
        description=EMAIL_BODY,
        instruction="Montez a l'etage.",
        sms_text=SMS_TEXT,
        email_subject="Alerte crue",
        email_body=EMAIL_BODY,
        whole_territory=True,
        channels=["email", "sms"],
        created_by_id=author_id,
        approved_at=now,
    )
    return alert.pk


def _memory_mib(pid: int, field: str) -> float:
    """``VmHWM`` (peak resident set) or ``VmRSS`` of a process, from /proc, in MiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not found for process {pid}")


def _vacuum_as_autovacuum_would() -> None:
    """PostgreSQL: the deliveries and task rows of the previous runs vacuumed and analysed,
    the state autovacuum keeps a default installation in. Each run rewrites its 200,000
    deliveries twice (claimed, then sent); on a server with autovacuum off (this machine's)
    the next run would otherwise walk every dead version of them, and the best of the runs
    would always be the first. SQLite keeps no dead versions."""
    from django.db import connection

    from beffroi.alerts.models import Delivery

    if connection.vendor != "postgresql":
        return
    from django_tasks_db.models import DBTaskResult

    with connection.cursor() as cursor:
        for model in (Delivery, DBTaskResult):
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


@dataclass(frozen=True)
class FanoutRun:
    seconds: float
    peak_mib: float
    idle_mib: float
    deliveries: int


def fanout_run(
    context: Context, gateways: Any, organisation_id: int, author_id: int, recipients: int
) -> FanoutRun:
    """Start fresh workers, approve → dispatch, stop the clock when the servers accepted
    the last e-mail and the last SMS; then wait for the alert to be "sent"."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from beffroi.alerts.dispatch.services import alert_dispatch_enqueue
    from beffroi.alerts.models import Alert, Delivery

    _vacuum_as_autovacuum_would()
    alert_id = _fanout_alert(organisation_id, author_id)
    env = {
        **os.environ,
        "ALERT_EMAIL_URL": gateways.smtp_url,
        "SMPP_URL": gateways.smpp_url,
        "SMS_TRANSPORT": "smpp",
        "SMPP_MAX_PER_SECOND": "0",
        "ALERT_EMAIL_MAX_PER_SECOND": "0",
        "TASKS_BACKEND": "database",
    }
    beffroi = str(Path(sys.executable).with_name("beffroi"))
    log = (context.workdir / f"workers-{recipients}.log").open("w", encoding="utf-8")
    command = [beffroi, "dispatch_worker", "--interval", "0.05"]
    workers = [
        subprocess.Popen(
            # BENCH_PROFILE=DIR: each worker writes a cProfile of its run there.
            [sys.executable, "-m", "cProfile", "-o", f"{profile}/worker-{index}.prof", *command]
            if (profile := os.environ.get("BENCH_PROFILE"))
            else command,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        for index in range(FANOUT_WORKERS)
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            worker.stdout.readline()  # "Deliveries re-queued at start: 0.": it is up
        time.sleep(0.5)
        idle = max(_memory_mib(w.pid, "VmRSS") for w in workers)
        emails_before, sms_before = gateways.counts()
        started = time.perf_counter()
        alert_dispatch_enqueue(alert_id=alert_id)
        done = gateways.wait_for(
            emails_before + recipients, sms_before + recipients, timeout=FANOUT_TIMEOUT
        )
        seconds = done - started
        deadline = time.perf_counter() + 300
        while Alert.objects.get(pk=alert_id).status != Alert.Status.SENT:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"alert {alert_id} not marked sent 300 s after its messages")
            time.sleep(0.2)
        dead = [w.returncode for w in workers if w.poll() is not None]
        if dead:
            raise RuntimeError(f"a worker died (exit {dead}): see {log.name}")
        peak = max(_memory_mib(w.pid, "VmHWM") for w in workers)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)
        log.close()
    sent = Delivery.objects.filter(alert_id=alert_id, status=Delivery.Status.SENT).count()
    if sent != 2 * recipients:
        raise RuntimeError(f"{sent:,} deliveries sent, {2 * recipients:,} expected")
    context.log(
        f"fan-out of {recipients:,} × 2: {seconds:.1f}s, worker peak {peak:.0f} MiB "
        f"(idle {idle:.0f} MiB)"
    )
    return FanoutRun(seconds, peak, idle, sent)


@dataclass(frozen=True)
class Prepared:
    audience: AudiencePrepared
    fanout_small: tuple[int, int]  # organisation id, recipients
    fanout_large: tuple[int, int]
    author_id: int


def setup(context: Context) -> Prepared:
    from beffroi.accounts.models import User

    audience = audience_setup(context)
    small = context.size(10_000, 500)
    large = context.size(100_000, 2_000)
    author = User.objects.create_user(email="bench@mairie.example", password="unused-password")
    return Prepared(
        audience,
        (_fanout_organisation("fanout-small", small, context), small),
        (_fanout_organisation("fanout-large", large, context), large),
        author.pk,
    )


def fanout_measures(context: Context, prepared: Prepared) -> list[Measure]:
    from bench.loopback import bare_loops, start_gateways

    gateways = start_gateways()
    try:
        large_org, large = prepared.fanout_large
        small_org, small = prepared.fanout_small
        recipients = [
            (f"habitant{i}@example.org", f"+336{10_000_000 + i:08d}") for i in range(large)
        ]
        small_run = fanout_run(context, gateways, small_org, prepared.author_id, small)
        # The machine is shared: consecutive runs of the same loop differ by up to 40 %.
        # Bare loops and Beffroi alternate, and each keeps its best run.
        bare_runs: list[float] = []
        large_runs: list[FanoutRun] = []
        for _repeat in range(FANOUT_REPEATS):
            bare_runs.append(
                bare_loops(
                    gateways,
                    recipients,
                    processes=FANOUT_WORKERS,
                    body=EMAIL_BODY,
                    sms_text=SMS_TEXT,
                )
            )
            context.log(
                f"bare smtplib + smpplib loops: {2 * large:,} messages in {bare_runs[-1]:.1f}s"
            )
            large_runs.append(fanout_run(context, gateways, large_org, prepared.author_id, large))
    finally:
        gateways.stop()
    bare_s = min(bare_runs)
    large_run = min(large_runs, key=lambda run: run.seconds)
    context.extra["fanout_runs_seconds"] = [round(run.seconds, 1) for run in large_runs]
    context.extra["bare_runs_seconds"] = [round(seconds, 1) for seconds in bare_runs]
    ratio_to_raw = bare_s / large_run.seconds
    context.extra.update(
        {
            "fanout_seconds": round(large_run.seconds, 2),
            "ratio_to_raw": round(ratio_to_raw, 3),
            "fanout_recipients": large,
            "fanout_workers": FANOUT_WORKERS,
        }
    )
    bare = (
        f"bare loops in {FANOUT_WORKERS} processes, one SMTP and one SMPP connection each: "
        "pre-formatted `smtplib.sendmail`, then `smpplib` submit_sm / resp one at a time"
    )
    return [
        Measure(
            "fanout_seconds",
            f"{large:,} residents × (e-mail + SMS): from approval to the last message accepted "
            f"by the loopback SMTP and SMPP servers, {FANOUT_WORKERS} `dispatch_worker` "
            f"processes, database task queue (best of {FANOUT_REPEATS} runs alternating with "
            "the baseline's)",
            large_run.seconds,
            "s",
            bare + ", same messages, same servers",
            bare_s,
        ),
        Measure(
            "ratio_to_raw",
            "Beffroi's fan-out throughput ÷ the bare loops' throughput (≥ 0.7 is the target)",
            ratio_to_raw,
            "×",
            "none (a ratio already)",
            None,
        ),
        Measure(
            "fanout_seconds_10000",
            f"the same for {small:,} residents × (e-mail + SMS)",
            small_run.seconds,
            "s",
            "the bare loops' rate above, scaled to this size",
            bare_s * small / large,
        ),
        Measure(
            f"worker_peak_memory_{small}",
            f"peak resident memory (VmHWM) of the busiest `dispatch_worker` for {small:,} "
            "recipients × 2 channels",
            small_run.peak_mib,
            "MiB",
            "the same worker's resident memory when idle, before the alert",
            small_run.idle_mib,
        ),
        Measure(
            f"worker_peak_memory_{large}",
            f"peak resident memory (VmHWM) of the busiest `dispatch_worker` for {large:,} "
            "recipients × 2 channels",
            max(run.peak_mib for run in large_runs),
            "MiB",
            "the same worker's resident memory when idle, before the alert",
            large_run.idle_mib,
        ),
    ]


def alerts_over_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The worst case over engines (and, for the audience, over targets) of the two figures
    the targets are about."""
    found: dict[str, Any] = {}
    for run in runs:
        engine = run["database"]["engine"]
        for measure in run["measures"]:
            name, value = measure["name"], measure["value"]
            if name == "audience_worst_seconds":
                current = found.get("audience_worst_seconds")
                if current is None or value > current["value"]:
                    found[name] = {
                        "value": value,
                        "engine": engine,
                        "description": measure["description"],
                        "target": "≤ 2 s",
                    }
            elif name == "ratio_to_raw":
                current = found.get("ratio_to_raw_worst")
                if current is None or value < current["value"]:
                    found["ratio_to_raw_worst"] = {
                        "value": value,
                        "engine": engine,
                        "target": "≥ 0.7 (≥ 0.9 sought on PostgreSQL)",
                    }
    return found


def alerts_notes(runs: list[dict[str, Any]]) -> list[str]:
    """Remarks derived from the recorded runs, for BENCHMARKS.md: each target against what
    was measured."""
    notes = [
        "Data: 1,000,000 residents (65 % e-mail, 80 % SMS, 20 % voice, 90 % verified, 3 % "
        "unsubscribed, 70 % following “flood”), one home each and a second place for a fifth, "
        "on 100,000 addresses; the fan-out residents all have e-mail and SMS verified. The "
        "loopback servers run in their own processes on the same 2 cores as the workers.",
        "Targets: the audience of one alert ≤ 2 s on each engine for any target — ten zones "
        "of fifty, all fifty, the whole territory, a shape drawn over half the commune; "
        "`audience_worst_seconds` is the slowest of them. The fan-out of 100,000 × 2 ≤ 120 s "
        "and `ratio_to_raw` ≥ 0.7 (≥ 0.9 sought on PostgreSQL). Worker memory bounded by the "
        "batch, not by the audience.",
        "Method: each audience count is timed 3 times with its floor, and keeps its best; the "
        "fan-out and the bare loops alternate twice, and each keeps its best run. The "
        "loopback SMTP server offers PIPELINING as Postfix and Exim do: Beffroi sends each "
        "e-mail in one round trip (RFC 2920), the bare `smtplib.sendmail` loop in four. On "
        "PostgreSQL the deliveries of earlier runs are vacuumed and analysed before each run, "
        "as autovacuum would on a default installation (it is off on this machine's server).",
    ]
    notes.append(
        "History of the worst case, all fifty zones: 4.0 s on SQLite and 3.0 s on PostgreSQL "
        "while the counts per zone were a COUNT(DISTINCT …) over every (place, zone) pair "
        "(runs of 2026-12-05 morning); 2.4 s and 2.0 s with persons per zone summed per "
        "address and a correction for persons with several places in a zone (run of "
        "2026-12-05 11:14); now one row per person of the audience (number of places in the "
        "target, lowest and highest address) from which everything is counted, measured "
        "against the previous statement in one process: 2.6 → 1.8 s of CPU on SQLite, "
        "3.1 → 2.3 s on PostgreSQL on a busy machine (see `target_audience_counts`)."
    )
    worst = alerts_over_runs(runs).get("audience_worst_seconds")
    if worst is not None:
        value, engine = worst["value"], worst["engine"]
        notes.append(
            f"Worst audience over engines and targets: {value:.2f} s on {engine} "
            f"({'within' if value <= 2 else 'OVER'} the 2 s target)."
        )
    for run in runs:
        engine = run["database"]["engine"]
        measures = {m["name"]: m for m in run["measures"]}
        audience = measures.get("audience_worst_seconds") or measures.get("audience_seconds")
        fanout = measures.get("fanout_seconds")
        ratio = measures.get("ratio_to_raw")
        if audience is not None:
            verdict = "within" if audience["value"] <= 2 else "OVER"
            notes.append(
                f"{engine}: audience {audience['value']:.2f} s at worst ({verdict} the 2 s target)."
            )
        if fanout is not None and ratio is not None:
            floor = 0.9 if engine == "postgresql" else 0.7
            ok = fanout["value"] <= 120 and ratio["value"] >= floor
            notes.append(
                f"{engine}: fan-out {fanout['value']:.0f} s, {ratio['value']:.2f} of the bare "
                f"loops' throughput ({'within' if ok else 'OUTSIDE'} the targets)."
            )
        memory = measures_by_size(measures, "worker_peak_memory_")
        if len(memory) == 2:
            (small, small_m), (large, large_m) = memory
            small_growth = small_m["value"] - small_m["baseline"]["value"]
            large_growth = large_m["value"] - large_m["baseline"]["value"]
            bounded = large_growth <= 2 * small_growth + 10
            verdict = (
                "bounded by the batch, not by the audience"
                if bounded
                else "it GROWS with the audience"
            )
            notes.append(
                f"{engine}: a worker's resident memory grows by {small_growth:.0f} MiB over idle "
                f"at {small:,} recipients and by {large_growth:.0f} MiB at {large:,} (×"
                f"{large // small} recipients): {verdict}."
            )
    return notes


@benchmark(
    "alerts",
    "Audience of one alert over 1,000,000 registered residents (100,000 addresses, 50 zones), "
    "and the fan-out of 100,000 residents × (e-mail + SMS) to loopback SMTP and SMPP servers.",
    setup=setup,
    notes=alerts_notes,
    over_runs=alerts_over_runs,
)
def alerts(context: Context, prepared: Prepared) -> list[Measure]:
    measures = audience_measures(context, prepared.audience)
    audience = next(m for m in measures if m.name == "audience_seconds")
    context.extra["audience_seconds"] = round(audience.value, 3)
    return measures + fanout_measures(context, prepared)
