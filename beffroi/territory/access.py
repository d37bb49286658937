"""Who may see and change the territory in the back office.

Zones and addresses are public data, but drawing a zone decides who receives an alert, so:
- view: administrators, alert authors and approvers (they target alerts), moderators, and
  front-desk agents (they locate a caller's address);
- edit (draw, import, rename, delete): administrators and alert authors, who prepare the
  targeting of alerts.
"""

from __future__ import annotations

from django.http import HttpRequest

from beffroi.accounts.access import found, has_role, request_organisation
from beffroi.accounts.models import Role
from beffroi.territory.models import Address, Zone
from beffroi.territory.selectors import address_get, zone_get

VIEW_ROLES: frozenset[str] = frozenset(
    {Role.ADMINISTRATOR, Role.ALERT_AUTHOR, Role.ALERT_APPROVER, Role.MODERATOR, Role.FRONT_DESK}
)
EDIT_ROLES: frozenset[str] = frozenset({Role.ADMINISTRATOR, Role.ALERT_AUTHOR})


def can_edit_territory(request: HttpRequest) -> bool:
    return has_role(request.user, getattr(request, "organisation", None), *EDIT_ROLES)


def access_zone(request: HttpRequest, zone_id: int) -> Zone:
    """The zone of the request's organisation (404 for another organisation's zone)."""
    return found(zone_get(organisation=request_organisation(request), zone_id=zone_id), "zone")


def access_address(request: HttpRequest, address_id: int) -> Address:
    """An address of the request's organisation (404 for another organisation's)."""
    organisation = request_organisation(request)
    return found(address_get(organisation=organisation, address_id=address_id), "address")
