"""The statistics count exactly what was done, per day, per zone and per age band."""

from __future__ import annotations

from datetime import date

from beffroi.participation.models import Meeting, Participant, Proposal, Registration
from beffroi.participation.statistics.selectors import Row, process_statistics
from beffroi.participation.tests.factories import make_process
from beffroi.participation.tests.statistics.dataset import (
    EXPECTED_AGES,
    EXPECTED_DAYS,
    EXPECTED_ZONES,
    at,
    build,
    dated,
    person,
)
from beffroi.testing import Cast


def counts(row: Row) -> tuple[int, ...]:
    return (
        row.participants,
        row.proposals,
        row.proposals_hidden,
        row.supports,
        row.comments,
        row.comments_hidden,
    )


def test_it_counts_the_totals_hidden_and_withdrawn_included(cast: Cast) -> None:
    data = build(cast)
    totals = process_statistics(process=data.process).totals
    assert totals.participants == 6
    assert (totals.proposals, totals.proposals_hidden, totals.proposals_withdrawn) == (3, 1, 1)
    assert totals.supports == 4
    assert (totals.comments, totals.comments_hidden) == (3, 1)


def test_it_counts_per_local_day_over_the_whole_span(cast: Cast) -> None:
    data = build(cast)
    statistics = process_statistics(process=data.process)
    assert {row.key: counts(row) for row in statistics.days} == EXPECTED_DAYS
    assert statistics.first_day == date(2025, 3, 1)
    assert statistics.last_day == date(2025, 3, 5)


def test_it_widens_the_span_to_contributions_typed_in_after_it(cast: Cast) -> None:
    data = build(cast)
    late = Proposal.objects.get(title="Piste cyclable")
    dated(late, at(9, 10))
    statistics = process_statistics(process=data.process)
    assert statistics.last_day == date(2025, 3, 9)
    assert [row.key for row in statistics.days][-1] == "2025-03-09"
    assert counts(statistics.days[-1])[1] == 1
    assert sum(row.proposals for row in statistics.days) == 3


def test_it_counts_per_zone_of_the_place_and_of_the_residence(cast: Cast) -> None:
    data = build(cast)
    statistics = process_statistics(process=data.process)
    assert {row.label: counts(row) for row in statistics.zones} == EXPECTED_ZONES
    # Zones of another organisation never show.
    assert len(statistics.zones) == 5


def test_it_counts_per_age_band_reached_in_the_year_the_process_started(cast: Cast) -> None:
    data = build(cast)
    statistics = process_statistics(process=data.process)
    assert statistics.age_year == 2025
    assert {row.key: counts(row) for row in statistics.ages} == EXPECTED_AGES


def test_it_puts_each_age_at_the_edge_of_its_band(cast: Cast) -> None:
    process = make_process(cast.org, slug="ages")
    meeting = Meeting.objects.create(
        organisation=cast.org, process=process, title="Atelier", starts_at=at(1), ends_at=at(2)
    )
    year = process_statistics(process=process).age_year
    ages = {17: "under_18", 18: "18_29", 29: "18_29", 30: "30_44", 44: "30_44", 45: "45_59"}
    ages |= {59: "45_59", 60: "60_74", 74: "60_74", 75: "75_over", 101: "75_over"}
    for age in ages:
        who = person(cast, f"age{age}@example.org", year - age, None)
        Registration.objects.create(
            meeting=meeting, participant=who, status=Registration.Status.WAITING
        )
    rows = {row.key: row.participants for row in process_statistics(process=process).ages}
    expected = {key: 0 for key in rows}
    for band in ages.values():
        expected[band] += 1
    assert rows == expected


def test_it_forgets_the_age_and_zone_of_an_erased_person_but_keeps_the_counts(
    cast: Cast,
) -> None:
    data = build(cast)
    before = process_statistics(process=data.process)
    alice = Participant.objects.get(user__email="alice.stats@example.org")
    alice.erased_at = at(6)
    alice.save()
    after = process_statistics(process=data.process)
    assert after.totals == before.totals
    ages = {row.key: row.participants for row in after.ages}
    assert ages["30_44"] == 0 and ages["unknown"] == 3
    zones = {row.label: counts(row) for row in after.zones}
    # Alice's comment and support move to "no known zone"; her proposal keeps its own place.
    assert zones["Nord"] == (1, 1, 0, 1, 0, 0)
    assert zones["No known zone"] == (3, 1, 1, 2, 2, 1)


def test_it_has_no_day_before_the_process_starts(cast: Cast) -> None:
    process = make_process(cast.org, slug="future", open_phase=None)
    statistics = process_statistics(process=process)
    assert statistics.days == []
    assert statistics.first_day is None
    assert statistics.totals.participants == 0
    assert all(row.participants == 0 for row in statistics.zones + statistics.ages)
