"""Participatory-budget ballots cast per second: through the service, the ballot page and the
API, on one budget of 30 projects whose vote is open.

Every cast is a *new* ballot: each client (or thread) casts for several residents in turn,
one ballot each, so that every request runs the whole path of a first vote — the phase and the
person checked (account, age, an address in the commune), every rule of the knapsack ballot,
the ballot inserted with its receipt code under the one-ballot-per-person constraint, and its
choices. Residents are signed in as the site signs them in (the site's session engine: a
session row, written through to the cache as a login does, and the CSRF cookie), one set of
residents per way in, so that no cast changes another's ballot.

The server runs as the README's production deployment does: PostgreSQL (or SQLite) with Redis
as the cache (``REDIS_URL``), which holds the sessions read at every request, the
organisation, the budget's ballot box (``budgets.access.access_ballot_box``) and the API's
rate counters. The bench's own Redis database
(``BENCH_REDIS_URL``, default ``redis://127.0.0.1:6379/14``) is emptied first; without a
Redis server the run falls back on the file cache of a one-machine installation, and says
so.

- Page: ``POST /participer/budgets/budget/<id>/`` with the form's ``project-<id>`` fields,
  answered by the redirect to the confirmation; 20 clients on gunicorn (``bench/http.py``).
- API: ``POST /api/v1/participation/budgets/<id>/ballot`` with ``{"choices": [ids]}``,
  answered 201; the same 20 clients. The API's per-address request budget is raised out of
  reach for the run (the 20 clients share one loopback address), not switched off: every
  request still counts its hit.
- Service: 20 threads calling ``services.ballot_cast``, each with its own database connection
  (the database's part of a ballot: web workers scale out, the database does not).

The baseline of the HTTP figures is the bare view of ``bench/http.py`` (one indexed query,
one small template, every middleware) measured in the same run with every client sending at
once. PostgreSQL is the engine the target is about; SQLite runs too (one writer).
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bench import Context, Measure, benchmark, create_organisation, signed_in_session

if TYPE_CHECKING:
    from beffroi.participation.models import Budget

SEED = 10
# The bench's own Redis database, emptied at each run (the tests use 15).
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
# Twenty clients on one loopback address: a budget no run reaches, so that every request
# still pays for its count.
API_RATE_LIMIT_FOR_RUN = 1_000_000_000
CLIENTS = 20
PROJECTS = 30
AMOUNT = Decimal("600000")
# Projects cost 10,000–80,000 and a ballot chooses 2–6 of them: every ballot fits the budget
# (at most 480,000 of 600,000), so none is refused and each one is checked in full.
COST_RANGE = (10_000, 80_000)
CHOICES_RANGE = (2, 6)
TARGET_BALLOTS_PER_SECOND = 300
BARE_REQUESTS_PER_CLIENT = 20
# The machine is shared and its speed swings from one second to the next: each way in is
# measured in this many rounds, alternating with the baseline, and each keeps its best (as
# ``timeit`` does); every round's figure is kept in the results' extra.
ROUNDS = 3


@dataclass
class Resident:
    participant_id: int
    session_key: str
    csrf: str


@dataclass
class Prepared:
    budget: Budget
    project_ids: list[int]
    # One list per way in and round, CLIENTS × per_client residents each, never shared.
    page: list[list[Resident]]
    api: list[list[Resident]]
    service: list[list[int]]
    per_client: int
    # The server's cache: the README's Redis, or "" (the file cache) when none answers.
    redis_url: str


def _redis_url(context: Context) -> str:
    """The bench's Redis database, emptied; "" when no Redis server answers."""
    import os

    import redis

    url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        client.flushdb()
        client.close()
    except redis.RedisError as exc:
        context.log(f"no Redis at {url} ({exc}): the server runs with the file cache")
        return ""
    return url


@functools.cache
def _server_cache(redis_url: str) -> Any:
    from django.core.cache.backends.redis import RedisCache

    return RedisCache(redis_url, {})


def _session_store(redis_url: str) -> Any:
    """A new session of the site's engine, written to the cache the *server* reads (the
    bench's process itself was set up before the server's REDIS_URL was chosen)."""
    from importlib import import_module

    from django.conf import settings

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    if redis_url and hasattr(store, "_cache"):
        store._cache = _server_cache(redis_url)
    return store


def _residents(
    organisation: Any,
    address_id: int,
    prefix: str,
    count: int,
    *,
    sessions: bool,
    redis_url: str = "",
) -> list[Resident]:
    """``count`` residents with a verified account, a year of birth and an address in the
    commune, signed in (a session stored as the site's login stores it: the row, and the
    cache) when ``sessions``."""
    from django.db import transaction
    from django.middleware.csrf import _get_new_csrf_string  # type: ignore[attr-defined]
    from django.utils import timezone

    from beffroi.accounts.models import User
    from beffroi.participation.models import Participant

    now = timezone.now()
    users = []
    for i in range(count):
        user = User(
            email=f"{prefix}{i}@example.org",
            full_name=f"Votant {prefix} {i}",
            email_verified_at=now,
        )
        user.set_unusable_password()
        users.append(user)
    made = []
    with transaction.atomic():
        users = User.objects.bulk_create(users)
        people = Participant.objects.bulk_create(
            Participant(
                organisation=organisation,
                user=user,
                display_name=f"Votant {i}",
                birth_year=1950 + i % 50,
                address_id=address_id,
            )
            for i, user in enumerate(users)
        )
    for user, person in zip(users, people, strict=True):
        key = ""
        if sessions:
            key = signed_in_session(_session_store(redis_url), user)
        made.append(Resident(person.pk, key, _get_new_csrf_string()))
    return made


def setup(context: Context) -> Prepared:
    from django.db import connection
    from django.utils import timezone

    from beffroi.participation.models import (
        BallotType,
        Blueprint,
        Budget,
        BudgetProject,
        Phase,
        PhaseType,
        Process,
    )
    from beffroi.territory.models import Address, Commune

    rng = random.Random(SEED)
    per_client = context.size(30, 10)
    redis_url = _redis_url(context)
    organisation = create_organisation("ballots")
    organisation.is_default = True
    organisation.save(update_fields=["is_default"])
    commune = Commune.objects.create(
        organisation=organisation, insee_code="99010", name="Bench", postcode="99000"
    )
    address = Address.objects.create(
        organisation=organisation, commune=commune, locality="Le Bourg", lon=1.44, lat=43.6
    )
    now = timezone.now()
    process = Process.objects.create(
        organisation=organisation,
        slug="budget-participatif",
        title="Budget participatif",
        blueprint=Blueprint.BUDGET,
        status=Process.Status.PUBLISHED,
        description="<p>Choisissez les projets.</p>",
    )
    Phase.objects.create(
        process=process,
        type=PhaseType.VOTE,
        title="Vote",
        starts_at=now - timedelta(days=7),
        ends_at=now + timedelta(days=30),
    )
    budget = Budget.objects.create(
        organisation=organisation,
        process=process,
        title="Budget participatif 2027",
        amount=AMOUNT,
        ballot_type=BallotType.KNAPSACK,
        min_projects=1,
        max_projects=None,
    )
    BudgetProject.objects.bulk_create(
        BudgetProject(
            budget=budget,
            title=f"Projet {i}",
            description="Un projet pour la commune.",
            cost=Decimal(rng.randrange(*COST_RANGE, 500)),
            pabulib_id=str(i),
            position=i,
        )
        for i in range(1, PROJECTS + 1)
    )
    projects = BudgetProject.objects.filter(budget=budget).order_by("position")
    project_ids = list(projects.values_list("pk", flat=True))
    count = CLIENTS * per_client
    context.log(f"residents: 3 ways in × {ROUNDS} rounds × {count:,}")
    page, api, service = [], [], []
    for r in range(ROUNDS):
        page.append(_residents(
            organisation, address.pk, f"page{r}-", count, sessions=True, redis_url=redis_url
        ))  # fmt: skip
        api.append(_residents(
            organisation, address.pk, f"api{r}-", count, sessions=True, redis_url=redis_url
        ))  # fmt: skip
        service.append([p.participant_id for p in _residents(
            organisation, address.pk, f"service{r}-", count, sessions=False
        )])  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Prepared(
        budget=budget,
        project_ids=project_ids,
        page=page,
        api=api,
        service=service,
        per_client=per_client,
        redis_url=redis_url,
    )


def _choices(rng: random.Random, project_ids: list[int]) -> list[int]:
    return rng.sample(project_ids, rng.randint(*CHOICES_RANGE))


def ballots_notes(runs: list[dict[str, Any]]) -> list[str]:
    notes = [
        "Data: one knapsack budget of 600,000 € with 30 projects (10,000–80,000 € each), its "
        f"vote open; 3 × {ROUNDS} × 600 signed-in residents (a verified account, a year of "
        "birth, an address in the commune), one set per way in and round. Every cast is a "
        "resident's first "
        "ballot (2–6 projects, always within the budget): each client casts for 30 residents "
        "in turn, so every request inserts a ballot with its receipt code and choices under "
        "the one-ballot-per-person constraint, after the phase, the person and every rule "
        "are checked. Page and API: 20 concurrent clients on loopback against gunicorn "
        "(2 × CPUs + 1 sync workers), each sending its next request as soon as the answer "
        "comes (saturation); the clients run on the same cores as the server and the "
        "database. Service: 20 threads calling `ballot_cast`, each with its own connection. "
        "Baseline of the HTTP figures: the bare view under the same saturating load. The "
        f"machine is shared and its speed swings: each figure is the best of {ROUNDS} rounds "
        "(bare view, page, API in turn; then the service), as `timeit` keeps its best; "
        "every round's rate is in bench/results/ballots.json (`rounds_per_second`).",
        "Deployment: as the README's production one — the server's cache in Redis "
        "(`REDIS_URL`: sessions, signed in through the site's engine and so read from the "
        "cache as after a login, the organisation, each budget's ballot box, the API's rate "
        "counters), the database "
        "of the run. The API's per-address limit is raised out of reach for the run (the "
        "20 clients share one address) but every request is still counted.",
        f"Target: at least {TARGET_BALLOTS_PER_SECOND} ballots a second through the service, "
        "and through the web view with 20 concurrent clients, on PostgreSQL.",
    ]
    for run in runs:
        engine = run["database"]["engine"]
        if run.get("extra", {}).get("cache") == "file":
            notes.append(f"{engine}: no Redis answered; this run used the file cache.")
        measures = {m["name"]: m for m in run["measures"]}
        parts = []
        for name, label in (
            ("ballots_service_per_second", "service"),
            ("ballots_page_per_second", "ballot page"),
            ("ballots_api_per_second", "API"),
        ):
            if name not in measures:
                continue
            value = measures[name]["value"]
            if engine != "postgresql":
                verdict = "the target is PostgreSQL's"
            elif name == "ballots_api_per_second":
                # The target names the service and the web view; the API is measured beside.
                above = "above" if value >= TARGET_BALLOTS_PER_SECOND else "below"
                verdict = f"{above} {TARGET_BALLOTS_PER_SECOND}/s; not named by the target"
            else:
                verdict = "meets the target" if value >= TARGET_BALLOTS_PER_SECOND else "BELOW"
            parts.append(f"{label} {value:.0f}/s ({verdict})")
            ratio = measures[name].get("ratio")
            if name == "ballots_page_per_second" and ratio:
                parts[-1] += f", {ratio:.2f} of the bare view's rate"
        if parts:
            notes.append(f"{engine}: " + "; ".join(parts) + ".")
    notes.append(
        "History: the ballot page ran at 0.34–0.42 of the bare view's rate (2026-12-05) "
        "before the account and the participant were read by one fixed statement each "
        "(`core.rows`) and the Redis cache kept one client per server "
        "(`core.cache`); 277–334/s then, on a faster hour of this shared machine."
    )
    return notes


@benchmark(
    "ballots",
    "Participatory-budget ballots cast per second (each a resident's first ballot, knapsack, "
    "30 projects): through the service with 20 threads, and through the ballot page and the "
    "API with 20 concurrent clients on gunicorn.",
    setup=setup,
    notes=ballots_notes,
)
def ballots(context: Context, prepared: Prepared) -> list[Measure]:
    import json
    import os
    from urllib.parse import urlencode

    from django.db import connection
    from django.urls import reverse

    from beffroi.participation.models import Ballot
    from bench.http import Request, load, served

    workers = (os.cpu_count() or 2) * 2 + 1
    context.extra["gunicorn_workers"] = workers
    context.extra["cache"] = "redis" if prepared.redis_url else "file"
    context.extra["data"] = {
        "projects": len(prepared.project_ids),
        "ballots_per_way": CLIENTS * prepared.per_client,
    }
    budget = prepared.budget
    page_url = reverse("participation_budgets:ballot", args=[budget.pk])
    api_url = f"/api/v1/participation/budgets/{budget.pk}/ballot"
    # Twenty clients on one loopback address would exhaust the API's per-address budget:
    # raised out of reach, still counted at every request.
    os.environ["API_RATE_LIMIT_PER_MINUTE"] = str(API_RATE_LIMIT_FOR_RUN)
    # The server as the README deploys it: the cache (sessions, organisation, rate
    # counters) in Redis.
    if prepared.redis_url:
        os.environ["REDIS_URL"] = prepared.redis_url
    # The server must not hold this process's connection (SQLite writer lock, PG sessions).
    connection.close()

    def signed_in(resident: Resident, content_type: str) -> tuple[tuple[str, str], ...]:
        return (
            ("Cookie", f"sessionid={resident.session_key}; csrftoken={resident.csrf}"),
            ("X-CSRFToken", resident.csrf),
            ("Content-Type", content_type),
        )

    def mine(residents: list[Resident], i: int) -> list[Resident]:
        return residents[i * prepared.per_client : (i + 1) * prepared.per_client]

    def page_plan(r: int, i: int) -> list[Request]:
        rng = random.Random(1000 + 100 * r + i)
        return [
            Request(
                "POST",
                page_url,
                urlencode(
                    {f"project-{pid}": "on" for pid in _choices(rng, prepared.project_ids)}
                ).encode(),
                signed_in(resident, "application/x-www-form-urlencoded"),
            )
            for resident in mine(prepared.page[r], i)
        ]

    def api_plan(r: int, i: int) -> list[Request]:
        rng = random.Random(2000 + 100 * r + i)
        return [
            Request(
                "POST",
                api_url,
                json.dumps({"choices": _choices(rng, prepared.project_ids)}).encode(),
                signed_in(resident, "application/json"),
            )
            for resident in mine(prepared.api[r], i)
        ]

    def bare_plan(i: int) -> list[Request]:
        return [Request("GET", "/bench/bare/0/")] * BARE_REQUESTS_PER_CLIENT

    with served(workers=workers, log=context.log) as port:
        # Warm every worker (imports, templates, first connections, the ballot page).
        load(
            port,
            lambda i: [*bare_plan(i)[:3], Request("GET", page_url)],
            clients=CLIENTS,
        )
        bares, pages, apis = [], [], []
        for r in range(ROUNDS):
            bares.append(load(port, bare_plan, clients=CLIENTS))
            pages.append(
                load(port, functools.partial(page_plan, r), clients=CLIENTS, expect=(302,))
            )
            apis.append(load(port, functools.partial(api_plan, r), clients=CLIENTS, expect=(201,)))
            context.log(
                f"round {r + 1}: bare {bares[-1].rate:.0f}/s, page {pages[-1].rate:.0f} "
                f"ballots/s, api {apis[-1].rate:.0f} ballots/s"
            )
    errors = [e for result in (*bares, *pages, *apis) for e in result.errors]
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[:3]}")
    expected = CLIENTS * prepared.per_client
    for name, rounds in (("page", prepared.page), ("api", prepared.api)):
        for residents in rounds:
            counted = Ballot.objects.filter(
                budget=budget, participant_id__in=[r.participant_id for r in residents]
            ).count()
            if counted != expected:
                raise RuntimeError(f"{name}: {counted} ballots recorded for {expected} cast")
    service_rates = []
    for r in range(ROUNDS):
        service_seconds, service_counted = _service_ballots(prepared, r)
        if service_counted != expected:
            raise RuntimeError(f"service: {service_counted} ballots recorded for {expected} cast")
        service_rates.append(service_counted / service_seconds)
        context.log(f"service round {r + 1}: {service_rates[-1]:.0f} ballots/s")
    bare = max(bares, key=lambda result: result.rate)
    page = max(pages, key=lambda result: result.rate)
    api = max(apis, key=lambda result: result.rate)
    service_rate = max(service_rates)
    context.extra["rounds_per_second"] = {
        "bare": [round(result.rate, 1) for result in bares],
        "page": [round(result.rate, 1) for result in pages],
        "api": [round(result.rate, 1) for result in apis],
        "service": [round(rate, 1) for rate in service_rates],
    }
    context.extra["latency_ms"] = {
        "bare_p95": round(bare.percentile(95) * 1000, 1),
        "page_p50": round(page.percentile(50) * 1000, 1),
        "page_p95": round(page.percentile(95) * 1000, 1),
        "api_p50": round(api.percentile(50) * 1000, 1),
        "api_p95": round(api.percentile(95) * 1000, 1),
    }
    bare_description = (
        "requests per second of the bare view (one indexed query, one small template, every "
        f"middleware), {CLIENTS} clients sending at once (saturation); best of {ROUNDS} rounds"
    )
    return [
        Measure(
            name="ballots_page_per_second",
            description=(
                f"first ballots cast through the ballot page's form by {CLIENTS} concurrent "
                f"clients, each for {prepared.per_client} signed-in residents in turn "
                f"({expected:,} ballots, each answered by the redirect to its confirmation); "
                f"best of {ROUNDS} rounds alternating with the baseline's, new residents each"
            ),
            value=page.rate,
            unit="/s",
            baseline_description=bare_description,
            baseline_value=bare.rate,
        ),
        Measure(
            name="ballots_api_per_second",
            description=(
                f"first ballots cast through the API (POST …/budgets/<id>/ballot, JSON) by "
                f"{CLIENTS} concurrent clients, each for {prepared.per_client} signed-in "
                f"residents in turn ({expected:,} ballots, each answered 201); best of "
                f"{ROUNDS} rounds alternating with the baseline's, new residents each"
            ),
            value=api.rate,
            unit="/s",
            baseline_description=bare_description,
            baseline_value=bare.rate,
        ),
        Measure(
            name="ballots_service_per_second",
            description=(
                f"first ballots cast by {CLIENTS} threads calling `ballot_cast` at once, each "
                f"with its own database connection, for {prepared.per_client} residents each "
                f"({expected:,} ballots: eligibility, rules, insert with receipt code, "
                f"choices); best of {ROUNDS} rounds, new residents each"
            ),
            value=service_rate,
            unit="/s",
            baseline_description="ballots cast through the ballot page (above), same run",
            baseline_value=page.rate,
        ),
    ]


def _service_ballots(prepared: Prepared, round_: int) -> tuple[float, int]:
    """(seconds, ballots) for ``ballot_cast`` called by CLIENTS threads at once, each with
    its own database connection, as many web workers share one database."""
    import threading
    import time

    from django.db import connection

    from beffroi.participation.budgets.services import ballot_cast
    from beffroi.participation.models import Ballot, Budget, Participant

    barrier = threading.Barrier(CLIENTS + 1)
    failures: list[BaseException] = []

    def cast(i: int) -> None:
        try:
            # What a request loads before calling the service (``access_budget``).
            budget = (
                Budget.objects.select_related("process", "organisation")
                .prefetch_related("process__phases")
                .get(pk=prepared.budget.pk)
            )
            ids = prepared.service[round_][i * prepared.per_client : (i + 1) * prepared.per_client]
            people = list(
                Participant.objects.select_related("user").filter(pk__in=ids).order_by("pk")
            )
            rng = random.Random(3000 + i)
            plans = [(person, _choices(rng, prepared.project_ids)) for person in people]
        except BaseException as exc:
            failures.append(exc)
            barrier.abort()
            raise
        barrier.wait()
        try:
            for person, choices in plans:
                ballot_cast(budget=budget, participant=person, choices=choices)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=cast, args=(i,)) for i in range(CLIENTS)]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"service: {len(failures)} threads failed, e.g. {failures[0]!r}")
    counted = Ballot.objects.filter(
        budget=prepared.budget, participant_id__in=prepared.service[round_]
    ).count()
    return seconds, counted
