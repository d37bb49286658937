"""Participatory-budget results: Beffroi's MES and PaBuLib parser beside pabutools 1.2.3.

- MES (cost utilities) on Wrocław 2018 (53,801 voters, 39 projects), without and with the
  add1 completion; the baseline is pabutools' ``method_of_equal_shares`` in the same run,
  and both must name the same winners in the same order.
- Parsing a 90,000-voter ``.pb`` file, generated deterministically from Wrocław's projects
  (ballots of one or two projects in Wrocław's proportions, projects drawn with Wrocław's
  popularity): seconds, and peak memory under tracemalloc, beside pabutools'
  ``parse_pabulib``.

No database is used: the worker still migrates a fresh one, as for every benchmark.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from bench import Context, Measure, benchmark, timed

ROOT = Path(__file__).resolve().parent.parent
WROCLAW = ROOT / "tests" / "data" / "pabulib" / "poland_wroclaw_2018_.pb"
SEED = 2018
TARGET_SPEEDUP = 10


@dataclass
class Prepared:
    generated: Path
    voters: int


def setup(context: Context) -> Prepared:
    import numpy as np

    from beffroi.participation.budgets.pabulib import Votes, parse_file, write_file

    wroclaw = parse_file(WROCLAW)
    voters = context.size(90_000, 9_000)
    rng = np.random.default_rng(SEED)
    lengths_seen = np.diff(wroclaw.votes.offsets)
    popularity = np.bincount(wroclaw.votes.projects, minlength=len(wroclaw.projects))
    weights = popularity / popularity.sum()
    lengths = rng.choice(lengths_seen, size=voters)
    offsets = [0]
    flat: list[int] = []
    for length in lengths.tolist():
        chosen = rng.choice(len(wroclaw.projects), size=length, replace=False, p=weights)
        flat.extend(chosen.tolist())
        offsets.append(len(flat))
    meta = dict(wroclaw.meta, num_votes=str(voters))
    votes = Votes(
        voter_ids=tuple(str(i) for i in range(1, voters + 1)),
        offsets=np.array(offsets, dtype=np.int64),
        projects=np.array(flat, dtype=np.int64),
    )
    from dataclasses import replace

    generated = context.workdir / f"generated_{voters}.pb"
    write_file(replace(wroclaw, meta=meta, votes=votes), generated)
    context.log(f"generated {voters:,} ballots ({generated.stat().st_size / 2**20:.1f} MiB)")
    return Prepared(generated=generated, voters=voters)


def _peak(call: Any) -> float:
    """Peak traced memory of ``call()``, in MiB."""
    gc.collect()
    tracemalloc.start()
    try:
        call()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def budgets_notes(runs: list[dict[str, Any]]) -> list[str]:
    notes = []
    for run in runs:
        for measure in run["measures"]:
            ratio = measure.get("ratio")
            if measure["unit"] == "s" and ratio:
                notes.append(
                    f"{measure['name']}: Beffroi takes {ratio:.3f}× pabutools' time "
                    f"({1 / ratio:.0f}× faster; the goal is {TARGET_SPEEDUP}×)."
                )
    return notes


@benchmark(
    "budgets",
    "Participatory-budget results: MES on Wrocław 2018 (53,801 voters) with and without add1, "
    "and parsing a 90,000-voter PaBuLib file, beside pabutools 1.2.3 in the same run.",
    setup=setup,
    notes=budgets_notes,
)
def budgets(context: Context, prepared: Prepared) -> list[Measure]:
    from pabutools.election import Cost_Sat, parse_pabulib
    from pabutools.rules import method_of_equal_shares

    from beffroi.participation.budgets.pabulib import parse_file
    from beffroi.participation.budgets.rules import equal_shares

    measures: list[Measure] = []
    election = parse_file(WROCLAW)
    instance, profile = parse_pabulib(str(WROCLAW))
    for add1 in (False, True):
        label = "MES + add1" if add1 else "MES"
        seconds, result = timed(partial(equal_shares, election, add1=add1))
        started = time.perf_counter()
        outcome = method_of_equal_shares(
            instance, profile, sat_class=Cost_Sat, voter_budget_increment=1 if add1 else None
        )
        baseline = time.perf_counter() - started
        expected = [project.name for project in outcome]
        if list(result.selected) != expected:
            raise AssertionError(f"{label}: Beffroi {result.selected} != pabutools {expected}")
        context.log(f"{label}: {seconds:.3f}s vs pabutools {baseline:.2f}s, winners {expected}")
        measures.append(
            Measure(
                name="mes_add1_wroclaw_seconds" if add1 else "mes_wroclaw_seconds",
                description=(
                    f"{label} (cost utilities) on Wrocław 2018, {len(election.votes):,} voters, "
                    f"{len(election.projects)} projects: the same {len(expected)} winners as "
                    f"pabutools" + (f" after {result.increments} increments" if add1 else "")
                ),
                value=seconds,
                unit="s",
                baseline_description="pabutools 1.2.3 method_of_equal_shares, same run",
                baseline_value=baseline,
            )
        )

    path = str(prepared.generated)
    seconds, parsed = timed(lambda: parse_file(path))
    baseline, _parsed = timed(lambda: parse_pabulib(path))
    assert len(parsed.votes) == prepared.voters == _parsed[1].num_ballots()
    del _parsed
    context.log(f"parse {prepared.voters:,}: {seconds:.2f}s vs pabutools {baseline:.2f}s")
    measures.append(
        Measure(
            name="parse_seconds",
            description=f"parse a {prepared.voters:,}-voter approval .pb file (Wrocław's projects)",
            value=seconds,
            unit="s",
            baseline_description="pabutools 1.2.3 parse_pabulib, same file",
            baseline_value=baseline,
        )
    )
    ours = _peak(lambda: parse_file(path))
    theirs = _peak(lambda: parse_pabulib(path))
    context.log(f"parse peak memory: {ours:.1f} MiB vs pabutools {theirs:.1f} MiB")
    measures.append(
        Measure(
            name="parse_peak_mib",
            description=f"peak memory (tracemalloc) parsing the {prepared.voters:,}-voter file",
            value=ours,
            unit="MiB",
            baseline_description="pabutools 1.2.3 parse_pabulib, same file",
            baseline_value=theirs,
        )
    )
    return measures
