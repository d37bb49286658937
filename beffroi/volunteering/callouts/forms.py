"""Call-outs: the form that starts one, and the volunteer's answer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy, pgettext_lazy

from beffroi.volunteering.callouts.services import MESSAGE_MAX_LENGTH, WAVE_SIZE_MAX
from beffroi.volunteering.models import Mission

CHANNEL_CHOICES = (
    ("sms", pgettext_lazy("channel", "SMS")),
    ("email", pgettext_lazy("channel", "E-mail")),
)


class MissionChoiceField(forms.ModelChoiceField[Mission]):
    def label_from_instance(self, obj: Mission) -> str:
        owner = obj.association.name if obj.association else str(gettext_lazy("the commune"))
        return f"{obj.title} ({owner})"


class CallOutForm(forms.Form):
    mission = MissionChoiceField(
        label=gettext_lazy("Mission"),
        queryset=Mission.objects.none(),
        empty_label=gettext_lazy("Choose a mission"),
        help_text=gettext_lazy(
            "Published missions with a future slot. Those who already take part in it, said "
            "no to it, or were called for it in the last 24 hours are not contacted."
        ),
    )
    message = forms.CharField(
        label=gettext_lazy("Message to the volunteers"),
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Short: it goes by SMS. The link to answer and “Reply YES or NO” are added."
        ),
    )
    channels = forms.MultipleChoiceField(
        label=gettext_lazy("Channels"),
        choices=CHANNEL_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        initial=["sms", "email"],
        help_text=gettext_lazy("Each volunteer is reached on every chosen channel they have."),
    )
    wave_size = forms.IntegerField(
        label=gettext_lazy("Volunteers per wave"), min_value=1, max_value=WAVE_SIZE_MAX, initial=20
    )
    wave_minutes = forms.IntegerField(
        label=gettext_lazy("Minutes between waves"),
        min_value=1,
        max_value=24 * 60,
        initial=15,
        help_text=gettext_lazy("The next wave leaves if the slots still have room by then."),
    )
    reserve_first = forms.BooleanField(
        label=gettext_lazy("Reach the civil-protection reserve first"),
        required=False,
        initial=True,
    )
    alert = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        missions: QuerySet[Mission],
        max_wave: int,
        crisis: bool = True,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        if not crisis:
            # Only the crisis cell reaches the reserve first.
            del self.fields["reserve_first"]
        field = self.fields["mission"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = missions.select_related("association")
        wave = self.fields["wave_size"]
        assert isinstance(wave, forms.IntegerField)
        wave.max_value = max_wave
        wave.validators = [v for v in wave.validators if not hasattr(v, "limit_value")]
        wave.widget.attrs["max"] = max_wave
        wave.widget.attrs["min"] = 1
        from django.core.validators import MaxValueValidator, MinValueValidator

        wave.validators += [MinValueValidator(1), MaxValueValidator(max_wave)]
        if max_wave < WAVE_SIZE_MAX:
            wave.help_text = gettext_lazy(
                "An association reaches at most %(max)d volunteers per call-out."
            ) % {"max": max_wave}
