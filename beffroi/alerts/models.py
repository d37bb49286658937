"""Alerts: who is registered to be warned, the vulnerable persons registry, alerts and their
per-recipient deliveries.

The audience of an alert is a join: ``Place`` (a subscriber's address) → territory
``ZoneMembership`` (precomputed) → the alert's target zones, filtered by topic and channel.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
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
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "email"]),
            models.Index(fields=["organisation", "sms_number"]),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or str(self.sms_number)


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


class VulnerablePerson(models.Model):
    """Registre nominatif des personnes vulnérables (décret 2004-926, CASF art. R121-2 to 12).

    Voluntary registration, kept by the CCAS, used only for targeted health and social
    intervention when the emergency plan is triggered. Readable by social agents with 2FA;
    every read and export is audited. Never a mailing list. The decree's fields are identity,
    date of birth, the capacity in which the person is registered, address, phone, the home
    help service, the person to contact in an emergency and the date of the request (with the
    capacity of the third party who made it); the needs fields serve the call priority.
    """

    class Situation(models.TextChoices):
        ELDERLY = "elderly", _("Aged 65 or over")
        ELDERLY_UNFIT = "elderly_unfit", _("Aged 60 or over and recognised unfit for work")
        DISABLED = "disabled", _("Adult with a disability")

    class Channel(models.TextChoices):
        LANDLINE = "landline", _("Landline call")
        MOBILE = "mobile", _("Mobile call")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")
        VISIT = "visit", _("Home visit")

    class RequestSource(models.TextChoices):
        SELF = "self", _("The person themselves")
        LEGAL_REPRESENTATIVE = "legal_representative", _("Their legal representative")
        THIRD_PARTY = "third_party", _("A third party (relative, doctor, home help service…)")

    organisation = models.ForeignKey(
        "territory.Organisation", on_delete=models.CASCADE, related_name="vulnerable_persons"
    )
    last_name = models.CharField(_("last name"), max_length=100)
    first_name = models.CharField(_("first name"), max_length=100)
    birth_date = models.DateField(_("date of birth"))
    situation = models.CharField(_("registered as"), max_length=20, choices=Situation.choices)
    address = models.ForeignKey(
        "territory.Address", on_delete=models.PROTECT, related_name="vulnerable_persons"
    )
    address_complement = models.CharField(_("address complement"), max_length=200, blank=True)
    phone = PhoneNumberField(_("phone"), blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    lives_alone = models.BooleanField(_("lives alone"), default=False)
    # The person to call in an emergency: a relative, a neighbour, a friend.
    contact_name = models.CharField(_("person to contact"), max_length=200, blank=True)
    contact_relation = models.CharField(_("relation"), max_length=100, blank=True)
    contact_phone = PhoneNumberField(_("contact phone"), blank=True)
    doctor_name = models.CharField(_("doctor"), max_length=200, blank=True)
    doctor_phone = PhoneNumberField(_("doctor's phone"), blank=True)
    home_help = models.CharField(_("home help or care service"), max_length=200, blank=True)
    home_help_phone = PhoneNumberField(_("home help service's phone"), blank=True)
    reduced_mobility = models.BooleanField(_("reduced mobility"), default=False)
    electricity_dependent = models.BooleanField(
        _("electricity-dependent medical equipment"), default=False
    )
    hearing_impaired = models.BooleanField(_("hearing impairment"), default=False)
    visually_impaired = models.BooleanField(_("visual impairment"), default=False)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=Channel.choices, default=Channel.LANDLINE
    )
    notes = models.TextField(_("notes"), blank=True)
    requested_on = models.DateField(_("date of the request"))
    request_source = models.CharField(
        _("request made by"),
        max_length=30,
        choices=RequestSource.choices,
        default=RequestSource.SELF,
    )
    requested_by = models.CharField(
        _("name and capacity of the third party"),
        max_length=200,
        blank=True,
        help_text=_("Required when the request was made by someone other than the person."),
    )
    consent_at = models.DateTimeField(_("consent date"))
    # The decree keeps data only as long as needed: the CCAS reconfirms each registration
    # (yearly, before the summer) and removes those nobody confirms.
    last_confirmed_on = models.DateField(_("last confirmed on"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("registered vulnerable person")
        verbose_name_plural = _("registered vulnerable persons")
        indexes = [
            models.Index(fields=["organisation", "last_name", "first_name"]),
            models.Index(fields=["organisation", "last_confirmed_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.last_name.upper()} {self.first_name}"


class CapFields(models.Model):
    """CAP <info> fields shared by templates and alerts."""

    class Category(models.TextChoices):
        MET = "Met", _("Weather")
        GEO = "Geo", _("Geophysical")
        SAFETY = "Safety", _("Public safety")
        SECURITY = "Security", _("Security")
        RESCUE = "Rescue", _("Rescue")
        FIRE = "Fire", _("Fire")
        HEALTH = "Health", _("Health")
        ENV = "Env", _("Environment")
        TRANSPORT = "Transport", _("Transport")
        INFRA = "Infra", _("Infrastructure and utilities")
        CBRNE = "CBRNE", _("Chemical, biological, radiological, nuclear")
        OTHER = "Other", _("Other")

    class Urgency(models.TextChoices):
        IMMEDIATE = "Immediate", _("Immediate — act now")
        EXPECTED = "Expected", _("Expected — act within the hour")
        FUTURE = "Future", _("Future — act in the near future")
        PAST = "Past", _("Past — no longer required")
        UNKNOWN = "Unknown", _("Unknown")

    class Severity(models.TextChoices):
        EXTREME = "Extreme", _("Extreme — threat to life")
        SEVERE = "Severe", _("Severe — significant threat")
        MODERATE = "Moderate", _("Moderate — possible threat")
        MINOR = "Minor", _("Minor — little or no threat")
        UNKNOWN = "Unknown", _("Unknown")

    class Certainty(models.TextChoices):
        OBSERVED = "Observed", _("Observed")
        LIKELY = "Likely", _("Likely (over 50%)")
        POSSIBLE = "Possible", _("Possible")
        UNLIKELY = "Unlikely", _("Unlikely")
        UNKNOWN = "Unknown", _("Unknown")

    topic = models.CharField(_("risk"), max_length=20, choices=Topic.choices)
    category = models.CharField(
        _("CAP category"), max_length=10, choices=Category.choices, default=Category.SAFETY
    )
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.EXPECTED
    )
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MODERATE
    )
    certainty = models.CharField(
        _("certainty"), max_length=10, choices=Certainty.choices, default=Certainty.LIKELY
    )
    headline = models.CharField(_("headline"), max_length=160)
    description = models.TextField(_("description"), blank=True)
    instruction = models.TextField(_("instructions"), blank=True)
    sms_text = models.TextField(_("SMS text"), blank=True)
    email_subject = models.CharField(_("e-mail subject"), max_length=200, blank=True)
    email_body = models.TextField(_("e-mail text"), blank=True)

    class Meta:
        abstract = True


class AlertTemplate(CapFields):
    """A message prepared in advance for a PCS scenario, ready to be filled in a crisis."""

    organisation = models.ForeignKey(
        "territory.Organisation", on_delete=models.CASCADE, related_name="alert_templates"
    )
    name = models.CharField(_("name"), max_length=200)
    pcs_scenario = models.CharField(_("PCS scenario"), max_length=200, blank=True)
    default_zones = models.ManyToManyField("territory.Zone", blank=True, related_name="+")
    default_channels: models.JSONField[list[str]] = models.JSONField(default=list)

    class Meta:
        ordering = ["name"]
        verbose_name = _("alert template")
        verbose_name_plural = _("alert templates")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="alert_template_name")
        ]

    def __str__(self) -> str:
        return self.name


class Alert(CapFields):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Pending approval")
        APPROVED = "approved", _("Approved")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    class CapStatus(models.TextChoices):
        ACTUAL = "Actual", _("Real alert")
        EXERCISE = "Exercise", _("Exercise")
        TEST = "Test", _("Technical test")

    class MsgType(models.TextChoices):
        ALERT = "Alert", _("Alert")
        UPDATE = "Update", _("Update")
        CANCEL = "Cancel", _("Cancellation")

    organisation = models.ForeignKey(
        "territory.Organisation", on_delete=models.CASCADE, related_name="alerts"
    )
    identifier = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    cap_status = models.CharField(
        _("kind"), max_length=10, choices=CapStatus.choices, default=CapStatus.ACTUAL
    )
    msg_type = models.CharField(max_length=10, choices=MsgType.choices, default=MsgType.ALERT)
    references = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="follow_ups"
    )
    template = models.ForeignKey(
        AlertTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    onset = models.DateTimeField(_("start"), null=True, blank=True)
    expires = models.DateTimeField(_("end"), null=True, blank=True)
    is_public = models.BooleanField(_("show on the public alerts page"), default=True)
    # Target: union of zones (a drawn shape is saved as a custom zone first).
    whole_territory = models.BooleanField(_("whole territory"), default=False)
    zones = models.ManyToManyField("territory.Zone", blank=True, related_name="alerts")
    channels: models.JSONField[list[str]] = models.JSONField(_("channels"), default=list)
    sms_budget_segments = models.PositiveSmallIntegerField(_("SMS budget (parts)"), default=2)
    include_vulnerable = models.BooleanField(
        _("list registered vulnerable persons in the target for the CCAS"), default=False
    )
    single_approval = models.BooleanField(_("emergency single-approver mode"), default=False)
    single_approval_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="alerts_created"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alerts_approved",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)  # the CAP <sent>
    finished_at = models.DateTimeField(null=True, blank=True)
    # Fan-out (one Delivery per recipient × channel), written by a worker: its last sign of
    # life, and its end. Until the end is stamped the alert cannot be "sent", however many
    # send tasks already finished; a fan-out silent for the claim timeout is restarted.
    fanout_heartbeat_at = models.DateTimeField(null=True, blank=True)
    fanout_done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        return self.headline


class AlertTranslation(models.Model):
    """Another language version of an alert's texts (CAP: one <info> per language)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=5, choices=[("fr", "Français"), ("en", "English")])
    headline = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    instruction = models.TextField(blank=True)
    sms_text = models.TextField(blank=True)
    email_subject = models.CharField(max_length=200, blank=True)
    email_body = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert", "language"], name="alert_translation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.language}: {self.headline}"


class AlertTransition(models.Model):
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


class Delivery(models.Model):
    """One message of one alert to one recipient on one channel."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Accepted by the gateway")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.SET_NULL, null=True, related_name="deliveries"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # Snapshot of the address or number at send time (the subscriber may change it later).
    target = models.CharField(max_length=254)
    language = models.CharField(max_length=5, default="fr")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    permanent_failure = models.BooleanField(default=False)
    provider_id = models.CharField(max_length=128, blank=True, db_index=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "subscriber", "channel"], name="delivery_unique"
            )
        ]
        indexes = [models.Index(fields=["alert", "status", "channel"])]

    def __str__(self) -> str:
        return f"{self.channel} → {self.target} ({self.status})"


class RateSlot(models.Model):
    """The next free sending slot of one gateway account, shared by every worker.

    One row per transport kind ("smpp", "http_sms", "smtp"), written only by
    ``beffroi.alerts.transports.throttle`` with one atomic UPDATE per block of slots.
    """

    key = models.CharField(max_length=40, unique=True)
    # Wall-clock epoch seconds (time.time()): workers on several machines compare it.
    next_at = models.FloatField(default=0.0)

    def __str__(self) -> str:
        return f"{self.key}: {self.next_at}"
