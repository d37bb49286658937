"""Matching: the one write, inviting a recommended volunteer to a mission.

An invitation goes through ``notify.volunteer_message_send`` (e-mail, else SMS within the
organisation's daily budget), at most once per volunteer and mission, and an organiser sends
at most ``INVITES_PER_DAY`` a day: a proposal is a nudge, not a mailing.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from beffroi.accounts.models import User
from beffroi.core.audit import audit_record
from beffroi.core.ratelimit import rate_hit
from beffroi.territory.selectors import organisation_url
from beffroi.volunteering.matching.selectors import candidate_profiles
from beffroi.volunteering.models import Mission, Slot, VolunteerProfile
from beffroi.volunteering.models.volunteers import MissionInvitation
from beffroi.volunteering.notify import VolunteerMessage, volunteer_message_send

INVITES_PER_DAY = 40
DAY = 24 * 3600


class InvitationRefused(Exception):
    """``str()`` is a translated message for the organiser."""


def _message(
    *, mission: Mission, slot: Slot | None, profile: VolunteerProfile, link: str, key: str
) -> VolunteerMessage:
    organiser = mission.association.name if mission.association else profile.organisation.name
    when = (
        formats.date_format(timezone.localtime(slot.starts_at), "DATETIME_FORMAT")
        if slot is not None
        else ""
    )
    lines = [
        _("Hello %(name)s,") % {"name": profile.full_name},
        "",
        _("%(organiser)s thinks you could help with the mission “%(title)s”.")
        % {"organiser": organiser, "title": mission.title},
    ]
    if when:
        lines.append(_("Next slot: %(when)s.") % {"when": when})
    lines += [
        "",
        _("If it suits you, apply on the mission's page: %(link)s") % {"link": link},
        "",
        _(
            "You receive this proposal because your volunteer profile lets associations find "
            "you. You can change that, or pause your profile, on your profile page."
        ),
    ]
    sms = _("%(organiser)s proposes you the mission “%(title)s”%(when)s. Details: %(link)s") % {
        "organiser": organiser,
        "title": mission.title[:60],
        "when": f" ({when})" if when else "",
        "link": link,
    }
    return VolunteerMessage(
        key=key,
        subject=_("A mission for you: %(title)s") % {"title": mission.title},
        text="\n".join(lines),
        sms_text=sms,
    )


def invitation_send(
    *,
    mission: Mission,
    profile_id: int,
    organiser: User,
    slot: Slot | None = None,
    request: HttpRequest | None = None,
) -> MissionInvitation:
    """Propose ``mission`` to the volunteer ``profile_id``, who must be among its
    recommendations (the hard filters of the matching hold). Any other id (unknown, another
    organisation's, private, paused, not free…) gets the same refusal, which names nobody:
    the action cannot be used to learn who a profile id is, nor whether it exists. The link
    in the message is the mission's page on the organisation's public site."""
    if not mission.is_open:
        raise InvitationRefused(_("Only a published mission can be proposed."))
    now = timezone.now()
    profile = (
        candidate_profiles(mission=mission, slot=slot, now=now)
        .filter(pk=profile_id)
        .select_related("organisation")
        .first()
    )
    if profile is None or profile.organisation_id != mission.organisation_id:
        raise InvitationRefused(_("This mission cannot be proposed to this volunteer."))
    if MissionInvitation.objects.filter(mission=mission, profile=profile).exists():
        raise InvitationRefused(
            _("%(name)s was already invited to this mission.") % {"name": profile.full_name}
        )
    decision = rate_hit(f"vol-invite:{organiser.pk}", limit=INVITES_PER_DAY, window_seconds=DAY)
    if not decision.allowed:
        raise InvitationRefused(
            _("You have sent %(count)s proposals today, the most a day: try again tomorrow.")
            % {"count": INVITES_PER_DAY}
        )
    try:
        with transaction.atomic():
            invitation = MissionInvitation.objects.create(
                mission=mission, profile=profile, slot=slot, invited_by=organiser
            )
    except IntegrityError as exc:  # the same invitation sent twice at once
        raise InvitationRefused(
            _("%(name)s was already invited to this mission.") % {"name": profile.full_name}
        ) from exc
    link = organisation_url(
        mission.organisation, reverse("volunteering_missions:detail", args=[mission.pk])
    )
    channel = volunteer_message_send(
        profile=profile,
        message=_message(
            mission=mission,
            slot=slot,
            profile=profile,
            link=link,
            key=f"vol-invite-{invitation.pk}",
        ),
    )
    if not channel:
        # Nothing went out: no trace of an invitation the volunteer never received, so that
        # the organiser may try again another day.
        invitation.delete()
        raise InvitationRefused(
            _(
                "The proposal could not be sent to %(name)s: no e-mail address, or no SMS "
                "left in today's budget."
            )
            % {"name": profile.full_name}
        )
    invitation.channel = channel
    invitation.save(update_fields=["channel"])
    audit_record(
        action="volunteer.invite",
        organisation=mission.organisation,
        actor=organiser,
        target=profile,
        data={"mission": mission.pk, "channel": channel},
        request=request,
    )
    return invitation
