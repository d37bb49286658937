"""Forms of moderation: a resident's report, the moderators' decisions, the settings."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from beffroi.participation.models import Report
from beffroi.participation.moderation.services import (
    BLOCK_REASON_MAX,
    BOUNDS,
    DETAILS_MAX,
    PUBLIC_REASON_MAX,
)


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("What is wrong?"),
        choices=Report.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a reason.")},
    )
    details = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=DETAILS_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for “Other”. Only the moderators read it."),
    )


class HideForm(forms.Form):
    reason = forms.CharField(
        label=_("Public reason"),
        max_length=PUBLIC_REASON_MAX,
        help_text=_("Shown to everyone in place of the content, and sent to its author."),
        error_messages={"required": _("Give the public reason shown in place of the content.")},
    )


class BlockForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for blocking"),
        max_length=BLOCK_REASON_MAX,
        help_text=_("Sent to the participant and kept in the audit trail."),
        error_messages={"required": _("Say why this participant is blocked.")},
    )


class ModerationSettingsForm(forms.Form):
    auto_hide_reports = forms.IntegerField(
        label=_("Reports that hide a content automatically"),
        min_value=BOUNDS["auto_hide_reports"][0],
        max_value=BOUNDS["auto_hide_reports"][1],
        help_text=_(
            "A proposal or a comment reported by this many different people is hidden at "
            "once, until a moderator restores it or confirms it."
        ),
    )
    proposals_per_hour = forms.IntegerField(
        label=_("Proposals per hour and resident"),
        min_value=BOUNDS["proposals_per_hour"][0],
        max_value=BOUNDS["proposals_per_hour"][1],
        help_text=_("0: no limit."),
    )
    comments_per_hour = forms.IntegerField(
        label=_("Comments per hour and resident"),
        min_value=BOUNDS["comments_per_hour"][0],
        max_value=BOUNDS["comments_per_hour"][1],
        help_text=_("0: no limit."),
    )
