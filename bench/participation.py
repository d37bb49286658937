"""Participation pages under load: 10,000 proposals, 1,000,000 supports, 200,000 comments.

A generated process (call for ideas, proposals phase open, 8 categories, 50 zones) whose
proposals are supported with a long tail, as in real calls for ideas: a few hundred
proposals hold most supports. Served by gunicorn (``bench/http.py``) to 20 concurrent
clients on loopback:

- the proposal list, filtered, sorted and paginated (every sort, every filter, pages 1–20);
- the map data (GeoJSON of the process's proposals);
- the proposal detail (with its comments);
each as p95 beside the p95 of a bare view (one indexed query, one small template) in the
same run; and supports cast over HTTP by 20 signed-in residents at once, per second, beside
the rate of the bare view.

PostgreSQL is the engine this benchmark is about (the issue's data); SQLite runs too.
``--quick`` divides the data by 20.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from bench import Context, Measure, benchmark, create_organisation, signed_in_session
from bench.alerts import _bulk_insert
from bench.territory import ZONES, generate_zones

if TYPE_CHECKING:
    from beffroi.participation.models import Process

SEED = 9
CLIENTS = 20
CATEGORIES = (
    "Nature en ville",
    "Mobilités",
    "Solidarités",
    "Culture",
    "Sport",
    "Énergie",
    "Propreté",
    "Jeunesse",
)
WORDS = tuple(
    [
        "jardin",
        "partagé",
        "composteur",
        "piste",
        "cyclable",
        "banc",
        "ombre",
        "arbre",
        "fontaine",
        "éclairage",
        "aire",
        "de",
        "jeux",
        "marché",
        "local",
        "bibliothèque",
        "ruelle",
        "sécurisée",
        "passage",
        "piéton",
        "abri",
        "vélo",
        "potager",
        "école",
        "quartier",
        "rivière",
        "berge",
        "nettoyage",
        "fresque",
        "murale",
        "atelier",
        "réparation",
        "navette",
        "seniors",
        "accessibilité",
        "trottoir",
        "plantations",
        "haies",
        "nichoirs",
        "récupérateur",
        "eau",
    ]
)
P_ZONE = 0.8


@dataclass
class Prepared:
    process: Process
    proposal_ids: list[int]
    category_ids: list[int]
    zone_ids: list[int]
    # Signed-in residents for the supports cast: (session key, csrf token, participant id).
    sessions: list[tuple[str, str, int]]
    supports: int
    comments: int


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def _title_body(rng: random.Random) -> tuple[str, str, str]:
    """A proposal's title, body and search text (as ``Proposal.save`` would fold them)."""
    from beffroi.participation.models.proposals import proposal_search_text

    title = _text(rng, 6).capitalize()[:150]
    body = "<p>" + _text(rng, 80) + "</p>"
    return title, body, proposal_search_text(title, body)


def _long_tail(rng: random.Random, proposals: int, total: int) -> list[int]:
    """Supports per proposal: Pareto-like weights scaled to ``total`` (capped by the number
    of participants when drawing)."""
    weights = [rng.paretovariate(1.2) for _ in range(proposals)]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    # Hand the rounding leftovers to the first proposals.
    for i in range(total - sum(counts)):
        counts[i % proposals] += 1
    return counts


def setup(context: Context) -> Prepared:
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.middleware.csrf import _get_new_csrf_string  # type: ignore[attr-defined]
    from django.utils import timezone

    from beffroi.accounts.models import User
    from beffroi.participation.models import (
        Category,
        Comment,
        Participant,
        Phase,
        PhaseType,
        Process,
        Proposal,
        Support,
    )
    from beffroi.territory.models import Zone
    from bench.territory import _create_zones

    rng = random.Random(SEED)
    proposals = context.size(10_000, 500)
    supports_total = context.size(1_000_000, 50_000)
    comments_total = context.size(200_000, 10_000)
    people = context.size(100_000, 5_000)
    organisation = create_organisation("participation")
    organisation.is_default = True
    organisation.save(update_fields=["is_default"])
    _create_zones(organisation, generate_zones(ZONES))
    zone_ids = list(Zone.objects.filter(organisation=organisation).values_list("pk", flat=True))
    now = timezone.now()
    process = Process.objects.create(
        organisation=organisation,
        slug="idees",
        title="Des idées pour la commune",
        blueprint="ideas",
        status=Process.Status.PUBLISHED,
        description="<p>Proposez, soutenez, débattez.</p>",
    )
    Phase.objects.create(
        process=process,
        type=PhaseType.PROPOSALS,
        title="Propositions",
        starts_at=now - timedelta(days=30),
        ends_at=now + timedelta(days=60),
    )
    category_ids = [
        Category.objects.create(process=process, name=name, position=i).pk
        for i, name in enumerate(CATEGORIES)
    ]
    stamp = datetime(2026, 10, 1, tzinfo=UTC)

    def when(offset_minutes: float) -> Any:
        value = stamp + timedelta(minutes=offset_minutes)
        return value if connection.vendor == "postgresql" else value.isoformat()

    context.log(f"participants: {people:,}")
    _bulk_insert(
        Participant._meta.db_table,
        ["organisation_id", "display_name", "blocked_reason", "created_at"],
        ((organisation.pk, f"Habitant {i}", "", when(0)) for i in range(people)),
    )
    participant_ids = list(
        Participant.objects.filter(organisation=organisation).values_list("pk", flat=True)
    )
    counts = _long_tail(rng, proposals, supports_total)
    counts = [min(c, len(participant_ids)) for c in counts]
    comment_counts = _long_tail(rng, proposals, comments_total)
    context.log(f"proposals: {proposals:,}")
    _bulk_insert(
        Proposal._meta.db_table,
        [
            "organisation_id",
            "process_id",
            "author_id",
            "title",
            "body",
            "search_text",
            "category_id",
            "lat",
            "lon",
            "estimated_cost",
            "state",
            "answer",
            "answer_text",
            "feasibility",
            "feasibility_note",
            "origin",
            "contact",
            "hidden_reason",
            "supports_count",
            "comments_count",
            "created_at",
            "updated_at",
        ],
        (
            (
                organisation.pk,
                process.pk,
                rng.choice(participant_ids),
                *_title_body(rng),
                rng.choice(category_ids),
                43.6 + rng.uniform(-0.05, 0.05),
                1.44 + rng.uniform(-0.07, 0.07),
                rng.randrange(500, 200_000),
                "published",
                rng.choice(("", "", "", "under_study", "accepted", "rejected")),
                "",
                "",
                "",
                "online",
                "",
                "",
                counts[i],
                comment_counts[i],
                when(i * 7),
                when(i * 7),
            )
            for i in range(proposals)
        ),
    )
    proposal_ids = list(
        Proposal.objects.filter(process=process).order_by("pk").values_list("pk", flat=True)
    )
    through = Proposal.zones.through
    _bulk_insert(
        through._meta.db_table,
        ["proposal_id", "zone_id"],
        ((pid, rng.choice(zone_ids)) for pid in proposal_ids if rng.random() < P_ZONE),
    )
    context.log(f"supports: {sum(counts):,}")

    def support_rows() -> Any:
        for pid, count in zip(proposal_ids, counts, strict=True):
            for participant_id in rng.sample(participant_ids, count):
                yield (pid, participant_id, when(rng.uniform(0, 90_000)))

    supports = _bulk_insert(
        Support._meta.db_table, ["proposal_id", "participant_id", "created_at"], support_rows()
    )
    context.log(f"comments: {sum(comment_counts):,}")

    def comment_rows() -> Any:
        for pid, count in zip(proposal_ids, comment_counts, strict=True):
            for _ in range(count):
                yield (
                    organisation.pk,
                    process.pk,
                    pid,
                    rng.choice(participant_ids),
                    _text(rng, 30),
                    rng.choice(("for", "against", "neutral")),
                    "",
                    0,
                    rng.randrange(0, 5),
                    rng.randrange(0, 2),
                    when(rng.uniform(0, 90_000)),
                )

    comments = _bulk_insert(
        Comment._meta.db_table,
        [
            "organisation_id",
            "process_id",
            "proposal_id",
            "author_id",
            "body",
            "stance",
            "hidden_reason",
            "depth",
            "votes_up",
            "votes_down",
            "created_at",
        ],
        comment_rows(),
    )
    # Residents signed in for the supports cast: sessions stored as the site stores them.
    sessions: list[tuple[str, str, int]] = []
    for i in range(CLIENTS):
        user = User.objects.create_user(
            email=f"soutien{i}@example.org", full_name=f"Soutien {i}", password=None
        )
        user.email_verified_at = now
        user.save(update_fields=["email_verified_at"])
        participant = Participant.objects.create(
            organisation=organisation, user=user, display_name=f"Soutien {i}"
        )
        key = signed_in_session(SessionStore(), user)
        sessions.append((key, _get_new_csrf_string(), participant.pk))
        # Another resident for the service-level cast (never the same supports).
        other = User.objects.create_user(
            email=f"service{i}@example.org", full_name=f"Service {i}", password=None
        )
        other.email_verified_at = now
        other.save(update_fields=["email_verified_at"])
        Participant.objects.create(organisation=organisation, user=other, display_name="S")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
        else:
            cursor.execute("ANALYZE")
    return Prepared(
        process=process,
        proposal_ids=proposal_ids,
        category_ids=category_ids,
        zone_ids=zone_ids,
        sessions=sessions,
        supports=supports,
        comments=comments,
    )


# ---------------------------------------------------------------------------------------------
# Load

REQUESTS_PER_CLIENT = 30
# Residents read a page before the next click: each client pauses 0.5–1.5 s (locust's
# ``between(0.5, 1.5)``), so 20 clients offer about 20 requests a second.
THINK_SECONDS = (0.5, 1.5)
SUPPORTS_PER_CLIENT = 60
TARGET_P95_SECONDS = 0.150
TARGET_SUPPORTS_PER_SECOND = 300


def _list_paths(prepared: Prepared, rng: random.Random, count: int) -> list[str]:
    """Every sort, every filter, pages 1–20: what residents click through."""
    from django.urls import reverse

    base = reverse("participation_proposals:list", args=[prepared.process.slug])
    paths = []
    for _ in range(count):
        params = [f"sort={rng.choice(('supported', 'newest', 'commented', 'random'))}"]
        params.append(f"seed={rng.randrange(1, 1000)}")
        kind = rng.random()
        if kind < 0.3:
            params.append(f"category={rng.choice(prepared.category_ids)}")
        elif kind < 0.5:
            params.append(f"zone={rng.choice(prepared.zone_ids)}")
        elif kind < 0.6:
            params.append(f"status={rng.choice(('open', 'under_study', 'accepted'))}")
        elif kind < 0.7:
            params.append(f"q={quote(rng.choice(WORDS))}")
        params.append(f"page={rng.randrange(1, 21) if kind >= 0.2 else 1}")
        paths.append(f"{base}?{'&'.join(params)}")
    return paths


def _p95_measure(name: str, what: str, page: Any, bare: Any) -> Measure:
    return Measure(
        name=name,
        description=(
            f"{what}: p95 of {len(page.latencies):,} requests by {CLIENTS} concurrent clients "
            f"pausing {THINK_SECONDS[0]}–{THINK_SECONDS[1]} s between pages (gunicorn, "
            f"loopback; median {page.percentile(50) * 1000:.0f} ms)"
        ),
        value=page.percentile(95),
        unit="s",
        baseline_description=(
            "p95 of a bare Django view (one proposal read by primary key, one small template) "
            "under the same load"
        ),
        baseline_value=bare.percentile(95),
    )


def participation_notes(runs: list[dict[str, Any]]) -> list[str]:
    notes = [
        "Data: one call for ideas with 10,000 proposals (8 categories, 80 % placed in one of "
        "50 zones), 1,000,000 supports over 100,000 residents with a long tail, 200,000 "
        "comments. Load: 20 concurrent clients on loopback against gunicorn (2 × CPUs + 1 "
        "sync workers), each pausing 0.5–1.5 s between pages as a person reading them "
        "(locust's `between(0.5, 1.5)`); the clients run on the same 2 cores as the server "
        "and the database. Clients send `Accept-Encoding: gzip, deflate` as browsers do (only "
        "the map data is served compressed) and every worker is warmed first, its copy of the "
        "map document included; the document's first build is `extra.map_first_build_ms`. "
        "`extra.saturated` gives, for the record, the list page and the bare view when every "
        "client sends its next request at once.",
        "Targets: p95 ≤ 150 ms for the list, the map data and the detail; at least 300 "
        "supports a second.",
    ]
    for run in runs:
        engine = run["database"]["engine"]
        measures = {m["name"]: m for m in run["measures"]}
        parts = []
        for name, label in (
            ("list_p95_seconds", "list"),
            ("map_p95_seconds", "map"),
            ("detail_p95_seconds", "detail"),
        ):
            if name in measures:
                value = measures[name]["value"] * 1000
                verdict = "within" if value <= TARGET_P95_SECONDS * 1000 else "OUTSIDE"
                parts.append(f"{label} p95 {value:.0f} ms ({verdict} the target)")
        for name, label in (
            ("supports_per_second", "supports over HTTP"),
            ("supports_service_per_second", "supports through the service"),
        ):
            if name in measures:
                value = measures[name]["value"]
                verdict = "within" if value >= TARGET_SUPPORTS_PER_SECOND else "OUTSIDE"
                parts.append(f"{label} {value:.0f}/s ({verdict} the target)")
        notes.append(f"{engine}: " + "; ".join(parts) + ".")
    return notes


@benchmark(
    "participation",
    "Participation under load: proposal list, map data and detail (p95, 20 concurrent clients "
    "on gunicorn) and supports cast per second, over 10,000 proposals, 1,000,000 supports and "
    "200,000 comments.",
    setup=setup,
    notes=participation_notes,
)
def participation(context: Context, prepared: Prepared) -> list[Measure]:
    import os

    from django.db import connection
    from django.urls import reverse

    from beffroi.participation.models import Support
    from bench.http import Request, load, served

    workers = (os.cpu_count() or 2) * 2 + 1
    context.extra["gunicorn_workers"] = workers
    context.extra["data"] = {
        "proposals": len(prepared.proposal_ids),
        "supports": prepared.supports,
        "comments": prepared.comments,
    }
    # The server must not hold this process's connection (SQLite writer lock, PG sessions).
    connection.close()
    geojson = reverse("participation_proposals:geojson", args=[prepared.process.slug])
    hot = prepared.proposal_ids[: max(1, len(prepared.proposal_ids) // 50)]

    def gets(paths_of: Any) -> Any:
        return lambda i: [Request("GET", p) for p in paths_of(i)]

    def browse(paths_of: Any) -> Any:
        return load(port, gets(paths_of), clients=CLIENTS, think=THINK_SECONDS)

    def detail_paths(i: int) -> list[str]:
        r = random.Random(i)
        # Half the reads go to the most discussed proposals (the first ones hold the tail).
        return [
            reverse(
                "participation_proposals:detail",
                args=[r.choice(hot) if r.random() < 0.5 else r.choice(prepared.proposal_ids)],
            )
            for _ in range(REQUESTS_PER_CLIENT)
        ]

    def bare_paths(i: int) -> list[str]:
        r = random.Random(1000 + i)
        return [
            f"/bench/bare/{r.choice(prepared.proposal_ids)}/" for _ in range(REQUESTS_PER_CLIENT)
        ]

    lists = [
        _list_paths(prepared, random.Random(2000 + i), REQUESTS_PER_CLIENT) for i in range(CLIENTS)
    ]
    measures: list[Measure] = []
    with served(workers=workers, log=context.log) as port:
        # The map document's first build (then kept, and rebuilt by one request at a time
        # when a proposal changes or a minute has passed): recorded apart, for the record.
        first_map = load(port, gets(lambda i: [geojson]), clients=1)
        context.extra["map_first_build_ms"] = round(first_map.percentile(100) * 1000, 1)
        context.log(f"map: first build {first_map.percentile(100) * 1000:.0f} ms")
        # Warm every worker (imports, template loading, first connections, its copy of the
        # map document).
        load(
            port,
            gets(lambda i: bare_paths(i)[:5] + lists[i][:2] + [geojson]),
            clients=CLIENTS,
        )
        bare = browse(bare_paths)
        context.log(f"bare: p95 {bare.percentile(95) * 1000:.0f} ms, {bare.rate:.0f}/s")
        listing = browse(lambda i: lists[i])
        context.log(f"list: p95 {listing.percentile(95) * 1000:.0f} ms")
        mapping = browse(lambda i: [geojson] * (REQUESTS_PER_CLIENT // 2))
        context.log(f"map: p95 {mapping.percentile(95) * 1000:.0f} ms")
        detail = browse(detail_paths)
        # Saturation, for the record: every client sends its next request at once.
        saturated = load(port, gets(lambda i: lists[i][:10]), clients=CLIENTS)
        bare_saturated = load(port, gets(lambda i: bare_paths(i)[:10]), clients=CLIENTS)
        context.extra["saturated"] = {
            "list_requests_per_second": round(saturated.rate, 1),
            "list_p95_ms": round(saturated.percentile(95) * 1000, 1),
            "bare_requests_per_second": round(bare_saturated.rate, 1),
            "bare_p95_ms": round(bare_saturated.percentile(95) * 1000, 1),
        }
        context.log(f"detail: p95 {detail.percentile(95) * 1000:.0f} ms")

        def support_plan(i: int) -> list[Request]:
            session_key, csrf, _participant = prepared.sessions[i]
            headers = (
                ("Cookie", f"sessionid={session_key}; csrftoken={csrf}"),
                ("X-CSRFToken", csrf),
                ("Content-Type", "application/x-www-form-urlencoded"),
            )
            # Each resident supports proposals they have not supported yet (fresh accounts).
            chosen = random.Random(3000 + i).sample(prepared.proposal_ids, SUPPORTS_PER_CLIENT)
            return [
                Request(
                    "POST",
                    reverse("participation_proposals:support", args=[pid]),
                    b"",
                    headers,
                )
                for pid in chosen
            ]

        supports = load(port, support_plan, clients=CLIENTS, expect=(200, 302, 303))
        context.log(f"supports: {supports.rate:.0f}/s")
    errors = [
        *bare.errors,
        *listing.errors,
        *mapping.errors,
        *detail.errors,
        *saturated.errors,
        *bare_saturated.errors,
        *supports.errors,
    ]
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[:3]}")
    counted = Support.objects.filter(
        participant_id__in=[p for _s, _c, p in prepared.sessions]
    ).count()
    if counted != CLIENTS * SUPPORTS_PER_CLIENT:
        raise RuntimeError(f"{counted} supports recorded for {CLIENTS * SUPPORTS_PER_CLIENT} cast")
    context.extra["p95_ms"] = {
        "bare": round(bare.percentile(95) * 1000, 1),
        "list": round(listing.percentile(95) * 1000, 1),
        "map": round(mapping.percentile(95) * 1000, 1),
        "detail": round(detail.percentile(95) * 1000, 1),
    }
    service_seconds, service_counted = _service_supports(prepared, CLIENTS, SUPPORTS_PER_CLIENT)
    if service_counted != CLIENTS * SUPPORTS_PER_CLIENT:
        raise RuntimeError(f"service cast counted {service_counted}")
    context.log(f"supports (service): {service_counted / service_seconds:.0f}/s")
    measures += [
        _p95_measure(
            "list_p95_seconds", "Proposal list, filtered, sorted, paginated", listing, bare
        ),
        _p95_measure(
            "map_p95_seconds", "Map data (GeoJSON of every proposal with a place)", mapping, bare
        ),
        _p95_measure("detail_p95_seconds", "Proposal detail with its comments", detail, bare),
        Measure(
            name="supports_per_second",
            description=(
                f"supports cast over HTTP by {CLIENTS} signed-in residents at once "
                f"({CLIENTS * SUPPORTS_PER_CLIENT:,} supports, each checked and counted once)"
            ),
            value=supports.rate,
            unit="/s",
            baseline_description=(
                "requests per second of the bare view, clients sending at once (saturation)"
            ),
            baseline_value=bare_saturated.rate,
        ),
        Measure(
            name="supports_service_per_second",
            description=(
                f"supports cast by {CLIENTS} threads calling `support_add` at once, each with "
                "its own database connection (the shared database's part of a support: "
                "permission check, insert, counter; web workers scale out, the database not)"
            ),
            value=service_counted / service_seconds,
            unit="/s",
            baseline_description="supports cast over HTTP (above), same run",
            baseline_value=supports.rate,
        ),
    ]
    return measures


def _service_supports(prepared: Prepared, threads: int, per_thread: int) -> tuple[float, int]:
    """(seconds, supports) for ``support_add`` called by ``threads`` threads at once, each
    with its own database connection, as many web workers share one database."""
    import threading
    import time

    from django.db import connection

    from beffroi.participation.models import Participant, Proposal
    from beffroi.participation.proposals.services import support_add

    people = list(
        Participant.objects.filter(
            organisation=prepared.process.organisation, user__email__startswith="service"
        )
        .select_related("user")
        .order_by("pk")[:threads]
    )
    barrier = threading.Barrier(len(people) + 1)
    counted: list[int] = []

    def cast(i: int) -> None:
        person = people[i]
        chosen = random.Random(5000 + i).sample(prepared.proposal_ids, per_thread)
        proposals = list(
            Proposal.objects.select_related("process").filter(pk__in=chosen).order_by("pk")
        )
        barrier.wait()
        mine = sum(1 for p in proposals if support_add(proposal=p, participant=person))
        counted.append(mine)
        connection.close()

    workers = [threading.Thread(target=cast, args=(i,)) for i in range(len(people))]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started, sum(counted)
