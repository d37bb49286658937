"""Who may do what in which organisation. Views, API and commands ask here, nowhere else."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from beffroi.accounts.models import (
    AGENT_ROLES,
    TWO_FACTOR_ROLES,
    ApiToken,
    Role,
    RoleAssignment,
    User,
)

if TYPE_CHECKING:
    from beffroi.territory.models import Organisation

P = ParamSpec("P")
R = TypeVar("R")

AnyUser = User | AnonymousUser


def user_roles(user: AnyUser, organisation: Organisation | None) -> frozenset[str]:
    """The roles ``user`` holds in ``organisation`` (cached on the user object per request)."""
    if organisation is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    assert isinstance(user, User)
    cache: dict[int, frozenset[str]] = user.__dict__.setdefault("_beffroi_roles", {})
    if organisation.pk not in cache:
        cache[organisation.pk] = frozenset(
            RoleAssignment.objects.filter(user=user, organisation=organisation).values_list(
                "role", flat=True
            )
        )
    return cache[organisation.pk]


def has_role(user: AnyUser, organisation: Organisation | None, *roles: str) -> bool:
    held = user_roles(user, organisation)
    return bool(held.intersection(roles))


def is_agent(user: AnyUser, organisation: Organisation | None) -> bool:
    return bool(user_roles(user, organisation) & AGENT_ROLES)


def requires_two_factor(user: AnyUser, organisation: Organisation | None) -> bool:
    return bool(user_roles(user, organisation) & TWO_FACTOR_ROLES)


def is_verified(user: AnyUser) -> bool:
    verified = getattr(user, "is_verified", None)
    return bool(verified()) if callable(verified) else False


def found[T](value: T | None, what: str) -> T:
    """``value``, or a 404 naming ``what``: the answer of every ``access_*`` loader for an
    object that does not exist and for one of another organisation alike, so that ids
    cannot be probed across communes."""
    if value is None:
        raise Http404(f"No such {what}.")
    return value


def request_organisation(request: HttpRequest) -> Organisation:
    organisation: Organisation | None = getattr(request, "organisation", None)
    if organisation is None:
        raise Http404("No organisation is configured on this installation.")
    return organisation


def roles_required(
    roles: Iterable[str] | None = None,
) -> Callable[[Callable[P, HttpResponse]], Callable[P, HttpResponse]]:
    """Guard a view: agent of the request's organisation holding one of ``roles``.

    Anonymous users go to the login page; users with a 2FA role who have not proven their
    second factor in this session go to the 2FA page; others get 403.
    """
    wanted = frozenset(roles) if roles is not None else AGENT_ROLES

    def decorator(view: Callable[P, HttpResponse]) -> Callable[P, HttpResponse]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> HttpResponse:
            request = args[0]
            assert isinstance(request, HttpRequest)
            organisation = request_organisation(request)
            user = request.user
            if not user.is_authenticated:
                return redirect(f"{reverse('accounts:login')}?next={request.get_full_path()}")
            held = user_roles(user, organisation)
            if not held & wanted:
                raise PermissionDenied
            if held & TWO_FACTOR_ROLES and not is_verified(user):
                return redirect(f"{reverse('accounts:two_factor')}?next={request.get_full_path()}")
            return view(*args, **kwargs)

        return wrapper

    return decorator


def role_choices_for_agents() -> list[tuple[str, Any]]:
    return [(value, label) for value, label in Role.choices if value in AGENT_ROLES]


def access_role_assignment(request: HttpRequest, assignment_id: int) -> RoleAssignment:
    """A role of the request's organisation, for its administrators; 404 elsewhere."""
    organisation = request_organisation(request)
    assignment = (
        RoleAssignment.objects.select_related("user", "organisation")
        .filter(pk=assignment_id, organisation=organisation)
        .first()
    )
    if assignment is None or not has_role(request.user, organisation, Role.ADMINISTRATOR):
        raise Http404
    return assignment


def access_agent(request: HttpRequest, user_id: int) -> User:
    """An agent of the request's organisation, for its administrators; 404 elsewhere."""
    organisation = request_organisation(request)
    agent = (
        User.objects.filter(
            pk=user_id,
            role_assignments__organisation=organisation,
            role_assignments__role__in=AGENT_ROLES,
        )
        .distinct()
        .first()
    )
    if agent is None or not has_role(request.user, organisation, Role.ADMINISTRATOR):
        raise Http404
    return agent


def access_own_api_token(request: HttpRequest, token_id: int) -> ApiToken:
    """One of the requesting agent's tokens in this organisation; 404 for anyone else's."""
    organisation = request_organisation(request)
    if not request.user.is_authenticated:
        raise Http404
    token = ApiToken.objects.filter(
        pk=token_id, organisation=organisation, user_id=int(request.user.pk)
    ).first()
    if token is None:
        raise Http404
    return token
