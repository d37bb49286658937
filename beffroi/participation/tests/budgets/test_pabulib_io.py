"""PaBuLib in and out through the models: import, export, results and the official outcome,
and the pb_import / pb_results / pb_export commands. Run on SQLite and on PostgreSQL, the
results are the same (both equal the engine's on the original file)."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from beffroi.core.imports import ImportRefused
from beffroi.participation.budgets import pabulib, rules, selectors, services
from beffroi.participation.models import (
    Ballot,
    BallotType,
    Budget,
    BudgetOutcome,
    BudgetProject,
    BudgetResult,
    Process,
)
from beffroi.testing import Cast

DATA = Path(__file__).resolve().parents[4] / "tests" / "data" / "pabulib"
WROCLAW = "poland_wroclaw_2018_.pb"
ORACLE = json.loads((DATA / "pabutools_oracle.json").read_text())["elections"]
FILES = [
    pytest.param(path.name, marks=pytest.mark.slow) if path.name == WROCLAW else path.name
    for path in sorted(DATA.glob("*.pb"))
]


def _import(cast: Cast, name: str) -> Budget:
    return services.pb_import(data=(DATA / name).read_bytes(), organisation=cast.org)


@pytest.mark.parametrize("name", FILES)
def test_it_imports_then_exports_the_same_election(cast: Cast, name: str) -> None:
    original = pabulib.parse_file(DATA / name)
    budget = _import(cast, name)
    assert budget.process.blueprint == "budget"
    assert budget.process.status == Process.Status.ARCHIVED
    assert Ballot.objects.filter(budget=budget).count() == len(original.votes)
    text = services.pb_export(budget=budget)
    assert not text.startswith("\ufeff")
    exported = pabulib.parse(text)
    assert exported.projects == original.projects
    assert exported.votes == original.votes
    assert dict(exported.meta) == dict(original.meta)


@pytest.mark.parametrize(
    "name", [path.name for path in sorted(DATA.glob("*.pb")) if path.name != WROCLAW]
)
def test_results_from_the_database_equal_the_engine_on_the_file(cast: Cast, name: str) -> None:
    original = pabulib.parse_file(DATA / name)
    budget = _import(cast, name)
    expected = {"greedy": rules.greedy(original), "mes": rules.equal_shares(original)}
    for rule, engine in expected.items():
        result = services.results_compute(budget=budget, rule=rule)
        assert result.selected == list(engine.selected), rule
        assert result.cost == engine.cost
        outcomes = selectors.result_outcomes(result)
        assert [o.project_id for o in outcomes] == [p.project_id for p in original.projects]
        assert {o.project_id: o for o in outcomes} == {
            pid: replace(outcome, currency="EUR") for pid, outcome in engine.outcomes.items()
        }
    # Recomputing from the export gives the same winners.
    again = pabulib.parse(services.pb_export(budget=budget))
    assert rules.greedy(again).selected == expected["greedy"].selected
    assert rules.equal_shares(again).selected == expected["mes"].selected


# MES with add1 runs MES once per increment: the files where that takes many seconds are
# compared with pabutools by the engine's own tests (test_rules.py); here, the database path
# on the others.
ADD1_SLOW = {WROCLAW, "france_toulouse_2019_.pb", "poland_krakow_2021_stare-miasto.pb"}


@pytest.mark.parametrize(
    "name", [path.name for path in sorted(DATA.glob("*.pb")) if path.name not in ADD1_SLOW]
)
def test_mes_add1_from_the_database_equals_pabutools(cast: Cast, name: str) -> None:
    budget = _import(cast, name)
    result = services.results_compute(budget=budget, rule="mes-add1")
    assert result.selected == ORACLE[name]["equalshares/add1"]


def test_it_keeps_the_ballot_of_the_file(cast: Cast) -> None:
    toulouse = _import(cast, "france_toulouse_2019_.pb")
    assert (toulouse.ballot_type, toulouse.max_points, toulouse.currency) == (
        BallotType.CUMULATIVE,
        7,
        "EUR",
    )
    krakow = _import(cast, "poland_krakow_2021_stare-miasto.pb")
    assert (krakow.ballot_type, krakow.min_projects, krakow.max_projects, krakow.currency) == (
        BallotType.RANKED,
        3,
        3,
        "PLN",
    )
    warsaw = _import(cast, "poland_warszawa_2017_aleksandrow.pb")
    assert warsaw.ballot_type == BallotType.KNAPSACK


def test_a_malformed_file_is_refused_with_each_line_and_writes_nothing(cast: Cast) -> None:
    broken = (
        b"META\nkey;value\nbudget;1000\nvote_type;approval\n"
        b"PROJECTS\nproject_id;cost\n1;500\n2;-3\n"
        b"VOTES\nvoter_id;vote\n1;1\n2;9\n"
    )
    with pytest.raises(ImportRefused) as caught:
        services.pb_import(data=broken, organisation=cast.org)
    assert caught.value.messages == [
        "line 8: cost -3 of project 2 is not a positive whole number",
        "line 12: the vote names project 9, which is not in PROJECTS",
    ]
    assert not Budget.objects.exists() and not Process.objects.exists()
    assert not Ballot.objects.exists() and not BudgetProject.objects.exists()


def test_an_outcome_published_by_an_agent_is_kept_and_exported(cast: Cast) -> None:
    from beffroi.participation.tests.budgets.helpers import (
        close_vote,
        make_budget,
        project_ids,
        voter,
    )

    budget = make_budget(cast)
    a, b, c, _d = project_ids(budget)
    services.ballot_cast(budget=budget, participant=voter(cast), choices=[a, b])
    services.ballot_cast(budget=budget, participant=voter(cast, second=True), choices=[a])
    result = services.results_compute(budget=budget, rule="greedy")
    assert result.selected == ["1", "2", "3"]  # a (2 votes), b (1), then c fits
    # While the vote is open, nobody may read an outcome.
    with pytest.raises(ValidationError, match="still open"):
        services.outcome_publish(budget=budget, agent=cast.participation_manager, selected=[a])
    close_vote(budget)
    outcome = services.outcome_publish(
        budget=budget, agent=cast.participation_manager, selected=[c, a], note="Vote du conseil"
    )
    assert outcome.selected == ["1", "3"] and outcome.published_by == cast.participation_manager
    difference = selectors.outcome_difference(budget, result)
    assert difference is not None and difference.removed == ("2",) and difference.added == ()
    exported = pabulib.parse(services.pb_export(budget=budget))
    assert [p.selected for p in exported.projects] == [True, False, True, False]
    assert [p.votes for p in exported.projects] == [2, 1, 0, 0]
    assert exported.meta["vote_type"] == "approval" and exported.meta["max_length"] == "3"
    assert rules.greedy(exported).selected == tuple(result.selected)


# --- commands ------------------------------------------------------------------------------


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_commands_import_compute_and_export(cast: Cast) -> None:
    path = DATA / "poland_wieliczka_2023.pb"
    out, err = _run("pb_import", str(path))
    budget = Budget.objects.get()
    assert out.splitlines()[-1].endswith(f"budget id {budget.pk}")
    assert "6586 ballot(s)" in out and "100.0%" in err
    election = pabulib.parse_file(path)
    out, err = _run("pb_results", str(budget.pk), "--rule", "mes-add1")
    winners = ORACLE[path.name]["equalshares/add1"]
    assert out == "".join(f"{pid}\n" for pid in winners)
    official = {p.project_id for p in election.projects if p.selected}
    assert official - set(winners) == {"46"} and set(winners) - official == {"66", "67"}
    # The official outcome kept from the file, against the stored MES + add1 result.
    outcome = BudgetOutcome.objects.get(budget=budget)
    assert outcome.source == BudgetOutcome.Source.IMPORTED and outcome.published_by is None
    stored = BudgetResult.objects.get(budget=budget, rule="mes-add1")
    difference = selectors.outcome_difference(budget, stored)
    assert difference is not None
    assert difference.added == ("46",) and sorted(difference.removed) == ["66", "67"]
    out, _err = _run("pb_results", str(budget.pk), "--rule", "greedy")
    assert out.split() == list(rules.greedy(election).selected)
    out, _err = _run("pb_export", str(budget.pk))
    assert out == services.pb_export(budget=budget)
    assert pabulib.parse(out).votes == election.votes


def test_the_commands_fail_clearly_and_write_nothing(cast: Cast, tmp_path: Path) -> None:
    bad = tmp_path / "bad.pb"
    bad.write_text("META\nkey;value\nbudget;x\n")
    with pytest.raises(CommandError) as caught:
        _run("pb_import", str(bad))
    assert "nothing was imported" in str(caught.value)
    assert "line 3: budget x is not a positive number" in str(caught.value)
    assert not Budget.objects.exists()
    with pytest.raises(CommandError, match="No budget number 999"):
        _run("pb_results", "999", "--rule", "mes")
    with pytest.raises(CommandError, match="No budget number 999"):
        _run("pb_export", "999")
    other = services.pb_import(
        data=(DATA / "poland_warszawa_2017_aleksandrow.pb").read_bytes(),
        organisation=cast.other_org,
    )
    # Another organisation's budget is not reached from the default one.
    with pytest.raises(CommandError, match="No budget number"):
        _run("pb_export", str(other.pk))
