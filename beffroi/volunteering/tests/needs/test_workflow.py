"""Needs: written by an association's managers or the commune's agents, published, offered
for by residents, answered; who may do what; the e-mails really sent."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from beffroi.accounts.models import User
from beffroi.alerts.tests.factories import RunOnCommit, gateways, sent
from beffroi.core.models import AuditEvent
from beffroi.messaging.testing import SmscServer, SmtpServer
from beffroi.territory.services import ban_import
from beffroi.territory.tests.factories import BAN_FILE
from beffroi.testing import Cast, login_verified
from beffroi.volunteering.models import Association, Membership, Need, NeedOffer, Urgency
from beffroi.volunteering.needs import services
from beffroi.volunteering.needs.services import NeedInput, NeedRefused
from beffroi.volunteering.tests.factories import make_association

__all__ = ["gateways", "sent"]

pytestmark = pytest.mark.django_db

PUBLIC = "volunteering_needs"
BO = "volunteering_needs_backoffice"
Gateways = tuple[SmtpServer, SmscServer]


def _client(user: User | None = None) -> Client:
    client = Client()
    if user is not None:
        # The second factor proven, as the roles that need one must.
        login_verified(client, user)
    return client


def _association(cast: Cast, name: str = "Banque alimentaire de Valmont") -> Association:
    return make_association(
        cast.org,
        name,
        managers=((cast.association_manager, Membership.Role.OWNER, Membership.State.ACTIVE),),
    )


def _form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "kind": Need.Kind.TRANSPORT,
        "title": "Une camionnette pour la collecte",
        "description": "Aller chercher les denrées au supermarché, samedi matin.",
        "quantity": "1 camionnette de 12 m³",
        "street_address": "",
        "needed_from": "2026-12-12",
        "needed_until": "2026-12-12",
        "urgency": Urgency.NORMAL,
    }
    data.update(overrides)
    return data


def _need(
    cast: Cast,
    association: Association | None = None,
    *,
    publish: bool = True,
    title: str = "Des tables pour la brocante",
    urgency: str = Urgency.NORMAL,
    kind: str = Need.Kind.EQUIPMENT,
) -> Need:
    actor = cast.association_manager if association is not None else cast.participation_manager
    need = services.need_create(
        organisation=cast.org,
        actor=actor,
        association=association,
        data=NeedInput(kind=kind, title=title, description="Vingt tables.", urgency=urgency),
    )
    if publish:
        need = services.need_publish(need=need, actor=actor)
    return need


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def test_it_lets_a_manager_write_and_publish_their_associations_need(cast: Cast) -> None:
    association = _association(cast)
    manager = _client(cast.association_manager)
    assert manager.get(reverse(f"{PUBLIC}:create")).status_code == 200
    response = manager.post(reverse(f"{PUBLIC}:create"), _form(association=association.pk))
    need = Need.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(f"{PUBLIC}:manage", args=[need.pk])
    assert (need.status, need.association, need.created_by) == (
        Need.Status.DRAFT,
        association,
        cast.association_manager,
    )
    # A draft is not public.
    detail = reverse(f"{PUBLIC}:detail", args=[need.pk])
    assert _client().get(detail).status_code == 404
    assert "camionnette" not in _client().get(reverse(f"{PUBLIC}:list")).content.decode()

    manager.post(reverse(f"{PUBLIC}:publish", args=[need.pk]))
    need.refresh_from_db()
    assert need.status == Need.Status.PUBLISHED and need.published_at is not None
    assert _client().get(detail).status_code == 200
    assert "camionnette" in _client().get(reverse(f"{PUBLIC}:list")).content.decode()
    assert AuditEvent.objects.filter(action="need.create", target_id=str(need.pk)).exists()
    assert AuditEvent.objects.filter(action="need.publish", target_id=str(need.pk)).exists()


def test_it_refuses_a_need_without_title_or_with_dates_reversed(cast: Cast) -> None:
    association = _association(cast)
    manager = _client(cast.association_manager)
    response = manager.post(
        reverse(f"{PUBLIC}:create"),
        _form(
            association=association.pk,
            title="",
            needed_from="2026-12-12",
            needed_until="2026-12-01",
        ),
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in page
    assert "The end of the period comes before its start." in page
    assert not Need.objects.exists()
    with pytest.raises(NeedRefused, match="Choose what kind"):
        services.need_create(
            organisation=cast.org,
            actor=cast.participation_manager,
            data=NeedInput(kind="spaceship", title="x", description="y"),
        )
    assert not Need.objects.exists()


def test_it_lets_agents_write_the_communes_needs_but_not_residents(cast: Cast) -> None:
    agent = _client(cast.participation_manager)
    response = agent.post(reverse(f"{PUBLIC}:create") + "?from=backoffice", _form())
    need = Need.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(f"{BO}:detail", args=[need.pk])
    assert need.association is None
    # A resident managing nothing may not write a need, nor choose the commune.
    assert _client(cast.resident).get(reverse(f"{PUBLIC}:create")).status_code == 403
    assert _client(cast.resident).post(reverse(f"{PUBLIC}:create"), _form()).status_code == 403
    # A manager may not write for the commune (the choice is not offered).
    _association(cast)
    response = _client(cast.association_manager).post(
        reverse(f"{PUBLIC}:create"), _form(association="")
    )
    assert response.status_code == 400
    assert Need.objects.count() == 1
    with pytest.raises(NeedRefused):
        services.need_create(
            organisation=cast.org,
            actor=cast.resident,
            data=NeedInput(kind=Need.Kind.OTHER, title="x", description="y"),
        )


def test_it_places_the_need_at_its_address_or_nowhere(cast: Cast) -> None:
    ban_import(organisation=cast.org, path=BAN_FILE)
    need = services.need_create(
        organisation=cast.org,
        actor=cast.participation_manager,
        data=NeedInput(
            kind=Need.Kind.PREMISES,
            title="Une salle",
            description="Pour le don du sang.",
            street_address="3 rue de la Mairie",
        ),
    )
    assert need.lat is not None and need.lon is not None
    need = services.need_publish(need=need, actor=cast.participation_manager)
    document = _client().get(reverse(f"{PUBLIC}:map")).json()
    [feature] = document["features"]
    assert feature["geometry"]["coordinates"] == [need.lon, need.lat]
    assert feature["properties"]["url"] == reverse(f"{PUBLIC}:detail", args=[need.pk])
    assert 'id="needs-map"' in _client().get(reverse(f"{PUBLIC}:list")).content.decode()
    # The list's filters apply to the map.
    map_of_transport = _client().get(reverse(f"{PUBLIC}:map"), {"kind": "transport"}).json()
    assert map_of_transport["features"] == []
    need = services.need_update(
        need=need,
        actor=cast.participation_manager,
        data=NeedInput(kind=Need.Kind.PREMISES, title="Une salle", description="Pour le don."),
    )
    need.refresh_from_db()
    assert need.lat is None and need.street_address == ""
    assert _client().get(reverse(f"{PUBLIC}:map")).json()["features"] == []
    assert 'id="needs-map"' not in _client().get(reverse(f"{PUBLIC}:list")).content.decode()


def test_it_lists_urgent_needs_first_and_filters_them(cast: Cast) -> None:
    association = _association(cast)
    _need(cast, title="Des tables pour la brocante")
    _need(cast, association, title="Des sacs de sable", urgency=Urgency.URGENT)
    _need(cast, title="Une salle pour le don du sang", kind=Need.Kind.PREMISES)
    _need(cast, title="Brouillon caché", publish=False)
    page = _client().get(reverse(f"{PUBLIC}:list")).content.decode()
    assert page.index("Des sacs de sable") < page.index("Une salle pour le don du sang")
    assert page.index("Des sacs de sable") < page.index("Des tables pour la brocante")
    assert "Brouillon caché" not in page
    page = _client().get(reverse(f"{PUBLIC}:list"), {"kind": "premises"}).content.decode()
    assert "Une salle" in page and "Des tables" not in page
    page = _client().get(reverse(f"{PUBLIC}:list"), {"urgency": "urgent"}).content.decode()
    assert "Des sacs de sable" in page and "Des tables" not in page
    page = (
        _client().get(reverse(f"{PUBLIC}:list"), {"association": association.pk}).content.decode()
    )
    assert "Des sacs de sable" in page and "Une salle" not in page
    # Unreadable filters are ignored.
    response = _client().get(reverse(f"{PUBLIC}:list"), {"kind": "x", "association": "abc"})
    assert response.status_code == 200 and "Des tables" in response.content.decode()


def test_it_asks_anonymous_visitors_to_log_in_before_offering(cast: Cast) -> None:
    need = _need(cast)
    page = _client().get(reverse(f"{PUBLIC}:detail", args=[need.pk])).content.decode()
    assert "Log in to make an offer" in page
    assert 'name="message"' not in page
    response = _client().post(reverse(f"{PUBLIC}:offer", args=[need.pk]), {"message": "Moi"})
    assert response.status_code == 302 and "/compte/" in response["Location"]
    assert not NeedOffer.objects.exists()


def test_it_takes_an_offer_and_tells_the_organisers(
    cast: Cast, sent: RunOnCommit, gateways: Gateways
) -> None:
    association = _association(cast)
    need = _need(cast, association)
    resident = _client(cast.resident)
    with sent():
        response = resident.post(
            reverse(f"{PUBLIC}:offer", args=[need.pk]),
            {"message": "J'ai 12 tables pliantes.", "contact": "06 12 34 56 78"},
        )
    assert response.status_code == 302
    offer = NeedOffer.objects.get()
    assert (offer.user, offer.association, offer.state) == (
        cast.resident,
        None,
        NeedOffer.State.PROPOSED,
    )
    [mail] = gateways[0].received
    assert mail.rcpt_tos == ["asso@example.org"]
    text = _text(mail.message)
    assert "J'ai 12 tables pliantes." in text and "06 12 34 56 78" in text
    assert f"/benevolat/besoins/{need.pk}/gerer/" in text
    # One live offer per person and need.
    response = resident.post(reverse(f"{PUBLIC}:offer", args=[need.pk]), {"message": "Encore"})
    assert response.status_code == 400
    assert "already made an offer" in response.content.decode()
    assert NeedOffer.objects.count() == 1
    # Nothing to offer: refused, nothing written.
    response = _client(cast.resident2).post(
        reverse(f"{PUBLIC}:offer", args=[need.pk]), {"message": "  "}
    )
    assert response.status_code == 400 and NeedOffer.objects.count() == 1
    page = _client(cast.resident).get(reverse(f"{PUBLIC}:mine")).content.decode()
    assert "Des tables pour la brocante" in page


def test_it_lets_a_manager_offer_on_behalf_of_their_association(cast: Cast) -> None:
    comite = _association(cast, "Comité des fêtes")
    need = _need(cast)  # the commune's
    manager = _client(cast.association_manager)
    page = manager.get(reverse(f"{PUBLIC}:detail", args=[need.pk])).content.decode()
    assert "Comité des fêtes" in page
    manager.post(
        reverse(f"{PUBLIC}:offer", args=[need.pk]),
        {"on_behalf": comite.pk, "message": "Le comité prête ses 30 tables."},
    )
    offer = NeedOffer.objects.get()
    assert offer.association == comite and offer.user == cast.association_manager
    # On behalf of an association one does not manage: refused.
    other = make_association(cast.org, "Autre club")
    with pytest.raises(NeedRefused, match="association you manage"):
        services.need_offer_make(
            need=need, user=cast.resident, association=other, message="x", contact=""
        )


def test_it_accepts_and_declines_offers_and_tells_the_offerers(
    cast: Cast, sent: RunOnCommit, gateways: Gateways
) -> None:
    association = _association(cast)
    need = _need(cast, association)
    alice = services.need_offer_make(need=need, user=cast.resident, message="10 tables", contact="")
    bruno = services.need_offer_make(need=need, user=cast.resident2, message="2 tables", contact="")
    manager = _client(cast.association_manager)
    manage = reverse(f"{PUBLIC}:manage", args=[need.pk])
    page = manager.get(manage).content.decode()
    assert "10 tables" in page and "alice@example.org" in page

    decline = reverse(f"{PUBLIC}:offer_decline", args=[need.pk, bruno.pk])
    response = manager.post(decline, {f"offer-{bruno.pk}-answer": " "})
    assert response.status_code == 400
    assert "Say why you decline" in response.content.decode()
    bruno.refresh_from_db()
    assert bruno.state == NeedOffer.State.PROPOSED

    with sent():
        manager.post(
            reverse(f"{PUBLIC}:offer_accept", args=[need.pk, alice.pk]),
            {f"offer-{alice.pk}-answer": "Rendez-vous samedi 8 h à la salle des fêtes."},
        )
        manager.post(decline, {f"offer-{bruno.pk}-answer": "Nous en avons assez, merci !"})
    alice.refresh_from_db()
    bruno.refresh_from_db()
    assert alice.state == NeedOffer.State.ACCEPTED and alice.decided_at is not None
    assert bruno.state == NeedOffer.State.DECLINED
    assert bruno.answer == "Nous en avons assez, merci !"
    received = {mail.rcpt_tos[0]: _text(mail.message) for mail in gateways[0].received}
    assert "Rendez-vous samedi 8 h" in received["alice@example.org"]
    # In the offerer's language (French, the commune's default), whatever the page's.
    assert "est acceptée" in received["alice@example.org"]
    assert "Nous en avons assez" in received["bruno@example.org"]
    assert AuditEvent.objects.filter(
        action="need.offer_accept", actor_id=cast.association_manager.pk
    )
    assert AuditEvent.objects.filter(action="need.offer_decline", reason__contains="assez")
    # Answered once only.
    with pytest.raises(NeedRefused):
        services.need_offer_decline(offer=alice, actor=cast.association_manager, answer="Non")


def test_it_declines_the_waiting_offers_when_the_need_is_met(
    cast: Cast, sent: RunOnCommit, gateways: Gateways
) -> None:
    need = _need(cast)
    accepted = services.need_offer_make(
        need=need, user=cast.resident, message="Ma salle", contact=""
    )
    services.need_offer_accept(offer=accepted, actor=cast.participation_manager)
    waiting = services.need_offer_make(
        need=need, user=cast.resident2, message="La mienne", contact=""
    )
    with sent():
        response = _client(cast.participation_manager).post(
            reverse(f"{PUBLIC}:fulfil", args=[need.pk]), {"from": "backoffice"}
        )
    assert response["Location"] == reverse(f"{BO}:detail", args=[need.pk])
    need.refresh_from_db()
    waiting.refresh_from_db()
    accepted.refresh_from_db()
    assert need.status == Need.Status.FULFILLED
    assert waiting.state == NeedOffer.State.DECLINED and "met" in waiting.answer
    assert accepted.state == NeedOffer.State.ACCEPTED
    assert [m.rcpt_tos for m in gateways[0].received] == [["bruno@example.org"]]
    # A fulfilled need takes no more offers, and cannot be published again.
    with pytest.raises(NeedRefused, match="no longer takes offers"):
        services.need_offer_make(need=need, user=cast.association_manager, message="x", contact="")
    with pytest.raises(NeedRefused):
        services.need_publish(need=need, actor=cast.participation_manager)


def test_it_closes_and_cancels_needs(cast: Cast) -> None:
    need = _need(cast)
    agent = _client(cast.participation_manager)
    agent.post(reverse(f"{PUBLIC}:close", args=[need.pk]))
    need.refresh_from_db()
    assert need.status == Need.Status.CLOSED
    # Closed: still readable, no offer form, no edit.
    page = _client(cast.resident).get(reverse(f"{PUBLIC}:detail", args=[need.pk])).content.decode()
    assert "no longer takes offers" in page and 'name="message"' not in page
    response = agent.post(reverse(f"{PUBLIC}:edit", args=[need.pk]), _form())
    assert response.status_code == 400 and "finished" in response.content.decode()
    draft = _need(cast, publish=False, title="Brouillon")
    agent.post(reverse(f"{PUBLIC}:cancel", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.status == Need.Status.CANCELLED
    assert (
        _client(cast.resident).get(reverse(f"{PUBLIC}:detail", args=[draft.pk])).status_code == 404
    )


def test_it_lets_the_offerer_withdraw(cast: Cast) -> None:
    need = _need(cast)
    offer = services.need_offer_make(need=need, user=cast.resident, message="x", contact="")
    withdraw = reverse(f"{PUBLIC}:offer_withdraw", args=[offer.pk])
    assert _client(cast.resident2).post(withdraw).status_code == 404
    assert _client(cast.resident).post(withdraw).status_code == 302
    offer.refresh_from_db()
    assert offer.state == NeedOffer.State.WITHDRAWN
    # Withdrawn: a new offer may be made.
    services.need_offer_make(need=need, user=cast.resident, message="Finalement oui", contact="")
    assert NeedOffer.objects.filter(state=NeedOffer.State.PROPOSED).count() == 1


def test_it_limits_the_offers_a_person_makes_in_a_day(cast: Cast) -> None:
    needs = [_need(cast, title=f"Besoin {i}") for i in range(services.OFFERS_PER_DAY + 1)]
    for need in needs[:-1]:
        services.need_offer_make(need=need, user=cast.resident, message="Oui", contact="")
    response = _client(cast.resident).post(
        reverse(f"{PUBLIC}:offer", args=[needs[-1].pk]), {"message": "Encore un"}
    )
    assert response.status_code == 400
    assert "many offers today" in response.content.decode()
    assert NeedOffer.objects.count() == services.OFFERS_PER_DAY
    # Another person is not held back.
    services.need_offer_make(need=needs[-1], user=cast.resident2, message="Moi", contact="")


def test_it_keeps_organisers_pages_to_the_organisers(cast: Cast) -> None:
    association = _association(cast)
    need = _need(cast, association)
    offer = services.need_offer_make(need=need, user=cast.resident, message="x", contact="")
    pages: list[tuple[str, list[Any]]] = [
        (f"{PUBLIC}:manage", [need.pk]),
        (f"{PUBLIC}:edit", [need.pk]),
    ]
    actions: list[tuple[str, list[Any]]] = [
        (f"{PUBLIC}:publish", [need.pk]),
        (f"{PUBLIC}:close", [need.pk]),
        (f"{PUBLIC}:fulfil", [need.pk]),
        (f"{PUBLIC}:cancel", [need.pk]),
        (f"{PUBLIC}:offer_accept", [need.pk, offer.pk]),
        (f"{PUBLIC}:offer_decline", [need.pk, offer.pk]),
    ]
    for user in (cast.resident, cast.resident2, cast.moderator, cast.alert_author):
        for name, args in pages:
            assert _client(user).get(reverse(name, args=args)).status_code == 404, (user, name)
        for name, args in actions:
            assert _client(user).post(reverse(name, args=args)).status_code == 404, (user, name)
    need.refresh_from_db()
    offer.refresh_from_db()
    assert need.status == Need.Status.PUBLISHED and offer.state == NeedOffer.State.PROPOSED
    # The agents organise any need.
    assert (
        _client(cast.participation_manager)
        .get(reverse(f"{PUBLIC}:manage", args=[need.pk]))
        .status_code
        == 200
    )
    assert (
        _client(cast.administrator).get(reverse(f"{PUBLIC}:manage", args=[need.pk])).status_code
        == 200
    )
    # An administrator who has not proven the second factor does not act from the public
    # pages either.
    unverified = Client()
    unverified.force_login(cast.administrator)
    assert unverified.get(reverse(f"{PUBLIC}:manage", args=[need.pk])).status_code == 404
    # A manager whose membership is not active anymore no longer organises.
    Membership.objects.filter(user=cast.association_manager).update(state=Membership.State.PENDING)
    assert (
        _client(cast.association_manager)
        .get(reverse(f"{PUBLIC}:manage", args=[need.pk]))
        .status_code
        == 404
    )


def test_it_answers_404_for_another_organisations_needs(cast: Cast) -> None:
    other_need = services.need_create(
        organisation=cast.other_org,
        actor=cast.other_admin,
        data=NeedInput(kind=Need.Kind.EQUIPMENT, title="Ailleurs", description="x"),
    )
    other_need = services.need_publish(need=other_need, actor=cast.other_admin)
    offer = services.need_offer_make(need=other_need, user=cast.resident, message="x", contact="")
    for name in ("detail", "manage", "edit"):
        response = _client(cast.administrator).get(
            reverse(f"{PUBLIC}:{name}", args=[other_need.pk])
        )
        assert response.status_code == 404, name
    assert (
        _client(cast.administrator).get(reverse(f"{BO}:detail", args=[other_need.pk])).status_code
        == 404
    )
    assert (
        _client(cast.resident)
        .post(reverse(f"{PUBLIC}:offer", args=[other_need.pk]), {"message": "x"})
        .status_code
        == 404
    )
    # The offer made there is not the resident's here either.
    assert (
        _client(cast.resident)
        .post(reverse(f"{PUBLIC}:offer_withdraw", args=[offer.pk]))
        .status_code
        == 404
    )
    assert "Ailleurs" not in _client(cast.administrator).get(reverse(f"{BO}:list")).content.decode()


def test_it_shows_every_need_to_agents_in_the_back_office(cast: Cast) -> None:
    association = _association(cast)
    _need(cast, association, title="Des sacs de sable", urgency=Urgency.URGENT)
    _need(cast, publish=False, title="Un brouillon de la mairie")
    agent = _client(cast.participation_manager)
    page = agent.get(reverse(f"{BO}:list")).content.decode()
    assert "Des sacs de sable" in page and "Un brouillon de la mairie" in page
    page = agent.get(reverse(f"{BO}:list"), {"status": "draft"}).content.decode()
    assert "Des sacs de sable" not in page and "Un brouillon de la mairie" in page
    sandbags = Need.objects.get(title="Des sacs de sable")
    services.need_offer_make(need=sandbags, user=cast.resident, message="Mon garage", contact="")
    page = agent.get(reverse(f"{BO}:detail", args=[sandbags.pk])).content.decode()
    assert "Mon garage" in page and 'name="from" value="backoffice"' in page
    edit = reverse(f"{PUBLIC}:edit", args=[sandbags.pk]) + "?from=backoffice"
    assert agent.get(edit).status_code == 200
    response = agent.post(edit, _form(title="Des sacs de sable (400)"))
    assert response["Location"] == reverse(f"{BO}:detail", args=[sandbags.pk])
    sandbags.refresh_from_db()
    assert sandbags.title == "Des sacs de sable (400)" and sandbags.association == association
    for user in (cast.resident, cast.association_manager, cast.moderator, cast.front_desk):
        assert _client(user).get(reverse(f"{BO}:list")).status_code == 403
        assert _client(user).get(reverse(f"{BO}:detail", args=[sandbags.pk])).status_code == 403
    assert _client().get(reverse(f"{BO}:list")).status_code == 302


def test_it_exports_and_erases_a_persons_offers(cast: Cast) -> None:
    need = _need(cast)
    services.need_offer_make(need=need, user=cast.resident, message="Ma remorque", contact="0612")
    [exported] = services.export_need_offers(cast.resident)
    assert exported["message"] == "Ma remorque" and exported["contact"] == "0612"
    services.erase_need_offers(cast.resident)
    offer = NeedOffer.objects.get()
    assert (offer.message, offer.contact, offer.state) == ("", "", NeedOffer.State.WITHDRAWN)
