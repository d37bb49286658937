"""Imported lists of residents: ``subscribers_import`` of a 20,000-line CSV file.

The commune is generated with the territory benchmark's generators (20,000 addresses on 500
streets, imported with ``ban_import``); the list names one resident per line, as a CCAS file
or a former alert tool's export would: name, e-mail (two thirds), mobile, a typed address,
postcode, commune and topics. Addresses are typed the way people fill a spreadsheet:
abbreviations, accents and articles dropped, lower or upper case, and a quarter of them with
one typo (kept only when the search still finds the intended address with the import's
minimum score; otherwise the line would be refused and the whole file with it).

``BENCH_IMPORT_LINES=5000 python -m bench --only imports`` runs another size (a smoke run
between the quick 2,000 lines and the full 20,000).
"""

from __future__ import annotations

import csv
import io
import os
import random
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import Context, Measure, benchmark, create_organisation, timed
from bench.territory import (
    COMMUNE,
    INSEE,
    POSTCODE,
    GeneratedAddress,
    generate_addresses,
    make_query,
    write_ban_csv,
)

if TYPE_CHECKING:
    from beffroi.territory.models import Organisation

SEED = 19
P_EMAIL = 0.65
P_TYPO = 0.25
P_HOUSEHOLD = 0.1  # a second resident at the same address
SEARCH_SAMPLE = 200
TARGET_RATE = 2_000  # lines per second: the goal of issue 8, item 19
HEADER = ("nom", "prenom", "email", "mobile", "adresse", "code postal", "commune", "themes")
FIRST = ("Jeanne", "Paul", "Éloïse", "Marc", "Zoé", "Louis", "Inès", "Hugo", "Léa", "Yves")
LAST = ("Durand", "Martin", "Petit", "Leroy", "Moreau", "Roux", "Fournier", "Girard", "Faure")
THEMES = ("", "inondation", "inondation, canicule", "tout", "tempête; froid", "routes")


@dataclass
class Prepared:
    csv_path: Path
    lines: int
    # For the floor: each line's address id (resolved in setup, untimed).
    address_ids: list[int]
    queries: list[str]
    organisation: Organisation


def _clean_typed(rng: random.Random, address: GeneratedAddress) -> str:
    """The address as a careful agent types it: "12 bis Rue Émile Zola", in some case."""
    number = f"{address.number} {address.suffix.lower()}" if address.suffix else str(address.number)
    text = f"{number} {address.street}"
    return text.upper() if rng.random() < 0.2 else text


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _rows(rng: random.Random, addresses: list[GeneratedAddress], lines: int) -> list[Any]:
    rows: list[tuple[GeneratedAddress, str, list[str]]] = []
    previous: GeneratedAddress | None = None
    for i in range(lines):
        if previous is not None and rng.random() < P_HOUSEHOLD:
            address = previous
        else:
            address = rng.choice(addresses)
        previous = address
        typed = make_query(rng, address) if rng.random() < P_TYPO else _clean_typed(rng, address)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        mailbox = f"{_ascii(first)}.{_ascii(last)}.{i}".lower()
        email = f"{mailbox}@example.org" if rng.random() < P_EMAIL else ""
        mobile = f"06 {10 + i // 1_000_000:02d} {i // 10_000 % 100:02d} {i // 100 % 100:02d} "
        mobile += f"{i % 100:02d}"
        rows.append(
            (
                address,
                typed,
                [last, first, email, mobile, "", POSTCODE, COMMUNE, rng.choice(THEMES)],
            )
        )
    return rows


def setup(context: Context) -> Prepared:
    from beffroi.territory.models import Address
    from beffroi.territory.selectors import addresses_resolve
    from beffroi.territory.services import ban_import

    lines = int(os.environ.get("BENCH_IMPORT_LINES", 0)) or context.size(20_000, 2_000)
    addresses = generate_addresses(lines)
    ban_path = context.workdir / f"adresses-{INSEE}.csv"
    write_ban_csv(ban_path, addresses)
    organisation = create_organisation("bench-residents")
    ban_import(organisation=organisation, path=ban_path, create_communes=True)
    ids = dict(Address.objects.filter(organisation=organisation).values_list("ban_id", "id"))
    rng = random.Random(SEED)
    rows = _rows(rng, addresses, lines)
    # A typo the search cannot undo would refuse the file: type that address carefully.
    found = addresses_resolve(organisation=organisation, queries=[typed for _a, typed, _r in rows])
    for position, (address, typed, row) in enumerate(rows):
        match = found[position]
        if match is None or match.score < 80 or match.address_id != ids[address.ban_id]:
            typed = _clean_typed(rng, address)
        row[4] = typed
    csv_path = context.workdir / "abonnes.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADER)
        writer.writerows(row for _a, _t, row in rows)
    context.log(f"generated {lines:,} residents ({csv_path.stat().st_size / 2**20:.1f} MiB)")
    return Prepared(
        csv_path=csv_path,
        lines=lines,
        address_ids=[ids[address.ban_id] for address, _t, _r in rows],
        queries=[row[4] for _a, _t, row in rows],
        organisation=organisation,
    )


def floor_import(organisation: Organisation, data: bytes, address_ids: list[int]) -> int:
    """The floor of "parse and store": ``csv.reader``, one ``Subscriber`` and one ``Place``
    per line with ``bulk_create``, one transaction; nothing checked, no address searched."""
    from django.db import transaction
    from django.utils import timezone

    from beffroi.alerts.models import Place, Subscriber

    now = timezone.now()
    reader = csv.reader(io.StringIO(data.decode("utf-8")), delimiter=";")
    next(reader)
    subscribers = [
        Subscriber(
            organisation=organisation,
            full_name=f"{row[1]} {row[0]}",
            email=row[2],
            sms_number="+33" + row[3].replace(" ", "")[1:],
            channels=["email", "sms"] if row[2] else ["sms"],
            topics=["flood"],
            consent_version="bench",
            consent_at=now,
            source="import",
        )
        for row in reader
    ]
    with transaction.atomic():
        Subscriber.objects.bulk_create(subscribers, batch_size=500)
        Place.objects.bulk_create(
            (
                Place(subscriber=s, address_id=a)
                for s, a in zip(subscribers, address_ids, strict=True)
            ),
            batch_size=500,
        )
    return len(subscribers)


def imports_notes(runs: list[dict[str, Any]]) -> list[str]:
    notes = [
        "Rates are lines per second (higher is better): the ratio is the import's share of the "
        "floor's speed. The floor parses the same file and `bulk_create`s one resident and "
        "one place per line; it checks nothing and searches no address (its address ids "
        "are given).",
        "Method: the whole import is timed as an agent runs it (`subscribers_import`: decode, "
        "columns, every line checked, every distinct address resolved with "
        "`addresses_resolve`, duplicates merged, residents matched, created or updated and "
        "their places added in bulk, the import recorded, one transaction). Then the same "
        "file again with the commune's consent recorded: every line updates a resident and "
        "verifies their channels.",
    ]
    for run in runs:
        engine = run["database"]["engine"]
        measures = {m["name"]: m for m in run["measures"]}
        rate = measures.get("subscribers_import_rate")
        if rate is not None:
            verdict = "reaches" if rate["value"] >= TARGET_RATE else "does NOT reach"
            notes.append(
                f"{engine}: {rate['value']:,.0f} lines/s {verdict} the goal of "
                f"{TARGET_RATE:,} lines/s (the import ran at about 45 lines/s before it "
                "resolved addresses and wrote in bulk: 500 lines in 11 s)."
            )
    return notes


@benchmark(
    "imports",
    "Import of a list of residents (`subscribers_import`, 20,000 CSV lines) into a generated "
    "commune of 20,000 addresses on 500 streets, against the floor of parsing and storing "
    "the same rows.",
    setup=setup,
    notes=imports_notes,
)
def imports(context: Context, prepared: Prepared) -> list[Measure]:
    from beffroi.alerts.models import Subscriber
    from beffroi.alerts.subscriptions.imports import subscribers_import
    from beffroi.territory.selectors import address_search, addresses_resolve

    lines = prepared.lines
    organisation = prepared.organisation
    data = prepared.csv_path.read_bytes()
    measures: list[Measure] = []

    floor_org = create_organisation("bench-floor")
    floor_seconds, floor_count = timed(lambda: floor_import(floor_org, data, prepared.address_ids))
    context.log(f"floor: {floor_count:,} lines in {floor_seconds:.2f}s")
    floor_rate = floor_count / floor_seconds
    floor_description = (
        "`csv.reader` + `bulk_create` of one resident and one place per line (batches of "
        "500, one transaction), rows per second"
    )

    seconds, report = timed(
        lambda: subscribers_import(organisation=organisation, data=data, file_name="abonnes.csv")
    )
    people = Subscriber.objects.filter(organisation=organisation).count()
    assert report.created == people and report.lines == lines, report
    context.log(f"subscribers_import: {lines:,} lines in {seconds:.2f}s ({people:,} residents)")
    measures.append(
        Measure(
            name="subscribers_import_rate",
            description=f"`subscribers_import` of {lines:,} lines into an empty list "
            f"({people:,} residents after merging households' repeated numbers), lines per "
            "second",
            value=lines / seconds,
            unit="lines/s",
            baseline_description=floor_description,
            baseline_value=floor_rate,
        )
    )

    seconds, report = timed(
        lambda: subscribers_import(
            organisation=organisation,
            data=data,
            file_name="abonnes.csv",
            consent=True,
            actor=_agent(organisation),
        )
    )
    assert report.updated == people and report.created == 0, report
    context.log(f"re-import with consent: {lines:,} lines in {seconds:.2f}s")
    measures.append(
        Measure(
            name="subscribers_reimport_consent_rate",
            description=f"the same {lines:,} lines again, the commune's consent recorded: "
            "every resident matched, updated and their channels verified, lines per second",
            value=lines / seconds,
            unit="lines/s",
            baseline_description=floor_description,
            baseline_value=floor_rate,
        )
    )

    # Address resolution alone: the bulk resolver against one search per line.
    queries = prepared.queries
    resolve_seconds, found = timed(
        lambda: addresses_resolve(organisation=organisation, queries=queries)
    )
    sample = random.Random(SEED).sample(queries, min(SEARCH_SAMPLE, len(queries)))
    search_seconds, searched = timed(
        lambda: [address_search(organisation=organisation, query=q, limit=1) for q in sample]
    )
    assert all(match is not None for match in found)
    # Same answers, or the comparison means nothing.
    by_query = dict(zip(queries, found, strict=True))
    assert all(by_query[q] == s[0] for q, s in zip(sample, searched, strict=True))
    context.log(
        f"addresses_resolve: {lines:,} in {resolve_seconds:.2f}s; "
        f"address_search: {len(sample)} in {search_seconds:.2f}s"
    )
    measures.append(
        Measure(
            name="addresses_resolve_rate",
            description=f"`addresses_resolve` of the file's {lines:,} typed addresses "
            f"({len(set(queries)):,} distinct), addresses per second",
            value=lines / resolve_seconds,
            unit="lines/s",
            baseline_description=f"`address_search(limit=1)` once per line ({len(sample)} "
            "lines drawn from the file), addresses per second",
            baseline_value=len(sample) / search_seconds,
        )
    )
    return measures


def _agent(organisation: Organisation) -> Any:
    from beffroi.accounts.models import User

    return User.objects.create_user(email="agent@bench.example", password=None)
