"""Reads of the accounts app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from beffroi.accounts.models import AGENT_ROLES, ApiToken, Role, RoleAssignment, User

if TYPE_CHECKING:
    from beffroi.territory.models import Organisation


@dataclass(frozen=True)
class AgentRow:
    user: User
    assignments: list[RoleAssignment]
    has_two_factor: bool


def organisation_agents(*, organisation: Organisation) -> list[AgentRow]:
    """The organisation's agents with their roles here (residents are not listed)."""
    users = (
        User.objects.filter(
            role_assignments__organisation=organisation, role_assignments__role__in=AGENT_ROLES
        )
        .distinct()
        .order_by("full_name", "email")
        .prefetch_related(
            Prefetch(
                "role_assignments",
                queryset=RoleAssignment.objects.filter(organisation=organisation).order_by("role"),
                to_attr="roles_here",
            )
        )
    )
    with_device = set(
        TOTPDevice.objects.filter(user__in=users, confirmed=True).values_list("user_id", flat=True)
    )
    return [AgentRow(u, list(getattr(u, "roles_here", [])), u.pk in with_device) for u in users]


def user_role_labels(*, user: User, organisation: Organisation | None) -> list[str]:
    if organisation is None:
        return []
    roles = RoleAssignment.objects.filter(user=user, organisation=organisation).values_list(
        "role", flat=True
    )
    return [str(Role(role).label) for role in sorted(roles)]


def user_api_tokens(*, user: User, organisation: Organisation) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user, organisation=organisation)


def user_has_two_factor(*, user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def user_backup_codes_left(*, user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())
