"""Who receives an alert: the audience, computed by one SQL query over precomputed memberships.

The audience of an alert is every subscriber of the alert's organisation who

- has not unsubscribed;
- follows the alert's topic;
- has at least one place whose address lies in one of the alert's zones (the stored territory
  ``ZoneMembership`` rows: no geometry is evaluated at query time), or any place when the
  alert targets the whole territory;

and, for each channel both the alert and the subscriber chose, has a target on that channel
(e-mail address, SMS number, voice number), verified — except in an emergency.

Emergency rule: an *Actual* alert with urgency *Immediate* and severity *Extreme* or *Severe*
also reaches channels the subscriber has not verified yet. Someone who typed their number and
never entered the code is still better warned of a flood arriving now than left unaware; the
verification exists to stop routine messages to a mistyped number, and a rare mis-sent
emergency SMS is the lesser harm. Exercises and tests never use unverified channels.

Channels without a target field on the subscriber (web push, whose subscriptions are per
browser) cannot be part of this audience: each needs its own join.

Scale: one row per subscriber, streamed with ``.iterator(chunk_size=…)``; the channel tests
are evaluated by the database as boolean columns so that neither the JSON ``channels`` list nor
the phone numbers are parsed in Python (``phonenumbers.parse`` for a million rows would cost
more than the query itself).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    CharField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    TextField,
)
from django.db.models.functions import Cast
from django.db.models.lookups import Contains

from beffroi.alerts.models import Alert, Channel, Place, Subscriber, VulnerablePerson
from beffroi.territory.models import Address, ZoneMembership

CHUNK_SIZE = 5_000

# channel → (target column, verification timestamp column)
CHANNEL_TARGETS: dict[str, tuple[str, str]] = {
    Channel.EMAIL: ("email", "email_verified_at"),
    Channel.SMS: ("sms_number", "sms_verified_at"),
    Channel.VOICE: ("voice_number", "voice_verified_at"),
}


@dataclass(frozen=True)
class Recipient:
    subscriber_id: int
    channel: str
    target: str  # e-mail address or E.164 number
    language: str


@dataclass(frozen=True)
class AudienceCounts:
    # recipients per channel (one per subscriber having that channel in the audience)
    per_channel: dict[str, int] = field(default_factory=dict)
    # zone id → persons of the audience with at least one place in that zone
    per_zone: dict[int, int] = field(default_factory=dict)
    # distinct persons reached on at least one channel
    persons: int = 0
    # channel → language → recipients (each language gets its own texts)
    per_language: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def messages(self) -> int:
        return sum(self.per_channel.values())

    def channel(self, name: str) -> int:
        return self.per_channel.get(name, 0)


@dataclass(frozen=True)
class Target:
    """What decides an audience; built from a saved alert, or from a form being filled in
    (the composer's live preview, before anything is saved)."""

    organisation_id: int
    topic: str
    channels: tuple[str, ...]
    zone_ids: tuple[int, ...]
    whole_territory: bool
    emergency: bool

    @classmethod
    def of(cls, alert: Alert) -> Target:
        return cls(
            organisation_id=alert.organisation_id,
            topic=alert.topic,
            channels=tuple(alert.channels or ()),
            zone_ids=tuple(alert.zones.values_list("pk", flat=True)) if alert.pk else (),
            whole_territory=alert.whole_territory,
            emergency=is_emergency(alert),
        )


def is_emergency(alert: Alert) -> bool:
    """Actual + Immediate + Extreme/Severe: unverified channels are used too (see module doc)."""
    return (
        alert.cap_status == Alert.CapStatus.ACTUAL
        and alert.urgency == Alert.Urgency.IMMEDIATE
        and alert.severity in (Alert.Severity.EXTREME, Alert.Severity.SEVERE)
    )


def _json_list_has(field_name: str, value: str) -> Q:
    """``value`` is an element of the JSON list column ``field_name``.

    PostgreSQL answers with ``@>``; SQLite has no JSON containment lookup, and the serialised
    list is searched for the quoted token instead (``LIKE '%"water_cut"%'``): values are plain
    identifiers, so the quotes make the match exact ("cut" never matches "water_cut"). A
    ``json_each`` subquery would be exact too, but costs a correlated scan per subscriber.
    """
    if connection.features.supports_json_field_contains:
        return Q(**{f"{field_name}__contains": [value]})
    return Q(Contains(Cast(field_name, TextField()), f'"{value}"'))


def _channels(target: Target) -> list[str]:
    return [c for c in CHANNEL_TARGETS if c in target.channels]


def _channel_condition(target: Target, channel: str, prefix: str = "") -> Q:
    """``prefix``: the path to the subscriber when querying from another model."""
    column, verified = (prefix + name for name in CHANNEL_TARGETS[channel])
    condition = _json_list_has(f"{prefix}channels", channel) & ~Q(**{column: ""})
    condition &= Q(**{f"{column}__isnull": False})
    if not target.emergency:
        condition &= Q(**{f"{verified}__isnull": False})
    return condition


def _reachable(target: Target, prefix: str = "") -> Q:
    """Subscriber of the organisation, subscribed, following the topic, reachable on at
    least one of the target's channels (the place condition aside)."""
    any_channel = Q()
    for channel in _channels(target):
        any_channel |= _channel_condition(target, channel, prefix)
    return (
        _json_list_has(f"{prefix}topics", target.topic)
        & any_channel
        & Q(
            **{
                f"{prefix}organisation_id": target.organisation_id,
                f"{prefix}unsubscribed_at__isnull": True,
            }
        )
    )


def _target_addresses(target: Target) -> QuerySet[ZoneMembership, Any]:
    return ZoneMembership.objects.filter(zone_id__in=target.zone_ids).values("address_id")


# SQLite: a target holding less than this share of the organisation's addresses has its
# places listed first; a larger one is found by each subscriber probing its own places.
PLACES_FIRST_SHARE = 0.25


def _places_first(target: Target) -> bool:
    """Whether the audience is found from the target's places (``id IN (places)``) rather
    than by each subscriber probing its own (``EXISTS``, see ``_in_target``).

    PostgreSQL always lists: it hashes the places once (a parallel hash semi-join). SQLite
    builds an index of the places listed, which costs more than one probe per subscriber
    once the target holds a good part of the territory (1.2 s against 0.6 s for 50 zones of
    a million residents, but 0.2 s against 0.6 s for ten hamlets); the whole territory needs
    no address test and is listed from the place index itself."""
    if connection.vendor != "sqlite" or target.whole_territory or not target.zone_ids:
        return True
    qn = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(target.zone_ids))
    with connection.cursor() as cursor:
        # One statement: the target's addresses, and the organisation's.
        cursor.execute(
            f"SELECT (SELECT COUNT(DISTINCT {qn('address_id')}) "  # noqa: S608
            f"FROM {qn(ZoneMembership._meta.db_table)} WHERE {qn('zone_id')} IN ({marks})), "
            f"(SELECT COUNT(*) FROM {qn(Address._meta.db_table)} "
            f"WHERE {qn('organisation_id')} = %s)",
            [*target.zone_ids, target.organisation_id],
        )
        in_target, total = cursor.fetchone()
    return bool(in_target < PLACES_FIRST_SHARE * total)


def _in_target(target: Target, *, places_first: bool | None = None) -> Q | Exists:
    """Subscriber has a place in the target (memberships joined, no geometry).

    ``places_first`` (default: ``_places_first``): ``id IN (places of the target)``;
    otherwise ``EXISTS`` probing the subscriber's own places (one or two) through the
    subscriber index, the address compared as ``address_id + 0`` or SQLite would walk the
    (address, subscriber) index once per address of the target for each subscriber.
    """
    if places_first is None:
        places_first = _places_first(target)
    if places_first:
        places = Place.objects.all()
        if not target.whole_territory:
            places = places.filter(address_id__in=_target_addresses(target))
        return Q(pk__in=places.values("subscriber_id"))
    probe = Place.objects.filter(subscriber_id=OuterRef("pk"))
    if not target.whole_territory:
        probe = probe.annotate(at_address=F("address_id") + 0).filter(
            at_address__in=_target_addresses(target)
        )
    return Exists(probe)


def _audience_queryset(
    target: Target, *, places: bool = True, places_first: bool | None = None
) -> QuerySet[Subscriber] | None:
    """Subscribers of the audience, each with one boolean column ``to_<channel>`` and the raw
    target ``target_<channel>`` per channel; None when nobody can be reached (no usable
    channel, or no zone and not the whole territory). ``places=False``: without the place
    condition, for a caller applying it in its own SQL; ``places_first``: see
    ``_in_target``."""
    channels = _channels(target)
    if not channels or (not target.whole_territory and not target.zone_ids):
        return None
    conditions = {c: _channel_condition(target, c) for c in channels}
    queryset = Subscriber.objects.filter(_reachable(target))
    if places:
        queryset = queryset.filter(_in_target(target, places_first=places_first))
    return queryset.annotate(
        **{
            f"to_{c}": ExpressionWrapper(condition, output_field=BooleanField())
            for c, condition in conditions.items()
        },
        # Raw column text: skips PhoneNumberField's per-row parsing.
        **{
            f"target_{c}": ExpressionWrapper(F(CHANNEL_TARGETS[c][0]), output_field=CharField())
            for c in channels
        },
    )


def audience_select_sql(
    target: Target, channel: str, *, after_id: int, up_to_id: int
) -> tuple[str, tuple[object, ...]] | None:
    """SQL selecting ``(subscriber_id, target, language)`` of the audience on ``channel``
    for subscriber ids in ``(after_id, up_to_id]``, for an ``INSERT … SELECT`` that writes
    deliveries without a row ever reaching Python; None when nobody can be reached."""
    # A range of ids: on SQLite each subscriber of the range probes its own places, instead
    # of listing every place of the target again for each range.
    queryset = _audience_queryset(target, places_first=connection.vendor != "sqlite")
    if queryset is None or channel not in _channels(target):
        return None
    rows = (
        queryset.filter(**{f"to_{channel}": True}, pk__gt=after_id, pk__lte=up_to_id)
        .order_by()
        .annotate(
            out_subscriber=F("pk"),
            out_target=ExpressionWrapper(F(CHANNEL_TARGETS[channel][0]), output_field=CharField()),
            out_language=F("language"),
        )
        .values("out_subscriber", "out_target", "out_language")
    )
    sql, params = rows.query.sql_with_params()
    return sql, tuple(params)


def target_audience(target: Target) -> Iterator[Recipient]:
    queryset = _audience_queryset(target)
    if queryset is None:
        return
    channels = _channels(target)
    columns = ["pk", "language"]
    for c in channels:
        columns += [f"to_{c}", f"target_{c}"]
    # No ORDER BY: on PostgreSQL a server-side cursor plans for the first 10 % of the rows
    # (cursor_tuple_fraction), and an ordered scan of the primary key probing the target for
    # each subscriber costs three times the unordered hash join. Nobody needs the order.
    sql, params = queryset.order_by().values_list(*columns).query.sql_with_params()
    # The compiled query through a chunked (server-side on PostgreSQL) cursor: the same
    # streaming as ``.iterator()`` without Django's per-row converters (about 12% less CPU at
    # a million rows). Booleans come back as 0/1 on SQLite, hence truthiness only.
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK_SIZE):
            for row in rows:
                subscriber_id, language = row[0], row[1] or "fr"
                for index, channel in enumerate(channels):
                    if row[2 + 2 * index]:
                        yield Recipient(
                            subscriber_id=subscriber_id,
                            channel=channel,
                            target=str(row[3 + 2 * index]),
                            language=language,
                        )


def alert_audience(*, alert: Alert) -> Iterator[Recipient]:
    """Stream the recipients of ``alert``: one per (subscriber, channel), in no set order.

    Memory stays bounded by ``CHUNK_SIZE`` rows whatever the audience. A subscriber with
    several places in the target appears once per channel.
    """
    return target_audience(Target.of(alert))


def target_audience_counts(target: Target) -> AudienceCounts:
    """Persons, messages per channel and language, and persons per zone, in one statement.

    Whole territory: the audience (a common table expression, SQLite ≥ 3.35, PostgreSQL
    ≥ 12) counted by language and channel.

    Zones: one row per person of the audience, ``pp``, with the number ``n`` of their
    places in the target and the lowest and highest of those addresses (``a1``, ``a2``),
    grouped from the join of the audience with its places in the target. Everything is
    counted from it, never again from the million-row tables:

    - persons, per language and channel: ``pp`` itself;
    - persons per zone: each person with one place counts at that address (``a1``); each
      person with two counts at both (``a1`` and ``a2``) minus once in every zone holding
      both (inclusion–exclusion, a probe of the (address, zone) index); the rare persons
      with three or more places in the target are counted one by one
      (``COUNT(DISTINCT …)`` over their own places only).

    Measured over a million residents and 50 zones (505,000 places in the target), the
    previous statement and this one alternated in one process on a busy shared machine:
    2.6 s → 1.8 s of CPU on SQLite, 3.1 s → 2.3 s on PostgreSQL (a shape over half the
    commune 1.7 → 1.5 s and 1.8 → 1.4 s). The previous one built the audience, then its
    places again, then the persons with several places (a grouping of every place) as
    separate expressions; the grouping per person costs less than that second pass over the
    places (SQLite walks the audience in id order, and groups without sorting).

    The join from the audience to its places starts from the subscribers, each probing its
    own places (one or two) through the (subscriber, address) index, or from the target's
    places on SQLite for a small target (see ``_places_first``); PostgreSQL chooses its
    own plan (a parallel hash join). A person with places in two target zones counts in
    both zones, once in the total. Raw SQL because the ORM can express neither the shared
    expressions nor the joins from places to memberships without the address table between.
    """
    channels = _channels(target)
    by_zone = bool(target.zone_ids) and not target.whole_territory
    queryset = _audience_queryset(target, places=not by_zone, places_first=True)
    if queryset is None:
        return AudienceCounts(
            per_channel={c: 0 for c in channels},
            per_zone={zone_id: 0 for zone_id in target.zone_ids},
            persons=0,
        )
    audience_sql, audience_params = (
        queryset.order_by()
        .annotate(audience_id=F("pk"), audience_language=F("language"))
        .values("audience_id", "audience_language", *(f"to_{c}" for c in channels))
        .query.sql_with_params()
    )
    if by_zone:
        sql, params = _zone_counts_sql(target, channels, audience_sql, list(audience_params))
    else:
        qn = connection.ops.quote_name
        sums = ", ".join(f"SUM(CASE WHEN a.{qn('to_' + c)} THEN 1 ELSE 0 END)" for c in channels)
        language = qn("audience_language")
        sql = (
            f"WITH a AS MATERIALIZED ({audience_sql}) "  # noqa: S608
            f"SELECT 'p', NULL, a.{language}, COUNT(*), {sums} FROM a GROUP BY a.{language}"
        )
        params = list(audience_params)
    persons = 0
    per_language: dict[str, dict[str, int]] = {c: {} for c in channels}
    per_zone: dict[int, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, zone_id, row_language, count, *by_channel in cursor.fetchall():
            if kind == "p":  # persons of one language
                persons += int(count)
                for c, n in zip(channels, by_channel, strict=True):
                    if n:
                        language = row_language or "fr"
                        per_language[c][language] = per_language[c].get(language, 0) + int(n)
            else:  # "z": persons counted in a zone; "c": counted twice there, once too many
                sign = 1 if kind == "z" else -1
                per_zone[int(zone_id)] = per_zone.get(int(zone_id), 0) + sign * int(count)
    return AudienceCounts(
        per_channel={c: sum(per_language[c].values()) for c in channels},
        per_zone={zone_id: per_zone.get(zone_id, 0) for zone_id in target.zone_ids},
        persons=persons,
        per_language=per_language,
    )


def _covering_membership_index() -> str:
    """`` INDEXED BY <the (address, zone) index of memberships>`` on SQLite, or "".

    Joined on the address alone, SQLite picks the single-column address index, and reads
    each membership row for its zone: twice the cost of the (address, zone) index, which
    holds both (0.25 s against 0.13 s for the 58,000 persons with two places among 50
    zones). Looked up by its fields, not by its generated name; without it, no hint."""
    if connection.vendor != "sqlite":
        return ""
    for index in ZoneMembership._meta.indexes:
        if list(index.fields) == ["address", "zone"] and index.name:
            return f" INDEXED BY {connection.ops.quote_name(index.name)}"
    return ""


def _zone_counts_sql(
    target: Target, channels: list[str], audience_sql: str, audience_params: list[Any]
) -> tuple[str, list[Any]]:
    """The statement of ``target_audience_counts`` for a target of zones: rows of
    ``(kind, zone, language, count, *per channel)``: kind "p" per language, "z" and "c"
    per zone."""
    qn = connection.ops.quote_name
    membership = qn(ZoneMembership._meta.db_table)
    place = qn(Place._meta.db_table)
    zone, address, subscriber = qn("zone_id"), qn("address_id"), qn("subscriber_id")
    audience_id, language = qn("audience_id"), qn("audience_language")
    flags = [f"a.{qn('to_' + c)}" for c in channels]
    zone_ids = list(target.zone_ids)
    marks = ", ".join(["%s"] * len(zone_ids))
    sqlite = connection.vendor == "sqlite"
    # SQLite follows the join order written with CROSS JOIN. "+" keeps it from using an
    # index: from the (address, subscriber) index of places, which would be walked once per
    # address of the target for each subscriber; on the zone of the (address, zone) index
    # of memberships, probed once per zone of the target (50 probes per address, 0.2 s)
    # instead of once per address.
    join, plus = ("CROSS JOIN", "+") if sqlite else ("JOIN", "")
    in_zones = f"{plus}m.{zone} IN ({marks})"
    # Only quoted identifiers, placeholders and the ORM's own compiled SQL are interpolated.
    person = (
        f"SELECT a.{audience_id} AS sid, a.{language} AS lang, "
        + "".join(f"{flag} AS f{i}, " for i, flag in enumerate(flags))
        + f"COUNT(*) AS n, MIN(p.{address}) AS a1, MAX(p.{address}) AS a2 "
    )
    if not sqlite:
        tables = [
            f"pp AS MATERIALIZED ({person}"  # noqa: S608
            f"FROM ({audience_sql}) a JOIN {place} p ON p.{subscriber} = a.{audience_id} "
            f"WHERE p.{address} IN (SELECT {address} FROM {membership} m WHERE {in_zones}) "
            f"GROUP BY a.{audience_id}, a.{language}, {', '.join(flags)})"
        ]
        params = [*audience_params, *zone_ids]
    else:
        # The audience in id order, each subscriber probing its own places: grouped per
        # person without a sort. The language and channel columns are SQLite's "bare
        # columns" (taken from any row of the group: they are the subscriber's own), a
        # third cheaper than grouping by them too. A small target first lists its places'
        # subscribers, so that only those are read (see ``_places_first``).
        only = ""
        if _places_first(target):
            only = (
                f"a.{audience_id} IN (SELECT {subscriber} FROM {place} "  # noqa: S608
                f"WHERE {address} IN (SELECT {address} FROM t)) AND "
            )
        tables = [
            f"t AS MATERIALIZED (SELECT DISTINCT {address} FROM {membership} "  # noqa: S608
            f"WHERE {zone} IN ({marks}))",
            f"pp AS MATERIALIZED ({person}FROM ({audience_sql}) a "  # noqa: S608
            f"CROSS JOIN {place} p ON p.{subscriber} = a.{audience_id} "
            f"WHERE {only}+p.{address} IN (SELECT {address} FROM t) GROUP BY a.{audience_id})",
        ]
        params = [*zone_ids, *audience_params]
    sums = ", ".join(f"SUM(CASE WHEN f{i} THEN 1 ELSE 0 END)" for i in range(len(flags)))
    zeros = ", ".join("0" for _c in channels)
    tables.append(
        # Persons with one or two places in the target, counted at each of those addresses.
        "b AS MATERIALIZED (SELECT aid, COUNT(*) AS n FROM (SELECT a1 AS aid FROM pp "
        "WHERE n <= 2 UNION ALL SELECT a2 FROM pp WHERE n = 2) x GROUP BY aid)"
    )
    selects = [
        f"SELECT 'p', NULL, lang, COUNT(*), {sums} FROM pp GROUP BY lang",  # noqa: S608
        f"SELECT 'z', m.{zone}, NULL, SUM(b.n), {zeros} FROM b "  # noqa: S608
        f"{join} {membership} m ON m.{address} = b.aid WHERE {in_zones} GROUP BY m.{zone}",
        # Two places in one zone: counted twice above.
        f"SELECT 'c', m.{zone}, NULL, COUNT(*), {zeros} FROM pp "  # noqa: S608
        f"{join} {membership} m{_covering_membership_index()} ON m.{address} = pp.a1 "
        f"{join} {membership} m2 ON m2.{address} = pp.a2 AND m2.{zone} = m.{zone} "
        f"WHERE pp.n = 2 AND {in_zones} GROUP BY m.{zone}",
        # Three places or more (rare): each person once per zone.
        f"SELECT 'z', m.{zone}, NULL, COUNT(DISTINCT pp.sid), {zeros} FROM pp "  # noqa: S608
        f"{join} {place} p ON p.{subscriber} = pp.sid "
        f"{join} {membership} m ON m.{address} = p.{address} "
        f"WHERE pp.n >= 3 AND {in_zones} GROUP BY m.{zone}",
    ]
    params += zone_ids * 3
    return f"WITH {', '.join(tables)} {' UNION ALL '.join(selects)}", params


def target_channel_languages(target: Target, channel: str) -> dict[str, int]:
    """Recipients of ``target`` on ``channel`` per language ("fr" when none is set): each
    language gets its own SMS, STOP mention included, so the composer prices each. Callers
    that show the counts too read ``AudienceCounts.per_language`` instead of asking twice."""
    return target_audience_counts(target).per_language.get(channel, {})


def alert_audience_counts(*, alert: Alert) -> AudienceCounts:
    """How many messages per channel and language, persons per zone, and persons in total
    (one statement, see ``target_audience_counts``)."""
    return target_audience_counts(Target.of(alert))


def alert_vulnerable_in_target(*, alert: Alert) -> QuerySet[VulnerablePerson]:
    """Registered vulnerable persons whose address lies in the alert's target.

    Whatever ``include_vulnerable`` says: callers decide whether to show the list, and only to
    social agents with 2FA (the registry's own access rules and audit apply to any read).
    """
    persons = VulnerablePerson.objects.filter(organisation_id=alert.organisation_id)
    if alert.whole_territory:
        return persons
    zone_ids = alert.zones.filter(organisation_id=alert.organisation_id).values("pk")
    addresses = ZoneMembership.objects.filter(zone_id__in=zone_ids).values("address_id")
    return persons.filter(address_id__in=addresses)
