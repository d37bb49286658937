"""Forms of the composer: alert, template, approval decisions and settings."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.forms import BoundField
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from beffroi.alerts.composer.defaults import TemplateData
from beffroi.alerts.composer.services import (
    ALERT_SCALAR_FIELDS,
    MAX_RETENTION_DAYS,
    MAX_SMS_BUDGET,
    MIN_RETENTION_DAYS,
    AlertData,
    TranslationData,
)
from beffroi.alerts.models import Alert, Channel, Topic
from beffroi.alerts.texts import normalise_newlines, placeholders
from beffroi.territory.models import Zone

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
TRANSLATED = ("headline", "description", "instruction", "sms_text", "email_subject", "email_body")
# Channels the composer offers: those dispatch can send (a channel offered here that no
# transport carries would be ticked by an author and never reach anyone).
COMPOSER_CHANNELS = [
    (Channel.EMAIL.value, Channel.EMAIL.label),
    (Channel.SMS.value, Channel.SMS.label),
]


class ZoneChoiceField(forms.ModelMultipleChoiceField[Zone]):
    def label_from_instance(self, obj: Any) -> str:
        count = getattr(obj, "address_count", None)
        label = f"{obj.name} ({obj.get_kind_display()})"
        if count is None:
            return label
        return str(_("%(label)s — %(count)d addresses")) % {"label": label, "count": count}


class TextField(forms.CharField):
    """A text that residents read: its line breaks as "\\n" whatever the browser sent
    ("\\r\\n" from a textarea), so that the e-mail's paragraphs and closing are found."""

    def to_python(self, value: Any) -> str:
        return normalise_newlines(super().to_python(value) or "")


def _datetime() -> forms.DateTimeField:
    return forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )


class AlertForm(forms.Form):
    cap_status = forms.ChoiceField(
        label=_("Kind of alert"),
        choices=Alert.CapStatus.choices,
        widget=forms.RadioSelect,
        help_text=_("An exercise or a test is marked “EXERCICE” or “TEST” on every channel."),
    )
    topic = forms.ChoiceField(label=_("Risk"), choices=Topic.choices)
    category = forms.ChoiceField(label=_("CAP category"), choices=Alert.Category.choices)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Alert.Urgency.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Alert.Severity.choices)
    certainty = forms.ChoiceField(label=_("Certainty"), choices=Alert.Certainty.choices)
    headline = TextField(label=_("Headline"), max_length=160)
    description = TextField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    instruction = TextField(
        label=_("Instructions to the population"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"),
        choices=COMPOSER_CHANNELS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sms_text = TextField(
        label=_("SMS text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Counted with the exercise mark and the STOP mention added on sending. "
            "Letters such as ê, â, î, ô, û or ç switch to UCS-2 (70 characters per SMS)."
        ),
    )
    sms_budget_segments = forms.IntegerField(
        label=_("SMS budget (parts per message)"),
        min_value=1,
        max_value=MAX_SMS_BUDGET,
        initial=2,
    )
    email_subject = TextField(label=_("E-mail subject"), max_length=200, required=False)
    email_body = TextField(
        label=_("E-mail text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Left empty, the description and the instructions are sent."),
    )
    onset = _datetime()
    expires = _datetime()
    whole_territory = forms.BooleanField(label=_("Whole territory"), required=False)
    zones = ZoneChoiceField(
        label=_("Zones"),
        queryset=Zone.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    drawn_geometry = forms.CharField(
        label=_("Area drawn on the map (GeoJSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_(
            "Draw a polygon or a circle on the map, or paste a GeoJSON polygon: it is saved "
            "as a zone and added to the ticked zones."
        ),
    )
    include_vulnerable = forms.BooleanField(
        label=_("List the registered vulnerable persons in the target for the CCAS"),
        required=False,
    )
    is_public = forms.BooleanField(
        label=_("Show on the public alerts page"),
        required=False,
        initial=True,
        help_text=_(
            "Off by default for an exercise: on the public page a drill reads as a real danger."
        ),
    )
    en_headline = TextField(label=_("Headline (English)"), max_length=160, required=False)
    en_description = TextField(
        label=_("Description (English)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    en_instruction = TextField(
        label=_("Instructions (English)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    en_sms_text = TextField(
        label=_("SMS text (English)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    en_email_subject = TextField(
        label=_("E-mail subject (English)"), max_length=200, required=False
    )
    en_email_body = TextField(
        label=_("E-mail text (English)"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, zones: list[Zone], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["zones"]
        assert isinstance(field, ZoneChoiceField)
        field.queryset = Zone.objects.filter(pk__in=[z.pk for z in zones])
        # Keep the address counts computed by the selector in the labels.
        by_pk = {z.pk: z for z in zones}
        field.choices = [(z.pk, field.label_from_instance(by_pk[z.pk])) for z in zones]
        self.fields["onset"].label = _("Start")
        self.fields["expires"].label = _("End")
        self.placeholder_fields = self._mark_placeholders()

    def _mark_placeholders(self) -> list[tuple[BoundField, list[str]]]:
        """The text fields still holding a template's placeholder ("[heure]"), each with a
        note in words in its help text (read out through aria-describedby): submission is
        refused until they are replaced, and a colour alone would not tell everyone."""
        marked = []
        for name in (*TRANSLATED, *(f"en_{n}" for n in TRANSLATED)):
            value = self.data.get(name) if self.is_bound else self.initial.get(name)
            left = placeholders(str(value or ""))
            if not left:
                continue
            field = self.fields[name]
            note = format_html(
                '<strong class="placeholder-note">{}</strong> {}',
                _("To replace before submitting:"),
                ", ".join(left),
            )
            field.help_text = (
                format_html("{} {}", note, field.help_text) if field.help_text else note
            )
            marked.append((self[name], left))
        return marked

    def clean_drawn_geometry(self) -> dict[str, Any] | None:
        text = self.cleaned_data["drawn_geometry"].strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(_("This is not valid GeoJSON.")) from exc
        if isinstance(value, dict) and value.get("type") == "Feature":
            value = value.get("geometry")
        if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
            raise forms.ValidationError(_("Draw a polygon or a circle."))
        return value

    def to_data(self) -> AlertData:
        d = self.cleaned_data
        translation = TranslationData(**{name: d[f"en_{name}"].strip() for name in TRANSLATED})
        return AlertData(
            topic=d["topic"],
            headline=d["headline"],
            category=d["category"],
            urgency=d["urgency"],
            severity=d["severity"],
            certainty=d["certainty"],
            cap_status=d["cap_status"],
            description=d["description"].strip(),
            instruction=d["instruction"].strip(),
            sms_text=d["sms_text"].strip(),
            email_subject=d["email_subject"].strip(),
            email_body=d["email_body"].strip(),
            onset=d["onset"],
            expires=d["expires"],
            channels=list(d["channels"]),
            sms_budget_segments=d["sms_budget_segments"],
            include_vulnerable=d["include_vulnerable"],
            is_public=d["is_public"],
            whole_territory=d["whole_territory"],
            zones=list(d["zones"]),
            drawn_geometry=d["drawn_geometry"],
            translations={"en": translation},
        )

    @staticmethod
    def initial_from(data: AlertData) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(data, name) for name in ALERT_SCALAR_FIELDS}
        initial["zones"] = [z.pk for z in data.zones]
        english = data.translations.get("en")
        if english is not None:
            for name in TRANSLATED:
                initial[f"en_{name}"] = getattr(english, name)
        return initial


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    pcs_scenario = forms.CharField(label=_("PCS scenario"), max_length=200, required=False)
    topic = forms.ChoiceField(label=_("Risk"), choices=Topic.choices)
    category = forms.ChoiceField(label=_("CAP category"), choices=Alert.Category.choices)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Alert.Urgency.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Alert.Severity.choices)
    certainty = forms.ChoiceField(label=_("Certainty"), choices=Alert.Certainty.choices)
    headline = TextField(label=_("Headline"), max_length=160)
    description = TextField(label=_("Description"), required=False, widget=forms.Textarea)
    instruction = TextField(label=_("Instructions"), required=False, widget=forms.Textarea)
    sms_text = TextField(label=_("SMS text"), required=False, widget=forms.Textarea)
    email_subject = TextField(label=_("E-mail subject"), max_length=200, required=False)
    email_body = TextField(label=_("E-mail text"), required=False, widget=forms.Textarea)
    default_channels = forms.MultipleChoiceField(
        label=_("Default channels"),
        choices=COMPOSER_CHANNELS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    default_zones = ZoneChoiceField(
        label=_("Default zones"),
        queryset=Zone.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, zones: list[Zone], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["default_zones"]
        assert isinstance(field, ZoneChoiceField)
        field.queryset = Zone.objects.filter(pk__in=[z.pk for z in zones])

    def to_data(self) -> TemplateData:
        d = dict(self.cleaned_data)
        d["default_zones"] = list(d["default_zones"])
        d["default_channels"] = list(d["default_channels"])
        return TemplateData(**d)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for rejecting"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The author reads it to correct the alert."),
    )


class ApproveForm(forms.Form):
    justification = forms.CharField(
        label=_("Justification of the emergency single-approver mode"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Required only when you approve an alert you wrote, edited or submitted yourself."
        ),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class AlertFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *Alert.Status.choices], required=False
    )
    cap_status = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All")), *Alert.CapStatus.choices], required=False
    )
    topic = forms.ChoiceField(
        label=_("Risk"), choices=[("", _("All")), *Topic.choices], required=False
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)


class AlertSettingsForm(forms.Form):
    single_approval_allowed = forms.BooleanField(
        label=_("Allow the emergency single-approver mode"),
        required=False,
        help_text=_(
            "An approver may then approve an alert they wrote themselves, with a written "
            "justification kept in the audit trail. Leave it off unless the commune cannot "
            "always reach two agents in a crisis."
        ),
    )
    sms_daily_budget = forms.IntegerField(
        label=_("SMS per day for registration codes"),
        required=False,
        min_value=0,
        max_value=1_000_000,
        help_text=_(
            "SMS parts the commune may send each day outside alerts (codes that verify "
            "residents' numbers), so that nobody can spend its SMS through the registration "
            "form; administrators are e-mailed when it is reached. 0: no limit. Alerts are "
            "never limited."
        ),
    )
    unsubscribed_retention_days = forms.IntegerField(
        label=_("Days an unsubscribed resident's registration is kept"),
        required=False,
        min_value=MIN_RETENTION_DAYS,
        max_value=MAX_RETENTION_DAYS,
        help_text=_(
            "After this delay the registration of a resident who unsubscribed is erased "
            "(GDPR: no data kept without a purpose); until then the commune can prove the "
            "consent and the unsubscription if asked. Between 1 and 3650 days."
        ),
    )
