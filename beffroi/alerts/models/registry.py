"""The vulnerable persons registry kept by the CCAS (heat-wave plan, décret 2004-926)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField


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
