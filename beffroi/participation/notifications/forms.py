"""The notification settings form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from beffroi.participation.models import NotificationSettings


class NotificationSettingsForm(forms.Form):
    email_frequency = forms.ChoiceField(
        label=_("Notifications by e-mail"),
        choices=NotificationSettings.Frequency.choices,
        widget=forms.RadioSelect,
        help_text=_("Notifications always appear here in the app as well."),
    )
