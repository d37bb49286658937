"""The demo's missions, written through the services on a commune with the comité des
fêtes."""

from __future__ import annotations

import pytest
from django.utils import timezone

from beffroi.demo.volunteering import COMITE_RNA
from beffroi.demo.volunteering_missions import demo_missions
from beffroi.testing import Cast
from beffroi.volunteering.models import Mission, Slot
from beffroi.volunteering.tests.factories import make_association

pytestmark = pytest.mark.django_db


def test_it_writes_the_demo_missions(cast: Cast) -> None:
    comite = make_association(
        cast.org,
        "Comité des fêtes",
        rna=COMITE_RNA,
        managers=((cast.association_manager, "owner", "active"),),
    )
    count = demo_missions(
        organisation=cast.org, agent=cast.participation_manager, manager=cast.association_manager
    )
    missions = Mission.objects.filter(organisation=cast.org)
    assert count == missions.count() == 9
    statuses = sorted(missions.values_list("status", flat=True))
    assert statuses.count("draft") == 1 and statuses.count("closed") == 1
    assert missions.filter(association=comite).count() == 3
    assert missions.filter(urgency="urgent", min_age=18).exists()
    assert missions.filter(remote=True).count() == 1
    assert any("psc1" in m.certifications for m in missions)
    assert any("driving_b" in m.certifications for m in missions)
    canicule = missions.get(title__startswith="Visites de convivialité")
    assert canicule.schedule["weekdays"] == [1, 4]
    assert canicule.slots.filter(from_schedule=True).count() >= 10
    now = timezone.now()
    assert Slot.objects.filter(mission__organisation=cast.org, ends_at__lt=now).count() >= 5
    assert Slot.objects.filter(mission__organisation=cast.org, starts_at__gt=now).count() >= 30
