"""Agents' statistics of a process: participants, proposals, supports and comments per day,
per zone and per age band, counted by the database.

Everything is a GROUP BY: the page costs the same handful of statements at 10 proposals and
at 10,000 proposals with a million supports, and Python only walks the (few) groups — days of
the process, zones of the organisation, seven age bands — never the contributions.

What counts, decided once here:
- A *participant* is a person who proposed, supported, commented, gave an opinion, answered a
  questionnaire or registered for a meeting (a cancelled registration does not count) in the
  process. A contribution whose author's row is gone (``author`` NULL) counts as a contribution
  but not as a participant.
- Hidden proposals and comments **count** (the agents must see the whole activity, including
  what moderation removed from public view) and are **marked**: every count of proposals and
  comments comes with "of which hidden". Withdrawn proposals count as proposals: they were made.
- Per zone, proposals are placed by their own place (``Proposal.zones``); supports, comments
  and participants by the residence of the person: the zones of ``Participant.address``, or,
  when it has none, of the homes the person registered for alerts (``Subscriber`` places of
  kind "home"). Zones overlap (a district and a flood zone), so a person or a proposal counts
  in every zone it lies in and the zone rows may add up to more than the total; the row "no
  known zone" counts what lies in none.
- Per day, *participants* are the people whose first contribution to the process was that
  day (the days' rows add up to the total). People active each day would need a COUNT
  (DISTINCT) over every (day, person) pair — an external sort of a million rows — while the
  first day comes free from the per-person pass that the zones and ages need anyway.
- The age band is the age reached in the year the process started, from ``birth_year``. A
  person who asked for erasure has no known age or zone any more, whatever the row still holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from beffroi.alerts.models import Place
from beffroi.participation.models import (
    Comment,
    Opinion,
    Participant,
    Process,
    Proposal,
    Registration,
    Response,
    Support,
)
from beffroi.territory.models import Zone, ZoneMembership

# What a row of activity is; only the first three are shown as series of their own, all six
# make someone a participant.
PROPOSAL, SUPPORT, COMMENT, OPINION, ANSWER, REGISTRATION = range(1, 7)

METRICS: tuple[tuple[str, Promise], ...] = (
    ("participants", _("Participants")),
    ("proposals", _("Proposals")),
    ("supports", _("Supports")),
    ("comments", _("Comments")),
)
METRIC_KEYS = tuple(key for key, _label in METRICS)

# (key, label, lowest age, highest age); None: open-ended.
AGE_BANDS: tuple[tuple[str, Promise, int | None, int | None], ...] = (
    ("under_18", _("Under 18"), None, 17),
    ("18_29", _("18 to 29"), 18, 29),
    ("30_44", _("30 to 44"), 30, 44),
    ("45_59", _("45 to 59"), 45, 59),
    ("60_74", _("60 to 74"), 60, 74),
    ("75_over", _("75 and over"), 75, None),
    ("unknown", pgettext_lazy("age band", "Unknown"), None, None),
)
NO_ZONE_LABEL = _("No known zone")


@dataclass
class Row:
    """One group (a day, a zone, an age band) and its counts."""

    key: str
    label: str
    participants: int = 0
    proposals: int = 0
    proposals_hidden: int = 0
    supports: int = 0
    comments: int = 0
    comments_hidden: int = 0
    # For a day: its date (charts place it on the time axis).
    day: date | None = None

    def value(self, metric: str) -> int:
        count: int = getattr(self, metric)
        return count


@dataclass
class Totals:
    participants: int = 0
    proposals: int = 0
    proposals_hidden: int = 0
    proposals_withdrawn: int = 0
    supports: int = 0
    comments: int = 0
    comments_hidden: int = 0

    def value(self, metric: str) -> int:
        count: int = getattr(self, metric)
        return count


@dataclass
class ProcessStatistics:
    process: Process
    totals: Totals
    days: list[Row] = field(default_factory=list)
    zones: list[Row] = field(default_factory=list)
    ages: list[Row] = field(default_factory=list)
    # The year ages are counted in.
    age_year: int = 0
    first_day: date | None = None
    last_day: date | None = None
    computed_at: datetime | None = None

    def rows(self, dimension: str) -> list[Row]:
        rows: list[Row] = getattr(self, dimension)
        return rows


DIMENSIONS: tuple[tuple[str, Promise], ...] = (
    ("days", _("Per day")),
    ("zones", _("Per zone")),
    ("ages", _("Per age band")),
)
DIMENSION_KEYS = tuple(key for key, _label in DIMENSIONS)


# --- SQL building blocks ------------------------------------------------------------------


def _hidden() -> Case:
    return Case(When(hidden_at__isnull=False, then=Value(1)), default=Value(0))


def _sources(process: Process) -> list[QuerySet[Any, Any]]:
    """Every kind of activity in ``process``, each as (participant_id_, at, hidden, kind)."""
    day = {"at": F("created_at")}

    def columns(qs: QuerySet[Any, Any], person: str, kind: int, **extra: Any) -> Any:
        values = {
            "participant_id_": F(person),
            **extra,
            "kind": Value(kind, output_field=IntegerField()),
        }
        return qs.order_by().values(**values)

    return [
        columns(
            Proposal.objects.filter(process_id=process.pk),
            "author_id",
            PROPOSAL,
            **day,
            hidden=_hidden(),
        ),
        columns(
            Support.objects.filter(proposal__process_id=process.pk),
            "participant_id",
            SUPPORT,
            **day,
            hidden=Value(0),
        ),
        columns(
            Comment.objects.filter(process_id=process.pk),
            "author_id",
            COMMENT,
            **day,
            hidden=_hidden(),
        ),
        columns(
            Opinion.objects.filter(project__process_id=process.pk),
            "participant_id",
            OPINION,
            **day,
            hidden=Value(0),
        ),
        columns(
            Response.objects.filter(questionnaire__process_id=process.pk),
            "participant_id",
            ANSWER,
            at=F("submitted_at"),
            hidden=Value(0),
        ),
        columns(
            Registration.objects.filter(meeting__process_id=process.pk).exclude(
                status=Registration.Status.CANCELLED
            ),
            "participant_id",
            REGISTRATION,
            **day,
            hidden=Value(0),
        ),
    ]


def _activity_sql(process: Process) -> tuple[str, list[Any]]:
    """``SELECT participant_id_, at, hidden, kind … UNION ALL …`` over every source."""
    parts: list[str] = []
    params: list[Any] = []
    for queryset in _sources(process):
        sql, part_params = queryset.query.sql_with_params()
        parts.append(sql)
        params.extend(part_params)
    columns = "participant_id_, at, hidden, kind"
    union = " UNION ALL ".join(
        f"SELECT {columns} FROM ({part}) AS source{i}"  # noqa: S608
        for i, part in enumerate(parts)
    )
    return union, params


def _counts_by_kind() -> str:
    """The per-kind sums of a group of activity rows (columns ``kind`` and ``hidden``)."""
    return (
        f"SUM(CASE WHEN kind = {PROPOSAL} THEN 1 ELSE 0 END) AS proposals, "
        f"SUM(CASE WHEN kind = {PROPOSAL} THEN hidden ELSE 0 END) AS proposals_hidden, "
        f"SUM(CASE WHEN kind = {SUPPORT} THEN 1 ELSE 0 END) AS supports, "
        f"SUM(CASE WHEN kind = {COMMENT} THEN 1 ELSE 0 END) AS comments, "
        f"SUM(CASE WHEN kind = {COMMENT} THEN hidden ELSE 0 END) AS comments_hidden"
    )


def _residence_sql(organisation_id: int) -> tuple[str, list[Any]]:
    """(participant, zone) for the organisation's people whose residence is known: the zones
    of their address, or, without one, of the homes they registered for alerts."""
    participant = Participant._meta.db_table
    membership = ZoneMembership._meta.db_table
    place = Place._meta.db_table
    zone = Zone._meta.db_table
    sql = (
        f"SELECT p.id AS participant_id, zm.zone_id AS zone_id "  # noqa: S608
        f"FROM {participant} p "
        f"JOIN {membership} zm ON zm.address_id = p.address_id "
        f"JOIN {zone} z ON z.id = zm.zone_id AND z.organisation_id = %s "
        f"WHERE p.organisation_id = %s AND p.erased_at IS NULL "
        f"UNION "
        f"SELECT p.id, zm.zone_id "
        f"FROM {participant} p "
        f"JOIN {place} pl ON pl.subscriber_id = p.subscriber_id AND pl.kind = %s "
        f"JOIN {membership} zm ON zm.address_id = pl.address_id "
        f"JOIN {zone} z ON z.id = zm.zone_id AND z.organisation_id = %s "
        f"WHERE p.organisation_id = %s AND p.erased_at IS NULL AND p.address_id IS NULL"
    )
    return sql, [
        organisation_id,
        organisation_id,
        Place.Kind.HOME.value,
        organisation_id,
        organisation_id,
    ]


def _band_sql(year: int) -> tuple[str, list[Any]]:
    """CASE giving the age band key of participant ``p`` (age reached in ``year``)."""
    cases = [
        "CASE WHEN p.id IS NULL OR p.erased_at IS NOT NULL OR p.birth_year IS NULL THEN 'unknown'"
    ]
    params: list[Any] = []
    for key, _label, low, high in AGE_BANDS:
        # age = year - birth_year, so age >= low <=> birth_year <= year - low.
        if low is None and high is not None:
            cases.append("WHEN p.birth_year >= %s THEN %s")
            params.extend([year - high, key])
        elif low is not None and high is None:
            cases.append("WHEN p.birth_year <= %s THEN %s")
            params.extend([year - low, key])
        elif low is not None and high is not None:
            cases.append("WHEN p.birth_year BETWEEN %s AND %s THEN %s")
            params.extend([year - high, year - low, key])
    cases.append("ELSE 'unknown' END")
    return " ".join(cases), params


def _local_date(column: str) -> tuple[str, list[Any]]:
    """SQL of the local calendar day of the timestamp ``column`` (as ``TruncDate`` would)."""
    sql, params = connection.ops.datetime_cast_date_sql(
        column, (), timezone.get_current_timezone_name()
    )
    return sql, list(params)


def _fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


# --- The statistics -----------------------------------------------------------------------


def process_statistics(*, process: Process) -> ProcessStatistics:
    """The statistics of ``process`` (four statements, whatever the volume)."""
    activity, activity_params = _activity_sql(process)

    # 1. Per day: counts per kind (a hash aggregate into a few dozen groups).
    day, day_params = _local_date("activity.at")
    day_rows = _fetch(
        f"SELECT day, {_counts_by_kind()} FROM ("  # noqa: S608
        f"SELECT {day} AS day, kind, hidden FROM ({activity}) AS activity"
        f") AS dated GROUP BY day ORDER BY day",
        [*day_params, *activity_params],
    )

    # 2. Per person first (one pass over the activity into one row per person), then from
    # those rows: overall, per day of first contribution, per age band, per residence zone.
    year = _age_year(process)
    band, band_params = _band_sql(year)
    residence, residence_params = _residence_sql(process.organisation_id)
    first_day, first_day_params = _local_date("person.first_at")
    participant = Participant._meta.db_table
    # The earliest moment per person, turned into a local day only once per person.
    person_sql = (
        f"SELECT participant_id_, MIN(at) AS first_at, {_counts_by_kind()} "  # noqa: S608
        f"FROM ({activity}) AS activity GROUP BY participant_id_"
    )
    sums = (
        "SUM(proposals), SUM(proposals_hidden), SUM(supports), SUM(comments), "
        "SUM(comments_hidden), COUNT(participant_id_)"
    )
    grouped = _fetch(
        f"WITH person AS ({person_sql}), residence AS ({residence}) "  # noqa: S608
        f"SELECT 'total', NULL, {sums} FROM person "
        f"UNION ALL "
        f"SELECT 'first', CAST(first_day AS VARCHAR(10)), 0, 0, 0, 0, 0, COUNT(*) FROM ("
        f"SELECT {first_day} AS first_day FROM person WHERE participant_id_ IS NOT NULL"
        f") AS newcomers GROUP BY first_day "
        f"UNION ALL "
        f"SELECT 'age', band, {sums} FROM (SELECT person.*, {band} AS band FROM person "
        f"LEFT JOIN {participant} p ON p.id = person.participant_id_) AS aged GROUP BY band "
        f"UNION ALL "
        f"SELECT 'zone', CAST(residence.zone_id AS VARCHAR(20)), {sums} FROM person "
        f"JOIN residence ON residence.participant_id = person.participant_id_ "
        f"GROUP BY residence.zone_id "
        f"UNION ALL "
        # An anti-join on the people with a zone (a NULL author matches nobody: no zone).
        f"SELECT 'nozone', NULL, {sums} FROM person "
        f"LEFT JOIN (SELECT DISTINCT participant_id FROM residence) AS placed "
        f"ON placed.participant_id = person.participant_id_ "
        f"WHERE placed.participant_id IS NULL",
        [*activity_params, *residence_params, *first_day_params, *band_params],
    )

    # 3. Proposals per zone of their own place, and the withdrawn and unplaced ones.
    through = Proposal.zones.through._meta.db_table
    proposal = Proposal._meta.db_table
    zone_table = Zone._meta.db_table
    proposal_zone_rows = _fetch(
        f"SELECT CAST(pz.zone_id AS VARCHAR(20)), COUNT(*), "  # noqa: S608
        f"SUM(CASE WHEN pr.hidden_at IS NOT NULL THEN 1 ELSE 0 END) "
        f"FROM {through} pz JOIN {proposal} pr ON pr.id = pz.proposal_id "
        f"JOIN {zone_table} z ON z.id = pz.zone_id AND z.organisation_id = %s "
        f"WHERE pr.process_id = %s GROUP BY pz.zone_id "
        f"UNION ALL "
        f"SELECT 'nozone', COUNT(*), SUM(CASE WHEN pr.hidden_at IS NOT NULL THEN 1 ELSE 0 END) "
        f"FROM {proposal} pr WHERE pr.process_id = %s AND NOT EXISTS ("
        f"SELECT 1 FROM {through} pz JOIN {zone_table} z ON z.id = pz.zone_id "
        f"AND z.organisation_id = %s WHERE pz.proposal_id = pr.id) "
        f"UNION ALL "
        f"SELECT 'withdrawn', COUNT(*), 0 FROM {proposal} pr "
        f"WHERE pr.process_id = %s AND pr.state = %s",
        [
            process.organisation_id,
            process.pk,
            process.pk,
            process.organisation_id,
            process.pk,
            Proposal.State.WITHDRAWN.value,
        ],
    )

    # 4. The organisation's zones, for their names (and the zones nobody is in: rows of 0).
    zones = list(
        Zone.objects.filter(organisation_id=process.organisation_id).order_by("kind", "name")
    )
    return _assemble(process, year, day_rows, grouped, proposal_zone_rows, zones)


def _age_year(process: Process) -> int:
    starts = [phase.starts_at for phase in process.phases.all()]
    if starts:
        return timezone.localdate(min(starts)).year
    return timezone.localdate().year


def _int(value: Any) -> int:
    return int(value or 0)


def _as_date(value: Any) -> date:
    # SQLite hands the truncated day back as text, PostgreSQL as a date.
    return date.fromisoformat(value) if isinstance(value, str) else value  # type: ignore[no-any-return]


def _fill(row: Row, values: tuple[Any, ...]) -> None:
    """``values``: proposals, hidden, supports, comments, hidden, participants."""
    (
        row.proposals,
        row.proposals_hidden,
        row.supports,
        row.comments,
        row.comments_hidden,
        row.participants,
    ) = (_int(value) for value in values)


def _span(process: Process, data_days: list[date]) -> tuple[date | None, date | None]:
    """The days to show: from the first phase's opening to the last one's closing (not past
    today), widened to every day something happened (a paper proposal typed in later)."""
    today = timezone.localdate()
    days = list(data_days)
    phases = list(process.phases.all())
    if phases:
        start = min(timezone.localdate(phase.starts_at) for phase in phases)
        end = max(timezone.localdate(phase.ends_at) for phase in phases)
        if start <= today:
            days.extend([start, min(end, today)])
    if not days:
        return None, None
    return min(days), max(days)


def _assemble(
    process: Process,
    year: int,
    day_rows: list[tuple[Any, ...]],
    grouped: list[tuple[Any, ...]],
    proposal_zone_rows: list[tuple[Any, ...]],
    zones: list[Zone],
) -> ProcessStatistics:
    totals = Totals()
    by_band = {key: Row(key=key, label=str(label)) for key, label, _low, _high in AGE_BANDS}
    by_zone = {str(zone.pk): Row(key=str(zone.pk), label=zone.name) for zone in zones}
    no_zone = Row(key="none", label=str(NO_ZONE_LABEL))
    first_days: dict[date, int] = {}
    for kind, key, *values in grouped:
        if kind == "first":
            first_days[_as_date(key)] = _int(values[-1])
        elif kind == "total":
            (
                totals.proposals,
                totals.proposals_hidden,
                totals.supports,
                totals.comments,
                totals.comments_hidden,
                totals.participants,
            ) = (_int(value) for value in values)
        elif kind == "age":
            _fill(by_band[key], tuple(values))
        elif kind == "zone" and key in by_zone:
            _fill(by_zone[key], tuple(values))
        elif kind == "nozone":
            _fill(no_zone, tuple(values))
    # Proposals per zone come from their own place, not from their author's residence.
    for row in [*by_zone.values(), no_zone]:
        row.proposals = row.proposals_hidden = 0
    for key, count, hidden in proposal_zone_rows:
        if key == "withdrawn":
            totals.proposals_withdrawn = _int(count)
            continue
        placed = no_zone if key == "nozone" else by_zone.get(key)
        if placed is not None:
            placed.proposals, placed.proposals_hidden = _int(count), _int(hidden)

    counted = {
        _as_date(values[0]): (*values[1:], first_days.get(_as_date(values[0]), 0))
        for values in day_rows
    }
    first, last = _span(process, list(counted))
    days: list[Row] = []
    if first is not None and last is not None:
        current = first
        while current <= last:
            row = Row(key=current.isoformat(), label=current.isoformat(), day=current)
            if current in counted:
                _fill(row, tuple(counted[current]))
            days.append(row)
            current += timedelta(days=1)
    return ProcessStatistics(
        process=process,
        totals=totals,
        days=days,
        zones=[*by_zone.values(), no_zone],
        ages=list(by_band.values()),
        age_year=year,
        first_day=first,
        last_day=last,
        computed_at=timezone.now(),
    )


# The page and its fifteen CSV links read the same figures: at a million supports each
# computation scans them all (about a second on PostgreSQL), so the figures are kept a few
# minutes and the page says when they were computed.
CACHE_SECONDS = 300


def process_statistics_cached(*, process: Process) -> ProcessStatistics:
    """``process_statistics``, computed at most once per ``CACHE_SECONDS`` and language."""
    key = f"participation:statistics:{process.pk}:{get_language()}"
    statistics: ProcessStatistics | None = cache.get(key)
    if statistics is None:
        statistics = process_statistics(process=process)
        cache.set(key, statistics, CACHE_SECONDS)
    statistics.process = process
    return statistics
