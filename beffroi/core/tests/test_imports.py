"""The import foundation: every refused line reported, all or nothing, progress, dry run.

A toy import of "action" lines written as audit events (a core model) stands for the real
ones (zones, addresses, residents, CAP messages), which have their own tests.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.utils import translation

from beffroi.core.audit import audit_record
from beffroi.core.imports import (
    ImportRefused,
    ImportReport,
    Progress,
    RefusedLine,
    import_check,
    import_decode,
    import_run,
    import_write,
)
from beffroi.core.models import AuditEvent

# Line 1 is the header, as a user counts the lines of a CSV file.
GOOD = [(2, "test.one"), (3, "test.two"), (4, "test.three")]
BAD = [(2, "test.one"), (3, ""), (4, "test.three"), (5, "no dots")]


def _check(line: int, action: str) -> str | RefusedLine:
    if not action:
        return RefusedLine(line, "the action is empty")
    if "." not in action:
        return RefusedLine(line, f"“{action}” has no dot")
    return action


def _write(report: ImportReport) -> Callable[[list[str], Progress], None]:
    def write(actions: list[str], step: Progress) -> None:
        for done, action in enumerate(actions, start=1):
            audit_record(action=action, organisation=None)
            report.created += 1
            step(done, len(actions))

    return write


def _run(
    rows: list[tuple[int, str]],
    *,
    progress: Progress | None = None,
    partial: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    report = ImportReport()
    import_run(
        report,
        rows,
        check=_check,
        write=_write(report),
        progress=progress,
        partial=partial,
        dry_run=dry_run,
    )
    return report


@pytest.mark.django_db
def test_it_reports_every_refused_line_and_writes_nothing() -> None:
    with pytest.raises(ImportRefused) as caught:
        _run(BAD)
    report = caught.value.report
    assert [(r.line, r.reason) for r in report.refused] == [
        (3, "the action is empty"),
        (5, "“no dots” has no dot"),
    ]
    assert caught.value.messages == ["line 3: the action is empty", "line 5: “no dots” has no dot"]
    assert report.lines == 4 and not report.written
    # The good lines 2 and 4 were not written either.
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_it_writes_every_line_in_one_go() -> None:
    report = _run(GOOD)
    assert (report.lines, report.created, report.written, report.refused) == (3, 3, True, [])
    assert list(AuditEvent.objects.order_by("pk").values_list("action", flat=True)) == [
        "test.one",
        "test.two",
        "test.three",
    ]


@pytest.mark.django_db
def test_a_refusal_while_writing_rolls_everything_back() -> None:
    report = ImportReport()

    def write(step: Progress) -> None:
        audit_record(action="test.written", organisation=None)
        report.problems.append("the second record clashes with the first")
        raise ImportRefused(report)

    with pytest.raises(ImportRefused) as caught:
        import_write(report, write)
    assert caught.value.messages == ["the second record clashes with the first"]
    assert not report.written
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_a_dry_run_counts_what_would_be_written_and_writes_nothing() -> None:
    report = _run(GOOD, dry_run=True)
    assert (report.created, report.dry_run, report.written) == (3, True, False)
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_it_calls_progress_through_both_passes() -> None:
    calls: list[tuple[int, int]] = []
    _run([(n, f"test.{n}") for n in range(2, 12)], progress=lambda d, t: calls.append((d, t)))
    assert {total for _done, total in calls} == {10}
    dones = [done for done, _total in calls]
    assert dones == sorted(dones)  # never goes back
    assert 5 in dones  # checking every line is the first half
    assert dones[-1] == 10
    assert AuditEvent.objects.count() == 10


@pytest.mark.django_db
def test_it_imports_the_good_lines_when_partial() -> None:
    report = _run(BAD, partial=True)
    assert [r.line for r in report.refused] == [3, 5]
    assert report.created == 2 and report.written
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {"test.one", "test.three"}


def test_a_problem_of_the_file_refuses_it_before_any_line() -> None:
    report = ImportReport(problems=["Required columns are missing: action."])
    checked: list[int] = []

    def check(line: int, action: str) -> str:
        checked.append(line)
        return action

    with pytest.raises(ImportRefused) as caught:
        import_check(report, GOOD, check)
    assert caught.value.messages == ["Required columns are missing: action."]
    assert checked == []


def test_it_decodes_utf8_and_names_the_bad_byte() -> None:
    report = ImportReport()
    assert import_decode("\ufeffnom;prénom".encode(), report) == "nom;prénom"
    assert import_decode("nom;prénom".encode("latin-1"), report) is None
    assert report.problems == ["The file is not UTF-8 text (invalid byte at position 6)."]


def test_a_refused_line_can_be_located_otherwise_than_by_its_number() -> None:
    refused = RefusedLine(2, "it has no geometry.", where="Feature 2 (“Mairie”)")
    assert str(refused) == "Feature 2 (“Mairie”): it has no geometry."


def test_messages_name_the_line_in_the_users_language() -> None:
    with translation.override("fr"):
        assert str(RefusedLine(3, "adresse inconnue")) == "ligne 3 : adresse inconnue"
