"""Template helpers of volunteering for other domains' pages."""

from __future__ import annotations

from typing import Any

from django import template

from beffroi.accounts.access import has_role, request_organisation

register = template.Library()


@register.simple_tag(takes_context=True)
def may_call_out(context: dict[str, Any], alert: Any = None) -> bool:
    """Whether the person on the page belongs to the crisis cell that launches call-outs,
    and, given an ``alert``, whether that alert is in force (the alert page offers a
    call-out only then: the call-out page refuses any other alert)."""
    from beffroi.volunteering.access import CRISIS_ROLES
    from beffroi.volunteering.callouts.selectors import alert_offer_shown

    request = context.get("request")
    if request is None:
        return False
    organisation = request_organisation(request)
    if alert is None:
        return has_role(request.user, organisation, *CRISIS_ROLES)
    return alert_offer_shown(user=request.user, organisation=organisation, alert_id=alert.pk)
