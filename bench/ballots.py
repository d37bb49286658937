"""Participatory-budget ballots cast per second: through the service, the ballot page and the
API, on one budget of 30 projects whose vote is open.

Every cast is a *new* ballot: each client (or thread) casts for several residents in turn,
one ballot each, so that every request runs the whole path of a first vote — the phase and the
person checked (account, age, an address in the commune), every rule of the knapsack ballot,
the ballot inserted with its receipt code under the one-ballot-per-person constraint, and its
choices. Residents are signed in as the site signs them in (a session row and the CSRF
cookie), one set of residents per way in, so that no cast changes another's ballot.

- Page: ``POST /participer/budgets/budget/<id>/`` with the form's ``project-<id>`` fields,
  answered by the redirect to the confirmation; 20 clients on gunicorn (``bench/http.py``).
- API: ``POST /api/v1/participation/budgets/<id>/ballot`` with ``{"choices": [ids]}``,
  answered 201; the same 20 clients. The API's per-address request budget is lifted for the
  run: the 20 clients share one loopback address.
- Service: 20 threads calling ``services.ballot_cast``, each with its own database connection
  (the database's part of a ballot: web workers scale out, the database does not).

The baseline of the HTTP figures is the bare view of ``bench/http.py`` (one indexed query,
one small template, every middleware) measured in the same run with every client sending at
once. PostgreSQL is the engine the target is about; SQLite runs too (one writer).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bench import Context, Measure, benchmark, create_organisation

if TYPE_CHECKING:
    from beffroi.participation.models import Budget

SEED = 10
CLIENTS = 20
PROJECTS = 30
AMOUNT = Decimal("600000")
# Projects cost 10,000–80,000 and a ballot chooses 2–6 of them: every ballot fits the budget
# (at most 480,000 of 600,000), so none is refused and each one is checked in full.
COST_RANGE = (10_000, 80_000)
CHOICES_RANGE = (2, 6)
TARGET_BALLOTS_PER_SECOND = 300
BARE_REQUESTS_PER_CLIENT = 20


@dataclass
class Resident:
    participant_id: int
    session_key: str
    csrf: str


@dataclass
class Prepared:
    budget: Budget
    project_ids: list[int]
    # One list per way in, CLIENTS × per_client residents each, never shared.
    page: list[Resident]
    api: list[Resident]
    service: list[int]
    per_client: int


def _residents(
    organisation: Any, address_id: int, prefix: str, count: int, *, sessions: bool
) -> list[Resident]:
    """``count`` residents with a verified account, a year of birth and an address in the
    commune, signed in (a session stored as the site stores it) when ``sessions``."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.middleware.csrf import _get_new_csrf_string  # type: ignore[attr-defined]
    from django.utils import timezone

    from beffroi.accounts.models import User
    from beffroi.participation.models import Participant

    now = timezone.now()
    made = []
    for i in range(count):
        user = User.objects.create_user(
            email=f"{prefix}{i}@example.org", full_name=f"Votant {prefix} {i}", password=None
        )
        user.email_verified_at = now
        user.save(update_fields=["email_verified_at"])
        person = Participant.objects.create(
            organisation=organisation,
            user=user,
            display_name=f"Votant {i}",
            birth_year=1950 + i % 50,
            address_id=address_id,
        )
        key = ""
        if sessions:
            store = SessionStore()
            store[SESSION_KEY] = str(user.pk)
            store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            store[HASH_SESSION_KEY] = user.get_session_auth_hash()
            store.create()
            key = str(store.session_key)
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
    context.log(f"residents: 3 × {count:,}")
    page = _residents(organisation, address.pk, "page", count, sessions=True)
    api = _residents(organisation, address.pk, "api", count, sessions=True)
    service = [r.participant_id for r in _residents(
        organisation, address.pk, "service", count, sessions=False
    )]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Prepared(
        budget=budget,
        project_ids=project_ids,
        page=page,
        api=api,
        service=service,
        per_client=per_client,
    )


def _choices(rng: random.Random, project_ids: list[int]) -> list[int]:
    return rng.sample(project_ids, rng.randint(*CHOICES_RANGE))


def ballots_notes(runs: list[dict[str, Any]]) -> list[str]:
    notes = [
        "Data: one knapsack budget of 600,000 € with 30 projects (10,000–80,000 € each), its "
        "vote open; 3 × 600 signed-in residents (a verified account, a year of birth, an "
        "address in the commune), one set per way in. Every cast is a resident's first "
        "ballot (2–6 projects, always within the budget): each client casts for 30 residents "
        "in turn, so every request inserts a ballot with its receipt code and choices under "
        "the one-ballot-per-person constraint, after the phase, the person and every rule "
        "are checked. Page and API: 20 concurrent clients on loopback against gunicorn "
        "(2 × CPUs + 1 sync workers), each sending its next request as soon as the answer "
        "comes (saturation); the clients run on the same cores as the server and the "
        "database. Service: 20 threads calling `ballot_cast`, each with its own connection. "
        "Baseline of the HTTP figures: the bare view under the same saturating load.",
        f"Target: at least {TARGET_BALLOTS_PER_SECOND} ballots a second through the service, "
        "and through the web view with 20 concurrent clients, on PostgreSQL.",
    ]
    for run in runs:
        engine = run["database"]["engine"]
        measures = {m["name"]: m for m in run["measures"]}
        parts = []
        for name, label in (
            ("ballots_service_per_second", "service"),
            ("ballots_page_per_second", "ballot page"),
            ("ballots_api_per_second", "API"),
        ):
            if name in measures:
                value = measures[name]["value"]
                verdict = "meets" if value >= TARGET_BALLOTS_PER_SECOND else "BELOW"
                parts.append(f"{label} {value:.0f}/s ({verdict} the target)")
        if parts:
            notes.append(f"{engine}: " + "; ".join(parts) + ".")
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
    context.extra["data"] = {
        "projects": len(prepared.project_ids),
        "ballots_per_way": CLIENTS * prepared.per_client,
    }
    budget = prepared.budget
    page_url = reverse("participation_budgets:ballot", args=[budget.pk])
    api_url = f"/api/v1/participation/budgets/{budget.pk}/ballot"
    # Twenty clients on one loopback address would exhaust the API's per-address budget.
    os.environ["API_RATE_LIMIT_PER_MINUTE"] = "0"
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

    def page_plan(i: int) -> list[Request]:
        rng = random.Random(1000 + i)
        return [
            Request(
                "POST",
                page_url,
                urlencode(
                    {f"project-{pid}": "on" for pid in _choices(rng, prepared.project_ids)}
                ).encode(),
                signed_in(resident, "application/x-www-form-urlencoded"),
            )
            for resident in mine(prepared.page, i)
        ]

    def api_plan(i: int) -> list[Request]:
        rng = random.Random(2000 + i)
        return [
            Request(
                "POST",
                api_url,
                json.dumps({"choices": _choices(rng, prepared.project_ids)}).encode(),
                signed_in(resident, "application/json"),
            )
            for resident in mine(prepared.api, i)
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
        bare = load(port, bare_plan, clients=CLIENTS)
        context.log(f"bare: {bare.rate:.0f}/s")
        page = load(port, page_plan, clients=CLIENTS, expect=(302,))
        context.log(f"page: {page.rate:.0f} ballots/s")
        api = load(port, api_plan, clients=CLIENTS, expect=(201,))
        context.log(f"api: {api.rate:.0f} ballots/s")
    errors = [*bare.errors, *page.errors, *api.errors]
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[:3]}")
    expected = CLIENTS * prepared.per_client
    for name, residents in (("page", prepared.page), ("api", prepared.api)):
        counted = Ballot.objects.filter(
            budget=budget, participant_id__in=[r.participant_id for r in residents]
        ).count()
        if counted != expected:
            raise RuntimeError(f"{name}: {counted} ballots recorded for {expected} cast")
    service_seconds, service_counted = _service_ballots(prepared)
    if service_counted != expected:
        raise RuntimeError(f"service: {service_counted} ballots recorded for {expected} cast")
    service_rate = service_counted / service_seconds
    context.log(f"service: {service_rate:.0f} ballots/s")
    context.extra["latency_ms"] = {
        "bare_p95": round(bare.percentile(95) * 1000, 1),
        "page_p50": round(page.percentile(50) * 1000, 1),
        "page_p95": round(page.percentile(95) * 1000, 1),
        "api_p50": round(api.percentile(50) * 1000, 1),
        "api_p95": round(api.percentile(95) * 1000, 1),
    }
    bare_description = (
        "requests per second of the bare view (one indexed query, one small template, every "
        f"middleware), {CLIENTS} clients sending at once (saturation)"
    )
    return [
        Measure(
            name="ballots_page_per_second",
            description=(
                f"first ballots cast through the ballot page's form by {CLIENTS} concurrent "
                f"clients, each for {prepared.per_client} signed-in residents in turn "
                f"({expected:,} ballots, each answered by the redirect to its confirmation)"
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
                f"residents in turn ({expected:,} ballots, each answered 201)"
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
                f"({expected:,} ballots: eligibility, rules, insert with receipt code, choices)"
            ),
            value=service_rate,
            unit="/s",
            baseline_description="ballots cast through the ballot page (above), same run",
            baseline_value=page.rate,
        ),
    ]


def _service_ballots(prepared: Prepared) -> tuple[float, int]:
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
            ids = prepared.service[i * prepared.per_client : (i + 1) * prepared.per_client]
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
        budget=prepared.budget, participant_id__in=prepared.service
    ).count()
    return seconds, counted
