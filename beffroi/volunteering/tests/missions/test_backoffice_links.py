"""Every link of the back office's mission page opens for every role that sees the page:
community life and the crisis cell run the commune's missions (and may correct any), so
both open its applications and its recommended volunteers, from the back office and from
the mission's public page."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from beffroi.accounts.models import User
from beffroi.testing import Cast, login_verified
from beffroi.volunteering.applications.services import application_apply
from beffroi.volunteering.models import Application, Mission
from beffroi.volunteering.tests.factories import make_association, make_mission, make_profile

pytestmark = pytest.mark.django_db
HREF = re.compile(r'href="(/[^"#?]*)[^"]*"')


def _verified(user: User) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def _links(content: str) -> set[str]:
    """The volunteering pages a page links to (the site's menus are tested elsewhere)."""
    return {href for href in HREF.findall(content) if "/benevolat/" in href}


def _roles(cast: Cast) -> dict[str, User]:
    return {
        "community life": cast.participation_manager,
        "administrator": cast.administrator,
        "crisis cell": cast.alert_approver,
    }


@pytest.fixture
def missions(cast: Cast) -> dict[str, Mission]:
    comite = make_association(
        cast.org, "Comité des fêtes", managers=((cast.association_manager, "owner", "active"),)
    )
    commune = make_mission(cast.org, "Sacs de sable", slots=2)
    draft = make_mission(cast.org, "Veille crue", status=Mission.Status.DRAFT)
    theirs = make_mission(cast.org, "Brocante", association=comite)
    volunteer = make_profile(cast.org, "Alice Martin", user=cast.resident)
    application_apply(slot=commune.slots.order_by("starts_at").first(), profile=volunteer)
    return {"commune": commune, "draft": draft, "association": theirs}


def test_every_link_of_the_backoffice_mission_page_opens_for_every_role_that_sees_it(
    cast: Cast, missions: dict[str, Mission]
) -> None:
    for role, user in _roles(cast).items():
        client = _verified(user)
        for key, mission in missions.items():
            manage = reverse("volunteering_missions_backoffice:manage", args=[mission.pk])
            page = client.get(manage)
            assert page.status_code == 200, (role, key)
            links = _links(page.content.decode())
            applications = reverse("volunteering_applications:organiser_mission", args=[mission.pk])
            recommended = reverse("volunteering_matching:volunteers_for_mission", args=[mission.pk])
            assert {applications, recommended} <= links, (role, key)
            for link in sorted(links):
                assert client.get(link).status_code == 200, (role, key, link)


def test_the_crisis_cell_answers_the_applications_of_a_commune_mission(
    cast: Cast, missions: dict[str, Mission]
) -> None:
    client = _verified(cast.alert_approver)
    application = Application.objects.get(slot__mission=missions["commune"])
    response = client.post(reverse("volunteering_applications:accept", args=[application.pk]))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == Application.State.ACCEPTED
    page = client.get(
        reverse("volunteering_applications:organiser_mission", args=[missions["commune"].pk])
    )
    assert "Alice Martin" in page.content.decode()
    # The back office's list of applications to follow is theirs too.
    listing = client.get(reverse("volunteering_applications_backoffice:list"))
    assert listing.status_code == 200 and "Sacs de sable" in listing.content.decode()


def test_the_public_page_links_only_to_what_the_viewer_may_open(
    cast: Cast, missions: dict[str, Mission]
) -> None:
    mission = missions["commune"]
    detail = reverse("volunteering_missions:detail", args=[mission.pk])
    applications = reverse("volunteering_applications:organiser_mission", args=[mission.pk])
    for user in (*_roles(cast).values(), cast.association_manager):
        client = _verified(user) if user != cast.association_manager else Client()
        if user == cast.association_manager:
            client.force_login(user)
        links = _links(client.get(detail).content.decode())
        for link in sorted(links):
            status = client.get(link).status_code
            # The back office asks an agent's second factor first: a redirect, not a 404.
            assert status in (200, 302), (user.email, link, status)
        mine = user != cast.association_manager
        assert (applications in links) == mine, user.email
    # An administrator who has not proven their second factor in this session is sent to
    # the back office (which asks for it), never to a page that answers 404.
    unverified = Client()
    unverified.force_login(cast.administrator)
    links = _links(unverified.get(detail).content.decode())
    assert applications not in links
    assert reverse("volunteering_missions_backoffice:manage", args=[mission.pk]) in links
    assert unverified.get(applications).status_code == 404
