"""Reads about participants: who is taking part in this session, and where a refused
person can fix what ``access.decide`` refused."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from beffroi.alerts.models import Place
from beffroi.participation.access import SMS_PARTICIPANT_SESSION_KEY, Decision
from beffroi.participation.models import Participant
from beffroi.territory.models import Organisation

# Refusals the person can fix on the profile page, and those fixed by signing in.
PROFILE_CODES = frozenset({"birth_year", "not_resident"})
SIGNIN_CODES = frozenset({"login", "account_needed", "email_unverified"})


def refusal_help(decision: Decision | None, *, next_url: str = "") -> tuple[str, str | Promise]:
    """Where a person refused by ``decision`` can do something about it: (url, link text),
    or ("", "") when nothing can be done there (phase closed, blocked, too young)."""
    if decision is None or decision.allowed:
        return "", ""
    suffix = ""
    if next_url.startswith("/") and not next_url.startswith("//"):
        from urllib.parse import urlencode

        suffix = "?" + urlencode({"next": next_url})
    if decision.code in PROFILE_CODES:
        return reverse("participation_participants:profile") + suffix, _(
            "Complete my participant profile"
        )
    if decision.code in SIGNIN_CODES:
        return reverse("participation_participants:take_part") + suffix, _("How to take part")
    return "", ""


def sms_participant_id(request: HttpRequest) -> int | None:
    value = request.session.get(SMS_PARTICIPANT_SESSION_KEY)
    return value if isinstance(value, int) else None


def participant_known(*, request: HttpRequest, organisation: Organisation) -> Participant | None:
    """The participant of the request, read only (never created: the header asks on every
    page, and an agent browsing the site is not a participant)."""
    user = request.user
    if user.is_authenticated:
        return Participant.objects.filter(organisation=organisation, user_id=user.pk).first()
    participant_id = sms_participant_id(request)
    if participant_id is None:
        return None
    return Participant.objects.filter(
        pk=participant_id,
        organisation=organisation,
        user__isnull=True,
        subscriber__isnull=False,
    ).first()


def alert_places(*, participant: Participant) -> list[Place]:
    """The places the person registered for alerts (they count as residence too)."""
    if participant.subscriber_id is None:
        return []
    return list(
        Place.objects.filter(subscriber_id=participant.subscriber_id)
        .select_related("address__street", "address__commune")
        .order_by("pk")
    )


def masked_number(number: str) -> str:
    """ "+33612345678" → "•• •• •• •• 78": enough for the person to recognise it."""
    digits = "".join(c for c in str(number) if c.isdigit())
    return "•• •• •• •• " + digits[-2:] if len(digits) >= 2 else ""
