"""Needs other than people (equipment, premises, transport): every write.

A need is published like a mission (draft → published → fulfilled, closed or cancelled) by
an association's managers for their association, or by the commune's agents for the
commune and any association. Residents offer what is asked, as themselves or on behalf of
an association they manage; the need's organisers accept or decline each offer with an
answer the offerer receives by e-mail. Every decision is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from beffroi.accounts.access import has_role
from beffroi.accounts.models import User
from beffroi.core.audit import audit_record
from beffroi.core.ratelimit import rate_hit
from beffroi.territory.models import Organisation
from beffroi.territory.selectors import addresses_resolve, organisation_url
from beffroi.volunteering.access import AGENT_ROLES, can_manage
from beffroi.volunteering.models import Association, Membership, Need, NeedOffer, Urgency
from beffroi.volunteering.notify import email_send

# Offers a person may make in a day: enough for a generous neighbour answering every need
# of the week, too few to flood the organisers' mailboxes.
OFFERS_PER_DAY = 10
DAY_SECONDS = 86_400

OPEN_STATES = (NeedOffer.State.PROPOSED, NeedOffer.State.ACCEPTED)


class NeedRefused(Exception):
    """A write the rules refuse; ``str()`` is a translated message for the person."""


@dataclass
class NeedInput:
    """A need as the form or the API sends it."""

    kind: str
    title: str
    description: str
    quantity: str = ""
    street_address: str = ""
    needed_from: date | None = None
    needed_until: date | None = None
    urgency: str = Urgency.NORMAL

    FIELDS = (
        "kind",
        "title",
        "description",
        "quantity",
        "street_address",
        "needed_from",
        "needed_until",
        "urgency",
    )


def may_organise(user: object, organisation: Organisation, association: Association | None) -> bool:
    """The commune's agents organise the commune's needs and any association's; an
    association's active managers organise their association's."""
    if not isinstance(user, User) or not user.is_authenticated:
        return False
    if has_role(user, organisation, *AGENT_ROLES):
        return True
    return (
        association is not None
        and association.organisation_id == organisation.pk
        and can_manage(user, association)
    )


def _check_organiser(user: User, need: Need) -> None:
    if not may_organise(user, need.organisation, need.association):
        raise NeedRefused(_("You do not organise this need."))


def _check_input(data: NeedInput) -> None:
    if data.kind not in Need.Kind.values:
        raise NeedRefused(_("Choose what kind of need it is."))
    if not data.title.strip():
        raise NeedRefused(_("The title is required."))
    if not data.description.strip():
        raise NeedRefused(_("Describe what is needed."))
    if data.urgency not in Urgency.values:
        raise NeedRefused(_("Choose the urgency."))
    if data.needed_from and data.needed_until and data.needed_until < data.needed_from:
        raise NeedRefused(_("The end of the period comes before its start."))


def _locate(need: Need) -> None:
    """Place the need at its address, found among the commune's BAN addresses; an address
    not found, or none, leaves it off the map (its text still says where)."""
    need.lat = need.lon = None
    if not need.street_address.strip():
        return
    [match] = addresses_resolve(organisation=need.organisation, queries=[need.street_address])
    if match is not None:
        need.lat, need.lon = match.lat, match.lon


def _fill(need: Need, data: NeedInput) -> list[str]:
    changed = [name for name in NeedInput.FIELDS if getattr(need, name) != getattr(data, name)]
    for name in changed:
        value = getattr(data, name)
        setattr(need, name, value.strip() if isinstance(value, str) else value)
    return changed


@transaction.atomic
def need_create(
    *,
    organisation: Organisation,
    actor: User,
    data: NeedInput,
    association: Association | None = None,
) -> Need:
    """A draft need of ``association`` (or of the commune, ``None``): published later."""
    if association is not None and association.organisation_id != organisation.pk:
        raise NeedRefused(_("This association is not one of the commune's."))
    if not may_organise(actor, organisation, association):
        raise NeedRefused(
            _("Only the commune's agents and the association's managers publish its needs.")
        )
    _check_input(data)
    need = Need(organisation=organisation, association=association, created_by=actor)
    _fill(need, data)
    _locate(need)
    need.save()
    audit_record(
        action="need.create",
        organisation=organisation,
        actor=actor,
        target=need,
        data={"association": association.pk if association else None},
    )
    return need


@transaction.atomic
def need_update(*, need: Need, actor: User, data: NeedInput) -> Need:
    """Edit a draft or published need (a finished one stays as it was)."""
    need = (
        Need.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=need.pk)
    )
    _check_organiser(actor, need)
    if need.status not in (Need.Status.DRAFT, Need.Status.PUBLISHED):
        raise NeedRefused(_("This need is finished: it can no longer be changed."))
    _check_input(data)
    changed = _fill(need, data)
    if "street_address" in changed:
        _locate(need)
    need.save()
    audit_record(
        action="need.update",
        organisation=need.organisation,
        actor=actor,
        target=need,
        data={"fields": changed},
    )
    return need


def _transition(
    need: Need, actor: User, *, allowed: tuple[str, ...], to: str, action: str, refusal: str
) -> Need:
    need = (
        Need.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=need.pk)
    )
    _check_organiser(actor, need)
    if need.status not in allowed:
        raise NeedRefused(refusal)
    before = need.status
    need.status = to
    fields = ["status", "updated_at"]
    if to == Need.Status.PUBLISHED and need.published_at is None:
        need.published_at = timezone.now()
        fields.append("published_at")
    need.save(update_fields=fields)
    audit_record(
        action=action,
        organisation=need.organisation,
        actor=actor,
        target=need,
        data={"from": before},
    )
    return need


@transaction.atomic
def need_publish(*, need: Need, actor: User) -> Need:
    """A draft goes public: residents see it and may offer."""
    return _transition(
        need,
        actor,
        allowed=(Need.Status.DRAFT,),
        to=Need.Status.PUBLISHED,
        action="need.publish",
        refusal=_("Only a draft can be published."),
    )


def _end_offers(need: Need, answer: str) -> None:
    """The offers still awaiting an answer when a need ends are declined with ``answer``,
    so that nobody keeps a van or a hall free for a need that no longer exists."""
    offers = list(
        NeedOffer.objects.select_for_update(of=("self",))
        .filter(need=need, state=NeedOffer.State.PROPOSED)
        .select_related("user")
    )
    if not offers:
        return
    now = timezone.now()
    NeedOffer.objects.filter(pk__in=[o.pk for o in offers]).update(
        state=NeedOffer.State.DECLINED, answer=answer, decided_at=now
    )
    for offer in offers:
        offer.state, offer.answer, offer.decided_at = NeedOffer.State.DECLINED, answer, now
        _tell_offerer_on_commit(offer, need)


@transaction.atomic
def need_fulfil(*, need: Need, actor: User) -> Need:
    """The need is met (by an accepted offer or otherwise); offers still waiting are
    declined with a word of thanks."""
    need = _transition(
        need,
        actor,
        allowed=(Need.Status.PUBLISHED,),
        to=Need.Status.FULFILLED,
        action="need.fulfil",
        refusal=_("Only a published need can be marked as fulfilled."),
    )
    _end_offers(need, _("Thank you: the need has been met in the meantime."))
    return need


@transaction.atomic
def need_close(*, need: Need, actor: User) -> Need:
    """No more offers are taken (the date passed, the event is over)."""
    need = _transition(
        need,
        actor,
        allowed=(Need.Status.PUBLISHED,),
        to=Need.Status.CLOSED,
        action="need.close",
        refusal=_("Only a published need can be closed."),
    )
    _end_offers(need, _("Thank you: the need is closed, no more offers are taken."))
    return need


@transaction.atomic
def need_cancel(*, need: Need, actor: User) -> Need:
    """The need no longer exists (the event is called off)."""
    need = _transition(
        need,
        actor,
        allowed=(Need.Status.DRAFT, Need.Status.PUBLISHED),
        to=Need.Status.CANCELLED,
        action="need.cancel",
        refusal=_("This need is already finished."),
    )
    _end_offers(need, _("Thank you: the need has been cancelled."))
    return need


# --- Offers ----------------------------------------------------------------------------------


def need_offer_make(
    *,
    need: Need,
    user: User,
    association: Association | None = None,
    message: str,
    contact: str,
) -> NeedOffer:
    """A resident offers what the need asks, as themselves or on behalf of ``association``
    (which they manage). One live offer (proposed or accepted) per person and need; at most
    ``OFFERS_PER_DAY`` a day. The organisers are told by e-mail after the commit."""
    message = message.strip()
    contact = contact.strip()
    if not user.is_authenticated:
        raise NeedRefused(_("Log in to make an offer."))
    if not message:
        raise NeedRefused(_("Say what you offer."))
    if association is not None and (
        association.organisation_id != need.organisation_id or not can_manage(user, association)
    ):
        raise NeedRefused(_("You may only offer on behalf of an association you manage."))
    if need.status != Need.Status.PUBLISHED:
        raise NeedRefused(_("This need no longer takes offers."))
    if association is not None and association.pk == need.association_id:
        raise NeedRefused(_("An association cannot answer its own need."))
    # Counted before the work, outside the transaction (a rollback must not give the hit
    # back): a refused offer counts too, as a flood of refused ones is the abuse.
    if not rate_hit(
        f"volunteering:need-offer:{user.pk}", limit=OFFERS_PER_DAY, window_seconds=DAY_SECONDS
    ).allowed:
        raise NeedRefused(
            _("You have made many offers today: please try again tomorrow, or call the town hall.")
        )
    with transaction.atomic():
        # The need's row lock makes "one live offer per person" hold when the same form is
        # sent twice at once.
        need = (
            Need.objects.select_for_update(of=("self",))
            .select_related("organisation")
            .get(pk=need.pk)
        )
        if need.status != Need.Status.PUBLISHED:
            raise NeedRefused(_("This need no longer takes offers."))
        if NeedOffer.objects.filter(need=need, user=user, state__in=OPEN_STATES).exists():
            raise NeedRefused(
                _("You have already made an offer for this need: withdraw it to make another.")
            )
        offer = NeedOffer.objects.create(
            need=need, user=user, association=association, message=message, contact=contact
        )
        audit_record(
            action="need.offer",
            organisation=need.organisation,
            actor=user,
            target=need,
            data={"offer": offer.pk, "association": association.pk if association else None},
        )
        transaction.on_commit(lambda: _tell_organisers(offer, need))
    return offer


@transaction.atomic
def need_offer_withdraw(*, offer: NeedOffer, user: User) -> NeedOffer:
    """The offerer takes their offer back (even accepted: the organisers are then told)."""
    offer = (
        NeedOffer.objects.select_for_update(of=("self",)).select_related("need").get(pk=offer.pk)
    )
    if offer.user_id != user.pk:
        raise NeedRefused(_("This is not your offer."))
    if offer.state not in OPEN_STATES:
        raise NeedRefused(_("This offer is no longer open."))
    was_accepted = offer.state == NeedOffer.State.ACCEPTED
    offer.state = NeedOffer.State.WITHDRAWN
    offer.save(update_fields=["state"])
    need = offer.need
    audit_record(
        action="need.offer_withdraw",
        organisation=need.organisation,
        actor=user,
        target=need,
        data={"offer": offer.pk, "was_accepted": was_accepted},
    )
    if was_accepted:
        transaction.on_commit(lambda: _tell_organisers(offer, need, withdrawn=True))
    return offer


def _decide(offer: NeedOffer, actor: User, *, to: str, answer: str) -> NeedOffer:
    offer = (
        NeedOffer.objects.select_for_update(of=("self",))
        .select_related("need__organisation", "need__association", "user")
        .get(pk=offer.pk)
    )
    need = offer.need
    _check_organiser(actor, need)
    if offer.state != NeedOffer.State.PROPOSED:
        raise NeedRefused(_("This offer has already been answered or withdrawn."))
    if to == NeedOffer.State.ACCEPTED and need.status != Need.Status.PUBLISHED:
        raise NeedRefused(_("Only offers for a published need can be accepted."))
    offer.state = to
    offer.answer = answer.strip()
    offer.decided_at = timezone.now()
    offer.save(update_fields=["state", "answer", "decided_at"])
    audit_record(
        action="need.offer_accept" if to == NeedOffer.State.ACCEPTED else "need.offer_decline",
        organisation=need.organisation,
        actor=actor,
        target=need,
        reason=offer.answer,
        data={"offer": offer.pk},
    )
    _tell_offerer_on_commit(offer, need)
    return offer


@transaction.atomic
def need_offer_accept(*, offer: NeedOffer, actor: User, answer: str = "") -> NeedOffer:
    """An organiser takes the offer; ``answer`` (optional) says how to go on."""
    return _decide(offer, actor, to=NeedOffer.State.ACCEPTED, answer=answer)


@transaction.atomic
def need_offer_decline(*, offer: NeedOffer, actor: User, answer: str) -> NeedOffer:
    """An organiser declines, saying why: the offerer reads it."""
    if not answer.strip():
        raise NeedRefused(_("Say why you decline: the person who offered reads it."))
    return _decide(offer, actor, to=NeedOffer.State.DECLINED, answer=answer)


# --- Messages --------------------------------------------------------------------------------


def organiser_emails(need: Need) -> list[str]:
    """Who hears of offers: the association's active managers; for the commune's needs, the
    agent who wrote it, else the town hall's address."""
    emails: list[str] = []
    if need.association_id is not None:
        emails = list(
            Membership.objects.filter(
                association_id=need.association_id,
                state=Membership.State.ACTIVE,
                user__is_active=True,
            )
            .exclude(user__email="")
            .order_by("pk")
            .values_list("user__email", flat=True)
        )
    if not emails and need.created_by_id is not None:
        creator = User.objects.filter(pk=need.created_by_id, is_active=True).first()
        if creator is not None and creator.email:
            emails = [creator.email]
    if not emails and need.organisation.contact_email:
        emails = [need.organisation.contact_email]
    return emails


def _tell_organisers(offer: NeedOffer, need: Need, *, withdrawn: bool = False) -> None:
    organisation = need.organisation
    link = organisation_url(organisation, reverse("volunteering_needs:manage", args=[need.pk]))
    who = offer.association.name if offer.association_id and offer.association else ""
    who = who or offer.user.display_name
    if withdrawn:
        subject = _("Offer withdrawn: %(title)s") % {"title": need.title}
        intro = _("%(who)s has withdrawn the offer you had accepted for “%(title)s”.") % {
            "who": who,
            "title": need.title,
        }
    else:
        subject = _("New offer: %(title)s") % {"title": need.title}
        intro = _("%(who)s offers to help with “%(title)s”.") % {"who": who, "title": need.title}
    lines = [intro, ""]
    if not withdrawn:
        lines += [offer.message, ""]
        if offer.contact:
            lines += [_("How to reach them: %(contact)s") % {"contact": offer.contact}, ""]
        lines += [_("Accept or decline the offer on the need's page:")]
    else:
        lines += [_("The need's page:")]
    lines += [link]
    for index, address in enumerate(organiser_emails(need)):
        email_send(
            sender_name=organisation.name,
            key=f"vol-need-offer-{offer.pk}-{'w' if withdrawn else 'n'}-{index}",
            to=address,
            subject=subject,
            text="\n".join(lines),
        )


def _tell_offerer_on_commit(offer: NeedOffer, need: Need) -> None:
    transaction.on_commit(lambda: _tell_offerer(offer, need))


def _tell_offerer(offer: NeedOffer, need: Need) -> None:
    email = offer.user.email
    if not email or offer.user.erased_at:
        return
    with translation.override(offer.user.language or None):
        _tell_offerer_in_language(offer, need, email)


def _tell_offerer_in_language(offer: NeedOffer, need: Need, email: str) -> None:
    organisation = need.organisation
    if offer.state == NeedOffer.State.ACCEPTED:
        subject = _("Your offer is accepted: %(title)s") % {"title": need.title}
        intro = _("Thank you! Your offer for “%(title)s” is accepted.") % {"title": need.title}
    else:
        subject = _("Your offer: %(title)s") % {"title": need.title}
        intro = _("Your offer for “%(title)s” has not been taken up.") % {"title": need.title}
    lines = [intro, ""]
    if offer.answer:
        lines += [_("The organisers' answer:"), offer.answer, ""]
    lines += [
        _("Your offers:"),
        organisation_url(organisation, reverse("volunteering_needs:mine")),
    ]
    email_send(
        sender_name=organisation.name,
        key=f"vol-need-offer-{offer.pk}-{offer.state}",
        to=email,
        subject=subject,
        text="\n".join(lines),
    )


# --- GDPR ------------------------------------------------------------------------------------


def export_need_offers(user: User) -> list[dict[str, object]]:
    """The offers the person made, with the organisers' answers."""
    return [
        {
            "need": offer.need.title,
            "organisation": offer.need.organisation.name,
            "on_behalf_of": offer.association.name if offer.association else "",
            "message": offer.message,
            "contact": offer.contact,
            "state": offer.state,
            "answer": offer.answer,
            "made_at": offer.created_at.isoformat(),
            "decided_at": offer.decided_at.isoformat() if offer.decided_at else None,
        }
        for offer in NeedOffer.objects.filter(user=user)
        .select_related("need__organisation", "association")
        .order_by("created_at", "pk")
    ]


def erase_need_offers(user: User) -> None:
    """What the person wrote and how to reach them goes; the offers stay as counts of what
    a need received (whether it was accepted is the organisers' record)."""
    NeedOffer.objects.filter(user=user).update(message="", contact="")
    NeedOffer.objects.filter(user=user, state=NeedOffer.State.PROPOSED).update(
        state=NeedOffer.State.WITHDRAWN
    )
