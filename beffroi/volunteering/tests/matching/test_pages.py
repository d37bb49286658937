"""The matching pages: a volunteer's missions, a mission's volunteers for its organisers, and
the invitation (sent through a real SMTP server on loopback, once per volunteer and
mission, limited per organiser per day)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.messaging.testing import smtp_server
from beffroi.territory.models import OrganisationHost
from beffroi.testing import Cast, login_verified
from beffroi.volunteering.matching import services
from beffroi.volunteering.models import Membership, Mission, ReserveMember, VolunteerProfile
from beffroi.volunteering.models.volunteers import MissionInvitation
from beffroi.volunteering.tests.factories import make_association, make_mission, make_profile

pytestmark = pytest.mark.django_db

PAGE = "volunteering_matching:volunteers_for_mission"


def _client(user: object = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)  # type: ignore[arg-type]
    return client


def _mission(cast: Cast, **fields: Any) -> Mission:
    association = make_association(
        cast.org,
        managers=((cast.association_manager, Membership.Role.OWNER, Membership.State.ACTIVE),),
    )
    fields.setdefault("lat", 49.1)
    fields.setdefault("lon", 5.4)
    return make_mission(cast.org, association=association, **fields)


def test_it_lists_the_missions_for_the_volunteer_with_reasons(cast: Cast) -> None:
    mission = _mission(cast, skills=["first_aid"])
    make_profile(cast.org, user=cast.resident, skills=["first_aid"])
    response = _client(cast.resident).get(reverse("volunteering_matching:for_me"))
    html = response.content.decode()
    assert response.status_code == 200
    assert reverse("volunteering_missions:detail", args=[mission.pk]) in html
    assert "first aid" in html and "nobody yet" in html


def test_it_invites_a_resident_without_a_profile_to_create_one(cast: Cast) -> None:
    _mission(cast)
    response = _client(cast.resident).get(reverse("volunteering_matching:for_me"))
    assert response.status_code == 200
    assert reverse("volunteering_volunteers:profile") in response.content.decode()


def test_it_shows_the_ranked_volunteers_to_the_associations_manager(cast: Cast) -> None:
    mission = _mission(cast)
    make_profile(cast.org, "Camille Proche")
    make_profile(cast.org, "Dominique Privé", visibility=VolunteerProfile.Visibility.PRIVATE)
    response = _client(cast.association_manager).get(reverse(PAGE, args=[mission.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Camille Proche" in html and "Dominique" not in html
    assert "no mission this month yet" in html


def test_it_shows_them_to_a_verified_agent(cast: Cast) -> None:
    mission = _mission(cast)
    make_profile(cast.org, "Camille Proche")
    client = Client()
    login_verified(client, cast.administrator)
    assert "Camille Proche" in client.get(reverse(PAGE, args=[mission.pk])).content.decode()


@pytest.mark.parametrize("who", ["resident", "front_desk"])
def test_it_hides_them_from_others(cast: Cast, who: str) -> None:
    mission = _mission(cast)
    profile = make_profile(cast.org, "Camille Proche")
    client = _client(getattr(cast, who))
    assert client.get(reverse(PAGE, args=[mission.pk])).status_code == 404
    invite = reverse("volunteering_matching:invite", args=[mission.pk, profile.pk])
    assert client.post(invite).status_code == 404
    assert not MissionInvitation.objects.exists()


def test_it_answers_404_for_another_organisations_mission(cast: Cast) -> None:
    elsewhere = make_mission(cast.other_org)
    client = Client()
    login_verified(client, cast.administrator)
    assert client.get(reverse(PAGE, args=[elsewhere.pk])).status_code == 404


def test_it_sends_an_invitation_once(cast: Cast, settings: Any) -> None:
    mission = _mission(cast, title="Maraude du samedi")
    profile = make_profile(cast.org, "Camille Proche", email="camille@example.org")
    invite = reverse("volunteering_matching:invite", args=[mission.pk, profile.pk])
    client = _client(cast.association_manager)
    with smtp_server() as smtp:
        settings.ALERT_EMAIL_URL = smtp.url
        response = client.post(invite, {"slot": mission.slots.get().pk})
        assert response.status_code == 302
        again = client.post(invite, follow=True)
        assert len(smtp.received) == 1
        [mail] = smtp.received
    assert mail.rcpt_tos == ["camille@example.org"]
    assert mail.message["Subject"] == "A mission for you: Maraude du samedi"
    body = mail.message.get_body(("plain",))
    assert body is not None
    assert f"/benevolat/missions/{mission.pk}/" in body.get_content()
    assert "already invited" in again.content.decode()
    invitation = MissionInvitation.objects.get()
    assert (invitation.profile, invitation.invited_by, invitation.channel) == (
        profile,
        cast.association_manager,
        "email",
    )


@pytest.mark.parametrize("kind", ["private", "by_phone_private", "paused", "missing"])
def test_it_refuses_a_volunteer_outside_the_recommendations_without_naming_them(
    cast: Cast, settings: Any, kind: str
) -> None:
    mission = _mission(cast)
    if kind == "missing":
        profile_id = VolunteerProfile.objects.order_by("-pk").values_list("pk", flat=True).first()
        profile_id = (profile_id or 0) + 1000
    else:
        profile_id = make_profile(
            cast.org, "Dominique Privé", email="d@example.org",
            visibility=VolunteerProfile.Visibility.PRIVATE
            if kind != "paused" else VolunteerProfile.Visibility.MATCHABLE,
            active=kind != "paused",
            registration_channel=VolunteerProfile.Channel.PHONE
            if kind == "by_phone_private" else VolunteerProfile.Channel.WEB,
        ).pk  # fmt: skip
    with smtp_server() as smtp:
        settings.ALERT_EMAIL_URL = smtp.url
        response = _client(cast.association_manager).post(
            reverse("volunteering_matching:invite", args=[mission.pk, profile_id]), follow=True
        )
        assert smtp.received == []
    html = response.content.decode()
    # The same answer whether the id exists or not, and no name.
    assert response.status_code == 200
    assert "This mission cannot be proposed to this volunteer." in html
    assert "Dominique" not in html
    assert not MissionInvitation.objects.exists()


def test_it_refuses_another_organisations_volunteer_like_a_missing_one(cast: Cast) -> None:
    mission = _mission(cast)
    elsewhere = make_profile(cast.other_org, "Eloïse Ailleurs", email="e@example.org")
    response = _client(cast.association_manager).post(
        reverse("volunteering_matching:invite", args=[mission.pk, elsewhere.pk]), follow=True
    )
    html = response.content.decode()
    assert "This mission cannot be proposed to this volunteer." in html
    assert "Eloïse" not in html
    assert not MissionInvitation.objects.exists()


def _reservist(cast: Cast, name: str) -> VolunteerProfile:
    profile = make_profile(cast.org, name)
    today = timezone.localdate()
    ReserveMember.objects.create(
        organisation=cast.org, profile=profile, decision_reference="A-1",
        decision_date=today - timedelta(days=30), engaged_from=today - timedelta(days=30),
        engaged_until=today + timedelta(days=365),
    )  # fmt: skip
    return profile


@pytest.mark.parametrize("who", ["association_manager", "participation_manager"])
def test_it_hides_the_reserve_membership_from_outside_the_crisis_cell(cast: Cast, who: str) -> None:
    mission = _mission(cast)
    _reservist(cast, "Romain Réserviste")
    client = Client()
    login_verified(client, getattr(cast, who))
    response = client.get(reverse(PAGE, args=[mission.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Romain Réserviste" in html
    assert "reservist" not in html
    assert ReserveMember.objects.count() == 1


def test_it_shows_the_reserve_membership_to_the_crisis_cell(cast: Cast) -> None:
    mission = _mission(cast)
    _reservist(cast, "Romain Réserviste")
    client = Client()
    login_verified(client, cast.administrator)  # an agent who is in the crisis cell too
    html = client.get(reverse(PAGE, args=[mission.pk])).content.decode()
    assert '<span class="badge">reservist</span>' in html


def test_it_links_the_invitation_to_the_public_host(cast: Cast, settings: Any) -> None:
    OrganisationHost.objects.filter(organisation=cast.org).update(is_primary=False)
    OrganisationHost.objects.create(
        organisation=cast.org, host="www.valmont.example", is_primary=True
    )
    settings.PUBLIC_URL_SCHEME, settings.PUBLIC_URL_PORT = "https", None
    mission = _mission(cast)
    profile = make_profile(cast.org, "Camille Proche", email="camille@example.org")
    with smtp_server() as smtp:
        settings.ALERT_EMAIL_URL = smtp.url
        response = _client(cast.association_manager).post(
            reverse("volunteering_matching:invite", args=[mission.pk, profile.pk])
        )
        [mail] = smtp.received
    assert response.status_code == 302
    body = mail.message.get_body(("plain",))
    assert body is not None
    link = "https://www.valmont.example" + reverse(
        "volunteering_missions:detail", args=[mission.pk]
    )
    assert link in body.get_content()
    assert "testserver" not in body.get_content()
    assert MissionInvitation.objects.get().profile == profile


def test_it_limits_the_invitations_of_an_organiser_per_day(
    cast: Cast, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "INVITES_PER_DAY", 1)
    mission = _mission(cast)
    first = make_profile(cast.org, "Un", email="un@example.org")
    second = make_profile(cast.org, "Deux", email="deux@example.org")
    client = _client(cast.association_manager)
    with smtp_server() as smtp:
        settings.ALERT_EMAIL_URL = smtp.url
        client.post(reverse("volunteering_matching:invite", args=[mission.pk, first.pk]))
        response = client.post(
            reverse("volunteering_matching:invite", args=[mission.pk, second.pk]), follow=True
        )
        assert len(smtp.received) == 1
    assert "the most a day" in response.content.decode()
    assert list(MissionInvitation.objects.values_list("profile_id", flat=True)) == [first.pk]


def test_it_ranks_for_the_slot_chosen(cast: Cast) -> None:
    mission = _mission(cast, slots=2)
    first, second = mission.slots.all()
    applied = make_profile(cast.org, "Déjà inscrite")
    from beffroi.volunteering.models import Application

    Application.objects.create(slot=second, profile=applied)
    client = _client(cast.association_manager)
    on_first = client.get(reverse(PAGE, args=[mission.pk]), {"slot": first.pk})
    on_second = client.get(reverse(PAGE, args=[mission.pk]), {"slot": second.pk})
    assert "Déjà inscrite" in on_first.content.decode()
    assert "Déjà inscrite" not in on_second.content.decode()
