"""Who may read the vulnerable persons registry: social agents (CCAS) with a proven 2FA.

Administrators do not read it by virtue of administering: the decree restricts the registry
to the targeted health and social intervention it exists for. An administrator who is also
a CCAS agent holds the social_agent role as well.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from beffroi.accounts.access import has_role, is_verified, request_organisation, roles_required
from beffroi.accounts.models import Role, User
from beffroi.alerts.models import Alert, VulnerablePerson
from beffroi.alerts.registry.selectors import registry_alert_get, registry_person_get

REGISTRY_ROLES: frozenset[str] = frozenset({Role.SOCIAL_AGENT})


def can_read_registry(request: HttpRequest) -> bool:
    organisation = getattr(request, "organisation", None)
    return has_role(request.user, organisation, *REGISTRY_ROLES) and is_verified(request.user)


def registry_required[**P](view: Callable[P, HttpResponse]) -> Callable[P, HttpResponse]:
    """Guard a registry view: social agent of this organisation with a proven second factor.

    ``roles_required`` already asks social agents for their second factor; checking it here
    again keeps the registry closed even if the list of 2FA roles ever changes.
    """
    guarded = roles_required(REGISTRY_ROLES)(view)

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        request = args[0]
        assert isinstance(request, HttpRequest)
        holds_role = has_role(request.user, request_organisation(request), *REGISTRY_ROLES)
        if holds_role and not is_verified(request.user):
            return redirect(f"{reverse('accounts:two_factor')}?next={request.get_full_path()}")
        return guarded(*args, **kwargs)

    return wrapper


def registry_actor(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def access_vulnerable_person(request: HttpRequest, person_id: int) -> VulnerablePerson:
    """A registration of the request's organisation; 404 for another organisation's."""
    return registry_person_get(organisation=request_organisation(request), person_id=person_id)


def access_alert_for_call_sheet(request: HttpRequest, alert_id: int) -> Alert:
    """An alert of the request's organisation; 404 for another organisation's."""
    return registry_alert_get(organisation=request_organisation(request), alert_id=alert_id)
