"""Reads of the composer: alerts and templates for agents, targeting choices, SMS cost."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_lazy

from beffroi.accounts.models import User
from beffroi.alerts.audience import AudienceCounts
from beffroi.alerts.models import Alert, AlertTemplate, AlertTransition, AlertTranslation, Channel
from beffroi.alerts.texts import (
    BASE_LANGUAGE,
    PLACEHOLDER,
    OutgoingEmail,
    channel_texts,
    message_language,
    outgoing_email,
    outgoing_sms,
    round_cents,
    sms_unit_price,
)
from beffroi.messaging.sms import Encoding, SmsInfo, sms_info
from beffroi.territory.models import Organisation, Zone
from beffroi.territory.selectors import organisation_url, zone_feature


def alerts_for_agents(
    *,
    organisation: Organisation,
    status: str = "",
    cap_status: str = "",
    topic: str = "",
    query: str = "",
) -> QuerySet[Alert]:
    alerts = Alert.objects.filter(organisation=organisation).select_related(
        "created_by", "approved_by", "references"
    )
    if status:
        alerts = alerts.filter(status=status)
    if cap_status:
        alerts = alerts.filter(cap_status=cap_status)
    if topic:
        alerts = alerts.filter(topic=topic)
    if query:
        alerts = alerts.filter(Q(headline__icontains=query) | Q(description__icontains=query))
    return alerts.order_by("-created_at", "-pk")


def alert_status_counts(*, organisation: Organisation) -> dict[str, int]:
    rows = (
        Alert.objects.filter(organisation=organisation)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["status"]: row["n"] for row in rows}


def alert_get(*, organisation: Organisation, alert_id: int) -> Alert | None:
    """The alert ``alert_id`` of this organisation, ready for the composer's pages."""
    return (
        Alert.objects.select_related("created_by", "approved_by", "references", "template")
        .prefetch_related("translations", "zones")
        .filter(organisation=organisation, pk=alert_id)
        .first()
    )


def alert_transitions(*, alert: Alert) -> QuerySet[AlertTransition]:
    return alert.transitions.select_related("actor").order_by("at", "pk")


def alert_last_rejection(*, alert: Alert) -> AlertTransition | None:
    """The reason of the last rejection, shown to the author while the alert is a draft."""
    if alert.status != Alert.Status.DRAFT:
        return None
    last = alert.transitions.order_by("-at", "-pk").first()
    if last is None or last.from_status != Alert.Status.PENDING:
        return None
    # Sent back by one of its writers, it is their edit of a pending alert, not a rejection.
    if last.actor_id and alert.contributors.filter(pk=last.actor_id).exists():
        return None
    return last


def templates_for(*, organisation: Organisation) -> QuerySet[AlertTemplate]:
    return AlertTemplate.objects.filter(organisation=organisation).order_by("name")


def template_get(*, organisation: Organisation, template_id: int) -> AlertTemplate | None:
    return templates_for(organisation=organisation).filter(pk=template_id).first()


def targeting_zones(*, organisation: Organisation, selected: list[int] | None = None) -> list[Zone]:
    """Zones an author can tick, each with ``address_count``.

    Areas drawn for earlier alerts (custom zones used by an alert) are left out unless
    selected: after a few crises they would bury the hamlets and districts.
    """
    drawn_for_alerts = Zone.objects.filter(
        organisation=organisation, kind=Zone.Kind.CUSTOM, alerts__isnull=False
    ).values("pk")
    zones = (
        Zone.objects.filter(organisation=organisation)
        .filter(~Q(pk__in=drawn_for_alerts) | Q(pk__in=selected or []))
        .annotate(address_count=Count("memberships"))
        .order_by("kind", "name")
    )
    return list(zones)


def target_geojson(*, alert: Alert) -> dict[str, Any]:
    """The alert's zones as a FeatureCollection for the map (empty for the whole territory)."""
    return {
        "type": "FeatureCollection",
        "features": [zone_feature(zone) for zone in alert.zones.all()],
    }


# The captions of the previews, whole sentences per language residents register in (a
# language name put into a sentence would read "SMS en Français").
SMS_CAPTIONS = {
    "fr": gettext_lazy("SMS in French, as received"),
    "en": gettext_lazy("SMS in English, as received"),
}
EMAIL_CAPTIONS = {
    "fr": gettext_lazy("E-mail in French, as received"),
    "en": gettext_lazy("E-mail in English, as received"),
}
# Said under a version also sent to the residents of another language, that the alert has
# no text in for this channel (``texts.message_language``).
ALSO_SENT_TO = {
    "fr": gettext_lazy(
        "Also received by the residents who chose French: the alert has no French text "
        "for this channel."
    ),
    "en": gettext_lazy(
        "Also received by the residents who chose English: the alert has no English text "
        "for this channel."
    ),
}


def highlight_placeholders(text: str) -> SafeString:
    """``text`` escaped, each placeholder left ("[heure]") in a ``<mark>`` with words that
    say it (read out, and visible in forced colours): the preview shows where the text is
    not finished, not by colour alone."""
    cue = gettext("to fill in:")
    parts = []
    last = 0
    for found in PLACEHOLDER.finditer(text):
        parts.append(conditional_escape(text[last : found.start()]))
        parts.append(
            format_html(
                '<mark class="placeholder"><span class="visually-hidden">{} </span>{}</mark>',
                cue,
                found.group(0),
            )
        )
        last = found.end()
    parts.append(conditional_escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308 (every part escaped above)


def _resident_languages() -> list[str]:
    """The languages residents may choose to receive alerts in."""
    return [code for code, _name in settings.LANGUAGES]


def _also_sent_to(languages: Iterable[str]) -> list[str]:
    return [str(ALSO_SENT_TO.get(language, language)) for language in languages]


@dataclass(frozen=True)
class SmsVersion:
    """The SMS in one language, as dispatch sends it, and what it costs."""

    language: str
    text: str  # as sent: exercise mark and STOP mention included
    info: SmsInfo
    recipients: int | None  # recipients it goes to (None: the target is not known)
    unit_price: Decimal
    # Notes on the residents of other languages who get this version (no text of theirs).
    also: tuple[str, ...] = ()

    @property
    def caption(self) -> str:
        return str(SMS_CAPTIONS.get(self.language, self.language))

    @property
    def marked_text(self) -> SafeString:
        return highlight_placeholders(self.text)

    @property
    def cost(self) -> Decimal | None:
        """What this version costs, rounded half up to the cent (0.045 € → 0.05 €)."""
        if self.recipients is None:
            return None
        return round_cents(self.info.segments * self.recipients * self.unit_price)

    @property
    def cost_per_recipient(self) -> Decimal:
        return self.info.segments * self.unit_price

    @property
    def is_ucs2(self) -> bool:
        return self.info.encoding == Encoding.UCS2


@dataclass(frozen=True)
class SmsSummary:
    """The SMS of an alert in every language it goes out in, the budget and the total cost."""

    versions: list[SmsVersion]
    budget: int
    unit_price: Decimal

    @property
    def text(self) -> str:
        return self.versions[0].text if self.versions else ""

    @property
    def over_budget(self) -> list[SmsVersion]:
        return [v for v in self.versions if v.info.segments > self.budget]

    @property
    def recipients(self) -> int | None:
        counts = [v.recipients for v in self.versions]
        return None if any(n is None for n in counts) else sum(n or 0 for n in counts)

    @property
    def cost(self) -> Decimal | None:
        """The sum of the costs shown per version (each rounded to the cent): the total
        the author reads adds up."""
        costs = [v.cost for v in self.versions]
        if any(c is None for c in costs):
            return None
        return sum((c or Decimal(0) for c in costs), Decimal("0.00"))


def _languages_by_version(
    alert: Alert,
    channel: str,
    languages: Iterable[str],
    translations: list[AlertTranslation],
) -> dict[str, list[str]]:
    """Each language a message goes out in on ``channel``, with the languages of the
    residents who receive it (theirs first): a language without its own text gets the
    base one."""
    versions: dict[str, list[str]] = {}
    for language in dict.fromkeys(languages):
        sent_in = message_language(alert, language, channel, translations)
        versions.setdefault(sent_in, [])
        if language != sent_in:
            versions[sent_in].append(language)
    return versions


def sms_summary(
    *,
    alert: Alert,
    budget: int,
    recipients: dict[str, int] | None,
    translations: Iterable[AlertTranslation] | None = None,
) -> SmsSummary:
    """The SMS of ``alert`` as dispatch sends it (``outgoing_sms``) in French and in each
    language it has an SMS text in, each with the residents who receive it
    (``recipients``: SMS recipients per language they chose; None while the target is
    unknown; a language without its own text gets the French SMS), its parts and cost.
    ``translations`` stand for the alert's own, for a form not saved yet. No version when
    the alert has neither an SMS text nor a headline yet."""
    versions_of = list(alert.translations.all()) if translations is None else list(translations)
    languages = [
        BASE_LANGUAGE,
        *(t.language for t in versions_of),
        *(recipients or {}),
        *_resident_languages(),
    ]
    unit_price = sms_unit_price()
    versions = []
    for language, others in _languages_by_version(
        alert, Channel.SMS, languages, versions_of
    ).items():
        texts = channel_texts(alert, language, Channel.SMS, versions_of)
        if not (texts.sms or texts.headline):
            continue
        text = outgoing_sms(texts)
        versions.append(
            SmsVersion(
                language=language,
                text=text,
                info=sms_info(text),
                recipients=None
                if recipients is None
                else sum(recipients.get(lang, 0) for lang in (language, *others)),
                unit_price=unit_price,
                also=tuple(_also_sent_to(others)),
            )
        )
    return SmsSummary(versions=versions, budget=budget, unit_price=unit_price)


@dataclass(frozen=True)
class EmailVersion:
    """The e-mail in one language, as dispatch sends it."""

    language: str
    mail: OutgoingEmail
    also: tuple[str, ...] = ()

    @property
    def caption(self) -> str:
        return str(EMAIL_CAPTIONS.get(self.language, self.language))

    @property
    def marked_subject(self) -> SafeString:
        return highlight_placeholders(self.mail.subject)

    @property
    def marked_text(self) -> SafeString:
        return highlight_placeholders(self.mail.text)


def email_previews(
    *,
    alert: Alert,
    translations: Iterable[AlertTranslation] | None = None,
) -> list[EmailVersion]:
    """The e-mail in French and in each language it has a text in (residents of a language
    it has no e-mail text in get the French one), exactly as dispatch builds them; the
    unsubscribe link is each resident's own, "…" stands for its token."""
    versions_of = list(alert.translations.all()) if translations is None else list(translations)
    wanted = [BASE_LANGUAGE, *(t.language for t in versions_of), *_resident_languages()]
    unsubscribe = organisation_url(
        alert.organisation, reverse("subscriptions:unsubscribe", args=["TOKEN"])
    ).replace("TOKEN", "…")
    return [
        EmailVersion(
            language=language,
            mail=outgoing_email(
                alert,
                channel_texts(alert, language, Channel.EMAIL, versions_of),
                unsubscribe_url=unsubscribe,
            ),
            also=tuple(_also_sent_to(others)),
        )
        for language, others in _languages_by_version(
            alert, Channel.EMAIL, wanted, versions_of
        ).items()
    ]


@dataclass(frozen=True)
class TransitionRow:
    """A change of status in an alert's history, the statuses by their translated names."""

    at: datetime
    from_label: str
    to_label: str
    actor: User | None
    reason: str


def status_label(value: str) -> str:
    """The translated name of an alert status ("" for none)."""
    if not value:
        return ""
    try:
        return str(Alert.Status(value).label)
    except ValueError:
        return value


def alert_history(*, alert: Alert) -> list[TransitionRow]:
    """Every change of status of ``alert``, oldest first, with who and why."""
    return [
        TransitionRow(
            at=t.at,
            from_label=status_label(t.from_status),
            to_label=status_label(t.to_status),
            actor=t.actor,
            reason=t.reason,
        )
        for t in alert_transitions(alert=alert)
    ]


def zone_rows(counts: AudienceCounts, zones: list[Zone]) -> list[tuple[Zone, int]]:
    return [(zone, counts.per_zone.get(zone.pk, 0)) for zone in zones]


def channel_label(value: str) -> str:
    """The translated name of a channel ("E-mail", "SMS")."""
    return str(dict(Channel.choices).get(value, value))


def channel_labels(values: Iterable[str]) -> list[str]:
    return [channel_label(value) for value in values]


def channel_rows(counts: AudienceCounts) -> list[tuple[str, int]]:
    return [(channel_label(c), n) for c, n in counts.per_channel.items()]
