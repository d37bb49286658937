"""Matching, both ways: the volunteers to propose for a mission's slot, and the missions to
propose to a volunteer, ranked, each with the reasons of its rank.

Hard filters, in SQL: an active profile the volunteer allowed to be found (or, for a
call-out, one who consented to crisis calls), within their own radius of the mission's point,
free on one of the slot's periods (``availability & mask``; a volunteer who left the grid
empty is not filtered on it), the mission's prerequisites on the slot's day (the rule of
``volunteering.rules``, as subqueries), not away that day, not already applied; whoever
already gives their most hours a month is left out.

The score (each part between 0 and its weight): distance within the radius (1 − (d/r)²),
the share of the slot's periods the grid covers, the shares of the mission's activities and
skills the volunteer has, fairness (fewer missions and hours this month first) and, for a
volunteer's missions, a lift for those nobody joined yet. The database computes every part
it can from one covering index (``volunteering_profile_match``: the grid, the radius, and
interests and skills as bit masks) and hands the candidates over best first, in chunks; the
parts only Python knows (fairness, a slot's periods) can only lower a score by a bounded
amount, so reading stops as soon as no unread candidate can overtake the ``limit``-th: the
same answer as scoring every candidate, from a few dozen rows. 100,000 profiles rank in
about 40 ms (bench/volunteering.py).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Case, F, FloatField, Q, QuerySet, TextField, Value, When
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Cast, Length, Replace
from django.db.models.lookups import Exact, LessThanOrEqual
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext, pgettext_lazy

from beffroi.volunteering.models import (
    PERIODS,
    Absence,
    Activity,
    Application,
    Mission,
    ReserveMember,
    Skill,
    Slot,
    VolunteerCertification,
    VolunteerProfile,
    grid_bit,
)

# A radius is at most this (the forms refuse more): the coarse bounding box of a mission's
# candidates, narrow enough for the index on the home point.
MAX_RADIUS_KM = 100.0
KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON_EQUATOR = 111.320

# Weights of the score (the parts are each between 0 and 1).
WEIGHT_DISTANCE = 0.30
WEIGHT_AVAILABILITY = 0.30
WEIGHT_INTERESTS = 0.15
WEIGHT_SKILLS = 0.15
WEIGHT_FAIRNESS = 0.10
# A mission for which nobody has signed up yet climbs by this.
NOBODY_YET_LIFT = 0.10

# Places held in a month: these states count for "missions this month" and their hours.
HELD_STATES = (Application.State.PENDING, Application.State.ACCEPTED)

WEEKDAYS: tuple[Promise, ...] = (
    pgettext_lazy("weekday", "Monday"),
    pgettext_lazy("weekday", "Tuesday"),
    pgettext_lazy("weekday", "Wednesday"),
    pgettext_lazy("weekday", "Thursday"),
    pgettext_lazy("weekday", "Friday"),
    pgettext_lazy("weekday", "Saturday"),
    pgettext_lazy("weekday", "Sunday"),
)
# The same, inside a sentence ("free Saturday morning", "libre samedi matin").
WEEKDAYS_IN_SENTENCE: tuple[Promise, ...] = (
    pgettext_lazy("weekday in a sentence", "Monday"),
    pgettext_lazy("weekday in a sentence", "Tuesday"),
    pgettext_lazy("weekday in a sentence", "Wednesday"),
    pgettext_lazy("weekday in a sentence", "Thursday"),
    pgettext_lazy("weekday in a sentence", "Friday"),
    pgettext_lazy("weekday in a sentence", "Saturday"),
    pgettext_lazy("weekday in a sentence", "Sunday"),
)
PERIOD_NAMES: tuple[Promise, ...] = (
    pgettext_lazy("period of the day", "morning"),
    pgettext_lazy("period of the day", "afternoon"),
    pgettext_lazy("period of the day", "evening"),
    pgettext_lazy("period of the day", "night"),
)


@dataclass(frozen=True)
class VolunteerMatch:
    profile_id: int
    full_name: str
    score: float
    distance_km: float | None
    reasons: list[str]
    missions_this_month: int
    reservist: bool


@dataclass(frozen=True)
class MissionMatch:
    mission_id: int
    title: str
    association_name: str
    score: float
    distance_km: float | None
    reasons: list[str]
    next_slot_id: int | None
    next_slot_starts_at: datetime | None


# -- the week grid ---------------------------------------------------------------------------


def grid_label(day: int, period: int) -> str:
    """ "Saturday morning": the accessible name of a box of the grid."""
    return pgettext("day and period", "%(day)s %(period)s") % {
        "day": WEEKDAYS[day],
        "period": PERIOD_NAMES[period],
    }


def slot_cells(starts_at: datetime, ends_at: datetime) -> list[tuple[int, int]]:
    """The (day, period) cells of the week grid a slot covers, in local time, in order. The
    night (10 pm – 6 am) belongs to the day it starts on; a slot over a week covers all."""
    start = timezone.localtime(starts_at)
    end = timezone.localtime(ends_at)
    cells: list[tuple[int, int]] = []
    t = start
    while t < end and len(cells) < len(PERIODS) * 7:
        midnight = t.replace(hour=0, minute=0, second=0, microsecond=0)
        if t.hour < 6:
            day, period, boundary = (t - timedelta(days=1)).weekday(), 3, midnight.replace(hour=6)
        elif t.hour < 12:
            day, period, boundary = t.weekday(), 0, midnight.replace(hour=12)
        elif t.hour < 18:
            day, period, boundary = t.weekday(), 1, midnight.replace(hour=18)
        elif t.hour < 22:
            day, period, boundary = t.weekday(), 2, midnight.replace(hour=22)
        else:
            day, period = t.weekday(), 3
            boundary = (midnight + timedelta(days=1)).replace(hour=6)
        if (day, period) not in cells:
            cells.append((day, period))
        t = boundary
    return cells


def cells_mask(cells: Iterable[tuple[int, int]]) -> int:
    mask = 0
    for day, period in cells:
        mask |= grid_bit(day, period)
    return mask


def _availability_reason(availability: int, cells: list[tuple[int, int]]) -> tuple[float, str]:
    """The share of the slot's cells the grid covers, and "free Saturday morning"."""
    if not cells or not availability:
        return 0.0, ""
    free = [(d, p) for d, p in cells if availability & grid_bit(d, p)]
    if not free:
        return 0.0, ""
    day = free[0][0]
    periods = ", ".join(str(PERIOD_NAMES[p]) for d, p in free if d == day)
    when = pgettext("day and period", "%(day)s %(period)s") % {
        "day": WEEKDAYS_IN_SENTENCE[day],
        "period": periods,
    }
    return len(free) / len(cells), _("free %(when)s") % {"when": when}


# -- distance --------------------------------------------------------------------------------


def lon_factor(lat: float) -> float:
    """Kilometres per degree of longitude at ``lat``."""
    return KM_PER_DEGREE_LON_EQUATOR * math.cos(math.radians(lat))


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance from (lat1, lon1), the scale of longitudes taken there:
    within a few tens of kilometres, off by less than 0.5 %; the SQL filters compute the
    same."""
    dy = (lat2 - lat1) * KM_PER_DEGREE_LAT
    dx = (lon2 - lon1) * lon_factor(lat1)
    return math.hypot(dx, dy)


def _km(value: float) -> str:
    return _("%(km)s km") % {"km": formats.number_format(round(value, 1), 1)}


def _squared_km(lat_field: str, lon_field: str, lat: float, lon: float) -> CombinedExpression:
    """The squared distance in km² between the point of each row and (lat, lon)."""
    dy = (F(lat_field) - Value(lat)) * Value(KM_PER_DEGREE_LAT)
    dx = (F(lon_field) - Value(lon)) * Value(lon_factor(lat))
    return dy * dy + dx * dx


def _box(lat_field: str, lon_field: str, lat: float, lon: float, radius: float) -> Q:
    """A bounding box of ``radius`` km around (lat, lon) (index-friendly)."""
    dlat = radius / KM_PER_DEGREE_LAT
    dlon = radius / lon_factor(lat)
    return Q(
        **{
            f"{lat_field}__gte": lat - dlat,
            f"{lat_field}__lte": lat + dlat,
            f"{lon_field}__gte": lon - dlon,
            f"{lon_field}__lte": lon + dlon,
        }
    )


def _distance_part(distance: float | None, radius: float) -> float:
    """Near home counts most; the score falls to nothing at the edge of the radius."""
    if distance is None:
        return WEIGHT_DISTANCE * 0.5
    if radius <= 0:
        return 0.0
    return WEIGHT_DISTANCE * max(0.0, 1 - (distance / radius) ** 2)


# -- SQL pieces of the score -----------------------------------------------------------------


def _float(value: float) -> Value:
    return Value(float(value), output_field=FloatField())


def _share_of_keys(text_field: str, keys: list[str], weight: float) -> Any:
    """``weight`` × the share of ``keys`` found in the JSON list of each row (as text)."""
    if not keys:
        return _float(0.0)
    parts = [
        Case(
            When(**{f"{text_field}__contains": f'"{key}"'}, then=_float(weight / len(keys))),
            default=_float(0.0),
        )
        for key in keys
    ]
    total: Any = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


def _share_of_bits(mask_field: str, keys: list[str], known: list[str], weight: float) -> Any:
    """``weight`` × the share of ``keys`` whose bit is set in the row's ``mask_field``."""
    wanted = [key for key in keys if key in known]
    if not keys or not wanted:
        return _float(0.0)
    parts = [
        Case(
            When(Exact(F(mask_field).bitand(1 << known.index(key)), 0), then=_float(0.0)),
            default=_float(weight / len(keys)),
        )
        for key in wanted
    ]
    total: Any = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


def _share_of_cells(cells: list[tuple[int, int]], weight: float) -> Any:
    if not cells:
        return _float(0.0)
    parts = [
        Case(
            When(
                Exact(F("availability").bitand(grid_bit(day, period)), 0),
                then=_float(0.0),
            ),
            default=_float(weight / len(cells)),
        )
        for day, period in cells
    ]
    total: Any = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


# -- months and their load -------------------------------------------------------------------


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    local = timezone.localtime(now)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following


@dataclass
class MonthLoad:
    missions: int = 0
    hours: float = 0.0


def month_load(profile_ids: Collection[int], now: datetime) -> dict[int, MonthLoad]:
    """Places held this month per profile (pending or accepted), and the accepted hours."""
    start, end = month_bounds(now)
    loads: dict[int, MonthLoad] = {}
    ids = list(profile_ids)
    for i in range(0, len(ids), 900):
        rows = Application.objects.filter(
            profile_id__in=ids[i : i + 900],
            state__in=HELD_STATES,
            slot__starts_at__gte=start,
            slot__starts_at__lt=end,
        ).values_list("profile_id", "state", "hours", "slot__starts_at", "slot__ends_at")
        for profile_id, state, hours, starts_at, ends_at in rows:
            load = loads.setdefault(profile_id, MonthLoad())
            load.missions += 1
            if state == Application.State.ACCEPTED:
                load.hours += (
                    float(hours)
                    if isinstance(hours, Decimal | float | int)
                    else (ends_at - starts_at).total_seconds() / 3600
                )
    return loads


def _missions_reason(count: int) -> str:
    if count == 0:
        return _("no mission this month yet")
    return ngettext("%(count)s mission this month", "%(count)s missions this month", count) % {
        "count": count
    }


def _fairness(load: MonthLoad) -> float:
    return 1 / (1 + load.missions + load.hours / 10)


def _over_hours(max_hours: int | None, load: MonthLoad, slot_hours: float) -> bool:
    return max_hours is not None and load.hours + slot_hours > max_hours


def _labels(keys: Iterable[str], choices: list[tuple[str, Any]]) -> list[str]:
    names = dict(choices)
    return [str(names.get(k, k)) for k in keys]


# -- prerequisites in SQL --------------------------------------------------------------------


def _born_by(day: date, age: int) -> date:
    """The latest date of birth of someone aged ``age`` on ``day``."""
    try:
        return day.replace(year=day.year - age)
    except ValueError:  # 29 February
        return day.replace(year=day.year - age, day=28)


def _prerequisites(mission: Mission, day: date) -> Q:
    """``rules.prerequisites_missing(...) == []`` as a filter on profiles (subqueries run
    once, not per row)."""
    condition = Q()
    if mission.min_age:
        condition &= Q(birth_date__isnull=False, birth_date__lte=_born_by(day, mission.min_age))
    for kind in mission.certifications or []:
        condition &= Q(
            pk__in=VolunteerCertification.objects.filter(kind=kind)
            .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=day))
            .values("profile_id")
        )
    if mission.reserve_only:
        condition &= Q(
            pk__in=ReserveMember.objects.filter(
                engaged_from__lte=day, engaged_until__gte=day
            ).values("profile_id")
        )
    return condition


# -- volunteers for a mission ----------------------------------------------------------------


def _next_slot(mission: Mission, now: datetime) -> Slot | None:
    slots = Slot.objects.filter(mission=mission, cancelled=False, starts_at__gte=now)
    return (
        slots.filter(accepted_count__lt=F("volunteers_needed")).order_by("starts_at", "pk").first()
        or slots.order_by("starts_at", "pk").first()
    )


def _mission_point(mission: Mission) -> tuple[float, float] | None:
    if mission.remote or mission.lat is None or mission.lon is None:
        return None
    return mission.lat, mission.lon


def candidate_profiles(
    *,
    mission: Mission,
    slot: Slot | None,
    exclude_profile_ids: Collection[int] = (),
    crisis_only: bool = False,
    now: datetime,
) -> QuerySet[VolunteerProfile]:
    """Every profile the hard filters let through (but the most hours a month, which needs
    the month's load): the SQL part of the matching, with ``dist2`` (km², 0 for a remote
    mission) annotated."""
    profiles = VolunteerProfile.objects.filter(organisation_id=mission.organisation_id, active=True)
    if crisis_only:
        profiles = profiles.filter(crisis_consent=True)
    else:
        profiles = profiles.filter(visibility=VolunteerProfile.Visibility.MATCHABLE)
    if exclude_profile_ids:
        profiles = profiles.exclude(pk__in=list(exclude_profile_ids))
    point = _mission_point(mission)
    if point is not None:
        profiles = profiles.filter(_box("home_lat", "home_lon", *point, MAX_RADIUS_KM))
        profiles = profiles.annotate(dist2=_squared_km("home_lat", "home_lon", *point)).filter(
            LessThanOrEqual(F("dist2"), F("radius_km") * F("radius_km"))
        )
    else:
        profiles = profiles.annotate(dist2=_float(0.0))
    if slot is not None:
        first_day = timezone.localtime(slot.starts_at).date()
        last_day = timezone.localtime(slot.ends_at).date()
        mask = cells_mask(slot_cells(slot.starts_at, slot.ends_at))
        if mask and not crisis_only:
            profiles = profiles.filter(
                Q(availability=0) | ~Exact(F("availability").bitand(mask), 0)
            )
        profiles = profiles.exclude(
            pk__in=Absence.objects.filter(
                starts_on__lte=last_day,
                ends_on__gte=first_day,
            ).values("profile_id")
        ).exclude(pk__in=Application.objects.filter(slot=slot).values("profile_id"))
    else:
        first_day = timezone.localdate(now)
        profiles = profiles.exclude(
            pk__in=Application.objects.filter(
                slot__mission=mission,
                state__in=(*HELD_STATES, Application.State.WAITLISTED),
            ).values("profile_id")
        )
    return profiles.filter(_prerequisites(mission, first_day))


@dataclass
class _Ranked:
    """A candidate scored exactly: ``key`` orders them (best first)."""

    key: tuple[float, float, int]
    row: tuple[Any, ...]
    score: float
    load: MonthLoad


def volunteers_for_mission(
    *,
    mission: Mission,
    slot: Slot | None = None,
    limit: int = 20,
    exclude_profile_ids: Collection[int] = (),
    crisis_only: bool = False,
    now: datetime | None = None,
) -> list[VolunteerMatch]:
    """The volunteers to propose for ``slot`` (by default the mission's next slot with room;
    a mission without a coming slot is matched on place, interests and skills, and
    prerequisites as of today), best first, each with the reasons of their rank.

    The database ranks the candidates on every part of the score but fairness (distance,
    grid, interests, skills) and hands them over in chunks; fairness can only lower a score
    (by at most ``WEIGHT_FAIRNESS``), so once the ``limit``-th best exact score reaches the
    last base score read plus that weight, no unread candidate can overtake: the answer is
    the same as scoring every candidate, reading a few dozen rows."""
    now = now or timezone.now()
    if slot is None:
        slot = _next_slot(mission, now)
    cells = slot_cells(slot.starts_at, slot.ends_at) if slot is not None else []
    slot_hours = slot.hours if slot is not None else 0.0
    day = timezone.localtime(slot.starts_at).date() if slot is not None else timezone.localdate(now)
    point = _mission_point(mission)
    activities = list(mission.activities or [])
    skills = list(mission.skills or [])
    if point is not None:
        distance_part: Any = _float(WEIGHT_DISTANCE) - _float(WEIGHT_DISTANCE) * F("dist2") / (
            F("radius_km") * F("radius_km")
        )
    else:
        distance_part = _float(WEIGHT_DISTANCE * 0.5)
    # Any: the plugin of django-stubs does not see the annotations of ``candidate_profiles``.
    candidates: Any = candidate_profiles(
        mission=mission,
        slot=slot,
        exclude_profile_ids=exclude_profile_ids,
        crisis_only=crisis_only,
        now=now,
    )
    # Only columns of the index: the rows themselves are read for the chosen few.
    ranked_rows = (
        candidates.annotate(
            base=distance_part
            + _share_of_cells(cells, WEIGHT_AVAILABILITY)
            + _share_of_bits("interests_mask", activities, list(Activity.values), WEIGHT_INTERESTS)
            + _share_of_bits("skills_mask", skills, list(Skill.values), WEIGHT_SKILLS)
        )
        .order_by("-base", "dist2", "pk")
        .values_list("pk", "base", "dist2", "availability", "max_hours_month")
    )
    ranked: list[_Ranked] = []
    offset, chunk = 0, max(limit * 3, 60)
    while True:
        rows = list(ranked_rows[offset : offset + chunk])
        offset += len(rows)
        loads = month_load([r[0] for r in rows], now)
        for row in rows:
            load = loads.get(row[0], MonthLoad())
            if _over_hours(row[4], load, slot_hours):
                continue
            # Rounded: the database's and Python's arithmetic differ in the last digits, and
            # equal scores must tie (then the nearest, the oldest profile first).
            score = round(float(row[1]) + WEIGHT_FAIRNESS * _fairness(load), 9)
            ranked.append(
                _Ranked(key=(-score, float(row[2]), row[0]), row=row, score=score, load=load)
            )
        ranked.sort(key=lambda r: r.key)
        if len(rows) < chunk:
            break  # every candidate is read
        ceiling = float(rows[-1][1]) + WEIGHT_FAIRNESS
        if len(ranked) >= limit and ranked[limit - 1].score >= ceiling:
            break
        chunk *= 4
    best = ranked[:limit]
    reservists = _reservists([r.row[0] for r in best], day)
    details = {
        pk: (name, interests, profile_skills)
        for pk, name, interests, profile_skills in VolunteerProfile.objects.filter(
            pk__in=[r.row[0] for r in best]
        ).values_list("pk", "full_name", "interests", "skills")
    }
    matches: list[VolunteerMatch] = []
    for r in best:
        name, interests, profile_skills = details[r.row[0]]
        distance = None if point is None else math.sqrt(float(r.row[2]))
        reasons = _reasons(
            distance=distance,
            availability=int(r.row[3]),
            cells=cells,
            interests=interests,
            skills=profile_skills,
            wanted_activities=activities,
            wanted_skills=skills,
        )
        reasons.append(_missions_reason(r.load.missions))
        matches.append(
            VolunteerMatch(
                profile_id=r.row[0],
                full_name=name,
                score=round(r.score, 4),
                distance_km=None if distance is None else round(distance, 1),
                reasons=reasons,
                missions_this_month=r.load.missions,
                reservist=r.row[0] in reservists,
            )
        )
    return matches


def _reservists(profile_ids: list[int], day: date) -> set[int]:
    return set(
        ReserveMember.objects.filter(
            profile_id__in=profile_ids, engaged_from__lte=day, engaged_until__gte=day
        ).values_list("profile_id", flat=True)
    )


def score_of(
    *,
    distance: float | None,
    radius: float,
    availability: int,
    cells: list[tuple[int, int]],
    interests: list[str] | None,
    skills: list[str] | None,
    wanted_activities: list[str],
    wanted_skills: list[str],
) -> float:
    """The score of a volunteer for a slot but fairness, in Python: what the SQL computes
    (the reference for the tests and the benchmark's naive scan)."""
    score = _distance_part(distance, radius)
    if cells:
        score += (
            WEIGHT_AVAILABILITY
            * sum(1 for d, p in cells if availability & grid_bit(d, p))
            / len(cells)
        )
    if wanted_activities:
        shared = [a for a in wanted_activities if a in (interests or [])]
        score += WEIGHT_INTERESTS * len(shared) / len(wanted_activities)
    if wanted_skills:
        shared = [s for s in wanted_skills if s in (skills or [])]
        score += WEIGHT_SKILLS * len(shared) / len(wanted_skills)
    return score


def _reasons(
    *,
    distance: float | None,
    availability: int,
    cells: list[tuple[int, int]],
    interests: list[str] | None,
    skills: list[str] | None,
    wanted_activities: list[str],
    wanted_skills: list[str],
) -> list[str]:
    """Why: "2.1 km", "free Saturday morning", the interests and skills shared."""
    reasons: list[str] = []
    if distance is not None:
        reasons.append(_km(distance))
    _share, free = _availability_reason(availability, cells)
    if free:
        reasons.append(free)
    shared_activities = [a for a in wanted_activities if a in (interests or [])]
    reasons += [label.lower() for label in _labels(shared_activities, Activity.choices)]
    shared_skills = [s for s in wanted_skills if s in (skills or [])]
    reasons += [label.lower() for label in _labels(shared_skills, Skill.choices)]
    return reasons


# -- missions for a volunteer ----------------------------------------------------------------


@dataclass
class _VolunteerFacts:
    """What the filters need of one volunteer, read once."""

    certifications: list[tuple[str, date | None]] = field(default_factory=list)
    absences: list[tuple[date, date]] = field(default_factory=list)
    reserve: list[tuple[date, date]] = field(default_factory=list)
    applied_slots: set[int] = field(default_factory=set)


def _facts(profile: VolunteerProfile) -> _VolunteerFacts:
    return _VolunteerFacts(
        certifications=list(
            VolunteerCertification.objects.filter(profile=profile).values_list("kind", "expires_on")
        ),
        absences=list(Absence.objects.filter(profile=profile).values_list("starts_on", "ends_on")),
        reserve=list(
            ReserveMember.objects.filter(profile=profile).values_list(
                "engaged_from", "engaged_until"
            )
        ),
        applied_slots=set(
            Application.objects.filter(profile=profile).values_list("slot_id", flat=True)
        ),
    )


def _prerequisites_met(
    *,
    min_age: int | None,
    certifications: list[str],
    reserve_only: bool,
    birth_date: date | None,
    facts: _VolunteerFacts,
    day: date,
) -> bool:
    if min_age and (birth_date is None or birth_date > _born_by(day, min_age)):
        return False
    for kind in certifications:
        if not any(k == kind and (e is None or e >= day) for k, e in facts.certifications):
            return False
    return not reserve_only or any(a <= day <= b for a, b in facts.reserve)


def _cells_cached() -> Any:
    """``slot_cells`` with the slot's first and last local days, once per distinct time
    (the slots of a recurring schedule share theirs)."""
    cache: dict[tuple[datetime, datetime], tuple[list[tuple[int, int]], date, date]] = {}

    def cells(starts_at: datetime, ends_at: datetime) -> tuple[list[tuple[int, int]], date, date]:
        key = (starts_at, ends_at)
        if key not in cache:
            cache[key] = (
                slot_cells(starts_at, ends_at),
                timezone.localtime(starts_at).date(),
                timezone.localtime(ends_at).date(),
            )
        return cache[key]

    return cells


def _json_list_length(text_field: str) -> Any:
    """The number of strings of a JSON list of keys, read from its text (two quotes per key):
    the same SQL on SQLite and PostgreSQL."""
    return (Length(text_field) - Length(Replace(text_field, Value('"'), Value("")))) / Value(2)


def _share_of_profile_keys(text_field: str, keys: list[str], weight: float) -> Any:
    """``weight`` × the share of the row's JSON list (the mission's wishes) that ``keys``
    (the volunteer's) cover."""
    if not keys:
        return _float(0.0)
    found = _share_of_keys(text_field, keys, float(len(keys)))
    count = _json_list_length(text_field)
    return Case(
        When(Exact(count, 0), then=_float(0.0)),
        default=_float(weight) * found / Cast(count, FloatField()),
    )


def missions_for_volunteer(
    *,
    profile: VolunteerProfile,
    limit: int = 20,
    now: datetime | None = None,
) -> list[MissionMatch]:
    """The open missions to propose to ``profile``, best first, each with the slot to take
    (the best suited, the earliest among equals).

    The database ranks the coming slots with room within the volunteer's radius on distance,
    interests, skills and "nobody yet", and hands them over in chunks; the grid, the
    prerequisites, the absences and the hours are judged here. A slot's grid share can only
    lower its score (by at most ``WEIGHT_AVAILABILITY``), hence the same stopping rule as
    ``volunteers_for_mission``."""
    now = now or timezone.now()
    if not profile.active:
        return []
    slots = Slot.objects.filter(
        mission__organisation_id=profile.organisation_id,
        mission__status=Mission.Status.PUBLISHED,
        cancelled=False,
        starts_at__gt=now,
        accepted_count__lt=F("volunteers_needed"),
    )
    home = (
        (profile.home_lat, profile.home_lon)
        if profile.home_lat is not None and profile.home_lon is not None
        else None
    )
    placed = Q(mission__remote=False, mission__lat__isnull=False, mission__lon__isnull=False)
    if home is not None:
        radius = min(profile.radius_km, MAX_RADIUS_KM)
        dist2 = _squared_km("mission__lat", "mission__lon", *home)
        slots = slots.filter(
            ~placed
            | (
                _box("mission__lat", "mission__lon", *home, radius)
                & LessThanOrEqual(dist2, _float(radius * radius))
            )
        ).annotate(
            dist2=Case(When(placed, then=dist2), default=_float(0.0)),
            distance_part=Case(
                When(
                    placed,
                    then=_float(WEIGHT_DISTANCE)
                    - _float(WEIGHT_DISTANCE / (radius * radius)) * dist2,
                ),
                default=_float(WEIGHT_DISTANCE * 0.5),
            ),
        )
    else:
        # Without a home, only what needs no travel.
        slots = slots.exclude(placed).annotate(
            dist2=_float(0.0), distance_part=_float(WEIGHT_DISTANCE * 0.5)
        )
    ranked_rows = (
        slots.annotate(
            activities_text=Cast("mission__activities", TextField()),
            skills_text=Cast("mission__skills", TextField()),
        )
        .annotate(
            base=F("distance_part")
            + _share_of_profile_keys(
                "activities_text", list(profile.interests or []), WEIGHT_INTERESTS
            )
            + _share_of_profile_keys("skills_text", list(profile.skills or []), WEIGHT_SKILLS)
            + Case(When(accepted_count=0, then=_float(NOBODY_YET_LIFT)), default=_float(0.0))
        )
        .order_by("-base", "starts_at", "pk")
        .values_list(
            "pk",
            "mission_id",
            "starts_at",
            "ends_at",
            "accepted_count",
            "base",
            "dist2",
            "mission__certifications",
            "mission__min_age",
            "mission__reserve_only",
        )
    )
    facts = _facts(profile)
    load = month_load([profile.pk], now).get(profile.pk, MonthLoad())
    cells_of = _cells_cached()
    # The best slot of each mission: (score, starts_at, row, cells).
    best: dict[int, tuple[float, datetime, tuple[Any, ...], list[tuple[int, int]]]] = {}
    offset, chunk = 0, max(limit * 10, 200)
    while True:
        rows = list(ranked_rows[offset : offset + chunk])
        offset += len(rows)
        for row in rows:
            slot_id, mission_id, starts_at, ends_at = row[0], row[1], row[2], row[3]
            if slot_id in facts.applied_slots:
                continue
            cells, first_day, last_day = cells_of(starts_at, ends_at)
            free = sum(1 for d, p in cells if profile.availability & grid_bit(d, p))
            if profile.availability and cells and not free:
                continue
            if any(a <= last_day and b >= first_day for a, b in facts.absences):
                continue
            if not _prerequisites_met(
                min_age=row[8],
                certifications=list(row[7] or []),
                reserve_only=row[9],
                birth_date=profile.birth_date,
                facts=facts,
                day=first_day,
            ):
                continue
            if _over_hours(
                profile.max_hours_month, load, (ends_at - starts_at).total_seconds() / 3600
            ):
                continue
            score = round(
                float(row[5]) + (WEIGHT_AVAILABILITY * free / len(cells) if cells else 0.0), 9
            )
            previous = best.get(mission_id)
            if previous is None or (-score, starts_at) < (-previous[0], previous[1]):
                best[mission_id] = (score, starts_at, row, cells)
        if len(rows) < chunk:
            break
        ceiling = float(rows[-1][5]) + WEIGHT_AVAILABILITY
        scores = sorted((value[0] for value in best.values()), reverse=True)
        if len(scores) >= limit and scores[limit - 1] >= ceiling:
            break
        chunk *= 4
    chosen = sorted(best.values(), key=lambda v: (-v[0], v[1], v[2][1]))[:limit]
    details = {
        pk: rest
        for pk, *rest in Mission.objects.filter(pk__in=[v[2][1] for v in chosen]).values_list(
            "pk", "title", "association__name", "activities", "skills", "remote", "lat", "lon"
        )
    }
    matches: list[MissionMatch] = []
    for score, starts_at, row, cells in chosen:
        title, association_name, activities, skills, remote, lat, lon = details[row[1]]
        placed_mission = home is not None and not remote and lat is not None and lon is not None
        distance = math.sqrt(float(row[6])) if placed_mission else None
        reasons = _reasons(
            distance=distance,
            availability=profile.availability,
            cells=cells,
            interests=list(profile.interests or []),
            skills=list(profile.skills or []),
            wanted_activities=list(activities or []),
            wanted_skills=list(skills or []),
        )
        if row[4] == 0:
            reasons.append(_("nobody yet"))
        matches.append(
            MissionMatch(
                mission_id=row[1],
                title=title,
                association_name=association_name or "",
                score=round(score, 4),
                distance_km=None if distance is None else round(distance, 1),
                reasons=reasons,
                next_slot_id=row[0],
                next_slot_starts_at=starts_at,
            )
        )
    return matches


def invited_profile_ids(mission: Mission) -> set[int]:
    """The volunteers already invited to ``mission`` (never twice)."""
    from beffroi.volunteering.models.volunteers import MissionInvitation

    return set(
        MissionInvitation.objects.filter(mission=mission).values_list("profile_id", flat=True)
    )
