"""Reads of the composer: alerts and templates for agents, targeting choices, SMS cost."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from beffroi.alerts.audience import AudienceCounts
from beffroi.alerts.models import Alert, AlertTemplate, AlertTransition, Channel
from beffroi.alerts.texts import sms_suffix, sms_unit_price, with_marker
from beffroi.messaging.sms import Encoding, SmsInfo, sms_info
from beffroi.territory.models import Organisation, Zone
from beffroi.territory.selectors import zone_feature


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


@dataclass(frozen=True)
class SmsSummary:
    info: SmsInfo
    text: str  # as sent: exercise mark and STOP mention included
    characters: int  # characters the author typed
    budget: int
    recipients: int | None  # SMS recipients (None: the target is not known yet)
    unit_price: float

    @property
    def over_budget(self) -> bool:
        return self.info.segments > self.budget

    @property
    def is_ucs2(self) -> bool:
        return self.info.encoding == Encoding.UCS2

    @property
    def cost(self) -> float | None:
        if self.recipients is None:
            return None
        return round(self.info.segments * self.recipients * self.unit_price, 2)

    @property
    def cost_per_recipient(self) -> float:
        return round(self.info.segments * self.unit_price, 4)


def sms_summary(
    *, text: str, marker: str, language: str, budget: int, recipients: int | None
) -> SmsSummary:
    """The SMS as it will go out (``marker``: "EXERCICE", "TEST" or ""), and its cost."""
    full = with_marker(marker, text)
    if full:
        full += sms_suffix(language)
    return SmsSummary(
        info=sms_info(full),
        text=full,
        characters=len(text),
        budget=budget,
        recipients=recipients,
        unit_price=sms_unit_price(),
    )


def zone_rows(counts: AudienceCounts, zones: list[Zone]) -> list[tuple[Zone, int]]:
    return [(zone, counts.per_zone.get(zone.pk, 0)) for zone in zones]


def channel_rows(counts: AudienceCounts) -> list[tuple[str, int]]:
    labels = dict(Channel.choices)
    return [(str(labels.get(c, c)), n) for c, n in counts.per_channel.items()]
