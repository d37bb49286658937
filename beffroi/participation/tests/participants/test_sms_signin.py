"""Taking part without an account: a person registered for alerts proves their mobile number
with a code really sent to a loopback SMSC; nobody learns whether a number is registered."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from beffroi.alerts.models import ChannelVerification, Subscriber
from beffroi.alerts.tests.factories import (
    RunOnCommit,
    gateways,
    make_address,
    make_subscriber,
    sent,
)
from beffroi.core.ratelimit import rate_hit
from beffroi.messaging.testing import SmscServer, SmtpServer
from beffroi.participation.access import SMS_PARTICIPANT_SESSION_KEY
from beffroi.participation.models import Participant
from beffroi.testing import Cast

__all__ = ["gateways", "sent"]

Gateways = tuple[SmtpServer, SmscServer]
NUMBER = "+33612345678"
SMS_URL = reverse("participation_participants:sms")
CODE_URL = reverse("participation_participants:sms_code")


def registered(cast: Cast, **fields: Any) -> Subscriber:
    home = make_address(cast.org, 4.0, 45.0)
    fields.setdefault("sms", NUMBER)
    return make_subscriber(cast.org, home, full_name="Jeanne Durand", **fields)


def _code(smsc: SmscServer) -> str:
    match = re.search(r"\b(\d{6})\b", smsc.accepted[-1].text)
    assert match is not None
    return match.group(1)


def _errors(response: Any) -> list[str]:
    form = response.context["form"]
    return [str(e) for errors in form.errors.values() for e in errors]


def test_it_signs_in_with_the_code_received_by_sms(
    client: Client, cast: Cast, sent: RunOnCommit, gateways: Gateways
) -> None:
    subscriber = registered(cast)
    with sent():
        response = client.post(SMS_URL, {"number": "06 12 34 56 78", "next": "/participer/"})
    assert response.status_code == 302
    assert response["Location"] == f"{CODE_URL}?next=%2Fparticiper%2F"
    smsc = gateways[1]
    [sms] = smsc.accepted
    assert sms.destination == "33612345678"
    # Said as what it is for: taking part, not registering for alerts.
    assert "votre code pour participer" in sms.text and "inscription aux alertes" not in sms.text
    verification = ChannelVerification.objects.get(subscriber=subscriber)
    assert verification.code_hash and _code(smsc) not in verification.code_hash
    response = client.post(CODE_URL, {"code": _code(smsc), "next": "/participer/"})
    assert response.status_code == 302
    assert response["Location"] == "/participer/"
    participant = Participant.objects.get(subscriber=subscriber)
    assert participant.user_id is None and participant.display_name == "Jeanne D."
    assert client.session[SMS_PARTICIPANT_SESSION_KEY] == participant.pk
    page = client.get(reverse("participation_participants:profile"))
    assert page.status_code == 200
    assert page.context["participant"] == participant


def test_it_answers_an_unknown_number_as_a_registered_one(
    client: Client, cast: Cast, sent: RunOnCommit, gateways: Gateways
) -> None:
    registered(cast)
    other = Client()
    with sent():
        known = client.post(SMS_URL, {"number": NUMBER}, follow=True)
        unknown = other.post(SMS_URL, {"number": "06 99 88 77 66"}, follow=True)
    assert len(gateways[1].accepted) == 1  # only the registered number got an SMS
    assert known.redirect_chain == [(CODE_URL, 302)]
    assert unknown.redirect_chain == [(CODE_URL, 302)]
    assert [str(m) for m in known.context["messages"]] == [
        str(m) for m in unknown.context["messages"]
    ]
    wrong_known = client.post(CODE_URL, {"code": "000000"})
    wrong_unknown = other.post(CODE_URL, {"code": "000000"})
    assert _errors(wrong_known) == _errors(wrong_unknown)
    assert _errors(wrong_unknown) == ["This code is not correct: 4 attempts left."]
    # A second request within the minute: the same refusal for both.
    again_known = client.post(SMS_URL, {"number": NUMBER})
    again_unknown = other.post(SMS_URL, {"number": "06 99 88 77 66"})
    assert _errors(again_known) == _errors(again_unknown)
    assert "less than a minute" in _errors(again_known)[0]
    assert SMS_PARTICIPANT_SESSION_KEY not in other.session


def test_it_limits_wrong_codes_to_five(
    client: Client, cast: Cast, sent: RunOnCommit, gateways: Gateways
) -> None:
    registered(cast)
    with sent():
        client.post(SMS_URL, {"number": NUMBER})
    right = _code(gateways[1])
    wrong = "111111" if right != "111111" else "222222"
    for left in (4, 3, 2, 1):
        response = client.post(CODE_URL, {"code": wrong})
        assert _errors(response) == [f"This code is not correct: {left} attempts left."]
    assert _errors(client.post(CODE_URL, {"code": wrong})) == [
        "Too many wrong codes: ask for a new one."
    ]
    # Even the right code is refused now.
    assert _errors(client.post(CODE_URL, {"code": right})) == [
        "Too many wrong codes: ask for a new one."
    ]
    assert SMS_PARTICIPANT_SESSION_KEY not in client.session
    assert not Participant.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [{"unsubscribed": True}, {"verified": False}, {"places": False}],
    ids=["unsubscribed", "unverified", "no place"],
)
def test_it_sends_nothing_to_a_number_that_may_not_take_part(
    client: Client, cast: Cast, sent: RunOnCommit, gateways: Gateways, fields: dict[str, Any]
) -> None:
    if fields.pop("places", True):
        registered(cast, **fields)
    else:
        make_subscriber(cast.org, sms=NUMBER)
    with sent():
        response = client.post(SMS_URL, {"number": NUMBER})
    assert response.status_code == 302
    assert gateways[1].accepted == []
    assert not ChannelVerification.objects.exists()


def test_it_refuses_a_landline_and_counts_per_number_limits(
    client: Client, cast: Cast, sent: RunOnCommit, gateways: Gateways, settings: Any
) -> None:
    response = client.post(SMS_URL, {"number": "04 75 00 00 01"})
    assert response.status_code == 200 and _errors(response)
    settings.SMS_CODES_PER_NUMBER_PER_HOUR = 1
    registered(cast)
    with sent():
        client.post(SMS_URL, {"number": NUMBER})
    from beffroi.core import ratelimit

    # Past the minute (a later window), the hourly limit of the alerts still holds.
    clock = ratelimit.clock
    ratelimit.clock = lambda: clock() + 61
    try:
        with sent():
            response = client.post(SMS_URL, {"number": NUMBER})
    finally:
        ratelimit.clock = clock
    assert "Too many codes were sent to this number" in _errors(response)[0]
    assert len(gateways[1].accepted) == 1


def test_it_asks_for_a_proof_of_work_when_requests_come_fast(
    client: Client, cast: Cast, settings: Any
) -> None:
    settings.REGISTRATION_CHALLENGE_PER_CLIENT = 1
    rate_hit("participation:sms-signin:client:127.0.0.1", limit=1, window_seconds=600)
    page = client.get(SMS_URL)
    assert page.context["challenge"]
    assert b"data-signup-check" in page.content
    response = client.post(SMS_URL, {"number": NUMBER})
    assert response.status_code == 200
    assert "short computation" in _errors(response)[0]
    assert not ChannelVerification.objects.exists()


def test_it_signs_out_of_the_sms_session(
    client: Client, cast: Cast, sent: RunOnCommit, gateways: Gateways
) -> None:
    registered(cast)
    with sent():
        client.post(SMS_URL, {"number": NUMBER})
    client.post(CODE_URL, {"code": _code(gateways[1])})
    assert SMS_PARTICIPANT_SESSION_KEY in client.session
    response = client.post(reverse("participation_participants:sms_signout"))
    assert response.status_code == 302
    assert SMS_PARTICIPANT_SESSION_KEY not in client.session
    profile = client.get(reverse("participation_participants:profile"))
    assert profile.status_code == 302
    assert profile["Location"].startswith(reverse("participation_participants:take_part"))


def test_it_asks_for_a_code_request_before_a_code(client: Client, cast: Cast) -> None:
    response = client.get(CODE_URL)
    assert response.status_code == 302 and response["Location"] == SMS_URL


def test_it_offers_to_resend_the_verification_to_an_unverified_account(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.resident)
    page = client.get(reverse("participation_participants:take_part"))
    assert page.status_code == 200
    assert reverse("accounts:verify_email_resend").encode() in page.content
    assert b"not verified yet" in page.content
    # The SMS way is for people without an account.
    assert client.get(SMS_URL).status_code == 302


def test_it_sends_people_whose_registration_has_an_account_to_log_in(
    client: Client, cast: Cast, sent: RunOnCommit, gateways: Gateways
) -> None:
    subscriber = registered(cast)
    Subscriber.objects.filter(pk=subscriber.pk).update(user=cast.resident)
    with sent():
        client.post(SMS_URL, {"number": NUMBER})
    response = client.post(CODE_URL, {"code": _code(gateways[1])})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert SMS_PARTICIPANT_SESSION_KEY not in client.session
