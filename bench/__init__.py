"""Beffroi's benchmarks: a registry, the measures they report, and the context they run in.

A benchmark module (``bench/<name>.py``, listed in ``MODULES``) registers one or more
benchmarks with :func:`benchmark`. Each benchmark runs in its own worker process against a
fresh database (see ``bench/__main__.py``), so it may create whatever rows it needs.

Modules are imported by the runner *before* Django is set up (to list names and
descriptions), so they import ``beffroi`` and ``django`` models inside their functions only.

Every measure is compared with a baseline measured in the same run, on the same data: a
number alone says little on a shared, busy machine, a ratio to a floor says more.
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from beffroi.territory.models import Organisation

# Modules holding benchmarks, imported in this order.
MODULES: tuple[str, ...] = (
    "bench.territory",
    "bench.alerts",
    "bench.imports",
    "bench.participation",
    "bench.budgets",
    "bench.ballots",
    "bench.volunteering",
    "bench.callouts",
)


@dataclass(frozen=True)
class Measure:
    """One figure of a benchmark and the baseline it is compared with.

    ``ratio`` is value ÷ baseline: for a time, how many times the floor it costs.
    """

    name: str
    description: str
    value: float
    unit: str
    baseline_description: str
    baseline_value: float | None

    @property
    def ratio(self) -> float | None:
        if self.baseline_value is None or self.baseline_value == 0:
            return None
        return self.value / self.baseline_value

    def as_json(self) -> dict[str, Any]:
        ratio = self.ratio
        return {
            "name": self.name,
            "description": self.description,
            "value": _round(self.value),
            "unit": self.unit,
            "baseline": {
                "description": self.baseline_description,
                "value": None if self.baseline_value is None else _round(self.baseline_value),
            },
            "ratio": None if ratio is None else round(ratio, 3),
        }


def _round(value: float) -> float:
    # Four significant digits: more would only record the machine's noise.
    return float(f"{value:.4g}")


@dataclass
class Context:
    """What a benchmark knows about its run: size, scratch directory, database engine."""

    quick: bool
    workdir: Path
    engine: str
    extra: dict[str, Any] = field(default_factory=dict)
    _started: float = field(default_factory=time.perf_counter)

    def size(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    def log(self, message: str) -> None:
        elapsed = time.perf_counter() - self._started
        print(f"  [{self.engine} {elapsed:6.1f}s] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Benchmark:
    name: str
    description: str
    setup: Callable[[Context], Any]
    run: Callable[[Context, Any], list[Measure]]
    # Derived remarks for BENCHMARKS.md, computed from the JSON runs (so a regenerated
    # summary has them too): growth factors, what a ratio means for this benchmark.
    notes: Callable[[list[dict[str, Any]]], list[str]] | None = None
    # Figures over every run (the worst case over engines…), written to the JSON results as
    # "over_runs".
    over_runs: Callable[[list[dict[str, Any]]], dict[str, Any]] | None = None


REGISTRY: dict[str, Benchmark] = {}


def benchmark(
    name: str,
    description: str,
    *,
    setup: Callable[[Context], Any] | None = None,
    notes: Callable[[list[dict[str, Any]]], list[str]] | None = None,
    over_runs: Callable[[list[dict[str, Any]]], dict[str, Any]] | None = None,
) -> Callable[[Callable[[Context, Any], list[Measure]]], Callable[[Context, Any], list[Measure]]]:
    """Register ``run(context, prepared)``; ``setup(context)`` prepares data, untimed.

    ``notes(runs)`` returns remarks for the summary from the recorded runs (JSON dicts);
    ``over_runs(runs)`` figures over all of them, kept in the JSON results.
    """

    def register(
        run: Callable[[Context, Any], list[Measure]],
    ) -> Callable[[Context, Any], list[Measure]]:
        if name in REGISTRY:
            raise ValueError(f"benchmark {name!r} is registered twice")
        REGISTRY[name] = Benchmark(
            name=name,
            description=description,
            setup=setup if setup is not None else _no_setup,
            run=run,
            notes=notes,
            over_runs=over_runs,
        )
        return run

    return register


def _no_setup(context: Context) -> None:
    return None


def timed[T](call: Callable[[], T]) -> tuple[float, T]:
    """(seconds, result) of ``call()``."""
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def signed_in_session(store: Any, user: Any) -> str:
    """Writes to ``store`` (a new session) what the site's login writes for ``user``, with
    the backend a password sign-in goes through; returns the session's key."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "beffroi.accounts.backends.AccountBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


def create_organisation(slug: str) -> Organisation:
    """A fresh organisation for a benchmark's data (Django is set up by then)."""
    from beffroi.territory.models import Organisation

    return Organisation.objects.create(name=f"Bench {slug}", slug=slug)


def measures_by_size(measures: dict[str, Any], prefix: str) -> list[tuple[int, Any]]:
    """The recorded measures named ``<prefix><size>``, as (size, measure), smallest first."""
    return sorted(
        (int(name.removeprefix(prefix)), measure)
        for name, measure in measures.items()
        if name.startswith(prefix)
    )


def load() -> dict[str, Benchmark]:
    for module in MODULES:
        importlib.import_module(module)
    return REGISTRY
