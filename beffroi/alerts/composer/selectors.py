"""Reads of the composer: alerts and templates for agents, targeting choices, SMS cost."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy

from beffroi.accounts.models import User
from beffroi.alerts.audience import AudienceCounts
from beffroi.alerts.models import Alert, AlertTemplate, AlertTransition, AlertTranslation, Channel
from beffroi.alerts.texts import (
    BASE_LANGUAGE,
    OutgoingEmail,
    alert_texts,
    outgoing_email,
    outgoing_sms,
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


@dataclass(frozen=True)
class SmsVersion:
    """The SMS in one language, as dispatch sends it, and what it costs."""

    language: str
    text: str  # as sent: exercise mark and STOP mention included
    info: SmsInfo
    recipients: int | None  # recipients in this language (None: the target is not known)
    unit_price: float

    @property
    def caption(self) -> str:
        return str(SMS_CAPTIONS.get(self.language, self.language))

    @property
    def cost(self) -> float | None:
        if self.recipients is None:
            return None
        return round(self.info.segments * self.recipients * self.unit_price, 2)

    @property
    def cost_per_recipient(self) -> float:
        return round(self.info.segments * self.unit_price, 4)

    @property
    def is_ucs2(self) -> bool:
        return self.info.encoding == Encoding.UCS2


@dataclass(frozen=True)
class SmsSummary:
    """The SMS of an alert in every language it goes out in, the budget and the total cost."""

    versions: list[SmsVersion]
    budget: int
    unit_price: float

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
    def cost(self) -> float | None:
        costs = [v.cost for v in self.versions]
        return None if any(c is None for c in costs) else round(sum(c or 0 for c in costs), 2)


def sms_summary(
    *,
    alert: Alert,
    budget: int,
    recipients: dict[str, int] | None,
    translations: Iterable[AlertTranslation] | None = None,
) -> SmsSummary:
    """The SMS of ``alert`` as dispatch sends it (``outgoing_sms``) in French, in each
    language it is translated into and in each language of its recipients
    (``recipients``: SMS recipients per language; None while the target is unknown), each
    with its parts and cost. ``translations`` stand for the alert's own, for a form not
    saved yet. No version when the alert has neither an SMS text nor a headline yet."""
    versions_of = list(alert.translations.all()) if translations is None else list(translations)
    languages = [BASE_LANGUAGE, *(t.language for t in versions_of), *(recipients or {})]
    unit_price = sms_unit_price()
    versions = []
    for language in dict.fromkeys(languages):
        texts = alert_texts(alert, language, versions_of)
        if not (texts.sms or texts.headline):
            continue
        text = outgoing_sms(texts, language)
        versions.append(
            SmsVersion(
                language=language,
                text=text,
                info=sms_info(text),
                recipients=None if recipients is None else recipients.get(language, 0),
                unit_price=unit_price,
            )
        )
    return SmsSummary(versions=versions, budget=budget, unit_price=unit_price)


def email_previews(
    *, alert: Alert, translations: Iterable[AlertTranslation] | None = None
) -> list[tuple[str, OutgoingEmail]]:
    """(caption, e-mail) in French and each translation, exactly as dispatch builds
    them; the unsubscribe link is each resident's own, "…" stands for its token."""
    versions_of = list(alert.translations.all()) if translations is None else list(translations)
    languages = dict.fromkeys([BASE_LANGUAGE, *(t.language for t in versions_of)])
    unsubscribe = organisation_url(
        alert.organisation, reverse("subscriptions:unsubscribe", args=["TOKEN"])
    ).replace("TOKEN", "…")
    return [
        (
            str(EMAIL_CAPTIONS.get(language, language)),
            outgoing_email(
                alert,
                alert_texts(alert, language, versions_of),
                language,
                unsubscribe_url=unsubscribe,
            ),
        )
        for language in languages
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
