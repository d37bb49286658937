"""Creating, claiming, validating and editing profiles, and who may do what."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from beffroi.accounts.models import User
from beffroi.alerts.tests.factories import RunOnCommit, gateways, sent
from beffroi.core.models import AuditEvent
from beffroi.messaging.testing import SmscServer, SmtpServer
from beffroi.testing import Cast, login_verified
from beffroi.volunteering.associations.services import rna_import
from beffroi.volunteering.models import Association, ManagerInvitation, Membership
from beffroi.volunteering.tests.factories import make_association, waldec_file, waldec_row

__all__ = ["gateways", "sent"]

pytestmark = pytest.mark.django_db
Gateways = tuple[SmtpServer, SmscServer]

PUBLIC = "volunteering_associations"
BO = "volunteering_associations_backoffice"


def _client(user: object = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)  # type: ignore[arg-type]
    return client


def _profile(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Les Jardins Partagés",
        "purpose": "Cultiver ensemble des parcelles au bord de l'Aulne.",
        "activities": ["environment", "leisure"],
        "street_address": "12 rue de la Mairie",
        "postcode": "55990",
        "city": "Valmont",
        "email": "jardins@example.org",
        "message": "Présidente depuis 2022.",
    }
    data.update(overrides)
    return data


def test_a_resident_creates_a_profile_that_waits_for_an_agent(cast: Cast) -> None:
    resident = _client(cast.resident)
    response = resident.post(reverse(f"{PUBLIC}:create"), _profile())
    association = Association.objects.get()
    assert response.status_code == 302
    assert association.status == Association.Status.PENDING
    assert association.source == Association.Source.RESIDENT
    assert association.activity_values == ["environment", "leisure"] or set(
        association.activity_values
    ) == {"environment", "leisure"}
    membership = Membership.objects.get()
    assert (membership.user, membership.role, membership.state) == (
        cast.resident,
        Membership.Role.OWNER,
        Membership.State.PENDING,
    )
    detail = reverse(f"{PUBLIC}:detail", args=[association.pk])
    assert resident.get(detail).status_code == 200
    # Hidden from the directory and from anyone else until validated.
    assert "Les Jardins" not in _client().get(reverse(f"{PUBLIC}:list")).content.decode()
    assert _client().get(detail).status_code == 404
    assert _client(cast.resident2).get(detail).status_code == 404
    # The creator cannot edit before validation.
    assert resident.get(reverse(f"{PUBLIC}:edit", args=[association.pk])).status_code == 404
    assert AuditEvent.objects.filter(action="association.create", actor_id=cast.resident.pk)


def test_creating_needs_an_account_and_a_valid_form(cast: Cast) -> None:
    response = _client().get(reverse(f"{PUBLIC}:create"))
    assert response.status_code == 302 and "/compte/" in response["Location"]
    response = _client(cast.resident).post(
        reverse(f"{PUBLIC}:create"), _profile(rna="W12", siren="732829321")
    )
    assert response.status_code == 200
    assert "W followed by 9 characters" in response.content.decode()
    assert "SIREN" in response.content.decode()
    assert not Association.objects.exists()


def test_an_agent_validates_and_the_owner_then_edits(cast: Cast) -> None:
    _client(cast.resident).post(reverse(f"{PUBLIC}:create"), _profile())
    association = Association.objects.get()
    agent = _client(cast.participation_manager)
    assert agent.get(reverse(f"{BO}:list")).status_code == 200
    page = agent.get(reverse(f"{BO}:detail", args=[association.pk])).content.decode()
    assert "Présidente depuis 2022." in page
    agent.post(reverse(f"{BO}:validate", args=[association.pk]))
    association.refresh_from_db()
    assert association.status == Association.Status.VALIDATED
    assert association.decided_by == cast.participation_manager
    assert Membership.objects.get().state == Membership.State.ACTIVE
    assert "Les Jardins" in _client().get(reverse(f"{PUBLIC}:list")).content.decode()

    edit = reverse(f"{PUBLIC}:edit", args=[association.pk])
    owner = _client(cast.resident)
    assert owner.get(edit).status_code == 200
    response = owner.post(edit, _profile(opening_hours="Samedi 9 h – 12 h"))
    assert response.status_code == 302
    association.refresh_from_db()
    assert association.opening_hours == "Samedi 9 h – 12 h"
    assert AuditEvent.objects.filter(action="association.update", target_id=str(association.pk))
    # Nobody else edits it: another resident, the association manager of another profile.
    assert _client(cast.resident2).get(edit).status_code == 404
    assert _client(cast.association_manager).post(edit, _profile()).status_code == 404


def test_a_refusal_needs_a_reason_which_the_resident_reads(cast: Cast) -> None:
    _client(cast.resident).post(reverse(f"{PUBLIC}:create"), _profile())
    association = Association.objects.get()
    agent = _client(cast.participation_manager)
    refuse = reverse(f"{BO}:refuse", args=[association.pk])
    assert agent.post(refuse, {"reason": "  "}).status_code == 400
    association.refresh_from_db()
    assert association.status == Association.Status.PENDING
    agent.post(refuse, {"reason": "Association inconnue en préfecture."})
    association.refresh_from_db()
    assert association.status == Association.Status.REFUSED
    assert Membership.objects.get().state == Membership.State.REFUSED
    mine = _client(cast.resident).get(reverse(f"{PUBLIC}:mine")).content.decode()
    assert "Association inconnue en préfecture." in mine
    event = AuditEvent.objects.get(action="association.refuse")
    assert event.reason == "Association inconnue en préfecture."
    # Refused, it stays hidden from the public.
    assert _client().get(reverse(f"{PUBLIC}:detail", args=[association.pk])).status_code == 404


def test_claiming_an_imported_profile(cast: Cast) -> None:
    rna_import(organisation=cast.org, data=waldec_file([waldec_row("W551000001", "AS VALMONT")]))
    association = Association.objects.get()
    claim = reverse(f"{PUBLIC}:claim", args=[association.pk])
    assert _client().get(claim).status_code == 302  # to the login page
    resident = _client(cast.resident)
    assert resident.post(claim, {"message": ""}).status_code == 200
    resident.post(claim, {"message": "Trésorier du club."})
    association.refresh_from_db()
    assert association.status == Association.Status.PENDING
    # The registry's data stays public while the claim is examined; no second claim.
    assert _client().get(reverse(f"{PUBLIC}:detail", args=[association.pk])).status_code == 200
    response = _client(cast.resident2).post(claim, {"message": "Moi aussi."})
    assert "cannot be claimed" in response.content.decode()
    assert Membership.objects.count() == 1

    agent = _client(cast.participation_manager)
    agent.post(reverse(f"{BO}:refuse", args=[association.pk]), {"reason": "Pas au bureau."})
    association.refresh_from_db()
    assert association.status == Association.Status.IMPORTED  # back in the directory as it was
    assert Membership.objects.get().refusal_reason == "Pas au bureau."
    # A new claim replaces the refused one, and validation makes a manager.
    resident.post(claim, {"message": "Trésorier, voici le PV de l'AG."})
    agent.post(reverse(f"{BO}:validate", args=[association.pk]))
    association.refresh_from_db()
    assert association.status == Association.Status.VALIDATED
    assert Membership.objects.get().state == Membership.State.ACTIVE
    # The manager's corrections of registry fields survive the next import.
    resident.post(
        reverse(f"{PUBLIC}:edit", args=[association.pk]),
        _profile(name="AS Valmont", purpose="Le club de football du village."),
    )
    association.refresh_from_db()
    assert {"name", "purpose"} <= set(association.manager_fields)
    rows = [waldec_row("W551000001", "AS VALMONT NOUVEAU", objet="Autre objet")]
    report = rna_import(organisation=cast.org, data=waldec_file(rows))
    association.refresh_from_db()
    assert (association.name, association.purpose) == (
        "AS Valmont",
        "Le club de football du village.",
    )
    assert report.skipped == 1  # nothing of the registry's left to update
    assert {e.action for e in AuditEvent.objects.all()} >= {
        "association.claim",
        "association.refuse",
        "association.validate",
        "association.update",
    }


def test_residents_cannot_reach_the_back_office(cast: Cast) -> None:
    association = make_association(cast.org, status=Association.Status.PENDING)
    for user in (cast.resident, cast.association_manager, cast.alert_author):
        client = _client(user)
        assert client.get(reverse(f"{BO}:list")).status_code == 403
        assert client.post(reverse(f"{BO}:validate", args=[association.pk])).status_code == 403
    association.refresh_from_db()
    assert association.status == Association.Status.PENDING


def test_another_organisation_gets_404(cast: Cast) -> None:
    elsewhere = make_association(cast.other_org, "Club d'Autreville", status="pending")
    public = make_association(cast.other_org, "Public d'Autreville")
    agent = _client(cast.participation_manager)
    for name in ("detail", "edit"):
        assert agent.get(reverse(f"{BO}:{name}", args=[elsewhere.pk])).status_code == 404
    assert agent.post(reverse(f"{BO}:validate", args=[elsewhere.pk])).status_code == 404
    admin = Client()
    login_verified(admin, cast.administrator)
    assert admin.get(reverse(f"{BO}:detail", args=[elsewhere.pk])).status_code == 404
    assert _client().get(reverse(f"{PUBLIC}:detail", args=[public.pk])).status_code == 404
    claim = reverse(f"{PUBLIC}:claim", args=[public.pk])
    assert _client(cast.resident).post(claim, {"message": "x"}).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.status == Association.Status.PENDING
    # On its own host, the other commune's agent sees it.
    other = Client(HTTP_HOST="autreville.localhost")
    login_verified(other, cast.other_admin)
    assert other.get(reverse(f"{BO}:detail", args=[elsewhere.pk])).status_code == 200


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "#123f6d").save(buffer, format="PNG")
    return SimpleUploadedFile("logo.png", buffer.getvalue() + b"<script>", content_type="image/png")


def test_a_logo_is_re_encoded_and_served_safely(cast: Cast, settings: object) -> None:
    association = make_association(
        cast.org, managers=((cast.resident, "owner", "active"),), city="Valmont"
    )
    response = _client(cast.resident).post(
        reverse(f"{PUBLIC}:edit", args=[association.pk]),
        {**_profile(name=association.name), "logo": _png()},
    )
    assert response.status_code == 302
    association.refresh_from_db()
    assert association.logo_type == "image/png"
    served = _client().get(reverse(f"{PUBLIC}:logo", args=[association.pk]))
    body = b"".join(served.streaming_content)  # type: ignore[attr-defined]
    assert body.startswith(b"\x89PNG") and b"<script>" not in body
    assert served["X-Content-Type-Options"] == "nosniff"
    refused = _client(cast.resident).post(
        reverse(f"{PUBLIC}:edit", args=[association.pk]),
        {
            **_profile(name=association.name),
            "logo": SimpleUploadedFile("x.png", b"<html>", content_type="image/png"),
        },
    )
    assert refused.status_code == 200
    assert "not a readable image" in refused.content.decode()


def test_gdpr_export_and_erasure(cast: Cast) -> None:
    from beffroi.accounts import gdpr

    make_association(cast.org, managers=((cast.resident, "owner", "active"),))
    exported = gdpr.exporters()["associations"](cast.resident)
    assert exported[0]["association"] == "Les Amis du Lavoir"
    gdpr.erasers()["associations"](cast.resident)
    assert not Membership.objects.exists()
    assert Association.objects.exists()


def _invitation_link(mail: Any) -> str:
    text = str(mail.message.get_body(("plain",)).get_content())
    [link] = re.findall(r"https?://\S+/associations/invitation/\S+/", text)
    return str(urlsplit(link).path)


def test_an_owner_chooses_who_else_manages_the_profile(
    cast: Cast, sent: RunOnCommit, gateways: Gateways
) -> None:
    association = make_association(cast.org, managers=((cast.resident, "owner", "active"),))
    page = reverse(f"{PUBLIC}:managers", args=[association.pk])
    owner = _client(cast.resident)
    assert owner.get(page).status_code == 200
    # An address with an account and one without get the same answer: an invitation by
    # e-mail; nobody manages anything before accepting.
    answers = []
    for email in (cast.resident2.email.upper(), "inconnu@example.org"):
        with sent():
            response = owner.post(page, {"email": email, "role": "editor"}, follow=True)
        answers.append(response.content.decode().replace(email, "ADDRESS"))
        assert response.status_code == 200
    assert "An invitation is sent to ADDRESS" in answers[0]
    assert answers[0].count("An invitation is sent") == answers[1].count("An invitation is sent")
    assert not Membership.objects.filter(user=cast.resident2).exists()
    to_resident2, to_unknown = gateways[0].received
    assert to_resident2.rcpt_tos == [cast.resident2.email.upper()]
    assert to_unknown.rcpt_tos == ["inconnu@example.org"]
    link = _invitation_link(to_resident2)
    assert ManagerInvitation.objects.count() == 2
    assert "inconnu@example.org" in owner.get(page).content.decode()  # pending, withdrawable
    # Someone else, logged in, cannot accept it; the invited person can.
    intruder = _client(cast.other_admin)
    response = intruder.post(link, {"answer": "accept"})
    assert response.status_code == 400
    assert "another e-mail address" in response.content.decode()
    invited = _client(cast.resident2)
    assert invited.get(link).status_code == 200
    # An address not yet proven: the account's verification comes first.
    response = invited.post(link, {"answer": "accept"})
    assert response.status_code == 400
    assert "Confirm your e-mail address first" in response.content.decode()
    User.objects.filter(pk=cast.resident2.pk).update(email_verified_at=timezone.now())
    response = invited.post(link, {"answer": "accept"})
    assert response.status_code == 302
    editor = Membership.objects.get(user=cast.resident2)
    assert (editor.role, editor.state) == ("editor", "active")
    # The link is used up.
    assert invited.get(link).status_code == 404
    # The owner withdraws the other invitation: its link no longer works.
    unknown = ManagerInvitation.objects.get()
    other_link = _invitation_link(to_unknown)
    owner.post(reverse(f"{PUBLIC}:invitation_withdraw", args=[association.pk, unknown.pk]))
    assert not ManagerInvitation.objects.exists()
    assert _client().get(other_link).status_code == 404
    edit = reverse(f"{PUBLIC}:edit", args=[association.pk])
    assert _client(cast.resident2).get(edit).status_code == 200
    # An editor edits but does not choose the managers.
    assert _client(cast.resident2).get(page).status_code == 404
    mine = Membership.objects.get(user=cast.resident)
    owner.post(reverse(f"{PUBLIC}:manager_remove", args=[association.pk, mine.pk]))
    assert Membership.objects.filter(user=cast.resident).exists()  # the last owner stays
    owner.post(reverse(f"{PUBLIC}:manager_remove", args=[association.pk, editor.pk]))
    assert not Membership.objects.filter(user=cast.resident2).exists()
    assert _client(cast.resident2).get(edit).status_code == 404
    assert {e.action for e in AuditEvent.objects.all()} >= {
        "association.manager_invite",
        "association.manager_add",
        "association.manager_invitation_withdraw",
        "association.manager_remove",
    }
    assert not any("@" in str(e.data) for e in AuditEvent.objects.all())
    # Another organisation's profile: 404 for its pages.
    elsewhere = make_association(cast.other_org, managers=((cast.resident, "owner", "active"),))
    assert owner.get(reverse(f"{PUBLIC}:managers", args=[elsewhere.pk])).status_code == 404


def test_an_invitation_is_declined_expires_and_is_limited(
    cast: Cast, sent: RunOnCommit, gateways: Gateways
) -> None:
    association = make_association(cast.org, managers=((cast.resident, "owner", "active"),))
    page = reverse(f"{PUBLIC}:managers", args=[association.pk])
    owner = _client(cast.resident)
    with sent():
        owner.post(page, {"email": "voisin@example.org", "role": "owner"})
    link = _invitation_link(gateways[0].received[-1])
    # Declining needs no account: the link's holder declines it.
    response = _client().post(link, {"answer": "decline"})
    assert response.status_code == 302 and not ManagerInvitation.objects.exists()
    # An expired link is refused.
    with sent():
        owner.post(page, {"email": cast.resident2.email, "role": "editor"})
    link = _invitation_link(gateways[0].received[-1])
    ManagerInvitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = _client(cast.resident2).post(link, {"answer": "accept"})
    assert response.status_code == 404
    assert not Membership.objects.filter(user=cast.resident2).exists()
    # Three invitations a day reach one address, whoever sends them.
    for _ in range(2):
        with sent():
            response = owner.post(page, {"email": cast.resident2.email, "role": "editor"})
        assert response.status_code == 302
    with sent():
        response = owner.post(page, {"email": cast.resident2.email, "role": "editor"})
    assert response.status_code == 400
    assert "Too many invitations" in response.content.decode()
    assert len(gateways[0].received) == 4  # voisin, then three to the same address
    assert ManagerInvitation.objects.count() == 1  # each new one replaced the last
