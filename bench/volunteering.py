"""Volunteering matching at scale: 100,000 volunteer profiles and 10,000 missions.

Generated data around a commune (a 40 × 40 km area, denser at its centre): profiles with a
home point, a radius of 2 to 20 km, a weekly grid of about a third of the periods, interests,
skills, certifications (some expired), a few absences, reservists, and the month's
applications (so that fairness has something to count); missions with one to three coming
slots, some full, some remote, some with prerequisites.

Measured, each as p50 and p95 over varied missions or volunteers:

- ``volunteers_for_mission``: the top 20 volunteers for a mission (target ≤ 200 ms), beside
  a naive full scan in the same run (every profile, certification, absence and the month's
  applications read, filtered and scored in Python with the same scoring);
- ``missions_for_volunteer``: the top 20 missions for a volunteer (target ≤ 100 ms), beside a
  naive full scan (every slot with its mission read, filtered and scored in Python).

The naive scans answer the same lists (checked: ``agreement`` in the extra data), so the
ratio is the price of the same answer without the SQL pre-filters. ``--quick`` divides the
data by 20.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bench import Context, Measure, benchmark, create_organisation

if TYPE_CHECKING:
    from beffroi.territory.models import Organisation
    from beffroi.volunteering.matching.selectors import MissionMatch, VolunteerMatch
    from beffroi.volunteering.models import Mission, VolunteerProfile

SEED = 11
CENTRE = (49.1, 5.4)
HALF_SIDE_KM = 20.0
RADII = (2, 3, 5, 5, 5, 8, 10, 10, 15, 20)
START_HOURS = (8, 9, 10, 14, 14, 17, 18, 20)
TARGET_VOLUNTEERS_S = 0.200
TARGET_MISSIONS_S = 0.100


@dataclass
class Prepared:
    organisation: Organisation
    mission_ids: list[int]
    profile_ids: list[int]
    now: datetime


def _point(rng: random.Random) -> tuple[float, float]:
    """A point of the area: half near the centre (a town), half anywhere (villages)."""
    import math

    spread = 4.0 if rng.random() < 0.5 else HALF_SIDE_KM
    dx = max(-HALF_SIDE_KM, min(HALF_SIDE_KM, rng.gauss(0, spread)))
    dy = max(-HALF_SIDE_KM, min(HALF_SIDE_KM, rng.gauss(0, spread)))
    lat = CENTRE[0] + dy / 110.574
    lon = CENTRE[1] + dx / (111.320 * math.cos(math.radians(CENTRE[0])))
    return lat, lon


def _grid(rng: random.Random) -> int:
    bits = 0
    for bit in range(28):
        if rng.random() < 0.33:
            bits |= 1 << bit
    return bits


def setup(context: Context) -> Prepared:
    from django.db import connection
    from django.utils import timezone

    from beffroi.volunteering.models import (
        Absence,
        Activity,
        Application,
        Certification,
        Mission,
        ReserveMember,
        Skill,
        Slot,
        VolunteerCertification,
        VolunteerProfile,
    )
    from beffroi.volunteering.models.volunteers import interests_mask, skills_mask

    rng = random.Random(SEED)
    profiles = context.size(100_000, 5_000)
    missions = context.size(10_000, 500)
    organisation = create_organisation("volunteering")
    now = timezone.now()
    today = timezone.localdate(now)
    activities, skills = Activity.values, Skill.values

    context.log(f"profiles: {profiles:,}")
    batch: list[VolunteerProfile] = []
    for i in range(profiles):
        lat, lon = _point(rng)
        interests = rng.sample(activities, rng.randint(1, 3))
        profile_skills = rng.sample(skills, rng.randint(0, 3))
        batch.append(
            VolunteerProfile(
                organisation=organisation,
                full_name=f"Bénévole {i:06d}",
                email=f"benevole{i}@example.org" if rng.random() < 0.9 else "",
                phone=f"+3361{i:07d}",
                birth_date=date(1940 + rng.randrange(68), 1 + rng.randrange(12), 1),
                home_lat=lat,
                home_lon=lon,
                radius_km=float(rng.choice(RADII)),
                availability=_grid(rng),
                interests=interests,
                skills=profile_skills,
                # bulk_create skips save(), which keeps the masks.
                interests_mask=interests_mask(interests),
                skills_mask=skills_mask(profile_skills),
                languages=["fr"],
                max_hours_month=rng.choice((4, 8, 12, 20, 40)) if rng.random() < 0.3 else None,
                visibility=(
                    VolunteerProfile.Visibility.MATCHABLE
                    if rng.random() < 0.85
                    else VolunteerProfile.Visibility.PRIVATE
                ),
                crisis_consent=rng.random() < 0.6,
                active=rng.random() < 0.95,
            )
        )
        if len(batch) == 5_000:
            VolunteerProfile.objects.bulk_create(batch)
            batch.clear()
    VolunteerProfile.objects.bulk_create(batch)
    profile_ids = list(
        VolunteerProfile.objects.filter(organisation=organisation)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    certs: list[VolunteerCertification] = []
    absences: list[Absence] = []
    reserve: list[ReserveMember] = []
    for pk in profile_ids:
        draw = rng.random()
        if draw < 0.15:
            expired = rng.random() < 0.3
            certs.append(
                VolunteerCertification(
                    profile_id=pk,
                    kind=Certification.PSC1,
                    expires_on=today - timedelta(days=30)
                    if expired
                    else today + timedelta(days=400),
                )
            )
        if rng.random() < 0.10:
            certs.append(VolunteerCertification(profile_id=pk, kind=Certification.DRIVING_B))
        if rng.random() < 0.05:
            start = today + timedelta(days=rng.randrange(60))
            absences.append(
                Absence(profile_id=pk, starts_on=start, ends_on=start + timedelta(days=7))
            )
        if rng.random() < 0.01:
            reserve.append(
                ReserveMember(
                    organisation=organisation,
                    profile_id=pk,
                    decision_reference=f"R-{pk}",
                    decision_date=today - timedelta(days=100),
                    engaged_from=today - timedelta(days=100),
                    engaged_until=today + timedelta(days=265),
                )
            )
    VolunteerCertification.objects.bulk_create(certs, batch_size=5_000)
    Absence.objects.bulk_create(absences, batch_size=5_000)
    ReserveMember.objects.bulk_create(reserve, batch_size=5_000)
    context.log(f"certifications {len(certs):,}, absences {len(absences):,}")

    context.log(f"missions: {missions:,}")
    mission_rows: list[Mission] = []
    for i in range(missions):
        remote = rng.random() < 0.08
        lat, lon = _point(rng)
        draw = rng.random()
        mission_rows.append(
            Mission(
                organisation=organisation,
                title=f"Mission {i:05d}",
                description="Aider l'association.",
                activities=rng.sample(activities, rng.randint(1, 2)),
                skills=rng.sample(skills, rng.randint(0, 2)),
                remote=remote,
                lat=None if remote else lat,
                lon=None if remote else lon,
                min_age=18 if draw < 0.10 else None,
                certifications=[Certification.PSC1] if 0.10 <= draw < 0.18 else [],
                reserve_only=0.18 <= draw < 0.20,
                status=Mission.Status.PUBLISHED if rng.random() < 0.9 else Mission.Status.DRAFT,
                published_at=now,
            )
        )
    Mission.objects.bulk_create(mission_rows, batch_size=5_000)
    mission_ids = list(
        Mission.objects.filter(organisation=organisation)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    slots: list[Slot] = []
    for pk in mission_ids:
        for _n in range(rng.randint(1, 3)):
            starts = midnight + timedelta(
                days=rng.randrange(-10, 50), hours=rng.choice(START_HOURS)
            )
            needed = rng.randint(1, 6)
            slots.append(
                Slot(
                    mission_id=pk,
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=rng.choice((2, 3, 4))),
                    volunteers_needed=needed,
                    accepted_count=rng.choice((0, 0, 0, rng.randint(0, needed))),
                )
            )
    Slot.objects.bulk_create(slots, batch_size=5_000)
    slot_rows = list(
        Slot.objects.filter(mission__organisation=organisation).values_list("pk", "starts_at")
    )
    context.log(f"slots: {len(slot_rows):,}")
    # The month's applications: about one profile in four gave a few hours.
    seen: set[tuple[int, int]] = set()
    applications: list[Application] = []
    for _n in range(len(profile_ids) // 3):
        key = (rng.choice(slot_rows)[0], rng.choice(profile_ids))
        if key in seen:
            continue
        seen.add(key)
        applications.append(
            Application(
                slot_id=key[0],
                profile_id=key[1],
                state=(
                    Application.State.ACCEPTED if rng.random() < 0.7 else Application.State.PENDING
                ),
            )
        )
    Application.objects.bulk_create(applications, batch_size=5_000)
    context.log(f"applications: {len(applications):,}")
    # What autovacuum and a nightly ANALYZE give a production database: statistics for the
    # planner, and on PostgreSQL the visibility map that index-only scans need.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    context.log("analysed")
    return Prepared(
        organisation=organisation, mission_ids=mission_ids, profile_ids=profile_ids, now=now
    )


# -- the naive full scans (baselines) ---------------------------------------------------------


def naive_volunteers(mission: Mission, now: datetime, limit: int = 20) -> list[VolunteerMatch]:
    """Every profile of the organisation read and judged in Python, with the same rules and
    the same score as the selector."""
    from django.utils import timezone

    from beffroi.volunteering.matching import selectors as m
    from beffroi.volunteering.models import (
        Absence,
        Application,
        ReserveMember,
        VolunteerCertification,
        VolunteerProfile,
    )

    slot = m._next_slot(mission, now)
    if slot is None:
        return []
    day = timezone.localtime(slot.starts_at).date()
    last_day = timezone.localtime(slot.ends_at).date()
    cells = m.slot_cells(slot.starts_at, slot.ends_at)
    mask = m.cells_mask(cells)
    org = mission.organisation_id
    certs: dict[int, list[tuple[str, date | None]]] = {}
    for pid, kind, expires in VolunteerCertification.objects.filter(
        profile__organisation_id=org
    ).values_list("profile_id", "kind", "expires_on"):
        certs.setdefault(pid, []).append((kind, expires))
    away: dict[int, list[tuple[date, date]]] = {}
    for pid, start, end in Absence.objects.filter(profile__organisation_id=org).values_list(
        "profile_id", "starts_on", "ends_on"
    ):
        away.setdefault(pid, []).append((start, end))
    reserve: dict[int, list[tuple[date, date]]] = {}
    for pid, start, end in ReserveMember.objects.filter(organisation_id=org).values_list(
        "profile_id", "engaged_from", "engaged_until"
    ):
        reserve.setdefault(pid, []).append((start, end))
    applied = set(Application.objects.filter(slot=slot).values_list("profile_id", flat=True))
    start, end = m.month_bounds(now)
    loads: dict[int, m.MonthLoad] = {}
    for pid, state, hours, s_at, e_at in Application.objects.filter(
        profile__organisation_id=org,
        state__in=m.HELD_STATES,
        slot__starts_at__gte=start,
        slot__starts_at__lt=end,
    ).values_list("profile_id", "state", "hours", "slot__starts_at", "slot__ends_at"):
        load = loads.setdefault(pid, m.MonthLoad())
        load.missions += 1
        if state == "accepted":
            load.hours += (
                float(hours) if hours is not None else (e_at - s_at).total_seconds() / 3600
            )
    matches = []
    for p in VolunteerProfile.objects.filter(organisation_id=org):
        if not p.active or p.visibility != VolunteerProfile.Visibility.MATCHABLE:
            continue
        if p.pk in applied or any(a <= last_day and b >= day for a, b in away.get(p.pk, [])):
            continue
        if p.availability and mask and not p.availability & mask:
            continue
        facts = m._VolunteerFacts(certifications=certs.get(p.pk, []), reserve=reserve.get(p.pk, []))
        if not m._prerequisites_met(
            min_age=mission.min_age,
            certifications=list(mission.certifications or []),
            reserve_only=mission.reserve_only,
            birth_date=p.birth_date,
            facts=facts,
            day=day,
        ):
            continue
        distance = None
        if not mission.remote and mission.lat is not None and mission.lon is not None:
            if p.home_lat is None or p.home_lon is None:
                continue
            distance = m.distance_km(mission.lat, mission.lon, p.home_lat, p.home_lon)
            if distance > p.radius_km:
                continue
        load = loads.get(p.pk, m.MonthLoad())
        if m._over_hours(p.max_hours_month, load, slot.hours):
            continue
        score = m.score_of(
            distance=distance,
            radius=p.radius_km,
            availability=p.availability,
            cells=cells,
            interests=p.interests,
            skills=p.skills,
            wanted_activities=list(mission.activities or []),
            wanted_skills=list(mission.skills or []),
        )
        score = round(score + m.WEIGHT_FAIRNESS * m._fairness(load), 9)
        matches.append(
            m.VolunteerMatch(
                profile_id=p.pk,
                full_name=p.full_name,
                score=score,
                distance_km=distance,
                reasons=[],
                missions_this_month=load.missions,
                reservist=any(a <= day <= b for a, b in reserve.get(p.pk, [])),
            )
        )
    matches.sort(key=lambda x: (-x.score, x.distance_km or 0.0, x.profile_id))
    return matches[:limit]


def naive_missions(profile: VolunteerProfile, now: datetime, limit: int = 20) -> list[MissionMatch]:
    """Every slot of the organisation with its mission read and judged in Python."""
    from django.utils import timezone

    from beffroi.volunteering.matching import selectors as m
    from beffroi.volunteering.models import Mission, Slot

    facts = m._facts(profile)
    load = m.month_load([profile.pk], now).get(profile.pk, m.MonthLoad())
    best: dict[int, tuple[float, MissionMatch]] = {}
    slots = Slot.objects.filter(mission__organisation_id=profile.organisation_id).select_related(
        "mission", "mission__association"
    )
    for slot in sorted(slots, key=lambda s: (s.starts_at, s.pk)):
        mission = slot.mission
        if (
            mission.status != Mission.Status.PUBLISHED
            or slot.cancelled
            or slot.starts_at <= now
            or slot.accepted_count >= slot.volunteers_needed
            or slot.pk in facts.applied_slots
        ):
            continue
        distance = None
        if not mission.remote and mission.lat is not None and mission.lon is not None:
            if profile.home_lat is None or profile.home_lon is None:
                continue
            distance = m.distance_km(profile.home_lat, profile.home_lon, mission.lat, mission.lon)
            if distance > profile.radius_km:
                continue
        day = timezone.localtime(slot.starts_at).date()
        last_day = timezone.localtime(slot.ends_at).date()
        if any(a <= last_day and b >= day for a, b in facts.absences):
            continue
        if not m._prerequisites_met(
            min_age=mission.min_age,
            certifications=list(mission.certifications or []),
            reserve_only=mission.reserve_only,
            birth_date=profile.birth_date,
            facts=facts,
            day=day,
        ):
            continue
        if m._over_hours(profile.max_hours_month, load, slot.hours):
            continue
        cells = m.slot_cells(slot.starts_at, slot.ends_at)
        mask = m.cells_mask(cells)
        if profile.availability and mask and not profile.availability & mask:
            continue
        score = m.score_of(
            distance=distance,
            radius=profile.radius_km,
            availability=profile.availability,
            cells=cells,
            interests=profile.interests,
            skills=profile.skills,
            wanted_activities=list(mission.activities or []),
            wanted_skills=list(mission.skills or []),
        )
        if slot.accepted_count == 0:
            score += m.NOBODY_YET_LIFT
        score = round(score, 9)
        previous = best.get(mission.pk)
        if previous is None or score > previous[0]:
            best[mission.pk] = (
                score,
                m.MissionMatch(
                    mission_id=mission.pk,
                    title=mission.title,
                    association_name=mission.association.name if mission.association else "",
                    score=score,
                    distance_km=distance,
                    reasons=[],
                    next_slot_id=slot.pk,
                    next_slot_starts_at=slot.starts_at,
                ),
            )
    matches = [match for _s, match in best.values()]
    matches.sort(key=lambda x: (-x.score, x.next_slot_starts_at or now, x.mission_id))
    return matches[:limit]


# -- the run ----------------------------------------------------------------------------------


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _timed_calls(calls: list[Any]) -> tuple[list[float], list[Any]]:
    import time

    seconds, results = [], []
    for call in calls:
        started = time.perf_counter()
        results.append(call())
        seconds.append(time.perf_counter() - started)
    return seconds, results


def volunteering_notes(runs: list[dict[str, Any]]) -> list[str]:
    notes = [
        "Targets: top 20 volunteers for a mission among 100,000 profiles ≤ 200 ms; top 20 "
        "missions for a volunteer among 10,000 missions ≤ 100 ms (p95). Baselines: the same "
        "answer by a naive full scan in Python, measured in the same run on fewer calls.",
    ]
    for run in runs:
        engine = run["database"]["engine"]
        measures = {x["name"]: x for x in run["measures"]}
        for name, target, label in (
            ("volunteers_for_mission_p95", TARGET_VOLUNTEERS_S, "volunteers for a mission"),
            ("missions_for_volunteer_p95", TARGET_MISSIONS_S, "missions for a volunteer"),
        ):
            if name in measures:
                value = measures[name]["value"]
                verdict = "within" if value <= target else "over"
                notes.append(
                    f"{engine}: {label}, p95 {value * 1000:.0f} ms ({verdict} the "
                    f"{target * 1000:.0f} ms target)."
                )
    return notes


@benchmark(
    "volunteering",
    "Volunteering matching: top 20 volunteers for a mission among 100,000 profiles and top 20 "
    "missions for a volunteer among 10,000 missions (p50, p95), beside naive full scans.",
    setup=setup,
    notes=volunteering_notes,
)
def volunteering(context: Context, prepared: Prepared) -> list[Measure]:
    from beffroi.volunteering.matching.selectors import (
        missions_for_volunteer,
        volunteers_for_mission,
    )
    from beffroi.volunteering.models import Mission, VolunteerProfile

    rng = random.Random(SEED + 1)
    now = prepared.now
    calls = context.size(100, 30)
    naive_calls = context.size(5, 5)
    # Published missions with a coming slot: the ones an organiser looks for volunteers for.
    open_ids = sorted(
        set(
            Mission.objects.filter(
                pk__in=prepared.mission_ids,
                status=Mission.Status.PUBLISHED,
                slots__starts_at__gt=now,
                slots__cancelled=False,
            ).values_list("pk", flat=True)
        )
    )
    missions = list(Mission.objects.filter(pk__in=rng.sample(open_ids, min(calls, len(open_ids)))))
    profiles = list(
        VolunteerProfile.objects.filter(
            pk__in=rng.sample(prepared.profile_ids, min(calls, len(prepared.profile_ids))),
            active=True,
        )
    )
    context.log(f"volunteers_for_mission × {len(missions)}")
    # One untimed call first: connection, caches of the ORM.
    volunteers_for_mission(mission=missions[0], now=now)
    fast_v, found_v = _timed_calls(
        [lambda m=m: volunteers_for_mission(mission=m, now=now) for m in missions]
    )
    context.log(f"naive volunteers × {naive_calls}")
    slow_v, naive_v = _timed_calls(
        [lambda m=m: naive_volunteers(m, now) for m in missions[:naive_calls]]
    )
    context.log(f"missions_for_volunteer × {len(profiles)}")
    missions_for_volunteer(profile=profiles[0], now=now)
    fast_m, found_m = _timed_calls(
        [lambda p=p: missions_for_volunteer(profile=p, now=now) for p in profiles]
    )
    context.log(f"naive missions × {naive_calls}")
    slow_m, naive_m = _timed_calls(
        [lambda p=p: naive_missions(p, now) for p in profiles[:naive_calls]]
    )
    agreement_v = sum(
        [x.profile_id for x in a] == [x.profile_id for x in b]
        for a, b in zip(found_v, naive_v, strict=False)
    )
    agreement_m = sum(
        [x.mission_id for x in a] == [x.mission_id for x in b]
        for a, b in zip(found_m, naive_m, strict=False)
    )
    context.extra["data"] = {
        "profiles": len(prepared.profile_ids),
        "missions": len(prepared.mission_ids),
        "calls": {"volunteers": len(missions), "missions": len(profiles), "naive": naive_calls},
        "mean_results": {
            "volunteers": sum(len(r) for r in found_v) / max(1, len(found_v)),
            "missions": sum(len(r) for r in found_m) / max(1, len(found_m)),
        },
    }
    context.extra["agreement"] = {
        "volunteers": f"{agreement_v}/{len(naive_v)}",
        "missions": f"{agreement_m}/{len(naive_m)}",
    }
    context.log(json.dumps(context.extra["agreement"]))
    naive_v_p50 = _percentile(slow_v, 0.5)
    naive_m_p50 = _percentile(slow_m, 0.5)
    size_v = f"{len(prepared.profile_ids):,} profiles"
    size_m = f"{len(prepared.mission_ids):,} missions"
    return [
        Measure(
            name="volunteers_for_mission_p50",
            description=f"`volunteers_for_mission`, top 20 among {size_v}: p50 over "
            f"{len(missions)} missions",
            value=_percentile(fast_v, 0.5),
            unit="s",
            baseline_description=f"naive full scan in Python, same answer: p50 of {naive_calls}",
            baseline_value=naive_v_p50,
        ),
        Measure(
            name="volunteers_for_mission_p95",
            description=f"`volunteers_for_mission`, top 20 among {size_v}: p95 (target ≤ 200 ms)",
            value=_percentile(fast_v, 0.95),
            unit="s",
            baseline_description=f"naive full scan in Python, same answer: p50 of {naive_calls}",
            baseline_value=naive_v_p50,
        ),
        Measure(
            name="missions_for_volunteer_p50",
            description=f"`missions_for_volunteer`, top 20 among {size_m}: p50 over "
            f"{len(profiles)} volunteers",
            value=_percentile(fast_m, 0.5),
            unit="s",
            baseline_description=f"naive full scan in Python, same answer: p50 of {naive_calls}",
            baseline_value=naive_m_p50,
        ),
        Measure(
            name="missions_for_volunteer_p95",
            description=f"`missions_for_volunteer`, top 20 among {size_m}: p95 (target ≤ 100 ms)",
            value=_percentile(fast_m, 0.95),
            unit="s",
            baseline_description=f"naive full scan in Python, same answer: p50 of {naive_calls}",
            baseline_value=naive_m_p50,
        ),
    ]
