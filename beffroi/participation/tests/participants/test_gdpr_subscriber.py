"""A person who took part with an SMS code only is erased with their alert registration."""

from __future__ import annotations

from beffroi.alerts.subscriptions.services import subscriber_erase
from beffroi.alerts.tests.factories import make_address, make_subscriber
from beffroi.participation.models import Notification, Participant, Support
from beffroi.participation.notifications.services import notify
from beffroi.participation.participants.services import participant_for_subscriber
from beffroi.participation.tests.factories import make_process, make_proposal, participant
from beffroi.testing import Cast


def test_it_erases_the_participant_of_an_erased_subscriber_and_keeps_the_counts(
    cast: Cast,
) -> None:
    home = make_address(cast.org, 4.0, 45.0)
    subscriber = make_subscriber(cast.org, home, full_name="Jeanne Durand", sms="+33612345678")
    person = participant_for_subscriber(subscriber=subscriber)
    assert person.public_name == "Jeanne D."
    process = make_process(cast.org)
    proposal = make_proposal(process, participant(cast.resident, cast.org))
    Support.objects.create(proposal=proposal, participant=person)
    notify(recipients=[person], kind="answer", title="Réponse")
    subscriber_erase(subscriber=subscriber, reason="demande RGPD")
    person = Participant.objects.get(pk=person.pk)
    assert person.erased_at is not None and person.subscriber_id is None
    assert person.display_name == "" and person.address_id is None
    assert str(person.public_name) == "a resident"
    assert not Notification.objects.filter(recipient=person).exists()
    # The support still counts, anonymous.
    assert Support.objects.filter(proposal=proposal, participant=person).count() == 1
