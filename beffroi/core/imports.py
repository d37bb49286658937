"""The one rule of every file import (GeoJSON zones, BAN addresses, CSV lists, CAP messages):
read the whole file, report every refused line with its reason, write all or nothing, with
progress.

Why all or nothing: an agent who imports a CCAS list and finds half of it in the database
cannot tell which residents will be warned; fixing the file and importing it again is the
only safe way round. Why every line at once: a file refused for its first bad line only is
corrected one line per attempt.

Each import keeps its own reading and writing; what they share is here: the report
(``ImportReport``, subclassed for what is specific to one import), the refusal
(``ImportRefused``: nothing was written) and the steps ``import_check`` (every line checked,
refusals collected) and ``import_write`` (one transaction, rolled back on a dry run), composed
by ``import_run``. Progress is one ``(done, total)`` callback counted in lines: checking the
lines fills the first half of the bar, writing them the second.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

type Progress = Callable[[int, int], None]

# Progress callbacks per pass at most: a bar redrawn for each of 100,000 BAN lines costs
# more than the lines themselves.
_PROGRESS_STEPS = 200


@dataclass(frozen=True)
class RefusedLine:
    """A line of the file that cannot be imported, and why.

    ``line`` is the number the user sees in the file (the header is line 1 of a CSV);
    ``where`` replaces "line N" where the file has no lines to speak of (the features of a
    GeoJSON file: "Feature 2 (“Noeud”)").
    """

    line: int
    reason: str
    where: str = ""

    def __str__(self) -> str:
        if self.where:
            return _("%(where)s: %(reason)s") % {"where": self.where, "reason": self.reason}
        return _("line %(line)d: %(reason)s") % {"line": self.line, "reason": self.reason}


@dataclass(frozen=True)
class LineNote:
    """An accepted line the user should hear about: merged into another, updating a record
    that already existed."""

    line: int
    reason: str

    def __str__(self) -> str:
        return _("line %(line)d: %(reason)s") % {"line": self.line, "reason": self.reason}


@dataclass
class ImportReport:
    """What an import read, wrote and refused.

    ``lines``: the lines (rows, features, messages) read; ``created``, ``updated`` and
    ``skipped`` (accepted but with nothing to write) count records; ``problems`` are those
    of the file as a whole (unreadable, a column missing), ``refused`` those of its lines.
    ``written`` is true once the import is committed (never on a dry run).
    """

    lines: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    refused: list[RefusedLine] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False

    def refuse(self, line: int, reason: str, *, where: str = "") -> None:
        self.refused.append(RefusedLine(line, reason, where))

    @property
    def messages(self) -> list[str]:
        """Every problem of the file, then every refused line, as the user reads them."""
        return [*self.problems, *(str(refused) for refused in self.refused)]


class ImportRefused(Exception):
    """The file was refused as a whole: nothing was written. ``report`` says why."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__("\n".join(report.messages))
        self.report = report

    @property
    def messages(self) -> list[str]:
        return self.report.messages


def import_decode(data: bytes, report: ImportReport) -> str | None:
    """The file as UTF-8 text (a byte-order mark is allowed), or None with the problem in
    ``report``."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report.problems.append(
            _("The file is not UTF-8 text (invalid byte at position %(position)d).")
            % {"position": exc.start}
        )
        return None


type Checked[T] = T | RefusedLine | list[RefusedLine]


def import_check[R, T](
    report: ImportReport,
    rows: Sequence[tuple[int, R]],
    check: Callable[[int, R], Checked[T]],
    *,
    progress: Progress | None = None,
    partial: bool = False,
) -> list[T]:
    """Check every row (its line number as the user sees it, and the row); return what
    ``check`` made of the accepted ones.

    ``check`` returns the row ready to write, or the refusal(s) of its line. Raises
    ``ImportRefused`` when the file has a problem of its own, or when a line was refused —
    unless ``partial``: then the refused lines are only reported and the others imported.
    """
    if report.problems:
        raise ImportRefused(report)
    report.lines = total = len(rows)
    every = max(1, total // _PROGRESS_STEPS)
    accepted: list[T] = []
    for done, (line, row) in enumerate(rows, start=1):
        result = check(line, row)
        if isinstance(result, RefusedLine):
            report.refused.append(result)
        elif isinstance(result, list):
            report.refused.extend(result)
        else:
            accepted.append(result)
        if progress is not None and (done % every == 0 or done == total):
            progress(done // 2, total)
    if report.problems or (report.refused and not partial):
        raise ImportRefused(report)
    return accepted


def import_write(
    report: ImportReport,
    write: Callable[[Progress], None],
    *,
    progress: Progress | None = None,
    dry_run: bool = False,
) -> None:
    """Run ``write`` in one transaction: everything it writes is kept, or nothing.

    ``write`` updates the report's counts and may tell how far it is with
    ``step(done, of)`` in its own units (rows, batches); it refuses the file by raising
    ``ImportRefused``, which rolls everything back. On a dry run the transaction is rolled
    back too, after the writing: the report then says exactly what an import would do.
    """
    report.dry_run = dry_run
    total = report.lines

    def step(done: int, of: int) -> None:
        if progress is not None:
            written = total * min(done, of) // of if of > 0 else total
            progress((total + written) // 2, total)

    with transaction.atomic():
        write(step)
        if dry_run:
            transaction.set_rollback(True)
    report.written = not dry_run
    if progress is not None:
        progress(total, total)


def import_run[R, T](
    report: ImportReport,
    rows: Sequence[tuple[int, R]],
    *,
    check: Callable[[int, R], Checked[T]],
    write: Callable[[list[T], Progress], None],
    progress: Progress | None = None,
    partial: bool = False,
    dry_run: bool = False,
) -> list[T]:
    """``import_check`` every row, then ``import_write`` the accepted ones; return them."""
    accepted = import_check(report, rows, check, progress=progress, partial=partial)
    import_write(report, lambda step: write(accepted, step), progress=progress, dry_run=dry_run)
    return accepted
