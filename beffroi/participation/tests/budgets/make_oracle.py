"""Record pabutools' MES winners for the test elections (run once; pabutools is the oracle).

    .venv/bin/python -m beffroi.participation.tests.budgets.make_oracle

pabutools 1.2.3 takes minutes in all for MES with the add1 completion on these files, too
slow to run on every test run: the tests compare Beffroi with this file for every election
and rule, and with pabutools live only where it is quick (plain MES on the small files).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from pabutools.election import Cost_Sat, parse_pabulib
from pabutools.rules import method_of_equal_shares

DATA = Path(__file__).resolve().parents[4] / "tests" / "data" / "pabulib"
ORACLE = DATA / "pabutools_oracle.json"


def pabutools_mes(path: Path, *, add1: bool) -> list[str]:
    instance, profile = parse_pabulib(str(path))
    outcome = method_of_equal_shares(
        instance, profile, sat_class=Cost_Sat, voter_budget_increment=1 if add1 else None
    )
    return [project.name for project in outcome]


def main() -> None:
    from importlib.metadata import version

    answers: dict[str, object] = {"pabutools": version("pabutools"), "elections": {}}
    elections: dict[str, dict[str, list[str]]] = {}
    for path in sorted(DATA.glob("*.pb")):
        elections[path.name] = {}
        for add1 in (False, True):
            started = time.perf_counter()
            winners = pabutools_mes(path, add1=add1)
            rule = "equalshares/add1" if add1 else "equalshares"
            elections[path.name][rule] = winners
            print(f"{path.name} {rule}: {time.perf_counter() - started:.1f}s")
    answers["elections"] = elections
    ORACLE.write_text(json.dumps(answers, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
