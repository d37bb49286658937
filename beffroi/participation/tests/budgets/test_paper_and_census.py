"""Paper ballots typed in twice by two agents, and census lists imported from CSV."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from beffroi.core.imports import ImportRefused
from beffroi.participation.access import ActionRefused
from beffroi.participation.budgets import selectors, services
from beffroi.participation.models import Ballot, BallotChoice, CensusEntry, PaperBallotEntry
from beffroi.participation.tests.budgets.helpers import make_budget, project_ids
from beffroi.testing import Cast


def test_a_paper_sheet_counts_once_when_two_agents_agree(cast: Cast) -> None:
    budget = make_budget(cast)
    a, b, _c, _d = project_ids(budget)
    first = services.paper_ballot_enter(
        budget=budget, agent=cast.front_desk, sheet_number=12, choices=[a, b]
    )
    assert first.status == "waiting" and not Ballot.objects.exists()
    second = services.paper_ballot_enter(
        budget=budget, agent=cast.participation_manager, sheet_number=12, choices=[b, a]
    )
    assert second.status == "counted" and second.differences == ()
    ballot = Ballot.objects.get()
    assert ballot.source == Ballot.Source.PAPER and ballot.voter_key == "s:12"
    assert sorted(ballot.choices.values_list("project_id", flat=True)) == [a, b]
    # A third agent agreeing does not count the sheet twice.
    services.paper_ballot_enter(
        budget=budget, agent=cast.administrator, sheet_number=12, choices=[a, b]
    )
    assert Ballot.objects.count() == 1 and BallotChoice.objects.count() == 2


def test_a_paper_sheet_typed_differently_is_not_counted_and_shows_the_differences(
    cast: Cast,
) -> None:
    budget = make_budget(cast)
    a, b, c, _d = project_ids(budget)
    services.paper_ballot_enter(
        budget=budget, agent=cast.front_desk, sheet_number=7, choices=[a, b]
    )
    sheet = services.paper_ballot_enter(
        budget=budget, agent=cast.participation_manager, sheet_number=7, choices=[a, c]
    )
    assert sheet.status == "differs" and not Ballot.objects.exists()
    desk, manager = cast.front_desk.pk, cast.participation_manager.pk
    assert [(d.project_id, d.values) for d in sheet.differences] == [
        (b, {desk: 1, manager: None}),
        (c, {desk: None, manager: 1}),
    ]
    assert [s.status for s in selectors.paper_sheets(budget)] == ["differs"]
    # A third agent reading the sheet settles it with one of the two.
    settled = services.paper_ballot_enter(
        budget=budget, agent=cast.administrator, sheet_number=7, choices=[a, c]
    )
    assert settled.counted and Ballot.objects.get().voter_key == "s:7"


def test_the_same_agent_cannot_type_a_sheet_twice(cast: Cast) -> None:
    budget = make_budget(cast)
    a, *_rest = project_ids(budget)
    services.paper_ballot_enter(budget=budget, agent=cast.front_desk, sheet_number=3, choices=[a])
    with pytest.raises(ValidationError) as caught:
        services.paper_ballot_enter(
            budget=budget, agent=cast.front_desk, sheet_number=3, choices=[a]
        )
    assert caught.value.error_dict["sheet_number"][0].code == "same_agent"
    assert "You already typed in sheet 3" in caught.value.messages[0]
    assert PaperBallotEntry.objects.count() == 1 and not Ballot.objects.exists()


def test_paper_ballots_follow_the_ballot_rules_and_the_roles(cast: Cast) -> None:
    budget = make_budget(cast, max_projects=1)
    a, b, *_rest = project_ids(budget)
    with pytest.raises(ValidationError) as caught:
        services.paper_ballot_enter(
            budget=budget, agent=cast.front_desk, sheet_number=1, choices=[a, b]
        )
    assert caught.value.error_dict["choices"][0].code == "too_many"
    with pytest.raises(ActionRefused):
        services.paper_ballot_enter(budget=budget, agent=cast.resident, sheet_number=1, choices=[a])
    assert not PaperBallotEntry.objects.exists()


CENSUS_OK = (
    "numero;nom;année de naissance;adresse\n"
    "A-1;Alice Martin;1980;1 rue de la Mairie\n"
    "A-2;Bruno Petit;2001;\n"
).encode()


def test_it_imports_a_census_list_and_updates_it_on_a_second_import(cast: Cast) -> None:
    budget = make_budget(cast)
    report = services.census_import(budget=budget, agent=cast.participation_manager, data=CENSUS_OK)
    assert (report.lines, report.created, report.updated) == (2, 2, 0) and report.written
    assert list(CensusEntry.objects.values_list("key", "birth_year")) == [
        ("A-1", 1980),
        ("A-2", 2001),
    ]
    again = services.census_import(
        budget=budget,
        agent=cast.participation_manager,
        data=CENSUS_OK.replace(b"2001", b"2002") + b"A-3;Chlo\xc3\xa9;1999;\n",
    )
    assert (again.created, again.updated, again.skipped) == (1, 1, 1)
    assert CensusEntry.objects.get(key="A-2").birth_year == 2002


def test_a_census_list_with_bad_lines_is_refused_whole_with_every_line(cast: Cast) -> None:
    budget = make_budget(cast)
    data = (
        "numero;nom;annee de naissance\n"
        "A-1;Alice;1980\n"
        ";Sans numéro;1990\n"
        "A-1;Doublon;1970\n"
        "A-4;Trop vieux;1620\n"
    ).encode()
    with pytest.raises(ImportRefused) as caught:
        services.census_import(budget=budget, agent=cast.participation_manager, data=data)
    assert caught.value.messages == [
        "line 3: the identifier is empty",
        "line 4: identifier A-1 is already on line 2",
        "line 5: 1620 is not a year of birth",
    ]
    assert not CensusEntry.objects.exists()
    with pytest.raises(ImportRefused) as header:
        services.census_import(
            budget=budget, agent=cast.participation_manager, data=b"nom;adresse\nAlice;x\n"
        )
    assert header.value.messages == [
        "The header has no identifier column (numero, identifiant or key)."
    ]
    with pytest.raises(ActionRefused):
        services.census_import(budget=budget, agent=cast.front_desk, data=CENSUS_OK)
    assert not CensusEntry.objects.exists()


def test_a_census_list_reads_dates_of_birth_and_names_the_columns_it_ignores(cast: Cast) -> None:
    budget = make_budget(cast)
    data = b"identifiant;annee_naissance;quartier\nA002;19x0;Nord\nA003;12/03/1950;Sud\n"
    with pytest.raises(ImportRefused) as caught:
        services.census_import(budget=budget, agent=cast.participation_manager, data=data)
    # The year column is read under this name too: a typo in it is refused, not ignored.
    assert caught.value.messages == ["line 2: 19x0 is not a year of birth"]
    preview = services.census_import(
        budget=budget,
        agent=cast.participation_manager,
        data=data.replace(b"19x0", b"1970"),
        dry_run=True,
    )
    assert preview.ignored_columns == ["quartier"] and not CensusEntry.objects.exists()
    services.census_import(
        budget=budget, agent=cast.participation_manager, data=data.replace(b"19x0", b"1970")
    )
    assert dict(CensusEntry.objects.values_list("key", "birth_year")) == {
        "A002": 1970,
        "A003": 1950,
    }
