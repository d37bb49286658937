"""The demo's needs, written through the services on the demo's associations."""

from __future__ import annotations

import pytest

from beffroi.accounts.models import Role
from beffroi.demo import constants as c
from beffroi.demo.volunteering import demo_associations
from beffroi.demo.volunteering_needs import demo_needs
from beffroi.testing import make_organisation, make_user
from beffroi.volunteering.models import Need, NeedOffer

pytestmark = pytest.mark.django_db


def test_it_writes_the_demo_needs_with_their_offers() -> None:
    organisation = make_organisation(
        name="Vaudrecourt-sur-Aulne", slug="vaudrecourt", host="testserver", insee=c.INSEE_CODE
    )
    agent = make_user(
        "participation@vaudrecourt.example",
        organisation=organisation,
        roles=(Role.PARTICIPATION_MANAGER,),
    )
    manager = make_user(
        "asso@vaudrecourt.example",
        organisation=organisation,
        roles=(Role.RESIDENT, Role.ASSOCIATION_MANAGER),
        full_name="Pierre Lallemand",
    )
    resident = make_user(
        "habitant@vaudrecourt.example", organisation=organisation, roles=(Role.RESIDENT,)
    )
    demo_associations(organisation=organisation, agent=agent, manager=manager, resident=resident)
    assert (
        demo_needs(organisation=organisation, agent=agent, manager=manager, resident=resident) == 4
    )
    statuses = dict(Need.objects.values_list("title", "status"))
    assert statuses["Une salle pour la collecte de don du sang"] == Need.Status.FULFILLED
    assert list(statuses.values()).count(Need.Status.PUBLISHED) == 3
    accepted = NeedOffer.objects.get(state=NeedOffer.State.ACCEPTED)
    assert (
        accepted.association is not None and accepted.association.short_name == "Comité des fêtes"
    )
    waiting = NeedOffer.objects.filter(state=NeedOffer.State.PROPOSED)
    assert {o.user for o in waiting} == {resident, manager}
    assert waiting.filter(association__isnull=False).count() == 1
    urgent = Need.objects.get(urgency="urgent")
    assert urgent.title.startswith("Un local pour stocker les sacs de sable")
