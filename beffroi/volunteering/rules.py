"""The prerequisites of a mission, checked on a volunteer's profile: the same rule for an
application, a recommendation and a call-out (the matching applies them as SQL filters for
speed; ``prerequisites_missing`` is the reference, and the one that tells the volunteer why).
"""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _

from beffroi.volunteering.models import (
    Certification,
    Mission,
    ReserveMember,
    VolunteerCertification,
    VolunteerProfile,
)

# The years a volunteering date may fall in (a slot, an absence, an engagement, a training):
# wide for any plan, while a typo such as 0202, 20266 or 9999 is refused, not stored.
FIRST_YEAR = 2000
LAST_YEAR = 2100
FIRST_DAY = date(FIRST_YEAR, 1, 1)
LAST_DAY = date(LAST_YEAR, 12, 31)


def plausible_day(day: date) -> bool:
    return FIRST_YEAR <= day.year <= LAST_YEAR


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def valid_certifications(profile: VolunteerProfile, on: date) -> set[str]:
    """The certification kinds of the profile that are valid on ``on`` (no expiry, or an
    expiry on that day or later)."""
    return {
        c.kind
        for c in VolunteerCertification.objects.filter(profile=profile)
        if c.expires_on is None or c.expires_on >= on
    }


def is_reservist(profile: VolunteerProfile, on: date) -> bool:
    return ReserveMember.objects.filter(
        profile=profile, engaged_from__lte=on, engaged_until__gte=on
    ).exists()


def prerequisites_missing(*, mission: Mission, profile: VolunteerProfile, on: date) -> list[str]:
    """What the volunteer lacks for ``mission`` on the day ``on`` (a slot's day), as
    translated sentences; empty when they may take part."""
    missing: list[str] = []
    if mission.min_age:
        if profile.birth_date is None:
            missing.append(
                _("This mission is for people aged %(age)s or more: add your date of birth.")
                % {"age": mission.min_age}
            )
        elif age_on(profile.birth_date, on) < mission.min_age:
            missing.append(
                _("This mission is for people aged %(age)s or more.") % {"age": mission.min_age}
            )
    if mission.certifications:
        labels = dict(Certification.choices)
        held = valid_certifications(profile, on)
        for kind in mission.certifications:
            if kind not in held:
                missing.append(
                    _("It requires a valid certification: %(name)s.")
                    % {"name": labels.get(kind, kind)}
                )
    if mission.reserve_only and not is_reservist(profile, on):
        missing.append(_("It is for the commune's civil-protection reserve only."))
    return missing
