"""The proof of work asked of anonymous sign-ups when they come too fast: not asked below
the threshold (the form works without JavaScript), asked above it, and verified: a wrong,
expired, forged or reused answer is refused and nothing is registered."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from beffroi.alerts.models import Subscriber
from beffroi.alerts.subscriptions import challenge
from beffroi.alerts.tests.factories import Territory, registration_data, territory

__all__ = ["territory"]

URL = reverse("subscriptions:register")


@pytest.fixture(autouse=True)
def easy(settings: Any) -> None:
    settings.REGISTRATION_CHALLENGE_BITS = 8  # a few hundred hashes: quick to solve here
    settings.REGISTRATION_CHALLENGE_PER_CLIENT = 2
    settings.REGISTRATION_CHALLENGE_PER_ORGANISATION = 0


def _solve(token: str) -> str:
    bits = challenge.challenge_difficulty()
    nonce = 0
    while challenge.leading_zero_bits(token, str(nonce)) < bits:
        nonce += 1
    return str(nonce)


def _wrong(token: str) -> str:
    nonce = 0
    while challenge.leading_zero_bits(token, str(nonce)) >= challenge.challenge_difficulty():
        nonce += 1
    return str(nonce)


def _data(territory: Territory, i: int, **extra: str) -> dict[str, Any]:
    return registration_data(
        address=str(territory.mairie_12.pk),
        email=f"person{i}@example.org",
        sms_number="",
        channels="email",
        **extra,
    )


def _challenge_of(client: Client) -> str:
    body = client.get(URL).content.decode()
    match = re.search(r'name="challenge" value="([^"]+)"', body)
    assert match is not None, "no challenge on the form"
    return match.group(1)


def _busy(client: Client, territory: Territory) -> None:
    """Two sign-ups from this address: the threshold is reached."""
    for i in range(2):
        assert client.post(URL, _data(territory, 100 + i)).status_code == 302


def test_it_asks_nothing_below_the_threshold(client: Client, territory: Territory) -> None:
    body = client.get(URL).content.decode()
    assert 'name="challenge"' not in body
    assert "signup_check.js" not in body
    response = client.post(URL, _data(territory, 1))
    assert response.status_code == 302  # no JavaScript needed
    assert Subscriber.objects.count() == 1


def test_it_asks_for_a_proof_of_work_above_the_threshold(
    client: Client, territory: Territory
) -> None:
    _busy(client, territory)
    body = client.get(URL).content.decode()
    assert "data-signup-check" in body
    assert 'role="status"' in body
    assert re.search(r'<script src="[^"]*alerts/js/signup_check\.js"[^>]*nonce=', body)
    # Without JavaScript: nothing registered, and told why and what else to do.
    response = client.post(URL, _data(territory, 1))
    assert response.status_code == 200
    assert "needs JavaScript" in response.content.decode()
    assert "call the town hall" in response.content.decode()
    assert Subscriber.objects.count() == 2


def test_it_registers_with_a_solved_challenge_once(client: Client, territory: Territory) -> None:
    _busy(client, territory)
    token = _challenge_of(client)
    nonce = _solve(token)
    response = client.post(URL, _data(territory, 1, challenge=token, nonce=nonce))
    assert response.status_code == 302
    assert Subscriber.objects.filter(email="person1@example.org").exists()
    again = client.post(URL, _data(territory, 2, challenge=token, nonce=nonce))
    assert again.status_code == 200
    assert "already used" in again.content.decode()
    assert not Subscriber.objects.filter(email="person2@example.org").exists()


def test_it_refuses_a_wrong_nonce(client: Client, territory: Territory) -> None:
    _busy(client, territory)
    token = _challenge_of(client)
    response = client.post(URL, _data(territory, 1, challenge=token, nonce=_wrong(token)))
    assert response.status_code == 200
    assert "The check of this form failed" in response.content.decode()
    assert not Subscriber.objects.filter(email="person1@example.org").exists()
    # The same challenge, solved, still works: a wrong answer does not burn it.
    solved = client.post(URL, _data(territory, 1, challenge=token, nonce=_solve(token)))
    assert solved.status_code == 302


def test_it_refuses_an_expired_or_forged_challenge(
    client: Client, territory: Territory, monkeypatch: pytest.MonkeyPatch
) -> None:
    _busy(client, territory)
    real = time.time
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: real() - challenge.CHALLENGE_MAX_AGE - 60)
        old = challenge.challenge_issue()
    response = client.post(URL, _data(territory, 1, challenge=old, nonce=_solve(old)))
    assert "The check of this form has expired" in response.content.decode()
    forged = signing.dumps({"r": "0" * 32, "t": int(real()), "b": 8}, salt="another")
    response = client.post(URL, _data(territory, 1, challenge=forged, nonce=_solve(forged)))
    assert "needs JavaScript" in response.content.decode()
    easier = signing.dumps(
        {"r": "1" * 32, "t": int(real()), "b": 1}, salt="beffroi.alerts.registration-challenge"
    )
    response = client.post(URL, _data(territory, 1, challenge=easier, nonce=_wrong(easier)))
    assert "The check of this form failed" in response.content.decode()
    assert not Subscriber.objects.filter(email="person1@example.org").exists()


def test_it_asks_every_address_when_the_organisation_receives_too_many(
    territory: Territory, settings: Any
) -> None:
    settings.REGISTRATION_CHALLENGE_PER_CLIENT = 0
    settings.REGISTRATION_CHALLENGE_PER_ORGANISATION = 3
    for i in range(3):
        sender = Client(REMOTE_ADDR=f"203.0.113.{i + 1}")
        assert sender.post(URL, _data(territory, i)).status_code == 302
    newcomer = Client(REMOTE_ADDR="198.51.100.7")
    assert 'name="challenge"' in newcomer.get(URL).content.decode()
    assert newcomer.post(URL, _data(territory, 9)).status_code == 200
    assert not Subscriber.objects.filter(email="person9@example.org").exists()


def test_it_never_asks_logged_in_residents_nor_agents(
    client: Client, territory: Territory, settings: Any
) -> None:
    settings.REGISTRATION_CHALLENGE_PER_CLIENT = 1
    client.force_login(territory.cast.resident)
    assert 'name="challenge"' not in client.get(URL).content.decode()
