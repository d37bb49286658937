"""Volunteer profiles: where a volunteer lives and how far they go, when they are free, what
they like and know, and whether they may be called in a crisis.

Availability is a weekly grid of 7 days × 4 periods stored as a 28-bit integer
(``availability``: bit ``day * 4 + period``, Monday = day 0), so that the matching filters
and scores it in SQL (``availability & mask``) without reading each profile. A profile may
exist without an account: a front-desk agent registers on the phone a volunteer who has no
smartphone (``registered_by``), and reaches them by SMS or voice.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# (key, label, first hour, last hour excluded): the periods of a day on the grid. The night
# runs past midnight (22 h – 6 h the next day) and belongs to the day it starts on.
PERIODS: tuple[tuple[str, Promise, int, int], ...] = (
    ("morning", pgettext_lazy("period", "Morning (6 am – noon)"), 6, 12),
    ("afternoon", pgettext_lazy("period", "Afternoon (noon – 6 pm)"), 12, 18),
    ("evening", pgettext_lazy("period", "Evening (6 pm – 10 pm)"), 18, 22),
    ("night", pgettext_lazy("period", "Night (10 pm – 6 am)"), 22, 30),
)
DAYS_PER_WEEK = 7
GRID_BITS = DAYS_PER_WEEK * len(PERIODS)
ALL_WEEK = (1 << GRID_BITS) - 1


def grid_bit(day: int, period: int) -> int:
    """The bit of ``day`` (0 = Monday) and ``period`` (index in ``PERIODS``)."""
    return 1 << (day * len(PERIODS) + period)


def free_cells(availability: int) -> list[tuple[int, int]]:
    """The (day, period) cells ticked in ``availability``, Monday morning first."""
    return [
        (day, period)
        for day in range(DAYS_PER_WEEK)
        for period in range(len(PERIODS))
        if availability & grid_bit(day, period)
    ]


def keys_mask(keys: list[str] | None, known: list[str]) -> int:
    """The bits of ``keys`` (interests or skills) by their rank in ``known`` (the choices'
    values): what the matching tests in SQL without reading the JSON lists."""
    mask = 0
    for key in keys or []:
        if key in known:
            mask |= 1 << known.index(key)
    return mask


def interests_mask(interests: list[str] | None) -> int:
    from beffroi.volunteering.models.associations import Activity

    return keys_mask(interests, list(Activity.values))


def skills_mask(skills: list[str] | None) -> int:
    from beffroi.volunteering.models.missions import Skill

    return keys_mask(skills, list(Skill.values))


class VolunteerProfile(models.Model):
    class Visibility(models.TextChoices):
        # Agents and the associations the volunteer applied to see the profile.
        PRIVATE = "private", pgettext_lazy("visibility", "Only to whom I apply")
        # Associations and agents may also find the volunteer in their recommendations and
        # invite them.
        MATCHABLE = (
            "matchable",
            pgettext_lazy("visibility", "Associations may find me and propose missions"),
        )

    class Channel(models.TextChoices):
        WEB = "web", pgettext_lazy("registered by", "Online, by the volunteer")
        PHONE = "phone", pgettext_lazy("registered by", "By phone, with an agent")
        DESK = "desk", pgettext_lazy("registered by", "At the front desk")

    organisation = models.ForeignKey(
        "territory.Organisation",
        on_delete=models.CASCADE,
        related_name="volunteer_profiles",
        verbose_name=_("organisation"),
    )
    # Empty for a volunteer registered by an agent who has no account.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="volunteer_profiles",
    )
    full_name = models.CharField(_("full name"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True)
    # E.164; the SMS of call-outs and reminders go there.
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    # A number to call, often the only one of an elderly volunteer: no SMS ever goes there;
    # organisers and the reserve's call list show it.
    landline = models.CharField(_("landline phone"), max_length=20, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    home_label = models.CharField(_("home address"), max_length=250, blank=True)
    home_lat = models.FloatField(_("latitude"), null=True, blank=True)
    home_lon = models.FloatField(_("longitude"), null=True, blank=True)
    radius_km = models.FloatField(_("how far I will travel (km)"), default=5)
    availability = models.IntegerField(_("weekly availability"), default=0)
    interests = models.JSONField(_("interests"), default=list, blank=True)
    skills = models.JSONField(_("skills"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    # ``interests`` and ``skills`` as bits (``keys_mask``), kept by ``save``: the matching
    # scores them from the index, without reading each row.
    interests_mask = models.IntegerField(default=0, editable=False)
    skills_mask = models.IntegerField(default=0, editable=False)
    max_hours_month = models.PositiveSmallIntegerField(
        _("most hours a month"), null=True, blank=True
    )
    visibility = models.CharField(
        _("visibility"), max_length=20, choices=Visibility.choices, default=Visibility.MATCHABLE
    )
    crisis_consent = models.BooleanField(_("may be called in a crisis"), default=False)
    crisis_consent_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    registration_channel = models.CharField(
        max_length=20, choices=Channel.choices, default=Channel.WEB
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    notes = models.TextField(_("agent's notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("volunteer profile")
        verbose_name_plural = _("volunteer profiles")
        ordering = ("full_name", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"],
                condition=Q(user__isnull=False),
                name="volunteering_profile_one_per_user",
            )
        ]
        indexes = [
            # Covers every column the matching filters and scores on: it ranks 100,000
            # profiles from the index alone, reading the rows of the few it proposes.
            models.Index(
                fields=[
                    "organisation",
                    "active",
                    "home_lat",
                    "home_lon",
                    "radius_km",
                    "availability",
                    "visibility",
                    "crisis_consent",
                    "interests_mask",
                    "skills_mask",
                    "max_hours_month",
                    "birth_date",
                ],
                name="volunteering_profile_match",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.interests_mask = interests_mask(self.interests)
        self.skills_mask = skills_mask(self.skills)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "interests_mask", "skills_mask"}
        super().save(*args, **kwargs)


class VolunteerCertification(models.Model):
    profile = models.ForeignKey(
        VolunteerProfile, on_delete=models.CASCADE, related_name="certifications"
    )
    kind = models.CharField(_("certification"), max_length=30)
    obtained_on = models.DateField(_("obtained on"), null=True, blank=True)
    # Empty: does not expire (a driving licence).
    expires_on = models.DateField(_("expires on"), null=True, blank=True)

    class Meta:
        ordering = ("kind",)
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "kind"], name="volunteering_certification_unique"
            )
        ]
        indexes = [models.Index(fields=["kind", "expires_on"])]

    def __str__(self) -> str:
        return f"{self.profile_id} {self.kind}"


class Absence(models.Model):
    """A period away: the volunteer is not proposed and not called out, whatever the grid."""

    profile = models.ForeignKey(VolunteerProfile, on_delete=models.CASCADE, related_name="absences")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until (included)"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ("starts_on", "pk")
        indexes = [models.Index(fields=["profile", "starts_on", "ends_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="volunteering_absence_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.profile_id} {self.starts_on}–{self.ends_on}"


class MissionInvitation(models.Model):
    """A mission proposed to a volunteer from the recommendations: at most once per volunteer
    and mission, so that an organiser cannot press the same person again and again."""

    mission = models.ForeignKey(
        "volunteering.Mission", on_delete=models.CASCADE, related_name="invitations"
    )
    profile = models.ForeignKey(
        VolunteerProfile, on_delete=models.CASCADE, related_name="invitations"
    )
    slot = models.ForeignKey(
        "volunteering.Slot", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # "email", "sms", or "" when the message could not go out.
    channel = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "profile"], name="volunteering_invitation_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.mission_id} → {self.profile_id}"
