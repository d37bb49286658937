"""One active registration per e-mail address and per mobile number, even under a race."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from beffroi.alerts.models import Subscriber
from beffroi.alerts.subscriptions import services
from beffroi.alerts.tests.factories import Territory, make_subscriber, territory
from beffroi.testing import at_once

__all__ = ["territory"]


def _details(territory: Territory, **contact: str) -> services.RegistrationDetails:
    channels = [c for c, field in (("email", "email"), ("sms", "sms_number")) if contact.get(field)]
    return services.RegistrationDetails(
        channels=channels,
        topics=["flood"],
        places=[services.PlaceInput(address_id=territory.mairie_12.pk)],
        consent=True,
        full_name="Jeanne Martin",
        **contact,
    )


# SQLite serialises writers (the test database even refuses a second one at once): the race
# is only real, and only tested with threads, on PostgreSQL; the simulated race below runs on
# both.
concurrent = pytest.mark.skipif(
    connection.vendor == "sqlite", reason="SQLite runs one writer at a time"
)


@concurrent
@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_subscriber_when_agents_register_the_same_residentat_once(
    territory: Territory,
) -> None:
    cast = territory.cast
    agents = [cast.front_desk, cast.social_agent, cast.administrator]

    def register(i: int) -> Any:
        email = ["jeanne@example.org", "Jeanne@Example.org", "JEANNE@example.org"][i]
        return services.subscriber_register_by_agent(
            organisation=cast.org,
            agent=agents[i],
            details=_details(territory, email=email, sms_number=f"06 12 34 56 7{i}"),
        )

    results = at_once(3, register)
    assert Subscriber.objects.filter(email__iexact="jeanne@example.org").count() == 1
    created = [r for r in results if isinstance(r, services.Registration)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(created) == 1 and len(refused) == 2, results
    for error in refused:
        assert error.message_dict["email"] == [
            "A resident is already registered with this e-mail address."
        ]


@concurrent
@pytest.mark.django_db(transaction=True)
def test_it_answers_racing_anonymous_registrations_as_duplicates(territory: Territory) -> None:
    cast = territory.cast

    def register(i: int) -> Any:
        return services.subscriber_register_anonymous(
            organisation=cast.org, details=_details(territory, sms_number="06 12 34 56 78")
        )

    results = at_once(3, register)
    assert all(isinstance(r, services.Registration) for r in results), results
    assert sorted(r.created for r in results) == [False, False, True]
    assert Subscriber.objects.filter(sms_number="+33612345678").count() == 1


def test_it_refuses_the_loser_of_a_race_the_checks_did_not_see(
    territory: Territory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What each racer saw: nobody registered yet, though the other has just written the row.
    cast = territory.cast
    make_subscriber(cast.org, email="jeanne@example.org")
    real_taken = services._taken
    checks: list[int] = []

    def first_check_sees_nothing(*args: Any, **kwargs: Any) -> dict[str, list[str]]:
        checks.append(1)
        return {} if len(checks) == 1 else real_taken(*args, **kwargs)

    monkeypatch.setattr(services, "_taken", first_check_sees_nothing)
    with pytest.raises(ValidationError) as caught:
        services.subscriber_register_by_agent(
            organisation=cast.org,
            agent=cast.front_desk,
            details=_details(territory, email="JEANNE@example.org"),
        )
    assert caught.value.message_dict == {
        "email": ["A resident is already registered with this e-mail address."]
    }
    assert Subscriber.objects.count() == 1


def test_it_tells_an_agent_the_resident_is_already_registered(territory: Territory) -> None:
    cast = territory.cast
    make_subscriber(cast.org, email="jeanne@example.org", sms="+33612345678")
    with pytest.raises(ValidationError) as caught:
        services.subscriber_register_by_agent(
            organisation=cast.org,
            agent=cast.front_desk,
            details=_details(territory, email="", sms_number="06 12 34 56 78"),
        )
    assert caught.value.message_dict == {
        "sms_number": ["A resident is already registered with this mobile number."]
    }
    assert Subscriber.objects.count() == 1


def test_it_lets_an_unsubscribed_resident_register_again(territory: Territory) -> None:
    cast = territory.cast
    make_subscriber(cast.org, email="jeanne@example.org", unsubscribed=True)
    result = services.subscriber_register_anonymous(
        organisation=cast.org, details=_details(territory, email="jeanne@example.org")
    )
    assert result.created
    assert Subscriber.objects.filter(email="jeanne@example.org").count() == 2


def test_it_refuses_a_change_to_another_residents_address(territory: Territory) -> None:
    cast = territory.cast
    make_subscriber(cast.org, email="jeanne@example.org", channels=("email",))
    other = make_subscriber(cast.org, email="paul@example.org", channels=("email",))
    with pytest.raises(ValidationError) as caught:
        services.subscriber_update(subscriber=other, email="Jeanne@example.org")
    assert "email" in caught.value.message_dict
    other.refresh_from_db()
    assert other.email == "paul@example.org"
