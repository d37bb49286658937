"""Greedy and the Method of Equal Shares: official outcomes, pabutools as the oracle, ties.

pabutools is the oracle only here. Its answers for every file and both MES variants are
recorded in tests/data/pabulib/pabutools_oracle.json by ``make_oracle.py`` (pabutools needs
minutes for MES + add1 on these files); plain MES is also compared live with pabutools on
every file but Wrocław (a second each), and so are the hand-made tie elections.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from pabutools.election import Cost_Sat, parse_pabulib
from pabutools.election.pabulib import parse_pabulib_from_string
from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares

from beffroi.participation.budgets.pabulib import (
    Ballot,
    Election,
    Project,
    make_election,
    parse_file,
    write,
)
from beffroi.participation.budgets.rules import (
    Reason,
    Status,
    compute,
    equal_shares,
    greedy,
)

DATA = Path(__file__).resolve().parents[4] / "tests" / "data" / "pabulib"
FILES = sorted(DATA.glob("*.pb"))
ORACLE = json.loads((DATA / "pabutools_oracle.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def elections() -> dict[str, Election]:
    return {path.name: parse_file(path) for path in FILES}


def _official(election: Election) -> list[str]:
    return [p.project_id for p in election.projects if p.selected]


def test_greedy_reproduces_every_official_greedy_approval_outcome(
    elections: dict[str, Election],
) -> None:
    decided = [
        name
        for name, e in elections.items()
        if e.vote_type == "approval" and e.rule == "greedy" and _official(e)
    ]
    assert decided == ["poland_warszawa_2017_aleksandrow.pb", "poland_wroclaw_2018_.pb"]
    for name in decided:
        election = elections[name]
        result = greedy(election)
        assert sorted(result.selected) == sorted(_official(election)), name
        assert result.cost <= result.budget


def test_greedy_on_ordinal_points_reproduces_krakow(elections: dict[str, Election]) -> None:
    krakow = elections["poland_krakow_2021_stare-miasto.pb"]
    result = greedy(krakow)
    assert result.extra["by"] == "points"
    assert sorted(result.selected) == sorted(_official(krakow))


def test_greedy_equals_pabutools_on_approval(elections: dict[str, Election]) -> None:
    # Wrocław too would take pabutools' parser 5 s; its official outcome is checked above.
    name = "poland_warszawa_2017_aleksandrow.pb"
    instance, profile = parse_pabulib(str(DATA / name))
    expected = [p.name for p in greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)]
    assert list(greedy(elections[name]).selected) == expected


def test_greedy_explains_each_project(elections: dict[str, Election]) -> None:
    warsaw = greedy(elections["poland_warszawa_2017_aleksandrow.pb"])
    # 261 (80,000) fits in 110,411; 1112 (99,267) does not fit in the 30,411 left; 720 fits.
    assert warsaw.outcomes["261"].reason is Reason.FITS
    skipped = warsaw.outcomes["1112"]
    assert skipped.status is Status.REJECTED and skipped.reason is Reason.DOES_NOT_FIT
    assert skipped.remaining_budget == Fraction(30411)
    assert skipped.explanation() == (
        "did not fit in the remaining 30,411\u00a0€ for a cost of 99,267\u00a0€"
    )
    assert warsaw.outcomes["720"].selected
    assert warsaw.selected == ("261", "720")
    assert warsaw.votes["261"] == 172


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
@pytest.mark.parametrize("rule", ["equalshares", "equalshares/add1"])
def test_mes_equals_pabutools_recorded_answers(
    path: Path, rule: str, elections: dict[str, Election]
) -> None:
    result = compute(elections[path.name], rule)
    assert list(result.selected) == ORACLE["elections"][path.name][rule]


@pytest.mark.parametrize(
    "path", [p for p in FILES if "wroclaw" not in p.name], ids=lambda p: p.stem
)
def test_mes_equals_pabutools_live(path: Path, elections: dict[str, Election]) -> None:
    instance, profile = parse_pabulib(str(path))
    expected = [p.name for p in method_of_equal_shares(instance, profile, sat_class=Cost_Sat)]
    assert list(equal_shares(elections[path.name]).selected) == expected


def test_mes_add1_equals_pabutools_live_on_warsaw(elections: dict[str, Election]) -> None:
    path = DATA / "poland_warszawa_2017_aleksandrow.pb"
    instance, profile = parse_pabulib(str(path))
    outcome = method_of_equal_shares(
        instance, profile, sat_class=Cost_Sat, voter_budget_increment=1
    )
    result = equal_shares(elections[path.name], add1=True)
    assert list(result.selected) == [p.name for p in outcome]
    assert result.increments > 0


def test_wieliczka_official_outcome_differs_from_mes_add1_by_three_projects(
    elections: dict[str, Election],
) -> None:
    wieliczka = elections["poland_wieliczka_2023.pb"]
    assert wieliczka.rule == "equalshares/add1"
    official = set(_official(wieliczka))
    computed = set(compute(wieliczka).selected)
    assert official - computed == {"46"}
    assert computed - official == {"66", "67"}


def test_mes_explains_each_project(elections: dict[str, Election]) -> None:
    election = elections["poland_wroclaw_2018_.pb"]
    result = equal_shares(election)
    share = Fraction(4_000_000, 53_801)
    assert result.voter_budget == share
    for round_number, project_id in enumerate(result.selected, start=1):
        outcome = result.outcomes[project_id]
        assert outcome.reason is Reason.BOUGHT and outcome.round == round_number
        assert outcome.supporters_money is not None and outcome.price_per_supporter is not None
        assert outcome.supporters_money >= outcome.cost
        assert outcome.price_per_supporter * outcome.votes >= outcome.cost
    # Round 1: nobody has paid anything, so the price is the cost split among supporters.
    first = result.outcomes[result.selected[0]]
    assert first.price_per_supporter == Fraction(first.cost, first.votes)
    rejected = [o for o in result.outcomes.values() if not o.selected]
    assert rejected
    for outcome in rejected:
        assert outcome.reason is Reason.SUPPORTERS_SHORT
        assert outcome.supporters_money is not None
        assert outcome.supporters_money < outcome.cost
    outcome = result.outcomes["11"]
    assert outcome.explanation().startswith("its supporters' remaining share was ")
    assert result.cost == sum(p.cost for p in election.projects if p.project_id in result.selected)


# --- hand-made elections where ties decide ------------------------------------------------

META = {
    "description": "Ties", "country": "France", "unit": "Testville", "instance": "2026",
    "budget": "100", "vote_type": "approval", "rule": "equalshares", "date_begin": "01.01.2026",
    "date_end": "02.01.2026", "language": "fr",
}  # fmt: skip


def _election(costs: dict[str, int], ballots: list[list[str]], budget: int = 100) -> Election:
    meta = dict(META, budget=str(budget), num_projects=str(len(costs)), num_votes=str(len(ballots)))
    return make_election(
        meta=meta,
        projects=[Project(pid, cost, f"Projet {pid}") for pid, cost in costs.items()],
        ballots=[Ballot(str(i), ballot) for i, ballot in enumerate(ballots, start=1)],
    )


def _pabutools(election: Election, *, add1: bool = False) -> list[str]:
    instance, profile = parse_pabulib_from_string(write(election))
    outcome = method_of_equal_shares(
        instance, profile, sat_class=Cost_Sat, voter_budget_increment=1 if add1 else None
    )
    return [p.name for p in outcome]


def test_greedy_breaks_ties_by_project_id_as_text() -> None:
    # Same votes, only one fits: "10" comes before "9" as text.
    election = _election({"9": 60, "10": 60}, [["9", "10"], ["9", "10"]])
    result = greedy(election)
    assert result.selected == ("10",)
    assert result.outcomes["9"].reason is Reason.DOES_NOT_FIT
    assert "lexicographic" in result.tie_breaking


def test_mes_breaks_ties_by_project_id_as_text() -> None:
    # Both projects cost everything the same two supporters have: the first in text order
    # wins, the other finds its supporters with nothing left.
    election = _election({"b": 100, "a": 100}, [["a", "b"], ["a", "b"]])
    result = equal_shares(election)
    assert result.selected == ("a",)
    assert result.outcomes["b"].supporters_money == 0
    assert list(result.selected) == _pabutools(election)


def test_mes_ties_on_price_across_disjoint_supporters() -> None:
    # Voters 1-2 want "x", 3-4 want "y": each costs 50, exactly their share. Both are bought,
    # "x" first (text order), and "z" (nobody's) is never considered.
    election = _election({"y": 50, "x": 50, "z": 10}, [["x"], ["x"], ["y"], ["y"]])
    result = equal_shares(election)
    assert result.selected == ("x", "y")
    assert result.outcomes["y"].round == 2
    assert result.outcomes["z"].reason is Reason.NO_SUPPORTERS
    assert list(result.selected) == _pabutools(election)


def test_mes_exact_tie_between_different_costs() -> None:
    # Price per unit of cost: "big" 60/(3·60) = 1/3, "small" 30/(3·30)... both 1/3 with three
    # supporters each; "big" wins on text order, then "small" can no longer be afforded
    # (its supporters have 40 - 20 = 20 each, 60 in all... it is), so check against pabutools.
    election = _election(
        {"small": 30, "big": 60},
        [["big", "small"], ["big", "small"], ["big", "small"], ["other"] if False else []],
        budget=120,
    )
    assert list(equal_shares(election).selected) == _pabutools(election)
    assert equal_shares(election).selected[0] == "big"


def test_mes_add1_completes_like_pabutools() -> None:
    # Two camps; MES alone leaves money unspent, add1 raises shares until one more fits.
    election = _election(
        {"a": 40, "b": 45, "c": 30, "d": 25},
        [["a"], ["a", "c"], ["b"], ["b", "d"], ["c", "d"], ["a"], ["b", "c"]],
        budget=100,
    )
    plain = equal_shares(election)
    completed = equal_shares(election, add1=True)
    assert list(plain.selected) == _pabutools(election)
    assert list(completed.selected) == _pabutools(election, add1=True)
    assert completed.increments >= 1
    assert completed.voter_budget == Fraction(100, 7) + completed.increments
    assert completed.cost <= 100
