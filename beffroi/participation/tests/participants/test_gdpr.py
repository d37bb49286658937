"""GDPR: participation data in the account's export, and its erasure keeping contributions
signed "a resident"."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client
from django.urls import reverse

from beffroi.accounts.services import user_erase, user_export_data
from beffroi.participation.models import (
    Comment,
    Notification,
    NotificationSettings,
    Participant,
    Proposal,
    Support,
)
from beffroi.participation.notifications.services import (
    notification_settings_update,
    notify,
)
from beffroi.participation.tests.factories import make_process, make_proposal, participant
from beffroi.testing import Cast


def _contributions(cast: Cast) -> tuple[Participant, Proposal]:
    alice = participant(cast.resident, cast.org)
    alice.birth_year = 1980
    alice.save()
    bruno = participant(cast.resident2, cast.org)
    process = make_process(cast.org)
    proposal = make_proposal(process, alice, title="Un composteur rue des Lilas")
    Support.objects.create(
        proposal=make_proposal(process, bruno, title="Un banc"), participant=alice
    )
    Comment.objects.create(
        organisation=cast.org, process=process, proposal=proposal, author=alice, body="Oui !"
    )
    notify(recipients=[alice], kind="comment", title="Nouveau commentaire", url="/participer/")
    notification_settings_update(participant=alice, email_frequency="weekly")
    return alice, proposal


def test_it_exports_participation_data(cast: Cast) -> None:
    _contributions(cast)
    data = user_export_data(user=cast.resident)
    [mine] = data["participation"]
    assert mine["organisation"] == cast.org.name
    assert mine["birth_year"] == 1980
    assert [p["title"] for p in mine["proposals"]] == ["Un composteur rue des Lilas"]
    assert [s["title"] for s in mine["supports"]] == ["Un banc"]
    assert [c["body"] for c in mine["comments"]] == ["Oui !"]
    assert [n["title"] for n in mine["notifications"]] == ["Nouveau commentaire"]
    assert mine["notification_settings"] == {"email_frequency": "weekly"}
    for key in ("opinions", "responses", "registrations"):
        assert mine[key] == []
    json.dumps(data, cls=DjangoJSONEncoder)  # the download is JSON


def test_it_erases_the_person_and_keeps_contributions_as_a_resident(
    client: Client, cast: Cast
) -> None:
    alice, proposal = _contributions(cast)
    user_erase(user=cast.resident, organisation=cast.org)
    alice.refresh_from_db()
    assert alice.erased_at is not None
    assert (alice.display_name, alice.birth_year, alice.address_id) == ("", None, None)
    assert not Notification.objects.filter(recipient=alice).exists()
    assert not NotificationSettings.objects.filter(participant=alice).exists()
    assert Proposal.objects.filter(pk=proposal.pk, author=alice).exists()
    assert Support.objects.filter(participant=alice).count() == 1
    assert alice.public_name == "a resident"
    # Nothing is sent to an erased person any more.
    assert notify(recipients=[alice], kind="comment", title="x") == 0
    assert user_export_data(user=cast.resident)["participation"][0]["display_name"] == ""
    assert reverse("participation_participants:profile")
