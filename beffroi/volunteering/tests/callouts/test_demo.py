"""The demo's reserve and past call-out: written through the services, the same at every
load, and shown by the pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from beffroi.demo.volunteering_callouts import demo_callouts
from beffroi.testing import Cast, login_verified
from beffroi.volunteering.models import CallOut, CallOutContact, ReserveMember, TrainingAttendance
from beffroi.volunteering.tests.callouts.conftest import volunteers

pytestmark = pytest.mark.django_db


def test_it_writes_the_reserve_and_last_springs_callout(cast: Cast) -> None:
    volunteers(cast, 9)
    assert demo_callouts(organisation=cast.org, crisis_agent=cast.alert_approver) == 6
    assert ReserveMember.objects.filter(organisation=cast.org).count() == 6
    assert sorted(TrainingAttendance.objects.values_list("present", flat=True), key=str) == sorted(
        [True, True, True, True, False, None], key=str
    )
    callout = CallOut.objects.get()
    assert callout.status == CallOut.Status.FILLED
    states = list(callout.contacts.values_list("state", flat=True))
    assert states.count(CallOutContact.State.YES) == 4
    assert CallOutContact.State.NO in states and CallOutContact.State.SENT in states
    client = Client()
    login_verified(client, cast.alert_approver)
    page = client.get(reverse("volunteering_callouts_backoffice:detail", args=[callout.pk]))
    assert page.status_code == 200 and "4 of 4 places filled" not in page.content.decode()
    assert client.get(reverse("volunteering_reserve_backoffice:list")).status_code == 200
    answer = Client().get(
        reverse("volunteering_callouts:answer", args=[callout.contacts.first().token])  # type: ignore[union-attr]
    )
    assert answer.status_code == 200 and "you are expected" in answer.content.decode()
    # The volunteer who never answered last spring reads that it is over: no buttons.
    silent = callout.contacts.filter(state=CallOutContact.State.SENT).first()
    assert silent is not None
    page = Client().get(reverse("volunteering_callouts:answer", args=[silent.token]))
    assert "This call-out is over" in page.content.decode()
    assert 'value="yes"' not in page.content.decode()
