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

    The audience ``a`` is a common table expression (SQLite ≥ 3.35, PostgreSQL ≥ 12),
    evaluated once: topic, channel, consent and place conditions. It is counted whole, by
    language and channel; then per zone, without a ``COUNT(DISTINCT …)`` over every
    (place, zone) pair of the audience, which cost 2 s for 50 zones and a million residents.

    - ``ap``: the audience's places in the target (one or two per person);
    - ``b``: how many of them at each address; summed over a zone's addresses, that is the
      zone's persons, except that a person with two places in one zone counts twice;
    - the correction: for persons with several places in the target only (a few percent),
      their places per zone minus their number per zone, subtracted from the sum.

    The audience comes from the target's places (PostgreSQL, or a small target on SQLite),
    or from each subscriber probing its own places (a large target on SQLite): see
    ``_places_first``. Counting a person's places in the target within that probe, to skip
    ``ap`` for those with one, measured slower on SQLite.

    A person with places in two target zones counts in both zones, once in the total. Raw
    SQL because the ORM can express neither the shared expressions nor the joins from places
    to memberships without the address table between.
    """
    channels = _channels(target)
    by_zone = bool(target.zone_ids) and not target.whole_territory
    # Listed (IN) or probed (EXISTS, applied below in SQL): see ``_places_first``.
    listed = not by_zone or _places_first(target)
    queryset = _audience_queryset(target, places=listed, places_first=True)
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
    qn = connection.ops.quote_name
    membership = qn(ZoneMembership._meta.db_table)
    place = qn(Place._meta.db_table)
    zone, address, subscriber = qn("zone_id"), qn("address_id"), qn("subscriber_id")
    audience_id, language = qn("audience_id"), qn("audience_language")
    sums = ", ".join(f"SUM(CASE WHEN a.{qn('to_' + c)} THEN 1 ELSE 0 END)" for c in channels)
    zeros = ", ".join("0" for _c in channels)
    marks = ", ".join(["%s"] * len(target.zone_ids))
    # SQLite follows the join order written with CROSS JOIN (from the audience to its
    # places), and "+" keeps it from walking the (address, subscriber) index instead.
    sqlite = connection.vendor == "sqlite"
    join, plus = ("CROSS JOIN", "+") if sqlite else ("JOIN", "")
    # Only quoted identifiers, placeholders and the ORM's own compiled SQL are interpolated.
    if not by_zone:
        tables = [f"a AS MATERIALIZED ({audience_sql})"]
        params: list[Any] = list(audience_params)
    elif listed:
        # On PostgreSQL, the audience as the ORM writes it (a parallel hash semi-join): a CTE
        # of the target's places feeding it would have no statistics, and be probed row by row.
        tables = [
            f"a AS MATERIALIZED ({audience_sql})",
            f"ap AS MATERIALIZED (SELECT p.{subscriber} AS sid, p.{address} AS aid "  # noqa: S608
            f"FROM a {join} {place} p ON p.{subscriber} = a.{audience_id} "
            f"WHERE {plus}p.{address} IN (SELECT {address} FROM {membership} "
            f"WHERE {zone} IN ({marks})))",
        ]
        params = [*audience_params, *target.zone_ids]
    else:
        tables = [
            f"t AS MATERIALIZED (SELECT DISTINCT {address} FROM {membership} "  # noqa: S608
            f"WHERE {zone} IN ({marks}))",
            f"a AS MATERIALIZED (SELECT * FROM ({audience_sql}) r WHERE EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {place} p WHERE p.{subscriber} = r.{audience_id} "
            f"AND +p.{address} IN (SELECT {address} FROM t)))",
            f"ap AS MATERIALIZED (SELECT p.{subscriber} AS sid, p.{address} AS aid "  # noqa: S608
            f"FROM a CROSS JOIN {place} p ON p.{subscriber} = a.{audience_id} "
            f"WHERE +p.{address} IN (SELECT {address} FROM t))",
        ]
        params = [*target.zone_ids, *audience_params]
    selects = [
        f"SELECT NULL, a.{language}, COUNT(*), {sums} FROM a GROUP BY a.{language}"  # noqa: S608
    ]
    if by_zone:
        tables += [
            "b AS MATERIALIZED (SELECT aid, COUNT(*) AS n FROM ap GROUP BY aid)",
            "multi AS MATERIALIZED (SELECT sid, aid FROM ap WHERE sid IN "
            "(SELECT sid FROM ap GROUP BY sid HAVING COUNT(*) > 1))",
        ]
        selects += [
            f"SELECT m.{zone}, NULL, SUM(b.n), {zeros} "  # noqa: S608
            f"FROM b JOIN {membership} m ON m.{address} = b.aid "
            f"WHERE m.{zone} IN ({marks}) GROUP BY m.{zone}",
            f"SELECT -m.{zone}, NULL, COUNT(*) - COUNT(DISTINCT multi.sid), {zeros} "  # noqa: S608
            f"FROM multi JOIN {membership} m ON m.{address} = multi.aid "
            f"WHERE m.{zone} IN ({marks}) GROUP BY m.{zone}",
        ]
        params += [*target.zone_ids, *target.zone_ids]
    sql = f"WITH {', '.join(tables)} {' UNION ALL '.join(selects)}"
    persons = 0
    per_language: dict[str, dict[str, int]] = {c: {} for c in channels}
    per_zone: dict[int, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for zone_id, row_language, count, *by_channel in cursor.fetchall():
            if zone_id is None:
                persons += int(count)
                for c, n in zip(channels, by_channel, strict=True):
                    if n:
                        key = row_language or "fr"
                        per_language[c][key] = per_language[c].get(key, 0) + int(n)
            elif zone_id > 0:
                per_zone[int(zone_id)] = per_zone.get(int(zone_id), 0) + int(count)
            else:  # persons with several places in that zone, counted once each
                per_zone[-int(zone_id)] = per_zone.get(-int(zone_id), 0) - int(count)
    return AudienceCounts(
        per_channel={c: sum(per_language[c].values()) for c in channels},
        per_zone={zone_id: per_zone.get(zone_id, 0) for zone_id in target.zone_ids},
        persons=persons,
        per_language=per_language,
    )


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
