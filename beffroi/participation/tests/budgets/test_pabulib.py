"""The PaBuLib parser and writer on real elections and on broken files."""

from __future__ import annotations

import contextlib
import io
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from beffroi.participation.budgets.pabulib import (
    Ballot,
    Election,
    PabulibError,
    Project,
    make_election,
    parse,
    parse_file,
    write,
)

DATA = Path(__file__).resolve().parents[4] / "tests" / "data" / "pabulib"
FILES = sorted(DATA.glob("*.pb"))
# The checker recomputes MES + add1 to verify Wieliczka (30 s) and reads Wrocław slowly.
CHECKED = [path for path in FILES if not path.name.startswith(("poland_wroclaw", "poland_wiel"))]


@pytest.fixture(scope="module")
def elections() -> dict[str, Election]:
    return {path.name: parse_file(path) for path in FILES}


def test_it_finds_the_six_elections() -> None:
    assert len(FILES) == 6


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_it_parses_every_file_with_the_counts_the_file_declares(
    path: Path, elections: dict[str, Election]
) -> None:
    election = elections[path.name]
    assert len(election.projects) == int(election.meta["num_projects"])
    assert len(election.votes) == int(election.meta["num_votes"])
    listed = np.bincount(election.votes.projects, minlength=len(election.projects))
    for i, project in enumerate(election.projects):
        assert project.cost > 0
        if project.votes is not None:
            assert project.votes == listed[i], project.project_id
        if project.score is not None and election.votes.points is not None:
            mask = election.votes.projects == i
            assert project.score == int(election.votes.points[mask].sum())


def test_it_keeps_ballots_in_order_with_their_points(elections: dict[str, Election]) -> None:
    gdansk = elections["poland_gdansk_2020_oliwa.pb"]
    # "26;1,11,9;2,2,1;F;35" in the file.
    voter = gdansk.votes.voter_ids.index("26")
    assert gdansk.ballot_project_ids(voter) == ["1", "11", "9"]
    assert gdansk.votes.ballot_points(voter) == (2, 2, 1)
    assert gdansk.votes.fields["sex"][voter] == "F"
    assert gdansk.votes.fields["age"][voter] == "35"


def test_it_reads_quoted_cells(elections: dict[str, Election]) -> None:
    wroclaw = elections["poland_wroclaw_2018_.pb"]
    by_id = {p.project_id: p for p in wroclaw.projects}
    assert by_id["7"].name.startswith("Zielona rowerowo-piesza obwodnica Wrocławia; ETAP III")
    assert by_id["43"].name.startswith('"Miejskie tężnie. Czyste powietrze" - budowa')
    assert by_id["4"].selected is True and by_id["11"].selected is False


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_it_round_trips_write_then_parse(path: Path, elections: dict[str, Election]) -> None:
    election = elections[path.name]
    text = write(election)
    assert not text.startswith("\ufeff")
    again = parse(text.encode("utf-8"))
    assert again == election
    assert write(again) == text


def test_election_equality_sees_a_changed_vote(elections: dict[str, Election]) -> None:
    election = elections["poland_warszawa_2017_aleksandrow.pb"]
    projects = election.votes.projects.copy()
    projects[0] = (projects[0] + 1) % len(election.projects)
    changed = replace(election, votes=replace(election.votes, projects=projects))
    assert changed != election


def _checker_errors(text: str) -> dict[str, object]:
    from pabulib.checker import Checker

    checker = Checker()
    with contextlib.redirect_stdout(io.StringIO()):
        results = checker.process_files([text])
    (key,) = [k for k in results if k not in ("metadata", "summary")]
    outcome = results[key]["results"]
    return dict(outcome.get("errors", {})) if isinstance(outcome, dict) else {}


# Since 2026 the checker wants ISO 639-1 languages and renamed two project columns; the
# library's older files (these six) predate that. Beffroi's exports use the new names.
LANGUAGES = {"polish": "pl", "french": "fr"}
RENAMED = {"target": "beneficiaries", "categories": "category"}


def _upgraded(election: Election) -> Election:
    meta = dict(election.meta)
    meta["language"] = LANGUAGES.get(meta.get("language", ""), meta.get("language", "fr"))
    projects = tuple(
        replace(p, fields={RENAMED.get(k, k): v for k, v in p.fields.items()})
        for p in election.projects
    )
    return replace(election, meta=meta, projects=projects)


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: p.stem)
def test_the_pabulib_checker_accepts_what_it_writes(
    path: Path, elections: dict[str, Election]
) -> None:
    election = _upgraded(elections[path.name])
    assert _checker_errors(write(election)) == {}


def test_the_checker_refuses_a_byte_order_mark_that_the_writer_never_adds(
    elections: dict[str, Election],
) -> None:
    text = write(_upgraded(elections["poland_warszawa_2017_aleksandrow.pb"]))
    assert _checker_errors(text) == {}
    assert _checker_errors("\ufeff" + text) != {}
    # The parser still reads pabutools' files, which carry one.
    assert parse(("\ufeff" + text).encode("utf-8")) == parse(text)


def test_make_election_builds_a_valid_election() -> None:
    election = make_election(
        meta={"description": "Test", "country": "France", "unit": "Testville",
              "instance": "2026", "num_projects": "2", "num_votes": "2", "budget": "100",
              "vote_type": "approval", "rule": "greedy", "date_begin": "01.01.2026",
              "date_end": "02.01.2026", "language": "fr"},
        projects=[Project("1", 60, "École; cour"), Project("2", 50, 'Parc "vert"')],
        ballots=[Ballot("a", ["1"]), Ballot("b", ["2", "1"])],
    )  # fmt: skip
    assert election.ballot_project_ids(1) == ["2", "1"]
    assert election.projects[1].name == 'Parc "vert"'
    with pytest.raises(PabulibError, match="project 3"):
        make_election(meta=election.meta, projects=election.projects, ballots=[Ballot("a", ["3"])])


# --- malformed files ------------------------------------------------------------------------

VALID = """META
key;value
description;Test
num_projects;2
num_votes;2
budget;100
vote_type;approval
rule;greedy
PROJECTS
project_id;cost;name
1;60;Bancs
2;50;Arbres
VOTES
voter_id;vote
a;1
b;1,2
"""


def _problems(text: str | bytes) -> list[tuple[int | None, str]]:
    with pytest.raises(PabulibError) as caught:
        parse(text)
    return [(p.line, p.code) for p in caught.value.problems]


def test_the_valid_sample_parses() -> None:
    election = parse(VALID)
    assert [p.project_id for p in election.projects] == ["1", "2"]
    assert election.budget == 100


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("VOTES\nvoter_id;vote\na;1\nb;1,2\n", "", [(None, "missing_section")]),
        ("1;60;Bancs", "1;60;Bancs;Rouge", [(11, "columns")]),
        ("project_id;cost;name", "project_id;cost;name;colour", [(10, "unknown_column"), (11, "columns"), (12, "columns")]),  # noqa: E501
        ("1;60;Bancs", "1;60.5;Bancs", [(11, "cost")]),
        ("1;60;Bancs", "1;0;Bancs", [(11, "cost")]),
        ("2;50;Arbres", "2;-5;Arbres", [(12, "cost")]),
        ("b;1,2", "b;1,7", [(16, "unknown_project")]),
        ("b;1,2", "a;1,2", [(16, "duplicate_voter")]),
        # Project 2 is gone, so the vote naming it is wrong too.
        ("2;50;Arbres", "1;50;Arbres", [(12, "duplicate_project"), (16, "unknown_project")]),
        ("b;1,2", "b;1;2", [(16, "columns")]),
        ("budget;100\n", "", [(1, "budget")]),
        ("budget;100", "budget;cent", [(6, "budget")]),
        ("vote_type;approval", "vote_type;plurality", [(7, "vote_type")]),
        ("b;1,2", "b;1,1", [(16, "duplicate_in_vote")]),
        ("2;50;Arbres", '2;50;"Arbres', [(12, "quoting")]),
        ("2;50;Arbres", '2;50;Arb"res', [(12, "quoting")]),
        ("2;50;Arbres", '2;50;"Arbres"x', [(12, "quoting")]),
        ("voter_id;vote", "voter;vote", [(14, "header"), (14, "unknown_column")]),
        ("project_id;cost;name", "project_id;name", [(10, "missing_column"), (11, "columns"), (12, "columns")]),  # noqa: E501
    ],
)  # fmt: skip
def test_it_reports_each_problem_with_its_line(
    old: str, new: str, expected: list[tuple[int | None, str]]
) -> None:
    assert old in VALID
    assert _problems(VALID.replace(old, new, 1)) == expected


def test_points_must_be_whole_numbers_and_one_per_project() -> None:
    text = (
        VALID.replace("vote_type;approval", "vote_type;cumulative")
        .replace("voter_id;vote", "voter_id;vote;points")
        .replace("a;1\n", "a;1;2.5\n")
        .replace("b;1,2\n", "b;1,2;3\n")
    )
    assert _problems(text) == [(15, "points"), (16, "points_count")]


def test_cumulative_votes_need_a_points_column() -> None:
    text = VALID.replace("vote_type;approval", "vote_type;cumulative")
    assert _problems(text) == [(14, "missing_column")]


def test_it_lists_every_problem_at_once() -> None:
    text = VALID.replace("1;60;Bancs", "1;abc;Bancs").replace("b;1,2", "a;2,9")
    problems = _problems(text)
    assert problems == [(11, "cost"), (16, "duplicate_voter")]
    with pytest.raises(PabulibError) as caught:
        parse(text)
    message = str(caught.value)
    assert "line 11: cost abc of project 1 is not a positive whole number" in message
    assert "line 16: voter a votes twice" in message


def test_it_refuses_an_empty_file() -> None:
    assert _problems(b"") == [(None, "empty")]
    assert _problems("\n \n") == [(None, "empty")]


def test_it_refuses_text_that_is_not_utf8() -> None:
    data = VALID.replace("Arbres", "Arbres élagués").encode("latin-1")
    assert _problems(data) == [(12, "encoding")]


def test_it_reads_a_quoted_cell_spanning_lines_and_windows_line_ends() -> None:
    text = VALID.replace("2;50;Arbres", '2;50;"Arbres\net ""haies"""').replace("\n", "\r\n")
    election = parse(text)
    assert election.projects[1].name == 'Arbres\net "haies"'
    assert parse(write(election)) == election


def test_unknown_columns_can_be_allowed() -> None:
    text = (
        VALID.replace("project_id;cost;name", "project_id;cost;name;colour")
        .replace("1;60;Bancs", "1;60;Bancs;red")
        .replace("2;50;Arbres", "2;50;Arbres;green")
    )
    election = parse(text, extra_columns=["colour"])
    assert election.projects[0].fields["colour"] == "red"
