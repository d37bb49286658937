"""PaBuLib ``.pb`` files: parse them into typed, compact elections, and write them back.

The format (pabulib.org/format): three sections, ``META`` (``key;value`` rows), ``PROJECTS``
and ``VOTES``, each opened by its name on a line of its own and a header line naming its
``;``-separated columns. A cell holding ``;``, ``"`` or a line break is quoted with ``"`` and
its quotes are doubled (what Python's ``csv`` module writes by default); lists inside a cell
(a vote, its points, a project's categories) are comma-separated.

Votes are kept column-wise and compact (one numpy array of project indexes for every ballot
end to end, with offsets, CSR style) rather than one dict per voter: a 90,000-voter file is
parsed in a fraction of a second and costs a few megabytes instead of hundreds.

A malformed file raises :class:`PabulibError` listing *every* problem with its line number,
so a commune's agent fixes the file in one go instead of one error per upload.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

VOTE_TYPES = ("approval", "choose-1", "cumulative", "scoring", "ordinal")
# Vote types whose ballots must give points to each project they list.
POINTS_VOTE_TYPES = ("cumulative", "scoring")

# Column and key orders of the PaBuLib checker (pabulib-checker's pabulib_helpers/fields.py):
# the writer follows them so that its files raise no "wrong fields order" warning.
META_ORDER = (
    "description", "country", "unit", "district", "subunit", "instance", "num_projects",
    "num_votes", "budget", "vote_type", "rule", "date_begin", "date_end", "min_length",
    "max_length", "min_sum_cost", "max_sum_cost", "min_points", "max_points", "min_sum_points",
    "max_sum_points", "default_score", "min_project_cost", "max_project_cost",
    "min_project_score_threshold", "neighborhoods", "subdistricts", "categories", "edition",
    "language", "currency", "fully_funded", "experimental", "comment", "acknowledgments",
    "leftover_budget", "budget_per_category", "budget_per_neighborhood",
    "min_length_per_category", "max_length_per_category", "min_sum_cost_per_category",
    "max_sum_cost_per_category",
)  # fmt: skip
PROJECT_COLUMNS = (
    "project_id", "cost", "votes", "score", "name", "category", "beneficiaries", "selected",
    "neighborhood", "subunit", "district", "description", "proposer", "public_id", "latitude",
    "longitude",
)  # fmt: skip
# Older PaBuLib files (and pabutools) still use these names; the checker now wants
# "category" and "beneficiaries", but an import must accept what the library publishes.
LEGACY_PROJECT_COLUMNS = ("categories", "target", "targets")
VOTE_COLUMNS = (
    "voter_id", "vote", "points", "age", "sex", "voting_method", "district", "neighborhood",
    "education", "topic_preference_transport", "topic_preference_culture",
    "topic_preference_nature", "district_preference", "time_taken_seconds", "format_easiness",
    "format_expressiveness", "format_rank",
)  # fmt: skip

_INTEGER = re.compile(r"-?[0-9]+\Z")
_POSITIVE_INTEGER = re.compile(r"[0-9]+\Z")
_SECTIONS = ("meta", "projects", "votes")
# A file with more problems than this is not worth listing line by line: the first ones say
# what is wrong (a wrong file, a wrong separator).
MAX_PROBLEMS = 1000


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a file: where (1-based line, ``None`` for the whole file) and why.

    ``template`` is a lazy translatable message with ``%(name)s`` placeholders filled from
    ``params`` when rendered, so the same problem reads in the viewer's language.
    """

    line: int | None
    code: str
    template: Promise | str
    params: Mapping[str, object] = field(default_factory=dict)

    @property
    def message(self) -> str:
        text = str(self.template)
        return text % dict(self.params) if self.params else text

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return str(_("line %(line)s: %(reason)s")) % {"line": self.line, "reason": self.message}


class PabulibError(ValueError):
    """The file is not a valid PaBuLib file; ``problems`` lists each problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


@dataclass(frozen=True)
class Project:
    """A project of the election: its id and cost (whole currency units), and every other
    column of the file as text (``votes``, ``score``, ``selected``, ``category``, …)."""

    project_id: str
    cost: int
    name: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)

    def _int_field(self, key: str) -> int | None:
        value = self.fields.get(key)
        if value is None or not _INTEGER.match(value.strip()):
            return None
        return int(value)

    @property
    def selected(self) -> bool | None:
        """The official outcome when the file records it (``selected`` 1 = funded)."""
        value = self._int_field("selected")
        return None if value is None else value == 1

    @property
    def votes(self) -> int | None:
        return self._int_field("votes")

    @property
    def score(self) -> int | None:
        return self._int_field("score")

    @property
    def categories(self) -> tuple[str, ...]:
        value = self.fields.get("category", self.fields.get("categories", ""))
        if value in ("", "None"):
            return ()
        return tuple(part.strip() for part in value.split(","))


IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Votes:
    """Every ballot, compactly: voter ``i`` listed ``projects[offsets[i]:offsets[i + 1]]``
    (indexes into ``Election.projects``, in ballot order: the ranking for ordinal votes),
    with ``points`` aligned with ``projects`` when the file has a ``points`` column.

    ``fields`` holds the other columns (``age``, ``sex``, ``voting_method``…), one text per
    voter, by column name.
    """

    voter_ids: tuple[str, ...]
    offsets: IntArray
    projects: IntArray
    points: IntArray | None = None
    fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.voter_ids)

    def ballot(self, voter: int) -> tuple[int, ...]:
        start, end = int(self.offsets[voter]), int(self.offsets[voter + 1])
        return tuple(int(p) for p in self.projects[start:end])

    def ballot_points(self, voter: int) -> tuple[int, ...] | None:
        if self.points is None:
            return None
        start, end = int(self.offsets[voter]), int(self.offsets[voter + 1])
        return tuple(int(p) for p in self.points[start:end])

    @cached_property
    def voter_of_entry(self) -> IntArray:
        """For each entry of ``projects``, the index of the voter whose ballot holds it."""
        lengths = np.diff(self.offsets)
        return np.repeat(np.arange(len(self.voter_ids), dtype=np.int64), lengths)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Votes):
            return NotImplemented
        if (self.points is None) != (other.points is None):
            return False
        return (
            self.voter_ids == other.voter_ids
            and np.array_equal(self.offsets, other.offsets)
            and np.array_equal(self.projects, other.projects)
            and (
                self.points is None
                or other.points is None
                or np.array_equal(self.points, other.points)
            )
            and dict(self.fields) == dict(other.fields)
        )

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Election:
    """A parsed ``.pb`` file: ``meta`` (every key as text), projects in file order, votes."""

    meta: Mapping[str, str]
    projects: tuple[Project, ...]
    votes: Votes

    @property
    def vote_type(self) -> str:
        return self.meta["vote_type"]

    @property
    def budget(self) -> Decimal:
        return Decimal(self.meta["budget"].replace(",", "."))

    @property
    def rule(self) -> str:
        return self.meta.get("rule", "")

    @cached_property
    def project_index(self) -> dict[str, int]:
        return {project.project_id: i for i, project in enumerate(self.projects)}

    def ballot_project_ids(self, voter: int) -> list[str]:
        return [self.projects[p].project_id for p in self.votes.ballot(voter)]


@dataclass(frozen=True)
class Ballot:
    """One voter's ballot, for :func:`make_election` (from Beffroi's own models or tests)."""

    voter_id: str
    project_ids: Sequence[str]
    points: Sequence[int] | None = None
    fields: Mapping[str, str] = field(default_factory=dict)


def make_election(
    *, meta: Mapping[str, str], projects: Sequence[Project], ballots: Iterable[Ballot]
) -> Election:
    """An :class:`Election` from plain data, validated like a file (raises PabulibError).

    It goes through the writer and the parser, so what it accepts is exactly what a file
    may hold, and every problem is reported at once.
    """
    ballots = list(ballots)
    with_points = any(b.points is not None for b in ballots)
    vote_columns = _ordered(
        (key for b in ballots for key in b.fields), VOTE_COLUMNS, skip=("voter_id", "vote")
    )
    index = {p.project_id: i for i, p in enumerate(projects)}
    offsets = [0]
    flat: list[int] = []
    points: list[int] = []
    problems: list[Problem] = []
    for number, ballot in enumerate(ballots, start=1):
        for project_id in ballot.project_ids:
            if project_id not in index:
                problems.append(
                    Problem(
                        None,
                        "unknown_project",
                        _("ballot %(ballot)s names project %(project)s, which is not listed"),
                        {"ballot": number, "project": project_id},
                    )
                )
                continue
            flat.append(index[project_id])
        offsets.append(len(flat))
        if with_points:
            points.extend(ballot.points or ())
    if problems:
        raise PabulibError(problems)
    votes = Votes(
        voter_ids=tuple(b.voter_id for b in ballots),
        offsets=np.array(offsets, dtype=np.int64),
        projects=np.array(flat, dtype=np.int64),
        points=np.array(points, dtype=np.int64) if with_points else None,
        fields={
            column: tuple(b.fields.get(column, "None") for b in ballots) for column in vote_columns
        },
    )
    draft = Election(meta=dict(meta), projects=tuple(projects), votes=votes)
    return parse(write(draft))


# --- parsing -------------------------------------------------------------------------------


def parse_file(path: str | Path, *, extra_columns: Iterable[str] = ()) -> Election:
    return parse(Path(path).read_bytes(), extra_columns=extra_columns)


def parse(data: bytes | str, *, extra_columns: Iterable[str] = ()) -> Election:
    """Parse a ``.pb`` file's content (bytes must be UTF-8; a leading byte-order mark is
    accepted since pabutools writes one). Raises :class:`PabulibError` listing each problem.

    ``extra_columns`` names PROJECTS or VOTES columns to accept beyond the PaBuLib ones (a
    city's own fields); any other unknown column is a problem, as a misspelt ``cost`` would
    silently lose the data.
    """
    text = _decode(data) if isinstance(data, bytes) else data
    if text.startswith("\ufeff"):
        text = text[1:]
    return _Parser(text, frozenset(extra_columns)).run()


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    problems = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.append(
                Problem(
                    number,
                    "encoding",
                    _(
                        "not UTF-8 text (byte %(byte)s at column %(column)s); "
                        "save the file as UTF-8"
                    ),
                    {"byte": f"0x{raw[error.start]:02x}", "column": error.start + 1},
                )
            )
            if len(problems) >= MAX_PROBLEMS:
                break
    raise PabulibError(problems)


class _TooManyProblems(Exception):
    pass


class _Parser:
    def __init__(self, text: str, extra_columns: frozenset[str]) -> None:
        self.lines = text.split("\n")
        self.extra_columns = extra_columns
        self.problems: list[Problem] = []
        self.broken_first_cell = ""

    def problem(self, line: int | None, code: str, template: Promise, **params: object) -> None:
        self.problems.append(Problem(line, code, template, params))
        if len(self.problems) >= MAX_PROBLEMS:
            raise _TooManyProblems

    def records(self) -> Iterator[tuple[int, list[str] | None]]:
        """(line number, cells) for each non-blank line; cells None when quoting is broken."""
        lines = self.lines
        count = len(lines)
        i = 0
        while i < count:
            line = lines[i]
            number = i + 1
            i += 1
            if line.endswith("\r"):
                line = line[:-1]
            if '"' not in line:
                if line.strip():
                    yield number, line.split(";")
                continue
            # A quoted cell may hold line breaks: join the following lines until it closes.
            first_line, resume = line, i
            while True:
                cells, state = _split_quoted(line)
                if state != "open" or i >= count:
                    break
                following = lines[i]
                i += 1
                if following.endswith("\r"):
                    following = following[:-1]
                line = f"{line}\n{following}"
            if state == "open":
                # Never closed: report this line alone and read on from the next one, rather
                # than swallowing the rest of the file into one value.
                self.problem(number, "quoting", _("a quoted value is never closed"))
                self.broken_first_cell = first_line.split(";", 1)[0]
                i = resume
                yield number, None
            elif state == "stray":
                self.problem(
                    number,
                    "quoting",
                    _(
                        'a quote (") inside a value that does not start with one, or text '
                        "after a closing quote: quote the whole value and double its quotes"
                    ),
                )
                self.broken_first_cell = line.split(";", 1)[0]
                yield number, None
            else:
                yield number, cells

    def run(self) -> Election:
        try:
            election = self._run()
        except _TooManyProblems:
            election = None
        if self.problems or election is None:
            raise PabulibError(self.problems)
        return election

    def _run(self) -> Election | None:
        if not any(line.strip() for line in self.lines):
            self.problem(None, "empty", _("the file is empty"))
            return None
        meta: dict[str, str] = {}
        meta_lines: dict[str, int] = {}
        projects: list[Project] = []
        project_index: dict[str, int] = {}
        voter_ids: list[str] = []
        seen_voters: set[str] = set()
        offsets: list[int] = [0]
        flat: list[int] = []
        points: list[int] = []
        vote_fields: dict[str, list[str]] = {}
        section = ""
        seen: dict[str, int] = {}
        header: list[str] | None = None
        header_line = 0
        vote_type = ""
        columns: dict[str, int] = {}
        vote_columns: dict[str, int] = {}
        records = self.records()
        for number, cells in records:
            if cells is None:
                if section == "projects" and header is not None:
                    # Reserve the id, so that the votes naming it are not reported too.
                    project_index.setdefault(self.broken_first_cell.strip().strip('"'), -1)
                continue
            marker = cells[0].strip().lower() if len(cells) == 1 else ""
            if marker in _SECTIONS:
                if marker in seen:
                    self.problem(
                        number,
                        "duplicate_section",
                        _("section %(section)s appears a second time (first on line %(first)s)"),
                        section=marker.upper(),
                        first=seen[marker],
                    )
                expected = _SECTIONS[len(seen)] if len(seen) < len(_SECTIONS) else None
                if marker != expected and marker not in seen:
                    self.problem(
                        number,
                        "section_order",
                        _(
                            "section %(section)s is out of order: "
                            "sections are META, PROJECTS, VOTES"
                        ),
                        section=marker.upper(),
                    )
                if section and header is None:
                    self._missing_header(section, seen[section])
                seen.setdefault(marker, number)
                section = marker
                header = None
                if section == "votes":
                    vote_type = self._check_meta(meta, meta_lines, seen["meta"] if meta else number)
                continue
            if not section:
                self.problem(
                    number,
                    "outside_section",
                    _("data before any section: the file must start with META"),
                )
                continue
            if header is None:
                header = [cell.strip() for cell in cells]
                header_line = number
                columns = self._check_header(section, header, number, vote_type)
                if section == "votes":
                    vote_columns = columns
                continue
            if len(cells) != len(header):
                self.problem(
                    number,
                    "columns",
                    _("%(found)s columns where the header on line %(header)s has %(expected)s"),
                    found=len(cells),
                    header=header_line,
                    expected=len(header),
                )
                if section == "projects":
                    project_index.setdefault(cells[0].strip(), -1)
                continue
            if section == "meta":
                key, value = cells[0].strip(), cells[1]
                if not key:
                    self.problem(number, "meta_key", _("empty key in META"))
                elif key in meta:
                    self.problem(
                        number,
                        "duplicate_key",
                        _("META key %(key)s appears twice (first on line %(first)s)"),
                        key=key,
                        first=meta_lines[key],
                    )
                else:
                    meta[key] = value.strip()
                    meta_lines[key] = number
            elif section == "projects":
                self._project(number, cells, header, columns, projects, project_index)
            else:
                self._vote(
                    number,
                    cells,
                    header,
                    columns,
                    project_index,
                    voter_ids,
                    seen_voters,
                    offsets,
                    flat,
                    points,
                    vote_fields,
                )
        for name in _SECTIONS:
            if name not in seen:
                self.problem(
                    None,
                    "missing_section",
                    _("section %(section)s is missing"),
                    section=name.upper(),
                )
        if "votes" not in seen and "meta" in seen:
            self._check_meta(meta, meta_lines, seen["meta"])
        if section and header is None:
            self._missing_header(section, seen[section])
        if self.problems:
            return None
        has_points = "points" in vote_columns
        votes = Votes(
            voter_ids=tuple(voter_ids),
            offsets=np.array(offsets, dtype=np.int64),
            projects=np.array(flat, dtype=np.int64),
            points=np.array(points, dtype=np.int64) if has_points else None,
            fields={key: tuple(values) for key, values in vote_fields.items()},
        )
        return Election(meta=meta, projects=tuple(projects), votes=votes)

    def _missing_header(self, section: str, line: int) -> None:
        self.problem(
            line,
            "missing_header",
            _("section %(section)s has no header line"),
            section=section.upper(),
        )

    def _check_meta(self, meta: dict[str, str], meta_lines: dict[str, int], line: int) -> str:
        if "budget" not in meta:
            self.problem(line, "budget", _("META has no budget"))
        else:
            try:
                budget = Decimal(meta["budget"].replace(",", "."))
            except InvalidOperation:
                budget = Decimal(-1)
            if not budget.is_finite() or budget <= 0:
                self.problem(
                    meta_lines["budget"],
                    "budget",
                    _("budget %(value)s is not a positive number"),
                    value=meta["budget"],
                )
        vote_type = meta.get("vote_type")
        if vote_type is None:
            self.problem(line, "vote_type", _("META has no vote_type"))
            return ""
        if vote_type not in VOTE_TYPES:
            self.problem(
                meta_lines["vote_type"],
                "vote_type",
                _("unknown vote_type %(value)s (known: %(known)s)"),
                value=vote_type,
                known=", ".join(VOTE_TYPES),
            )
            return ""
        return vote_type

    def _check_header(
        self, section: str, header: list[str], line: int, vote_type: str
    ) -> dict[str, int]:
        columns: dict[str, int] = {}
        for position, name in enumerate(header):
            if name in columns:
                self.problem(
                    line, "duplicate_column", _("column %(column)s appears twice"), column=name
                )
            columns.setdefault(name, position)
        if section == "meta":
            if [h.lower() for h in header] != ["key", "value"]:
                self.problem(line, "header", _("the META header must be key;value"))
            return columns
        required: tuple[str, ...]
        first, required, known = (
            ("project_id", ("cost",), PROJECT_COLUMNS + LEGACY_PROJECT_COLUMNS)
            if section == "projects"
            else ("voter_id", ("vote",), VOTE_COLUMNS)
        )
        if section == "votes" and vote_type in POINTS_VOTE_TYPES:
            required = ("vote", "points")
        if not header or header[0] != first:
            self.problem(
                line,
                "header",
                _("the %(section)s header must start with %(column)s"),
                section=section.upper(),
                column=first,
            )
        for name in required:
            if name not in columns:
                self.problem(
                    line,
                    "missing_column",
                    _("the %(section)s header has no %(column)s column"),
                    section=section.upper(),
                    column=name,
                )
        for name in header:
            if name not in known and name not in self.extra_columns:
                self.problem(
                    line,
                    "unknown_column",
                    _("unknown column %(column)s in %(section)s"),
                    column=name,
                    section=section.upper(),
                )
        return columns

    def _project(
        self,
        number: int,
        cells: list[str],
        header: list[str],
        columns: dict[str, int],
        projects: list[Project],
        project_index: dict[str, int],
    ) -> None:
        project_id = cells[0].strip()
        ok = True
        if not project_id:
            self.problem(number, "project_id", _("empty project_id"))
            ok = False
        elif project_id in project_index:
            self.problem(
                number,
                "duplicate_project",
                _("project %(project)s is listed twice"),
                project=project_id,
            )
            ok = False
        raw_cost = cells[columns["cost"]].strip() if "cost" in columns else ""
        if not _POSITIVE_INTEGER.match(raw_cost) or int(raw_cost) <= 0:
            self.problem(
                number,
                "cost",
                _("cost %(value)s of project %(project)s is not a positive whole number"),
                value=raw_cost,
                project=project_id,
            )
            ok = False
        if not ok:
            # Still reserve the id, so that votes naming it are not reported twice.
            project_index.setdefault(project_id, -1)
            return
        fields = {
            name: cells[position]
            for position, name in enumerate(header)
            if name not in ("project_id", "cost", "name")
        }
        name = cells[columns["name"]] if "name" in columns else ""
        project_index[project_id] = len(projects)
        projects.append(
            Project(project_id=project_id, cost=int(raw_cost), name=name, fields=fields)
        )

    def _vote(
        self,
        number: int,
        cells: list[str],
        header: list[str],
        columns: dict[str, int],
        project_index: dict[str, int],
        voter_ids: list[str],
        seen_voters: set[str],
        offsets: list[int],
        flat: list[int],
        points: list[int],
        vote_fields: dict[str, list[str]],
    ) -> None:
        voter_id = cells[0].strip()
        if not voter_id:
            self.problem(number, "voter_id", _("empty voter_id"))
            return
        if voter_id in seen_voters:
            self.problem(
                number, "duplicate_voter", _("voter %(voter)s votes twice"), voter=voter_id
            )
            return
        seen_voters.add(voter_id)
        if "vote" not in columns:
            return
        raw_vote = cells[columns["vote"]].strip()
        names = raw_vote.split(",") if raw_vote else []
        indexes = []
        ok = True
        for name in names:
            index = project_index.get(name.strip())
            if index is None:
                self.problem(
                    number,
                    "unknown_project",
                    _("the vote names project %(project)s, which is not in PROJECTS"),
                    project=name,
                )
                ok = False
            elif index >= 0:
                indexes.append(index)
        if len(set(names)) != len(names):
            self.problem(number, "duplicate_in_vote", _("the vote names the same project twice"))
            ok = False
        ballot_points: list[int] = []
        if "points" in columns:
            raw_points = cells[columns["points"]].strip()
            parts = raw_points.split(",") if raw_points else []
            for part in parts:
                if not _INTEGER.match(part.strip()):
                    self.problem(
                        number,
                        "points",
                        _("points %(value)s is not a whole number"),
                        value=part,
                    )
                    ok = False
                else:
                    ballot_points.append(int(part))
            if ok and len(parts) != len(names):
                self.problem(
                    number,
                    "points_count",
                    _("%(points)s points for %(projects)s projects in the vote"),
                    points=len(parts),
                    projects=len(names),
                )
                ok = False
        if not ok or self.problems:
            # Nothing will be built: only keep looking for problems.
            return
        voter_ids.append(voter_id)
        flat.extend(indexes)
        offsets.append(len(flat))
        points.extend(ballot_points)
        for position, name in enumerate(header):
            if name not in ("voter_id", "vote", "points"):
                vote_fields.setdefault(name, []).append(cells[position])


def _split_quoted(line: str) -> tuple[list[str], str]:
    """Cells of a line holding quotes; state "ok", "open" (unclosed quote) or "stray"."""
    cells: list[str] = []
    i = 0
    n = len(line)
    while True:
        if i < n and line[i] == '"':
            i += 1
            parts = []
            while True:
                j = line.find('"', i)
                if j < 0:
                    return cells, "open"
                parts.append(line[i:j])
                if j + 1 < n and line[j + 1] == '"':
                    parts.append('"')
                    i = j + 2
                    continue
                i = j + 1
                break
            cells.append("".join(parts))
            if i == n:
                return cells, "ok"
            if line[i] != ";":
                return cells, "stray"
            i += 1
        else:
            j = line.find(";", i)
            cell = line[i:] if j < 0 else line[i:j]
            if '"' in cell:
                return cells, "stray"
            cells.append(cell)
            if j < 0:
                return cells, "ok"
            i = j + 1


# --- writing -------------------------------------------------------------------------------


def _quote(value: str) -> str:
    if ";" in value or '"' in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _ordered(keys: Iterable[str], order: Sequence[str], *, skip: Sequence[str] = ()) -> list[str]:
    present = dict.fromkeys(k for k in keys if k not in skip)
    known = [k for k in order if k in present]
    return known + [k for k in present if k not in order]


def write(election: Election) -> str:
    """The election as ``.pb`` text: UTF-8 when encoded, no byte-order mark, ``\\n`` line
    ends, columns in the PaBuLib checker's order. ``parse(write(e)) == e``.

    Projects missing a column that others have get ``None`` there (PaBuLib's empty value).
    """
    out: list[str] = ["META", "key;value"]
    for key in _ordered(election.meta, META_ORDER):
        out.append(f"{_quote(key)};{_quote(election.meta[key])}")
    out.append("PROJECTS")
    extra = _ordered(
        (k for p in election.projects for k in p.fields), PROJECT_COLUMNS, skip=("name",)
    )
    header = ["project_id", "cost", *_ordered(["name", *extra], PROJECT_COLUMNS)]
    out.append(";".join(header))
    for project in election.projects:
        row = [project.project_id, str(project.cost)]
        for column in header[2:]:
            row.append(project.name if column == "name" else project.fields.get(column, "None"))
        out.append(";".join(_quote(cell) for cell in row))
    out.append("VOTES")
    votes = election.votes
    other = _ordered(votes.fields, VOTE_COLUMNS, skip=("voter_id", "vote", "points"))
    vote_header = ["voter_id", "vote", *(["points"] if votes.points is not None else []), *other]
    # Keep the checker's order: points right after vote, other columns after.
    out.append(";".join(vote_header))
    ids = [p.project_id for p in election.projects]
    offsets = votes.offsets.tolist()
    flat = votes.projects.tolist()
    flat_points = votes.points.tolist() if votes.points is not None else None
    other_values = [votes.fields[name] for name in other]
    needs_quotes = any(_quote(x) != x for x in ids)
    for i, voter_id in enumerate(votes.voter_ids):
        start, end = offsets[i], offsets[i + 1]
        vote = ",".join(ids[p] for p in flat[start:end])
        row = [voter_id, vote]
        if flat_points is not None:
            row.append(",".join(str(x) for x in flat_points[start:end]))
        for values in other_values:
            row.append(values[i])
        if needs_quotes or any(_quote(cell) != cell for cell in row):
            out.append(";".join(_quote(cell) for cell in row))
        else:
            out.append(";".join(row))
    out.append("")
    return "\n".join(out)


def write_file(election: Election, path: str | Path) -> None:
    # newline="" keeps "\n": a Windows "\r\n" would still parse, but the bytes would differ.
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(write(election))


def as_dict(election: Election) -> dict[str, Any]:
    """Plain data (JSON-ready) summary of an election: meta, projects, counts."""
    return {
        "meta": dict(election.meta),
        "projects": [
            {"project_id": p.project_id, "cost": p.cost, "name": p.name, **p.fields}
            for p in election.projects
        ],
        "voters": len(election.votes),
    }
