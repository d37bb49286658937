from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from beffroi.alerts.audience import (
    Recipient,
    alert_audience,
    alert_audience_counts,
    alert_vulnerable_in_target,
    is_emergency,
)
from beffroi.alerts.models import Alert, VulnerablePerson
from beffroi.alerts.tests.factories import (
    make_address,
    make_alert,
    make_subscriber,
    make_zone,
)
from beffroi.territory.models import Address
from beffroi.testing import Cast

pytestmark = pytest.mark.django_db


Geo = dict[str, Any]


@pytest.fixture
def geo(cast: Cast) -> Geo:
    """Two hamlets side by side, an address in each and one outside both."""
    a_in_north = make_address(cast.org, 4.005, 45.005, "Nord")
    a_in_south = make_address(cast.org, 4.005, 44.985, "Sud")
    a_outside = make_address(cast.org, 4.2, 45.2, "Loin")
    north = make_zone(cast.org, "Le Nord", 4.0, 45.0)
    south = make_zone(cast.org, "Le Sud", 4.0, 44.98)
    return {
        "north": north,
        "south": south,
        "a_north": a_in_north,
        "a_south": a_in_south,
        "a_outside": a_outside,
    }


def _pairs(alert: Alert) -> set[tuple[int, str, str]]:
    return {(r.subscriber_id, r.channel, r.target) for r in alert_audience(alert=alert)}


def test_it_targets_the_union_of_zones(cast: Cast, geo: Geo) -> None:
    n = make_subscriber(cast.org, geo["a_north"], email="n@example.org")
    s = make_subscriber(cast.org, geo["a_south"], email="s@example.org")
    make_subscriber(cast.org, geo["a_outside"], email="far@example.org")
    alert = make_alert(cast.org, cast.alert_author, geo["north"], geo["south"])
    assert _pairs(alert) == {
        (n.pk, "email", "n@example.org"),
        (s.pk, "email", "s@example.org"),
    }
    only_north = make_alert(cast.org, cast.alert_author, geo["north"])
    assert _pairs(only_north) == {(n.pk, "email", "n@example.org")}


def test_it_targets_every_place_for_the_whole_territory(cast: Cast, geo: Geo) -> None:
    far = make_subscriber(cast.org, geo["a_outside"], email="far@example.org")
    make_subscriber(cast.org, email="noplace@example.org")
    alert = make_alert(cast.org, cast.alert_author, whole_territory=True)
    assert _pairs(alert) == {(far.pk, "email", "far@example.org")}


def test_it_filters_on_topic(cast: Cast, geo: Geo) -> None:
    make_subscriber(cast.org, geo["a_north"], email="heat@example.org", topics=("heat",))
    cut = make_subscriber(
        cast.org, geo["a_north"], email="cut@example.org", topics=("water_cut", "heat")
    )
    alert = make_alert(cast.org, cast.alert_author, geo["north"], topic="water_cut")
    assert _pairs(alert) == {(cut.pk, "email", "cut@example.org")}
    # "cut" alone must not match "water_cut" nor "power_cut" in the serialised list.
    make_subscriber(cast.org, geo["a_north"], email="p@example.org", topics=("power_cut",))
    assert {r.subscriber_id for r in alert_audience(alert=alert)} == {cut.pk}


def test_it_crosses_alert_and_subscriber_channels(cast: Cast, geo: Geo) -> None:
    both = make_subscriber(
        cast.org, geo["a_north"], email="b@example.org", sms="+33612345678", language="en"
    )
    sms_only = make_subscriber(
        cast.org, geo["a_north"], email="x@example.org", sms="+33612345679", channels=("sms",)
    )
    make_subscriber(cast.org, geo["a_north"], channels=("sms",), email="nonumber@example.org")
    alert = make_alert(cast.org, cast.alert_author, geo["north"], channels=["email", "sms"])
    recipients = set(alert_audience(alert=alert))
    assert recipients == {
        Recipient(both.pk, "email", "b@example.org", "en"),
        Recipient(both.pk, "sms", "+33612345678", "en"),
        Recipient(sms_only.pk, "sms", "+33612345679", "fr"),
    }
    sms_alert = make_alert(cast.org, cast.alert_author, geo["north"], channels=["sms"])
    assert {r.channel for r in alert_audience(alert=sms_alert)} == {"sms"}


def test_it_requires_verified_channels_except_in_an_emergency(cast: Cast, geo: Geo) -> None:
    unverified = make_subscriber(
        cast.org, geo["a_north"], sms="+33612345678", channels=("sms",), verified=False
    )
    routine = make_alert(cast.org, cast.alert_author, geo["north"], channels=["sms"])
    assert not is_emergency(routine)
    assert _pairs(routine) == set()
    emergency = make_alert(
        cast.org,
        cast.alert_author,
        geo["north"],
        channels=["sms"],
        urgency="Immediate",
        severity="Extreme",
    )
    assert is_emergency(emergency)
    assert _pairs(emergency) == {(unverified.pk, "sms", "+33612345678")}
    exercise = make_alert(
        cast.org,
        cast.alert_author,
        geo["north"],
        channels=["sms"],
        urgency="Immediate",
        severity="Severe",
        cap_status="Exercise",
    )
    assert not is_emergency(exercise)
    assert _pairs(exercise) == set()


def test_it_excludes_unsubscribed_and_other_organisations(cast: Cast, geo: Geo) -> None:
    make_subscriber(cast.org, geo["a_north"], email="gone@example.org", unsubscribed=True)
    other_address = make_address(cast.other_org, 4.005, 45.005)
    make_subscriber(cast.other_org, other_address, email="other@example.org")
    alert = make_alert(cast.org, cast.alert_author, geo["north"], whole_territory=True)
    assert _pairs(alert) == set()


def test_it_lists_a_person_with_several_places_once(cast: Cast, geo: Geo) -> None:
    extra = make_address(cast.org, 4.006, 45.006, "Nord bis")
    from beffroi.territory.services import zone_memberships_refresh

    zone_memberships_refresh(zone=geo["north"])
    many = make_subscriber(
        cast.org, geo["a_north"], extra, geo["a_south"], email="m@example.org", sms="+33612345678"
    )
    alert = make_alert(cast.org, cast.alert_author, geo["north"], geo["south"])
    recipients = list(alert_audience(alert=alert))
    assert sorted((r.subscriber_id, r.channel) for r in recipients) == [
        (many.pk, "email"),
        (many.pk, "sms"),
    ]
    counts = alert_audience_counts(alert=alert)
    assert counts.persons == 1
    assert counts.per_channel == {"email": 1, "sms": 1}
    assert counts.per_zone == {geo["north"].pk: 1, geo["south"].pk: 1}


def test_it_counts_per_channel_and_zone(cast: Cast, geo: Geo) -> None:
    make_subscriber(cast.org, geo["a_north"], email="a@example.org", sms="+33612345601")
    make_subscriber(cast.org, geo["a_north"], email="b@example.org")
    make_subscriber(cast.org, geo["a_south"], sms="+33612345602", channels=("sms",))
    alert = make_alert(cast.org, cast.alert_author, geo["north"], geo["south"])
    counts = alert_audience_counts(alert=alert)
    assert counts.per_channel == {"email": 2, "sms": 2}
    assert counts.per_zone == {geo["north"].pk: 2, geo["south"].pk: 1}
    assert counts.persons == 3
    assert counts.messages == 4
    assert len(list(alert_audience(alert=alert))) == counts.messages


def test_it_has_no_audience_without_zone_or_channel(cast: Cast, geo: Geo) -> None:
    make_subscriber(cast.org, geo["a_north"], email="a@example.org")
    no_zone = make_alert(cast.org, cast.alert_author, whole_territory=False)
    assert list(alert_audience(alert=no_zone)) == []
    assert alert_audience_counts(alert=no_zone).persons == 0
    no_channel = make_alert(cast.org, cast.alert_author, geo["north"], channels=[])
    assert list(alert_audience(alert=no_channel)) == []


def test_it_streams_the_audience_in_one_query(cast: Cast, geo: Geo) -> None:
    for i in range(30):
        make_subscriber(cast.org, geo["a_north"], email=f"s{i}@example.org")
    alert = make_alert(cast.org, cast.alert_author, geo["north"])
    with CaptureQueriesContext(connection) as queries:
        recipients = list(alert_audience(alert=alert))
    assert len(recipients) == 30
    # the zone check and the streamed select; never one query per subscriber
    assert len(queries) <= 3


def test_it_finds_vulnerable_persons_in_the_target(cast: Cast, geo: Geo) -> None:
    def person(address: Address, name: str) -> VulnerablePerson:
        return VulnerablePerson.objects.create(
            organisation=cast.org,
            last_name=name,
            first_name="A",
            birth_date="1940-01-01",
            situation="elderly",
            address=address,
            requested_on=timezone.localdate(),
            last_confirmed_on=timezone.localdate(),
            consent_at=timezone.now(),
        )

    inside = person(geo["a_north"], "Dedans")
    person(geo["a_outside"], "Dehors")
    alert = make_alert(cast.org, cast.alert_author, geo["north"])
    assert list(alert_vulnerable_in_target(alert=alert)) == [inside]
    whole = make_alert(cast.org, cast.alert_author, whole_territory=True)
    assert alert_vulnerable_in_target(alert=whole).count() == 2


def test_it_matches_whole_list_elements_only(cast: Cast, geo: Geo) -> None:
    from beffroi.alerts.audience import _json_list_has
    from beffroi.alerts.models import Subscriber

    make_subscriber(cast.org, geo["a_north"], email="w@example.org", topics=("water_cut",))
    assert not Subscriber.objects.filter(_json_list_has("topics", "cut")).exists()
    assert not Subscriber.objects.filter(_json_list_has("topics", "water")).exists()
    assert Subscriber.objects.filter(_json_list_has("topics", "water_cut")).count() == 1


@pytest.mark.parametrize("share", [0.0, 1.01], ids=["probed", "listed"])
def test_it_counts_each_person_once_per_zone_whatever_their_places(
    cast: Cast, share: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Overlapping zones, residents with one to three places (some of them twice in one
    zone), channels and languages drawn at random: the counts equal those computed by hand
    from the recipients and the zones' memberships, whether the audience is found from the
    target's places or by each subscriber probing its own (on SQLite, by target size)."""
    import random

    from beffroi.alerts import audience

    monkeypatch.setattr(audience, "PLACES_FIRST_SHARE", share)

    from beffroi.alerts.audience import Target, target_audience, target_audience_counts
    from beffroi.territory.models import ZoneMembership

    rng = random.Random(20261205)
    addresses = [
        make_address(cast.org, 4.0 + rng.random() * 0.03, 45.0 + rng.random() * 0.03)
        for _ in range(40)
    ]
    zones = [
        make_zone(cast.org, f"Zone {i}", 4.0 + rng.random() * 0.02, 45.0 + rng.random() * 0.02)
        for i in range(5)
    ]
    places: dict[int, list[int]] = {}
    for i in range(60):
        chosen = rng.sample(addresses, rng.choice((1, 1, 2, 3)))
        channels = rng.choice((("email",), ("sms",), ("email", "sms")))
        subscriber = make_subscriber(
            cast.org,
            *chosen,
            email=f"p{i}@example.org" if "email" in channels else "",
            sms=f"+336123450{i:02d}" if "sms" in channels else "",
            channels=channels,
            topics=rng.choice((("flood",), ("flood", "heat"), ("heat",))),
            language=rng.choice(("fr", "fr", "en")),
            unsubscribed=rng.random() < 0.1,
        )
        places[subscriber.pk] = [a.pk for a in chosen]
    zone_addresses = {
        zone.pk: set(ZoneMembership.objects.filter(zone=zone).values_list("address_id", flat=True))
        for zone in zones
    }
    reached: set[int] = set()
    for picked in (zones[:1], zones[1:4], zones):
        target = Target(
            organisation_id=cast.org.pk,
            topic="flood",
            channels=("email", "sms"),
            zone_ids=tuple(z.pk for z in picked),
            whole_territory=False,
            emergency=False,
        )
        recipients = list(target_audience(target))
        persons = {r.subscriber_id for r in recipients}
        reached |= persons
        counts = target_audience_counts(target)
        assert counts.persons == len(persons)
        assert counts.per_zone == {
            z.pk: len({s for s in persons if zone_addresses[z.pk] & set(places[s])}) for z in picked
        }
        for channel in ("email", "sms"):
            languages: dict[str, int] = {}
            for r in recipients:
                if r.channel == channel:
                    languages[r.language] = languages.get(r.language, 0) + 1
            assert counts.per_channel[channel] == sum(languages.values())
            assert counts.per_language[channel] == languages
    # The cases the per-zone counting treats apart: somebody with two places in one zone
    # (counted once there), and somebody with three places in the target (counted one by
    # one), among the persons actually reached.
    assert any(len(zone_addresses[z.pk] & set(p)) > 1 for z in zones for p in places.values())
    everywhere = set().union(*zone_addresses.values())
    assert any(len(everywhere & set(places[s])) >= 3 for s in reached)
