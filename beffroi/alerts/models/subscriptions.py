"""Residents registered to be warned: their places, channels, topics and consents."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField


class Topic(models.TextChoices):
    FLOOD = "flood", _("Flood")
    STORM = "storm", _("Storm and strong wind")
    HEAT = "heat", _("Heat wave")
    COLD = "cold", _("Cold wave and snow")
    DROUGHT = "drought", _("Drought and water restrictions")
    POLLUTION = "pollution", _("Air pollution")
    WATER_CUT = "water_cut", _("Water cut")
    POWER_CUT = "power_cut", _("Power cut")
    ROADS = "roads", _("Roads and traffic")
    HEALTH = "health", _("Health")
    INDUSTRIAL = "industrial", _("Industrial risk")
    PUBLIC_EVENTS = "public_events", _("Public events")


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    VOICE = "voice", _("Voice call")
    PUSH = "push", _("Web push")


def _token() -> str:
    return secrets.token_urlsafe(24)


class Subscriber(models.Model):
    """A person registered to be warned, with or without an account."""

    class Source(models.TextChoices):
        SELF = "self", _("Self-registered")
        AGENT = "agent", _("Registered by an agent")
        IMPORT = "import", _("Imported")

    organisation = models.ForeignKey(
        "territory.Organisation", on_delete=models.CASCADE, related_name="subscribers"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="subscriptions",
    )
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=5, choices=[("fr", "Français"), ("en", "English")], default="fr"
    )
    email = models.EmailField(_("e-mail address"), blank=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    sms_number = PhoneNumberField(_("mobile number for SMS"), blank=True)
    sms_verified_at = models.DateTimeField(null=True, blank=True)
    voice_number = PhoneNumberField(_("number for voice calls"), blank=True)
    voice_verified_at = models.DateTimeField(null=True, blank=True)
    channels: models.JSONField[list[str]] = models.JSONField(_("channels"), default=list)
    topics: models.JSONField[list[str]] = models.JSONField(_("topics"), default=list)
    consent_version = models.CharField(_("consent text version"), max_length=20)
    consent_at = models.DateTimeField(_("consent date"))
    # SHA-256 of the exact consent text shown: proves what was agreed to even if the wording
    # of a version is later corrected in the code (GDPR art. 7(1)).
    consent_text_hash = models.CharField(_("consent text hash"), max_length=64, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.SELF)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The import by which an agent recorded that the commune holds this person's consent (a
    # signed paper form, a CCAS file): the channels it verified are those whose
    # ``*_verified_at`` is that import's time.
    consent_import = models.ForeignKey(
        "SubscriberImport",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subscribers",
        verbose_name=_("consent recorded by import"),
    )
    unsubscribe_token = models.CharField(max_length=64, unique=True, default=_token)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    unsubscribe_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"],
                condition=models.Q(user__isnull=False),
                name="subscriber_user_unique",
            ),
            # One active registration per e-mail address and per mobile number: a duplicate
            # (two agents registering the same resident at once) warns the person twice and
            # leaves one row behind when they unsubscribe. Unsubscribed rows may share them, so
            # that someone can register again.
            models.UniqueConstraint(
                Lower("email"),
                "organisation",
                condition=~models.Q(email="") & models.Q(unsubscribed_at__isnull=True),
                name="subscriber_email_unique",
            ),
            models.UniqueConstraint(
                "sms_number",
                "organisation",
                condition=~models.Q(sms_number="") & models.Q(unsubscribed_at__isnull=True),
                name="subscriber_sms_number_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "email"]),
            models.Index(fields=["organisation", "sms_number"]),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or str(self.sms_number)

    def channels_verified_by_import(self) -> list[str]:
        """The channels whose verification is the commune's consent recorded at import
        (not since verified again, nor changed)."""
        batch = self.consent_import
        if batch is None:
            return []
        verified = {
            Channel.EMAIL: (self.email, self.email_verified_at),
            Channel.SMS: (self.sms_number, self.sms_verified_at),
            Channel.VOICE: (self.voice_number, self.voice_verified_at),
        }
        return [
            str(channel)
            for channel, (target, at) in verified.items()
            if target and at == batch.imported_at
        ]

    @property
    def channel_labels_verified_by_import(self) -> list[str]:
        return [str(Channel(channel).label) for channel in self.channels_verified_by_import()]


class SubscriberImport(models.Model):
    """One import of a list of residents: who ran it, when, from which file, and whether the
    agent certified that the commune holds the consent of the persons listed.

    With that certificate the channels of the file count as verified (they reach routine
    alerts, not only emergencies), and this record is the proof of where that came from.
    """

    organisation = models.ForeignKey(
        "territory.Organisation", on_delete=models.CASCADE, related_name="subscriber_imports"
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    imported_at = models.DateTimeField(_("imported at"))
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    lines = models.PositiveIntegerField(_("lines"), default=0)
    created = models.PositiveIntegerField(_("residents registered"), default=0)
    updated = models.PositiveIntegerField(_("residents updated"), default=0)
    consent_held = models.BooleanField(_("the commune holds their consent"), default=False)

    class Meta:
        verbose_name = _("import of residents")
        verbose_name_plural = _("imports of residents")

    def __str__(self) -> str:
        return str(_("import #%(number)d")) % {"number": self.pk or 0}


class Place(models.Model):
    """An address a subscriber wants to be warned for (home, work, a parent's home)."""

    class Kind(models.TextChoices):
        # Contexts: "Home" is also the site's home page, "Domicile" only here.
        HOME = "home", pgettext_lazy("place kind", "Home")
        WORK = "work", pgettext_lazy("place kind", "Work")
        RELATIVE = "relative", pgettext_lazy("place kind", "A relative's home")
        OTHER = "other", pgettext_lazy("place kind", "Other")

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="places")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.HOME)
    address = models.ForeignKey(
        "territory.Address", on_delete=models.PROTECT, related_name="subscriber_places"
    )

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "address"], name="place_unique")
        ]
        # Targeting reads (address → subscriber) for every address of the target zones: a
        # covering index answers from the index alone (half the time at 1M subscribers).
        indexes = [models.Index(fields=["address", "subscriber"], name="place_address_subscriber")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.address}"


class ChannelVerification(models.Model):
    """A code sent by SMS (or a link by e-mail) to prove the subscriber owns the channel."""

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="verifications"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    target = models.CharField(max_length=254)
    code_hash = models.CharField(max_length=128)
    attempts = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.channel} → {self.target}"
