"""Volunteer profiles: every write.

A resident keeps their own profile (one per organisation); a front-desk agent registers a
volunteer met on the phone or at the desk, who may have no account and no e-mail, and keeps
that profile up to date. A consent to crisis calls is timestamped, and when an agent records
it as told on the phone the audit names the agent. Reading a profile in the back office is
audited like the vulnerable persons' registry (``volunteer_profile_read``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from beffroi.accounts.models import User
from beffroi.core.audit import audit_record
from beffroi.core.phone import phone_e164, phone_parse
from beffroi.territory.models import Organisation
from beffroi.territory.selectors import addresses_resolve
from beffroi.volunteering.matching.selectors import MAX_RADIUS_KM
from beffroi.volunteering.models import (
    ALL_WEEK,
    PERIODS,
    Absence,
    Activity,
    Application,
    Certification,
    Skill,
    Slot,
    VolunteerCertification,
    VolunteerProfile,
    free_cells,
)
from beffroi.volunteering.rules import plausible_day

# Languages a volunteer may speak with the people they help (codes; French Sign Language
# has no ISO 639-1 code).
LANGUAGES: tuple[tuple[str, str], ...] = (
    ("fr", "Français"),
    ("en", "English"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("it", "Italiano"),
    ("pt", "Português"),
    ("ar", "العربية"),
    ("tr", "Türkçe"),
    ("pl", "Polski"),
    ("ro", "Română"),
    ("uk", "Українська"),
    ("ru", "Русский"),
    ("zh", "中文"),
    ("lsf", "Langue des signes française (LSF)"),
)
MAX_HOURS_MONTH = 200
# Plausible dates: an absence within the plausible years (rules.py), up to two years ahead;
# a birth date after 1900 (a typo such as 0195 or 2195 is refused, not stored).
ABSENCE_MAX_AHEAD_DAYS = 2 * 365
EARLIEST_BIRTH_DATE = date(1900, 1, 1)


class ProfileRefused(Exception):
    """A write the rules refuse; ``str()`` is a translated message for the person."""


class DuplicateProfile(ProfileRefused):
    """The mobile number or e-mail address is already another active profile's in the
    organisation; ``profile`` is that profile (for an agent's link to it)."""

    def __init__(self, message: str, *, profile: VolunteerProfile) -> None:
        super().__init__(message)
        self.profile = profile


def _same_person(
    organisation: Organisation, *, phone: str, email: str, exclude_pk: int | None
) -> VolunteerProfile | None:
    """Another active profile of ``organisation`` with this mobile number or e-mail address.

    Locks the organisation's row first, so that two saves of the same person at once are
    serialised and the second sees the first (called inside the caller's transaction)."""
    if not phone and not email:
        return None
    Organisation.objects.select_for_update(of=("self",)).filter(pk=organisation.pk).first()
    same = Q()
    if phone:
        same |= Q(phone=phone)
    if email:
        same |= Q(email__iexact=email)
    others = VolunteerProfile.objects.filter(same, organisation=organisation, active=True)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return others.order_by("pk").first()


def _refuse_duplicate_for_agent(
    organisation: Organisation, *, phone: str, email: str, exclude_pk: int | None
) -> None:
    other = _same_person(organisation, phone=phone, email=email, exclude_pk=exclude_pk)
    if other is not None:
        raise DuplicateProfile(
            _(
                "%(name)s's volunteer profile already has this mobile number or e-mail "
                "address: open it and update it rather than registering the person twice."
            )
            % {"name": other.full_name},
            profile=other,
        )


@dataclass
class CertificationInput:
    kind: str
    obtained_on: date | None = None
    expires_on: date | None = None


@dataclass
class ProfileInput:
    """A profile as a form sends it (the form validated each field)."""

    full_name: str
    email: str = ""
    phone: str = ""
    landline: str = ""
    birth_date: date | None = None
    home_label: str = ""
    home_lat: float | None = None
    home_lon: float | None = None
    radius_km: float = 5.0
    availability: int = 0
    interests: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    certifications: list[CertificationInput] = field(default_factory=list)
    max_hours_month: int | None = None
    visibility: str = VolunteerProfile.Visibility.MATCHABLE
    crisis_consent: bool = False
    notes: str = ""

    FIELDS = (
        "full_name",
        "email",
        "phone",
        "landline",
        "birth_date",
        "home_label",
        "home_lat",
        "home_lon",
        "radius_km",
        "availability",
        "interests",
        "skills",
        "languages",
        "max_hours_month",
        "visibility",
    )


def _phone_checked(raw: str, *, mobile: bool) -> str:
    try:
        return phone_e164(phone_parse(raw, mobile=mobile))
    except Exception as exc:  # ValidationError: its message is already translated
        messages = getattr(exc, "messages", None)
        raise ProfileRefused(messages[0] if messages else str(exc)) from exc


def _checked(data: ProfileInput) -> ProfileInput:
    if not data.full_name.strip():
        raise ProfileRefused(_("The name is required."))
    if data.phone:
        data.phone = _phone_checked(data.phone, mobile=True)
    if data.landline:
        data.landline = _phone_checked(data.landline, mobile=False)
    if not 0 < data.radius_km <= MAX_RADIUS_KM:
        raise ProfileRefused(
            _("The distance must be between 1 and %(max)s km.") % {"max": int(MAX_RADIUS_KM)}
        )
    if not 0 <= data.availability <= ALL_WEEK:
        raise ProfileRefused(_("This availability grid is not valid."))
    for values, known, message in (
        (data.interests, Activity.values, _("Unknown interest: %(value)s.")),
        (data.skills, Skill.values, _("Unknown skill: %(value)s.")),
        (data.languages, [c for c, _n in LANGUAGES], _("Unknown language: %(value)s.")),
        (
            [c.kind for c in data.certifications],
            Certification.values,
            _("Unknown certification: %(value)s."),
        ),
    ):
        unknown = set(values) - set(known)
        if unknown:
            raise ProfileRefused(message % {"value": sorted(unknown)[0]})
    for cert in data.certifications:
        if cert.obtained_on and cert.expires_on and cert.expires_on < cert.obtained_on:
            raise ProfileRefused(_("A certification cannot expire before it was obtained."))
    if data.max_hours_month is not None and not 0 < data.max_hours_month <= MAX_HOURS_MONTH:
        raise ProfileRefused(
            _("The most hours a month must be between 1 and %(max)s.") % {"max": MAX_HOURS_MONTH}
        )
    if data.visibility not in VolunteerProfile.Visibility.values:
        raise ProfileRefused(_("Choose who may find your profile."))
    if data.birth_date and data.birth_date > timezone.localdate():
        raise ProfileRefused(_("The date of birth cannot be in the future."))
    if data.birth_date and data.birth_date < EARLIEST_BIRTH_DATE:
        raise ProfileRefused(_("The date of birth cannot be before 1900: check the year."))
    if (data.home_lat is None) != (data.home_lon is None):
        raise ProfileRefused(_("Give both the latitude and the longitude, or neither."))
    return data


def _locate(organisation: Organisation, profile: VolunteerProfile, data: ProfileInput) -> None:
    """The home point: the one given, else the address found among the commune's (an address
    not found leaves the profile without a point: only remote missions are proposed)."""
    if data.home_lat is not None and data.home_lon is not None:
        profile.home_lat, profile.home_lon = data.home_lat, data.home_lon
        return
    if not data.home_label.strip():
        profile.home_lat = profile.home_lon = None
        return
    [match] = addresses_resolve(organisation=organisation, queries=[data.home_label])
    if match is None:
        profile.home_lat = profile.home_lon = None
    else:
        profile.home_lat, profile.home_lon = match.lat, match.lon


def _apply(
    profile: VolunteerProfile, data: ProfileInput, *, consent_by: User | None, now: Any
) -> list[str]:
    changed: list[str] = []
    for name in ProfileInput.FIELDS:
        if getattr(profile, name) != getattr(data, name):
            setattr(profile, name, getattr(data, name))
            changed.append(name)
    if data.crisis_consent and not profile.crisis_consent:
        profile.crisis_consent, profile.crisis_consent_at = True, now
        changed.append("crisis_consent")
    elif not data.crisis_consent and profile.crisis_consent:
        profile.crisis_consent, profile.crisis_consent_at = False, None
        changed.append("crisis_consent")
    return changed


def _set_certifications(
    profile: VolunteerProfile, certifications: list[CertificationInput]
) -> None:
    kinds = [c.kind for c in certifications]
    VolunteerCertification.objects.filter(profile=profile).exclude(kind__in=kinds).delete()
    for cert in certifications:
        VolunteerCertification.objects.update_or_create(
            profile=profile,
            kind=cert.kind,
            defaults={"obtained_on": cert.obtained_on, "expires_on": cert.expires_on},
        )


def _consent_audit(
    profile: VolunteerProfile, actor: User, request: HttpRequest | None, *, by_phone: bool
) -> None:
    audit_record(
        action="volunteer.crisis_consent"
        if profile.crisis_consent
        else "volunteer.crisis_withdraw",
        organisation=profile.organisation,
        actor=actor,
        target=profile,
        data={"told_by_phone": by_phone, "agent": actor.get_username() if by_phone else ""},
        request=request,
    )


@transaction.atomic
def profile_save_own(
    *,
    organisation: Organisation,
    user: User,
    data: ProfileInput,
    request: HttpRequest | None = None,
) -> VolunteerProfile:
    """Create or update the resident's own profile in ``organisation`` (one per user)."""
    _checked(data)
    # The organisation first, then the profile: the order every profile write locks in.
    Organisation.objects.select_for_update(of=("self",)).filter(pk=organisation.pk).first()
    profile = (
        VolunteerProfile.objects.select_for_update(of=("self",))
        .filter(organisation=organisation, user=user)
        .first()
    )
    # Not another person's name: a resident must not learn who a number belongs to.
    if _same_person(
        organisation,
        phone=data.phone,
        email=data.email,
        exclude_pk=profile.pk if profile is not None else None,
    ):
        raise ProfileRefused(
            _(
                "Another volunteer profile already has this mobile number or e-mail address. "
                "If it is yours (the town hall may have registered you), contact the town hall."
            )
        )
    created = profile is None
    if profile is None:
        profile = VolunteerProfile(
            organisation=organisation, user=user, registration_channel=VolunteerProfile.Channel.WEB
        )
    changed = _apply(profile, data, consent_by=None, now=timezone.now())
    _locate(organisation, profile, data)
    try:
        with transaction.atomic():
            profile.save()
    except IntegrityError as exc:  # the same person saving twice at once
        raise ProfileRefused(_("You already have a volunteer profile: reload the page.")) from exc
    _set_certifications(profile, data.certifications)
    audit_record(
        action="volunteer.create" if created else "volunteer.update",
        organisation=organisation,
        actor=user,
        target=profile,
        data={"fields": changed},
        request=request,
    )
    if "crisis_consent" in changed:
        _consent_audit(profile, user, request, by_phone=False)
    return profile


@transaction.atomic
def profile_register(
    *,
    organisation: Organisation,
    agent: User,
    data: ProfileInput,
    channel: str = VolunteerProfile.Channel.PHONE,
    request: HttpRequest | None = None,
) -> VolunteerProfile:
    """A volunteer met on the phone or at the desk, registered by an agent, without an
    account. A consent to crisis calls is recorded as told to the agent, who is named in
    the audit."""
    _checked(data)
    if channel not in (VolunteerProfile.Channel.PHONE, VolunteerProfile.Channel.DESK):
        raise ProfileRefused(_("Say whether the volunteer called or came to the desk."))
    if not data.phone and not data.email and not data.landline:
        raise ProfileRefused(_("Give a phone number or an e-mail address to reach them."))
    _refuse_duplicate_for_agent(organisation, phone=data.phone, email=data.email, exclude_pk=None)
    profile = VolunteerProfile(
        organisation=organisation, registration_channel=channel, registered_by=agent
    )
    _apply(profile, data, consent_by=agent, now=timezone.now())
    profile.notes = data.notes
    _locate(organisation, profile, data)
    profile.save()
    _set_certifications(profile, data.certifications)
    audit_record(
        action="volunteer.register",
        organisation=organisation,
        actor=agent,
        target=profile,
        data={"channel": channel},
        request=request,
    )
    if profile.crisis_consent:
        _consent_audit(profile, agent, request, by_phone=channel == VolunteerProfile.Channel.PHONE)
    return profile


@transaction.atomic
def profile_update(
    *,
    profile: VolunteerProfile,
    agent: User,
    data: ProfileInput,
    request: HttpRequest | None = None,
) -> VolunteerProfile:
    """An agent corrects a profile (a volunteer's call, a new certificate)."""
    _checked(data)
    if profile.active:
        _refuse_duplicate_for_agent(
            profile.organisation, phone=data.phone, email=data.email, exclude_pk=profile.pk
        )
    locked = VolunteerProfile.objects.select_for_update(of=("self",)).get(pk=profile.pk)
    changed = _apply(locked, data, consent_by=agent, now=timezone.now())
    if locked.notes != data.notes:
        locked.notes = data.notes
        changed.append("notes")
    _locate(locked.organisation, locked, data)
    locked.save()
    _set_certifications(locked, data.certifications)
    audit_record(
        action="volunteer.update",
        organisation=locked.organisation,
        actor=agent,
        target=locked,
        data={"fields": changed},
        request=request,
    )
    if "crisis_consent" in changed:
        # Without an account, the volunteer can only have told the agent.
        _consent_audit(locked, agent, request, by_phone=locked.user_id is None)
    return locked


@transaction.atomic
def profile_set_active(
    *,
    profile: VolunteerProfile,
    actor: User,
    active: bool,
    request: HttpRequest | None = None,
) -> VolunteerProfile:
    """Pause (or resume) a profile: paused, the volunteer is neither proposed nor called. A
    profile is not resumed while another active profile has its mobile number or e-mail."""
    if active and profile.user_id is not None and profile.user_id == actor.pk:
        if _same_person(
            profile.organisation, phone=profile.phone, email=profile.email, exclude_pk=profile.pk
        ):
            raise ProfileRefused(
                _(
                    "Another active volunteer profile has your mobile number or e-mail "
                    "address: contact the town hall to resume yours."
                )
            )
    elif active:
        _refuse_duplicate_for_agent(
            profile.organisation, phone=profile.phone, email=profile.email, exclude_pk=profile.pk
        )
    locked = VolunteerProfile.objects.select_for_update(of=("self",)).get(pk=profile.pk)
    if locked.active != active:
        locked.active = active
        locked.save(update_fields=["active", "updated_at"])
        audit_record(
            action="volunteer.resume" if active else "volunteer.pause",
            organisation=locked.organisation,
            actor=actor,
            target=locked,
            request=request,
        )
    return locked


def profile_read(
    *, profile: VolunteerProfile, actor: User, purpose: str = "detail", request: HttpRequest
) -> VolunteerProfile:
    """Audit that an agent opened a volunteer's profile (to read or edit it)."""
    audit_record(
        action="volunteer.view",
        organisation=profile.organisation,
        actor=actor,
        target=profile,
        data={"purpose": purpose},
        request=request,
    )
    return profile


@transaction.atomic
def profile_erase(
    *, profile: VolunteerProfile, actor: User | None, request: HttpRequest | None = None
) -> None:
    """Delete the profile and everything about the volunteer (certifications, absences,
    applications); the places their applications held on future slots are freed."""
    now = timezone.now()
    held = Application.objects.filter(
        profile=profile,
        state__in=(Application.State.PENDING, Application.State.ACCEPTED),
        slot__starts_at__gt=now,
    ).values_list("slot_id", flat=True)
    for slot in (
        Slot.objects.select_for_update(of=("self",)).filter(pk__in=list(held)).order_by("pk")
    ):
        Slot.objects.filter(pk=slot.pk, accepted_count__gt=0).update(
            accepted_count=F("accepted_count") - 1
        )
    audit_record(
        action="volunteer.erase",
        organisation=profile.organisation,
        actor=actor,
        data={"profile_id": profile.pk, "had_account": profile.user_id is not None},
        request=request,
    )
    profile.delete()


def _date_in_range(day: date) -> bool:
    return plausible_day(day)


@transaction.atomic
def absence_add(
    *,
    profile: VolunteerProfile,
    starts_on: date,
    ends_on: date,
    note: str = "",
) -> Absence:
    """A period away: nobody proposes or calls the volunteer then. Dates must be plausible
    (not beyond ``ABSENCE_MAX_AHEAD_DAYS`` ahead) and the period may not overlap another of
    the volunteer's (the profile's row is locked, so two at once cannot both pass)."""
    today = timezone.localdate()
    if not (_date_in_range(starts_on) and _date_in_range(ends_on)):
        raise ProfileRefused(_("This date is not valid: check the year."))
    if ends_on < starts_on:
        raise ProfileRefused(_("The end of the absence cannot be before its start."))
    if ends_on < today:
        raise ProfileRefused(_("This absence is already over."))
    if ends_on > today + timedelta(days=ABSENCE_MAX_AHEAD_DAYS):
        raise ProfileRefused(_("An absence can be recorded up to two years ahead, not further."))
    VolunteerProfile.objects.select_for_update(of=("self",)).filter(pk=profile.pk).first()
    overlapping = (
        Absence.objects.filter(profile=profile, starts_on__lte=ends_on, ends_on__gte=starts_on)
        .order_by("starts_on")
        .first()
    )
    if overlapping is not None:
        raise ProfileRefused(
            _(
                "This period overlaps an absence already recorded (%(start)s – %(end)s): "
                "remove it first, or choose other dates."
            )
            % {
                "start": formats.date_format(overlapping.starts_on, "SHORT_DATE_FORMAT"),
                "end": formats.date_format(overlapping.ends_on, "SHORT_DATE_FORMAT"),
            }
        )
    return Absence.objects.create(
        profile=profile, starts_on=starts_on, ends_on=ends_on, note=note.strip()[:200]
    )


def absence_remove(*, profile: VolunteerProfile, absence_id: int) -> bool:
    deleted, _rows = Absence.objects.filter(profile=profile, pk=absence_id).delete()
    return deleted > 0


# -- GDPR ----------------------------------------------------------------------------------


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _availability_export(availability: int) -> list[dict[str, str]]:
    return [
        {"day": _WEEKDAYS[day], "period": PERIODS[period][0]}
        for day, period in free_cells(availability)
    ]


def export_profiles(user: User) -> list[dict[str, object]]:
    """The person's volunteer profiles, with their certifications and absences."""
    return [
        {
            "organisation": p.organisation.name,
            "full_name": p.full_name,
            "email": p.email,
            "phone": p.phone,
            "landline": p.landline,
            "birth_date": p.birth_date.isoformat() if p.birth_date else None,
            "home_label": p.home_label,
            "home_lat": p.home_lat,
            "home_lon": p.home_lon,
            "radius_km": p.radius_km,
            # The weekly grid as the person filled it, not the bitmask it is stored as.
            "availability": _availability_export(p.availability),
            "interests": p.interests,
            "skills": p.skills,
            "languages": p.languages,
            "max_hours_month": p.max_hours_month,
            "visibility": p.visibility,
            "crisis_consent": p.crisis_consent,
            "crisis_consent_at": p.crisis_consent_at.isoformat() if p.crisis_consent_at else None,
            "active": p.active,
            "registration_channel": p.registration_channel,
            "certifications": [
                {
                    "kind": c.kind,
                    "obtained_on": c.obtained_on.isoformat() if c.obtained_on else None,
                    "expires_on": c.expires_on.isoformat() if c.expires_on else None,
                }
                for c in p.certifications.all()
            ],
            "absences": [
                {"from": a.starts_on.isoformat(), "until": a.ends_on.isoformat(), "note": a.note}
                for a in p.absences.all()
            ],
            "created_at": p.created_at.isoformat(),
        }
        for p in VolunteerProfile.objects.filter(user=user)
        .select_related("organisation")
        .prefetch_related("certifications", "absences")
    ]


def erase_profiles(user: User) -> None:
    for profile in VolunteerProfile.objects.filter(user=user):
        profile_erase(profile=profile, actor=user)
