"""A resident without an account who left a phone number or an e-mail address with a paper
proposal is told of the official answer: by e-mail (really received by a loopback SMTP
server), or by the agent who answers, who is asked to call. The contact is never published."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from beffroi.alerts.tests.factories import (
    RunOnCommit,
    gateways,
    sent,
    territory,  # noqa: F401 — a fixture
)
from beffroi.messaging.testing import SmscServer, SmtpServer
from beffroi.participation.models import PhaseType, Proposal
from beffroi.participation.proposals.services import contact_clean, proposal_answer
from beffroi.participation.tests.factories import make_process
from beffroi.testing import Cast, login_verified

__all__ = ["gateways", "sent"]


def _paper(cast: Cast, **extra: Any) -> tuple[Client, Any, dict[str, Any]]:
    process = make_process(cast.org, phases=(PhaseType.PROPOSALS, PhaseType.ANALYSIS), open_phase=1)
    agent = Client()
    login_verified(agent, cast.front_desk)
    url = reverse("participation_proposals_backoffice:on_behalf", args=[process.pk])
    data = {
        "title": "Un banc devant la poste",
        "body": "Pour se reposer en attendant le bus.",
        "origin": "paper",
        "resident_name": "Jeanne D.",
        "consent": "on",
        **extra,
    }
    return agent, url, data


def test_a_contact_must_be_an_e_mail_or_a_phone_number() -> None:
    assert contact_clean(" Jeanne.D@Exemple.FR ") == "Jeanne.D@exemple.fr"
    assert contact_clean("06 12 34 56 78") == "+33612345678"
    assert contact_clean("") == ""
    for wrong in ("jeanne@", "12", "appelez-moi"):
        with pytest.raises(ValidationError):
            contact_clean(wrong)


def test_the_form_needs_the_residents_consent_and_a_valid_contact(cast: Cast) -> None:
    agent, url, data = _paper(cast)
    page = agent.post(url, {**data, "consent": ""}).content.decode()
    assert "This field is required" in page
    page = agent.post(url, {**data, "resident_contact": "appelez-moi"}).content.decode()
    assert "phone number" in page
    assert not Proposal.objects.exists()


def test_an_e_mail_contact_gets_the_final_answer_then_is_forgotten(
    cast: Cast, sent: RunOnCommit, gateways: tuple[SmtpServer, SmscServer]
) -> None:
    agent, url, data = _paper(cast, resident_contact="jeanne@exemple.fr")
    assert agent.post(url, data).status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.contact == "jeanne@exemple.fr"
    # Never published.
    assert (
        "jeanne@"
        not in Client()
        .get(proposal_url := reverse("participation_proposals:detail", args=[proposal.pk]))
        .content.decode()
    )
    manager = Client()
    login_verified(manager, cast.participation_manager)
    review = reverse("participation_proposals_backoffice:review", args=[proposal.pk])
    assert "jeanne@exemple.fr" in manager.get(review).content.decode()
    with sent():
        response = manager.post(
            review,
            {"form": "answer", "answer-answer": "accepted", "answer-text": "Il sera posé en mai."},
            follow=True,
        )
    assert "told by e-mail" in response.content.decode()
    [mail] = gateways[0].received
    assert mail.rcpt_tos == ["jeanne@exemple.fr"]
    body = mail.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Un banc devant la poste" in body and "Il sera posé en mai." in body
    assert proposal_url in body
    assert Proposal.objects.get().contact == ""


def test_a_phone_contact_asks_the_answering_agent_to_call(
    cast: Cast, sent: RunOnCommit, gateways: tuple[SmtpServer, SmscServer]
) -> None:
    agent, url, data = _paper(cast, resident_contact="06 12 34 56 78")
    assert agent.post(url, data).status_code == 302
    proposal = Proposal.objects.get()
    with sent():
        proposal_answer(
            proposal=proposal, agent=cast.participation_manager, answer="rejected", text="Non."
        )
    assert not gateways[0].received
    manager = Client()
    login_verified(manager, cast.participation_manager)
    review = reverse("participation_proposals_backoffice:review", args=[proposal.pk])
    response = manager.post(
        review,
        {"form": "answer", "answer-answer": "rejected", "answer-text": "Non, hélas."},
        follow=True,
    )
    assert "call them at 06 12 34 56 78" in response.content.decode()
