"""Template helpers of volunteering for other domains' pages."""

from __future__ import annotations

from typing import Any

from django import template

from beffroi.accounts.access import has_role, request_organisation

register = template.Library()


@register.simple_tag(takes_context=True)
def may_call_out(context: dict[str, Any]) -> bool:
    """Whether the person on the page belongs to the crisis cell that launches call-outs
    (the alert page offers them only then)."""
    from beffroi.volunteering.access import CRISIS_ROLES

    request = context.get("request")
    if request is None:
        return False
    return has_role(request.user, request_organisation(request), *CRISIS_ROLES)
