from __future__ import annotations

import numpy as np
import pytest
from django.db import connection

from beffroi.core.models import AuditEvent
from beffroi.territory.models import Address, Street, Zone, ZoneMembership
from beffroi.territory.selectors import InvalidPoint, zones_at_point
from beffroi.territory.services import (
    ZoneError,
    address_memberships_refresh,
    memberships_rebuild,
    zone_create,
    zone_delete,
    zone_memberships_refresh,
    zone_memberships_refresh_task,
    zone_update,
)
from beffroi.territory.tests.factories import square
from beffroi.testing import Cast


def members(zone: Zone) -> set[str]:
    return set(zone.memberships.values_list("address__ban_id", flat=True))


def test_it_computes_memberships_on_create_boundary_included(bourg: Zone, addresses: Cast) -> None:
    assert bourg.memberships.count() == 16
    # Number 10 lies exactly on the zone's eastern edge (lon 4.005): covers semantics.
    assert "99001_0010_00010" in members(bourg)
    assert "99001_0010_00011" not in members(bourg)
    event = AuditEvent.objects.get(action="zone.create")
    assert event.target_id == str(bourg.pk)


def test_it_keeps_memberships_current_on_update_and_delete(bourg: Zone, addresses: Cast) -> None:
    narrow = {
        "type": "Polygon",
        "coordinates": [
            [[4.0, 45.0], [4.0016, 45.0], [4.0016, 45.0025], [4.0, 45.0025], [4.0, 45.0]]
        ],
    }
    zone_update(zone=bourg, geometry=narrow)
    bourg.refresh_from_db()
    assert members(bourg) == {"99001_0010_00001", "99001_0010_00002", "99001_0010_00003"}
    assert bourg.max_lon == pytest.approx(4.0016)

    zone_update(zone=bourg, name="Centre")
    assert Zone.objects.get(pk=bourg.pk).name == "Centre"
    assert bourg.memberships.count() == 3

    zone_id = bourg.pk
    zone_delete(zone=bourg)
    assert not Zone.objects.filter(pk=zone_id).exists()
    assert ZoneMembership.objects.count() == 0
    assert list(
        AuditEvent.objects.filter(target_id=str(zone_id))
        .values_list("action", flat=True)
        .order_by("id")
    ) == [
        "zone.create",
        "zone.update",
        "zone.update",
        "zone.delete",
    ]


def test_it_refuses_invalid_zones_and_changes_nothing(bourg: Zone, addresses: Cast) -> None:
    with pytest.raises(ZoneError) as caught:
        zone_create(
            organisation=addresses.org,
            name="le bourg",
            kind="hamlet",
            geometry=square(4.1, 45.1, 0.01),
        )
    assert "name" in caught.value.errors
    with pytest.raises(ZoneError) as caught:
        zone_create(
            organisation=addresses.org,
            name="",
            kind="volcano",
            geometry={"type": "Point", "coordinates": [4, 45]},
        )
    assert set(caught.value.errors) == {"name", "kind", "geometry"}
    with pytest.raises(ZoneError):
        zone_update(
            zone=bourg,
            geometry={
                "type": "Polygon",
                "coordinates": [[[4, 45], [5, 46], [5, 45], [4, 46], [4, 45]]],
            },
        )
    bourg.refresh_from_db()
    assert bourg.max_lon == 4.005 and bourg.memberships.count() == 16
    assert Zone.objects.count() == 1


def test_it_rebuilds_and_refreshes_addresses(bourg: Zone, addresses: Cast) -> None:
    ZoneMembership.objects.all().delete()
    assert memberships_rebuild(organisation=addresses.org) == 16
    Address.objects.filter(ban_id="99001_0010_00001").update(lon=4.9)
    moved = Address.objects.get(ban_id="99001_0010_00001")
    address_memberships_refresh(organisation=addresses.org, address_ids=[moved.pk])
    assert bourg.memberships.count() == 15
    assert zone_memberships_refresh(zone=bourg) == 15


def test_the_task_refreshes_a_zone_by_id(bourg: Zone, addresses: Cast, settings: object) -> None:
    ZoneMembership.objects.all().delete()
    assert zone_memberships_refresh_task.call(bourg.pk) == 16
    assert zone_memberships_refresh_task.call(999_999) == 0


def test_a_deferred_refresh_is_enqueued_on_commit(
    addresses: Cast, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # type: ignore[operator]
        zone = zone_create(
            organisation=addresses.org,
            name="Grand",
            kind="district",
            geometry=square(4.0, 45.0, 0.1),
            refresh_inline=False,
        )
    assert len(callbacks) == 1
    assert zone.memberships.count() == 0  # the worker will compute them


def test_it_finds_the_zones_at_a_point(bourg: Zone, addresses: Cast) -> None:
    flood = zone_create(
        organisation=addresses.org,
        name="Rivière",
        kind="flood",
        geometry={
            "type": "MultiPolygon",
            "coordinates": [square(4.004, 45.004, 0.01)["coordinates"]],
        },
    )
    zone_create(
        organisation=addresses.other_org,
        name="Ailleurs",
        kind="hamlet",
        geometry=square(4.0, 45.0, 0.01),
    )

    assert zones_at_point(organisation=addresses.org, lon=4.001, lat=45.001) == [bourg]
    assert zones_at_point(organisation=addresses.org, lon=4.0045, lat=45.0045) == [flood, bourg]
    assert zones_at_point(organisation=addresses.org, lon=4.005, lat=45.0045) == [
        flood,
        bourg,
    ]  # on the bourg's edge
    assert zones_at_point(organisation=addresses.org, lon=3.0, lat=45.0) == []
    for lon, lat in [(181.0, 45.0), (4.0, -91.0), (float("nan"), 45.0)]:
        with pytest.raises(InvalidPoint):
            zones_at_point(organisation=addresses.org, lon=lon, lat=lat)


def test_it_matches_a_brute_force_count_over_20k_addresses_and_50_zones(cast: Cast) -> None:
    # Correctness at scale; speed is measured by the benchmarks under bench/, not here.
    commune = cast.org.communes.get()
    street = Street.objects.create(
        organisation=cast.org, commune=commune, name="Rue Longue", normalized="rue longue"
    )
    rng = np.random.default_rng(42)
    lons = rng.uniform(4.0, 4.1, 20_000)
    lats = rng.uniform(45.0, 45.1, 20_000)
    # Raw inserts: building 100k model instances would dominate the test's time.
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO territory_address (organisation_id, commune_id, street_id, ban_id,"
            " number, suffix, postcode, locality, lon, lat)"
            " VALUES (%s, %s, %s, '', %s, '', '', '', %s, %s)",
            [
                (cast.org.pk, commune.pk, street.pk, str(i), float(x), float(y))
                for i, (x, y) in enumerate(zip(lons, lats, strict=True))
            ],
        )
    assert Address.objects.count() == 20_000
    zones = []
    for i in range(50):
        zones.append(
            zone_create(
                organisation=cast.org,
                name=f"Z{i}",
                kind="custom",
                geometry=square(4.0 + (i % 10) * 0.01, 45.0 + (i // 10) * 0.02, 0.01),
                refresh_inline=False,
            )
        )
    total = memberships_rebuild(organisation=cast.org)
    expected = sum(
        int(
            (
                (lons >= z.min_lon)
                & (lons <= z.max_lon)
                & (lats >= z.min_lat)
                & (lats <= z.max_lat)
            ).sum()
        )
        for z in zones
    )
    assert total == expected == ZoneMembership.objects.count()

    for zone in zones[:10]:
        zone_memberships_refresh(zone=zone)
    assert ZoneMembership.objects.count() == expected
