"""Associations of the commune, their activities and the people who manage their profile.

A profile comes from the RNA import (``source`` RNA, state "imported": public registry data,
shown in the directory at once) or from a resident (state "pending" until an agent validates
it). A resident who runs an imported association claims its profile: the claim is a pending
``Membership`` and the profile waits in state "pending" until an agent decides. Only a
validated profile has managers who may edit it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Activity(models.TextChoices):
    """The themes of the directory, after the RNA's and JeVeuxAider's: few enough to choose
    from at a glance, broad enough for every association of a commune."""

    SOLIDARITY = "solidarity", _("Solidarity and social action")
    HEALTH = "health", _("Health")
    ENVIRONMENT = "environment", _("Environment and nature")
    CULTURE = "culture", _("Culture and arts")
    SPORT = "sport", _("Sport")
    EDUCATION = "education", _("Education and training")
    CIVIL_PROTECTION = "civil_protection", _("Civil protection and emergencies")
    HERITAGE = "heritage", _("Heritage and memory")
    LEISURE = "leisure", _("Leisure and community life")
    YOUTH = "youth", _("Childhood and youth")
    ELDERLY = "elderly", _("Older people")
    DISABILITY = "disability", _("Disability")
    CITIZENSHIP = "citizenship", _("Citizenship and human rights")
    ANIMALS = "animals", _("Animal welfare")
    ECONOMY = "economy", _("Local economy and employment")
    INTERNATIONAL = "international", _("International solidarity")


def association_search_text(*parts: str) -> str:
    """What a directory search reads: names, purpose and town, folded (no accents, no case)."""
    from beffroi.territory.text import fold

    return fold(" ".join(parts))


class Association(models.Model):
    class Status(models.TextChoices):
        IMPORTED = "imported", pgettext_lazy("association", "Imported from the RNA")
        PENDING = "pending", pgettext_lazy("association", "Awaiting validation")
        VALIDATED = "validated", pgettext_lazy("association", "Validated")
        REFUSED = "refused", pgettext_lazy("association", "Refused")

    class Source(models.TextChoices):
        RNA = "rna", _("RNA import")
        RESIDENT = "resident", _("Created by a resident")

    # The fields a re-import of the RNA writes; a manager's edit of one of them is kept
    # (``manager_fields``) and never overwritten by the registry again.
    RNA_FIELDS = (
        "name",
        "short_name",
        "purpose",
        "siren",
        "street_address",
        "address_complement",
        "postcode",
        "city",
        "insee_code",
        "website",
    )

    organisation = models.ForeignKey(
        "territory.Organisation",
        on_delete=models.CASCADE,
        related_name="associations",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=250)
    short_name = models.CharField(_("short name"), max_length=120, blank=True)
    rna = models.CharField(_("RNA number"), max_length=10, blank=True)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    purpose = models.TextField(_("purpose"), blank=True)
    street_address = models.CharField(_("street address"), max_length=250, blank=True)
    address_complement = models.CharField(_("address complement"), max_length=250, blank=True)
    postcode = models.CharField(_("postcode"), max_length=5, blank=True)
    city = models.CharField(_("town"), max_length=200, blank=True)
    insee_code = models.CharField(_("INSEE code"), max_length=5, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    email = models.EmailField(_("contact e-mail"), blank=True)
    phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    website = models.URLField(_("website"), max_length=300, blank=True)
    # Re-encoded from its pixels (beffroi.core.uploads.image_checked): no EXIF, no payload.
    logo = models.FileField(_("logo"), upload_to="volunteering/logos/", blank=True)
    logo_type = models.CharField(max_length=40, blank=True)
    opening_hours = models.TextField(_("opening hours"), blank=True)
    public_served = models.TextField(_("public served"), blank=True)
    wheelchair_accessible = models.BooleanField(_("wheelchair accessible premises"), default=False)
    accessibility = models.TextField(_("accessibility"), blank=True)

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    source = models.CharField(
        _("source"), max_length=20, choices=Source.choices, default=Source.RESIDENT
    )
    refusal_reason = models.TextField(_("reason of the refusal"), blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # RNA fields a manager changed: a re-import leaves them as the manager wrote them.
    manager_fields = models.JSONField(default=list, blank=True)
    rna_updated_at = models.CharField(max_length=40, blank=True)
    created_on = models.DateField(_("declared on"), null=True, blank=True)
    dissolved_on = models.DateField(_("dissolved on"), null=True, blank=True)
    search_text = models.TextField(default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("association")
        verbose_name_plural = _("associations")
        ordering = ("name", "pk")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "rna"],
                condition=~Q(rna=""),
                name="volunteering_association_unique_rna",
            )
        ]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_text = association_search_text(
            self.name, self.short_name, self.purpose, self.city, self.rna
        )
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    @property
    def is_public(self) -> bool:
        if self.dissolved_on is not None:
            return False
        if self.status in (self.Status.IMPORTED, self.Status.VALIDATED):
            return True
        return self.status == self.Status.PENDING and self.source == self.Source.RNA

    @property
    def activity_values(self) -> list[str]:
        return [a.activity for a in self.activities.all()]

    @property
    def activity_labels(self) -> list[str]:
        labels = dict(Activity.choices)
        return [str(labels[a]) for a in sorted(self.activity_values) if a in labels]


class AssociationActivity(models.Model):
    association = models.ForeignKey(
        Association, on_delete=models.CASCADE, related_name="activities"
    )
    activity = models.CharField(_("activity"), max_length=30, choices=Activity.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["association", "activity"], name="volunteering_activity_unique"
            )
        ]
        indexes = [models.Index(fields=["activity"])]

    def __str__(self) -> str:
        return self.activity


class Membership(models.Model):
    """A person managing an association's profile. Pending until an agent validates the
    creation or the claim that made it; refused memberships are kept with the reason so that
    the resident reads it."""

    class Role(models.TextChoices):
        OWNER = "owner", pgettext_lazy("association role", "Owner")
        EDITOR = "editor", pgettext_lazy("association role", "Editor")

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("membership", "Awaiting validation")
        ACTIVE = "active", pgettext_lazy("membership", "Active")
        REFUSED = "refused", pgettext_lazy("membership", "Refused")

    association = models.ForeignKey(
        Association, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="association_memberships",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.OWNER)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.PENDING
    )
    # What the resident told the agent: their role in the association, how to check it.
    message = models.TextField(_("message to the agents"), blank=True)
    refusal_reason = models.TextField(_("reason of the refusal"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["association", "user"], name="volunteering_membership_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.association_id} ({self.role}, {self.state})"


class ManagerInvitation(models.Model):
    """An owner's invitation to manage the profile, sent to an e-mail address. The person
    becomes a manager only by accepting it while logged in with an account of that address:
    nobody is made a manager without consent, and the owner never learns whether an address
    has an account. Only a hash of the link's token is kept."""

    association = models.ForeignKey(
        Association, on_delete=models.CASCADE, related_name="manager_invitations"
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=20, choices=Membership.Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["association", "email"])]

    def __str__(self) -> str:
        return f"{self.email} → {self.association_id} ({self.role})"
