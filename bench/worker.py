"""Runs one benchmark in this process against the database named by the environment.

Started by ``python -m bench`` (one process per benchmark and database), so that Django is
set up with that database's DATABASE_URL and data directory, and nothing (caches, memory,
connections) leaks from one benchmark to the next.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def _database_info() -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
        else:
            cursor.execute("SHOW server_version")
        row = cursor.fetchone()
    return {"engine": str(connection.vendor), "version": str(row[0]) if row else ""}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker")
    parser.add_argument("--name", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--result", required=True, type=Path)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)

    # Settings read the environment at import: it must be complete before django.setup().
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["BEFFROI_DATA_DIR"] = str(args.data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "beffroi.settings"
    # DEBUG keeps every SQL statement in memory: it would distort times and memory.
    os.environ["DEBUG"] = "0"

    import django

    django.setup()
    from django.core.management import call_command

    import bench

    benchmarks = bench.load()
    selected = benchmarks[args.name]
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    database = _database_info()
    context = bench.Context(
        quick=args.quick, workdir=args.data_dir / "work", engine=database["engine"]
    )
    context.workdir.mkdir(parents=True, exist_ok=True)
    context.log(f"migrated in {time.perf_counter() - started:.1f}s")
    prepared = selected.setup(context)
    measures = selected.run(context, prepared)
    result: dict[str, Any] = {
        "database": database,
        "duration_s": round(time.perf_counter() - started, 1),
        "extra": context.extra,
        "measures": [m.as_json() for m in measures],
    }
    args.result.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
