"""Who takes part: one ``Participant`` per person and organisation, whatever the way in.

A resident takes part either with an account whose e-mail address is verified, or without an
account, as a person registered for alerts (a ``Subscriber``) with a verified mobile number
and an address in the territory, proven by an SMS code in the session. Both ways lead to the
same ``Participant`` row, so that the database rules that matter (one support per person and
proposal, one opinion, one response, one registration) hold whichever way the person came in.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Participant(models.Model):
    organisation = models.ForeignKey(
        "territory.Organisation", on_delete=models.CASCADE, related_name="participants"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="participants",
    )
    subscriber = models.ForeignKey(
        "alerts.Subscriber",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="participants",
    )
    # Shown beside contributions ("Marie D."); empty shows "a resident".
    display_name = models.CharField(_("public name"), max_length=80, blank=True)
    # Residence, for the per-process rules (zones) and the statistics per zone; the year of
    # birth for minimum ages and age bands (no exact date is needed for either).
    address = models.ForeignKey(
        "territory.Address",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="participants",
        verbose_name=_("address"),
    )
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    blocked_at = models.DateTimeField(_("blocked at"), null=True, blank=True)
    blocked_reason = models.CharField(_("reason for blocking"), max_length=300, blank=True)
    blocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Set when the person asked for erasure: contributions stay, signed "a resident".
    erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"],
                condition=models.Q(user__isnull=False),
                name="participant_one_per_user",
            ),
            models.UniqueConstraint(
                fields=["organisation", "subscriber"],
                condition=models.Q(subscriber__isnull=False),
                name="participant_one_per_subscriber",
            ),
        ]

    def __str__(self) -> str:
        return self.public_name

    @property
    def public_name(self) -> str:
        if self.erased_at or not self.display_name:
            return str(_("a resident"))
        return self.display_name
