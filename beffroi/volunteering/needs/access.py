"""Who may see and change needs and offers: the only way views load them.

- Anyone reads a need once published (and after, fulfilled or closed, so that a link in an
  e-mail still answers); a draft or a cancelled need only its organisers.
- Organisers are the commune's agents (every need of the organisation) and the active
  managers of the need's association.
- An offer is read by the person who made it and by the need's organisers.

Another organisation's need or offer is a 404, as a missing one is.
"""

from __future__ import annotations

from django.http import HttpRequest

from beffroi.accounts.access import (
    found,
    has_role,
    is_verified,
    request_organisation,
    requires_two_factor,
)
from beffroi.accounts.models import User
from beffroi.volunteering.access import AGENT_ROLES, can_manage
from beffroi.volunteering.models import Association, Membership, Need, NeedOffer

PUBLIC_STATUSES = (Need.Status.PUBLISHED, Need.Status.FULFILLED, Need.Status.CLOSED)


def is_needs_agent(request: HttpRequest) -> bool:
    """An agent of community life, whose second factor is proven when the role asks for one
    (as the back office requires): an administrator's stolen password alone does not
    decide on offers from the public pages."""
    organisation = request_organisation(request)
    return has_role(request.user, organisation, *AGENT_ROLES) and (
        not requires_two_factor(request.user, organisation) or is_verified(request.user)
    )


def managed_associations(request: HttpRequest) -> list[Association]:
    """The validated associations of the organisation the requester actively manages."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        return []
    return list(
        Association.objects.filter(
            organisation=request_organisation(request),
            status=Association.Status.VALIDATED,
            memberships__user=user,
            memberships__state=Membership.State.ACTIVE,
        )
        .distinct()
        .order_by("name", "pk")
    )


def _need(request: HttpRequest, need_id: int) -> Need | None:
    return (
        Need.objects.select_related("association", "organisation")
        .filter(organisation=request_organisation(request), pk=need_id)
        .first()
    )


def can_organise(request: HttpRequest, need: Need) -> bool:
    if is_needs_agent(request):
        return True
    return need.association is not None and can_manage(request.user, need.association)


def access_need(request: HttpRequest, need_id: int) -> Need:
    """A need the requester may read: public, or one they organise."""
    need = _need(request, need_id)
    if need is not None and need.status not in PUBLIC_STATUSES and not can_organise(request, need):
        need = None
    return found(need, "need")


def access_need_for_organiser(request: HttpRequest, need_id: int) -> Need:
    """A need the requester organises (agent, or manager of its association)."""
    need = _need(request, need_id)
    if need is not None and not can_organise(request, need):
        need = None
    return found(need, "need")


def access_need_for_agent(request: HttpRequest, need_id: int) -> Need:
    need = _need(request, need_id)
    if need is not None and not is_needs_agent(request):
        need = None
    return found(need, "need")


def access_offer_for_organiser(request: HttpRequest, need: Need, offer_id: int) -> NeedOffer:
    offer = (
        NeedOffer.objects.select_related("user", "association")
        .filter(need=need, pk=offer_id)
        .first()
    )
    return found(offer, "offer")


def access_own_offer(request: HttpRequest, offer_id: int) -> NeedOffer:
    """One of the requester's offers, on a need of the request's organisation."""
    user = request.user
    offer = None
    if isinstance(user, User) and user.is_authenticated:
        offer = (
            NeedOffer.objects.select_related("need")
            .filter(pk=offer_id, user=user, need__organisation=request_organisation(request))
            .first()
        )
    return found(offer, "offer")


def association_for_organiser(request: HttpRequest, association_id: int | None) -> Association:
    """An association a new need may be written for: any of the organisation's validated
    ones for the agents, the requester's own for its managers; 404 otherwise."""
    association = (
        Association.objects.filter(
            organisation=request_organisation(request),
            pk=association_id,
            status=Association.Status.VALIDATED,
        ).first()
        if association_id is not None
        else None
    )
    if (
        association is not None
        and not is_needs_agent(request)
        and not can_manage(request.user, association)
    ):
        association = None
    return found(association, "association")
