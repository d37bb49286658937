"""The demo's applications, written through the services on the demo's missions and a few
volunteer profiles (the demo resident's among them)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from beffroi.accounts.models import Role
from beffroi.demo import constants as c
from beffroi.demo.volunteering import COMITE_RNA
from beffroi.demo.volunteering_applications import demo_applications
from beffroi.demo.volunteering_missions import demo_missions
from beffroi.testing import Cast, make_user
from beffroi.volunteering import models
from beffroi.volunteering.applications.selectors import certificate
from beffroi.volunteering.models import Application, Slot, VolunteerProfile
from beffroi.volunteering.tests.factories import make_association, make_profile

pytestmark = pytest.mark.django_db
State = Application.State


def _demo(cast: Cast) -> tuple[int, VolunteerProfile]:
    make_association(
        cast.org,
        "Comité des fêtes",
        rna=COMITE_RNA,
        managers=((cast.association_manager, "owner", "active"),),
    )
    demo_missions(
        organisation=cast.org, agent=cast.participation_manager, manager=cast.association_manager
    )
    email = next(login.email for login in c.demo_logins() if login.role == Role.RESIDENT)
    resident = make_user(email, organisation=cast.org, roles=(Role.RESIDENT,))
    camille = make_profile(
        cast.org, "Camille Renaud", user=resident, email=email, birth_date=date(1988, 4, 2)
    )
    for i, name in enumerate(
        ["Lucas Girard", "Emma Roussel", "Hugo Lambert", "Léa Fontaine", "Jules Mercier"]
    ):
        make_profile(
            cast.org,
            name,
            birth_date=date(1970 + i * 5, 1, 15),
            phone=f"+3363998010{i}",
            certifications=(("psc1", None), ("driving_b", None)) if i % 2 else (),
        )
    reverse("volunteering_applications:mine")  # the URLconf's first load is not the demo's
    count = demo_applications(organisation=cast.org, manager=cast.association_manager)
    return count, camille


def test_it_writes_the_demo_applications(cast: Cast) -> None:
    count, camille = _demo(cast)
    applications = Application.objects.filter(profile__organisation=cast.org)
    assert count == applications.count() > 10
    states = set(applications.values_list("state", flat=True))
    assert {State.PENDING, State.ACCEPTED, State.WAITLISTED, State.DECLINED} <= states
    assert applications.filter(state=State.DECLINED).exclude(decline_reason="").exists()
    assert applications.filter(attendance="present").count() >= 3
    assert applications.filter(attendance="absent").exists()
    # Every slot's count matches the applications holding a place.
    for slot in Slot.objects.filter(mission__organisation=cast.org):
        assert (
            slot.accepted_count
            == slot.applications.filter(state__in=[State.PENDING, State.ACCEPTED]).count()
        )
    year = timezone.localdate().year
    hours = (
        certificate(profile=camille, year=year).total
        + certificate(profile=camille, year=year - 1).total
    )
    assert hours > 0
    assert models.ApplicationMessage.objects.filter(application__profile=camille).count() == 3
    assert models.Testimonial.objects.filter(published=True).count() == 1


def test_it_gives_every_browser_row_a_page(cast: Cast) -> None:
    from django.test import Client
    from django.urls import get_resolver

    # The table first: it gathers every area's rows, this one's included.
    import tests.browser.pages  # noqa: F401
    from beffroi.testing import login_verified
    from tests.browser.pages_applications import NOT_PAGES_APPLICATIONS, PAGES_APPLICATIONS

    _count, camille = _demo(cast)
    users = {
        "anonymous": None,
        "resident": camille.user,
        "association_manager": cast.association_manager,
        "participation_manager": cast.participation_manager,
    }
    for spec in PAGES_APPLICATIONS:
        client = Client()
        user = users[spec.role]
        if user is not None:
            login_verified(client, user)
        response = client.get(spec.resolve())
        assert response.status_code == 200, (spec.description, response.status_code)
    from django.urls import resolve

    names = {
        f"volunteering_applications:{name}"
        for name in get_resolver().namespace_dict["volunteering_applications"][1].reverse_dict
        if isinstance(name, str)
    }
    pages = {resolve(spec.resolve().split("?")[0]).view_name for spec in PAGES_APPLICATIONS}
    names.add("volunteering_applications_backoffice:list")
    assert names == pages | set(NOT_PAGES_APPLICATIONS)
    assert not pages & set(NOT_PAGES_APPLICATIONS)
