"""Who may do what with alerts, and the only way views and API endpoints load an alert's
objects: scoped to the request's organisation and to the agent's roles.

Role sets:
- composing alerts: authors, approvers and administrators; approving: approvers only (the
  four-eyes rule is in the composer's services);
- following dispatch and reading alerts in the back office: the composers and the CCAS's
  social agents, who call the vulnerable persons of an alert's area;
- the vulnerable persons registry: social agents (CCAS) with a proven second factor.
  Administrators do not read it by virtue of administering: the decree restricts the
  registry to the targeted health and social intervention it exists for; an administrator
  who is also a CCAS agent holds the social_agent role as well;
- residents' registrations: the front desk takes them on the phone, alert authors and
  administrators keep the list, CCAS agents register the people they follow; a bulk import
  touches hundreds of people at once, so only the people who own the list import.

Every ``access_*`` loader answers 404 for another organisation's object as for a missing one.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from beffroi.accounts.access import (
    found,
    has_role,
    is_verified,
    request_organisation,
    roles_required,
)
from beffroi.accounts.models import Role, User
from beffroi.alerts.composer.selectors import alert_get, template_get
from beffroi.alerts.dispatch.selectors import dispatch_alert
from beffroi.alerts.models import Alert, AlertTemplate, Place, Subscriber, VulnerablePerson
from beffroi.alerts.public.selectors import (
    AlertThread,
    organisation_alert_get,
    public_alert_get,
    public_thread_get,
)
from beffroi.alerts.registry.selectors import registry_alert_get, registry_person_get
from beffroi.territory.models import Organisation

COMPOSER_ROLES: frozenset[str] = frozenset(
    {Role.ALERT_AUTHOR, Role.ALERT_APPROVER, Role.ADMINISTRATOR}
)
APPROVER_ROLES: frozenset[str] = frozenset({Role.ALERT_APPROVER})
ALERT_VIEW_ROLES: frozenset[str] = COMPOSER_ROLES | {Role.SOCIAL_AGENT}
TEMPLATE_EDIT_ROLES: frozenset[str] = frozenset({Role.ALERT_AUTHOR, Role.ADMINISTRATOR})
SETTINGS_ROLES: frozenset[str] = frozenset({Role.ADMINISTRATOR})
CAP_IMPORT_ROLES: frozenset[str] = frozenset({Role.ALERT_AUTHOR, Role.ADMINISTRATOR})
REGISTRY_ROLES: frozenset[str] = frozenset({Role.SOCIAL_AGENT})
SUBSCRIBER_ROLES: frozenset[str] = frozenset(
    {Role.FRONT_DESK, Role.ALERT_AUTHOR, Role.ADMINISTRATOR, Role.SOCIAL_AGENT}
)
SUBSCRIBER_IMPORT_ROLES: frozenset[str] = frozenset({Role.ALERT_AUTHOR, Role.ADMINISTRATOR})


# --- Composer and dispatch -----------------------------------------------------------------


def access_alert(request: HttpRequest, alert_id: int) -> Alert:
    """An alert of the request's organisation, as the composer shows it."""
    return found(alert_get(organisation=request_organisation(request), alert_id=alert_id), "alert")


def access_template(request: HttpRequest, template_id: int) -> AlertTemplate:
    organisation = request_organisation(request)
    return found(template_get(organisation=organisation, template_id=template_id), "template")


def access_dispatch_alert(request: HttpRequest, alert_id: int) -> Alert:
    """An alert of the request's organisation that has entered dispatch."""
    organisation = request_organisation(request)
    return found(dispatch_alert(organisation=organisation, alert_id=alert_id), "alert")


# --- Public pages ----------------------------------------------------------------------------


def access_public_thread(request: HttpRequest, alert_id: int) -> tuple[AlertThread, Alert]:
    """A published message and its thread (anyone may read them)."""
    organisation = request_organisation(request)
    return found(public_thread_get(organisation=organisation, alert_id=alert_id), "alert")


def access_public_alert(request: HttpRequest, alert_id: int) -> Alert:
    organisation = request_organisation(request)
    return found(public_alert_get(organisation=organisation, alert_id=alert_id), "alert")


def access_organisation_alert(request: HttpRequest, alert_id: int) -> Alert:
    """Any alert of the request's organisation, published or not (callers check roles)."""
    organisation = request_organisation(request)
    return found(organisation_alert_get(organisation=organisation, alert_id=alert_id), "alert")


# --- Registry ------------------------------------------------------------------------------


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
    """A registration of the request's organisation (registry views are already guarded)."""
    organisation = request_organisation(request)
    person = registry_person_get(organisation=organisation, person_id=person_id)
    return found(person, "registered person")


def access_alert_for_call_sheet(request: HttpRequest, alert_id: int) -> Alert:
    organisation = request_organisation(request)
    return found(registry_alert_get(organisation=organisation, alert_id=alert_id), "alert")


# --- Residents' registrations ------------------------------------------------------------


def access_subscriber(request: HttpRequest, subscriber_id: int) -> Subscriber:
    """A subscriber of the request's organisation, for agents handling registrations."""
    organisation = request_organisation(request)
    return access_subscriber_for_user(
        organisation=organisation, user=request.user, subscriber_id=subscriber_id
    )


def access_subscriber_for_user(
    *, organisation: Organisation, user: object, subscriber_id: int
) -> Subscriber:
    """Same check for an API caller identified by a token."""
    subscriber = Subscriber.objects.filter(pk=subscriber_id, organisation=organisation).first()
    allowed = has_role(user, organisation, *SUBSCRIBER_ROLES)  # type: ignore[arg-type]
    return found(subscriber if allowed else None, "subscriber")


def access_place(*, subscriber: Subscriber, place_id: int) -> Place:
    """A place of ``subscriber`` (who was loaded through an access_* loader)."""
    return found(Place.objects.filter(pk=place_id, subscriber=subscriber).first(), "place")
