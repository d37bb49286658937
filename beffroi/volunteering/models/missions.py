"""Volunteer missions with their slots, and needs other than people (equipment, premises,
transport) with the offers residents and associations make for them.

A mission belongs to an association, or to the commune itself (``association`` empty). Its
people are asked per slot: each ``Slot`` states how many volunteers it needs and keeps the
number of places held (``accepted_count``: applications awaiting an answer or accepted),
moved only under the slot's row lock so that two volunteers applying at once for the last
place cannot both get it. A recurring schedule is stored on the mission (``schedule``) and
materialised as slots, so that applications, reminders and hours always refer to one dated
slot.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Skill(models.TextChoices):
    """What a volunteer knows how to do; missions ask for some, profiles offer some."""

    FIRST_AID = "first_aid", _("First aid")
    DRIVING = "driving", _("Driving")
    MANUAL = "manual", _("Manual work and repairs")
    COOKING = "cooking", _("Cooking and food distribution")
    DIGITAL = "digital", _("Digital help")
    CARE = "care", _("Company and care for people")
    TEACHING = "teaching", _("Tutoring and teaching")
    LOGISTICS = "logistics", _("Logistics and handling")
    COMMUNICATION = "communication", _("Communication")
    ADMINISTRATION = "administration", _("Administration and accounting")
    CHILDCARE = "childcare", _("Childcare")
    GARDENING = "gardening", _("Gardening and nature")
    TRANSLATION = "translation", _("Translation and interpreting")
    RADIO = "radio", _("Radio and telecommunications")


class Certification(models.TextChoices):
    """Certificates a mission may require, checked on the volunteer's profile (with expiry)."""

    PSC1 = "psc1", _("PSC1 (first aid)")
    PSE1 = "pse1", _("PSE1 (first aid in teams)")
    PSE2 = "pse2", _("PSE2 (first aid in teams, level 2)")
    SST = "sst", _("SST (workplace first aid)")
    DRIVING_B = "driving_b", _("Driving licence B")
    DRIVING_C = "driving_c", _("Driving licence C (lorry)")
    BAFA = "bafa", _("BAFA (youth leader)")
    BNSSA = "bnssa", _("BNSSA (lifeguard)")
    FOOD_HYGIENE = "food_hygiene", _("Food hygiene (HACCP)")


class Urgency(models.TextChoices):
    NORMAL = "normal", pgettext_lazy("urgency", "Normal")
    URGENT = "urgent", pgettext_lazy("urgency", "Urgent")


class Mission(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("mission", "Draft")
        PUBLISHED = "published", pgettext_lazy("mission", "Published")
        FULL = "full", pgettext_lazy("mission", "Full")
        CLOSED = "closed", pgettext_lazy("mission", "Closed")
        CANCELLED = "cancelled", pgettext_lazy("mission", "Cancelled")

    organisation = models.ForeignKey(
        "territory.Organisation",
        on_delete=models.CASCADE,
        related_name="missions",
        verbose_name=_("organisation"),
    )
    # Empty: the commune's own mission (its services, the CCAS, the crisis cell).
    association = models.ForeignKey(
        "volunteering.Association",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="missions",
        verbose_name=_("association"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    activities = models.JSONField(_("activities"), default=list, blank=True)
    skills = models.JSONField(_("skills"), default=list, blank=True)
    # Place: an address (geocoded to a point) or a point; ``remote`` missions have neither.
    remote = models.BooleanField(_("remote mission"), default=False)
    street_address = models.CharField(_("address"), max_length=250, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    # Prerequisites, hard filters of the matching.
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    certifications = models.JSONField(_("required certifications"), default=list, blank=True)
    urgency = models.CharField(
        _("urgency"), max_length=20, choices=Urgency.choices, default=Urgency.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    # Recurring schedule, materialised as slots: {"weekdays": [0..6], "start": "09:00",
    # "end": "12:00", "from": "2026-01-05", "until": "2026-03-30", "needed": 3}.
    schedule = models.JSONField(_("recurring schedule"), default=dict, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    # Only reservists of the civil-protection reserve may apply (the reserve's own missions).
    reserve_only = models.BooleanField(_("for the civil-protection reserve only"), default=False)
    search_text = models.TextField(default="", editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("mission")
        verbose_name_plural = _("missions")
        ordering = ("-published_at", "-pk")
        indexes = [
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["association", "status"]),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        from beffroi.territory.text import fold

        self.search_text = fold(f"{self.title} {self.description} {self.street_address}")
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        """Volunteers may apply (to a slot with room, or to its waiting list)."""
        return self.status in (self.Status.PUBLISHED, self.Status.FULL)


class Slot(models.Model):
    mission = models.ForeignKey(
        Mission, on_delete=models.CASCADE, related_name="slots", verbose_name=_("mission")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    volunteers_needed = models.PositiveSmallIntegerField(_("volunteers needed"), default=1)
    # Places held by applications (awaiting an answer or accepted; a waiting list holds
    # none), moved only with the slot's row locked (select_for_update).
    accepted_count = models.PositiveIntegerField(default=0)
    cancelled = models.BooleanField(_("cancelled"), default=False)
    # Generated from the mission's recurring schedule (regenerating replaces only these,
    # and only while nobody applied).
    from_schedule = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ("starts_at", "pk")
        indexes = [models.Index(fields=["mission", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="volunteering_slot_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.mission_id} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def places_left(self) -> int:
        return max(0, self.volunteers_needed - self.accepted_count)

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600


class Need(models.Model):
    """Something other than people: equipment, premises, transport. Residents and
    associations offer it; the author accepts an offer."""

    class Kind(models.TextChoices):
        EQUIPMENT = "equipment", _("Equipment")
        PREMISES = "premises", _("Premises")
        TRANSPORT = "transport", _("Transport")
        OTHER = "other", pgettext_lazy("need", "Other")

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("need", "Draft")
        PUBLISHED = "published", pgettext_lazy("need", "Published")
        FULFILLED = "fulfilled", pgettext_lazy("need", "Fulfilled")
        CLOSED = "closed", pgettext_lazy("need", "Closed")
        CANCELLED = "cancelled", pgettext_lazy("need", "Cancelled")

    organisation = models.ForeignKey(
        "territory.Organisation", on_delete=models.CASCADE, related_name="needs"
    )
    association = models.ForeignKey(
        "volunteering.Association",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="needs",
        verbose_name=_("association"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    quantity = models.CharField(_("quantity"), max_length=120, blank=True)
    street_address = models.CharField(_("address"), max_length=250, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    needed_from = models.DateField(_("needed from"), null=True, blank=True)
    needed_until = models.DateField(_("needed until"), null=True, blank=True)
    urgency = models.CharField(
        _("urgency"), max_length=20, choices=Urgency.choices, default=Urgency.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ("-published_at", "-pk")
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        return self.title


class NeedOffer(models.Model):
    class State(models.TextChoices):
        PROPOSED = "proposed", pgettext_lazy("offer", "Proposed")
        ACCEPTED = "accepted", pgettext_lazy("offer", "Accepted")
        DECLINED = "declined", pgettext_lazy("offer", "Declined")
        WITHDRAWN = "withdrawn", pgettext_lazy("offer", "Withdrawn")

    need = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="offers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="need_offers",
    )
    # Offered on behalf of an association the user manages; empty: as a resident.
    association = models.ForeignKey(
        "volunteering.Association",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="need_offers",
    )
    message = models.TextField(_("what you offer"))
    contact = models.CharField(_("how to reach you"), max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.PROPOSED
    )
    answer = models.TextField(_("answer"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("created_at", "pk")

    def __str__(self) -> str:
        return f"{self.need_id} ← {self.user_id} ({self.state})"
