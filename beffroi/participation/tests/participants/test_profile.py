"""The participant profile: public name, year of birth and residence, and the links from
the refusals of ``access.decide`` to it."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from beffroi.alerts.tests.factories import Territory, make_address, territory
from beffroi.participation.access import decide
from beffroi.participation.models import Action, Participant
from beffroi.participation.participants.selectors import refusal_help
from beffroi.participation.tests.factories import make_process, participant, verified
from beffroi.testing import Cast

__all__ = ["territory"]

PROFILE = reverse("participation_participants:profile")
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_it_saves_the_public_name_and_the_year_of_birth(client: Client, cast: Cast) -> None:
    client.force_login(verified(cast.resident))
    response = client.post(PROFILE, {"action": "save", "display_name": XSS, "birth_year": "1984"})
    assert response.status_code == 302
    me = Participant.objects.get(user=cast.resident)
    assert me.display_name == XSS and me.birth_year == 1984
    page = client.get(PROFILE)
    assert XSS.encode() not in page.content
    assert b"&lt;script&gt;" in page.content


def test_it_refuses_an_impossible_year_and_changes_nothing(client: Client, cast: Cast) -> None:
    client.force_login(verified(cast.resident))
    me = participant(cast.resident, cast.org)
    response = client.post(PROFILE, {"action": "save", "display_name": "X", "birth_year": "1850"})
    assert response.status_code == 200
    assert "Enter a year between 1900" in str(response.context["form"].errors)
    me.refresh_from_db()
    assert me.birth_year is None and me.display_name == "Alice M."


def test_it_finds_and_saves_the_residence(client: Client, territory: Territory, cast: Cast) -> None:
    client.force_login(verified(cast.resident))
    page = client.get(PROFILE, {"q": "12 rue de la mairie"})
    ids = [m.address_id for m in page.context["matches"]]
    assert territory.mairie_12.pk in ids
    response = client.post(PROFILE, {"action": "address", "address": territory.mairie_12.pk})
    assert response.status_code == 302
    me = Participant.objects.get(user=cast.resident)
    assert me.address_id == territory.mairie_12.pk
    # Saving the name keeps the residence; removing it removes it.
    client.post(PROFILE, {"action": "save", "display_name": "Alice", "birth_year": ""})
    me.refresh_from_db()
    assert me.address_id == territory.mairie_12.pk and me.display_name == "Alice"
    client.post(PROFILE, {"action": "address", "address": "none"})
    me.refresh_from_db()
    assert me.address_id is None


def test_it_refuses_another_organisations_address(client: Client, cast: Cast) -> None:
    client.force_login(verified(cast.resident))
    elsewhere = make_address(cast.other_org, 4.0, 45.0)
    response = client.post(PROFILE, {"action": "address", "address": elsewhere.pk})
    assert response.status_code == 200
    assert "not one of the commune" in str(response.context["form"].errors)
    assert Participant.objects.get(user=cast.resident).address_id is None


def test_it_sends_anonymous_visitors_to_the_ways_of_taking_part(client: Client, cast: Cast) -> None:
    response = client.get(PROFILE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("participation_participants:take_part"))
    page = client.get(response["Location"])
    assert reverse("participation_participants:sms").encode() in page.content


def test_it_links_refusals_for_age_and_residence_to_the_profile(cast: Cast) -> None:
    process = make_process(cast.org, min_age=16, residents_only=True)
    alice = participant(cast.resident, cast.org)
    decision = decide(alice, process, Action.SUPPORT)
    assert decision.code == "birth_year"
    url, label = refusal_help(decision, next_url="/participer/idees/")
    assert url == f"{PROFILE}?next=%2Fparticiper%2Fidees%2F" and label
    request = RequestFactory().get("/participer/idees/")
    html = render_to_string(
        "participation/participants/_refusal.html", {"decision": decision, "request": request}
    )
    assert f'href="{PROFILE}?next=/participer/idees/"' in html.replace("%2F", "/")
    alice.birth_year = 1980
    alice.save()
    decision = decide(alice, process, Action.SUPPORT)
    assert decision.code == "not_resident"
    assert refusal_help(decision)[0] == PROFILE
    assert refusal_help(decide(None, process, Action.SUPPORT))[0] == reverse(
        "participation_participants:take_part"
    )
