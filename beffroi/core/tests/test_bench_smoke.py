"""The benchmark harness must keep working: a quick run writes well-formed results.

Not a timed test: figures of a --quick run mean nothing, only their shape is checked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_it_runs_the_territory_benchmark_and_writes_its_results(tmp_path: Path) -> None:
    committed = (ROOT / "BENCHMARKS.md").read_bytes() if (ROOT / "BENCHMARKS.md").exists() else None

    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--only",
            "territory",
            "--output",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    data = json.loads((tmp_path / "territory.json").read_text(encoding="utf-8"))
    assert data["benchmark"] == "territory"
    assert data["quick"] is True
    assert {"cpu_count", "python", "django", "date"} <= set(data["machine"])
    [run] = data["runs"]
    assert run["database"]["engine"] == "sqlite"
    names = {m["name"] for m in run["measures"]}
    assert {
        "ban_import",
        "memberships_rebuild",
        "address_search_p50",
        "address_search_p95",
    } <= names
    assert any(name.startswith("ban_import_peak_memory_") for name in names)
    for measure in run["measures"]:
        assert {"name", "description", "value", "unit", "baseline", "ratio"} <= set(measure)
        assert measure["value"] > 0
        assert {"description", "value"} <= set(measure["baseline"])
        if measure["baseline"]["value"] is not None:
            assert measure["ratio"] == pytest.approx(
                measure["value"] / measure["baseline"]["value"], rel=0.01
            )
    summary = (tmp_path / "BENCHMARKS.md").read_text(encoding="utf-8")
    assert "## territory" in summary
    assert "memberships_rebuild" in summary
    # The committed summary is left alone when results go elsewhere.
    after = (ROOT / "BENCHMARKS.md").read_bytes() if (ROOT / "BENCHMARKS.md").exists() else None
    assert after == committed


def test_the_alerts_results_keep_the_worst_case_over_engines_and_targets() -> None:
    from bench.alerts import alerts_over_runs

    def run(engine: str, audience: float, ratio: float) -> dict[str, object]:
        return {
            "database": {"engine": engine},
            "measures": [
                {"name": "audience_seconds", "value": audience / 2, "description": "10 zones"},
                {"name": "audience_worst_seconds", "value": audience, "description": engine},
                {"name": "ratio_to_raw", "value": ratio, "description": "ratio"},
            ],
        }

    over = alerts_over_runs([run("sqlite", 1.9, 0.85), run("postgresql", 1.7, 0.95)])
    assert over["audience_worst_seconds"]["value"] == 1.9
    assert over["audience_worst_seconds"]["engine"] == "sqlite"
    assert over["ratio_to_raw_worst"] == {
        "value": 0.85,
        "engine": "sqlite",
        "target": "≥ 0.7 (≥ 0.9 sought on PostgreSQL)",
    }
