"""Reads of the public side: alerts as residents see them, grouped in threads (an alert, its
updates and its cancellation), current or past; delivery statistics for agents."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from beffroi.alerts.models import Alert, Delivery, Topic
from beffroi.territory.models import Organisation

# An alert sent without an end date is shown as current for a day: a forgotten end date
# must not leave a banner on the site for ever.
DEFAULT_DURATION = timedelta(hours=24)
BANNER_CACHE_SECONDS = 30
PUBLIC_STATUSES = (Alert.Status.SENDING, Alert.Status.SENT, Alert.Status.CANCELLED)


@dataclass(frozen=True)
class SeverityStyle:
    css: str
    icon: str
    label: Any


# Shown as a shape with a symbol AND a word: never colour alone (RGAA 3.1).
SEVERITY_STYLES: dict[str, SeverityStyle] = {
    Alert.Severity.EXTREME: SeverityStyle("extreme", "‼", _("Extreme danger")),
    Alert.Severity.SEVERE: SeverityStyle("severe", "!", _("Severe danger")),
    Alert.Severity.MODERATE: SeverityStyle("moderate", "▲", _("Moderate danger")),
    Alert.Severity.MINOR: SeverityStyle("minor", "i", _("Information")),
    Alert.Severity.UNKNOWN: SeverityStyle("unknown", "?", _("Danger not assessed")),
}


def severity_style(severity: str) -> SeverityStyle:
    return SEVERITY_STYLES.get(severity, SEVERITY_STYLES[Alert.Severity.UNKNOWN])


def message_end(alert: Alert) -> datetime | None:
    if alert.expires is not None:
        return alert.expires
    if alert.sent_at is not None:
        return alert.sent_at + DEFAULT_DURATION
    return None


@dataclass
class AlertThread:
    """An original alert and its sent follow-ups, oldest first."""

    root: Alert
    messages: list[Alert] = field(default_factory=list)
    state: str = "in_force"  # in_force, cancelled, ended, expired

    @property
    def latest(self) -> Alert:
        return self.messages[-1]

    @property
    def is_current(self) -> bool:
        return self.state == "in_force"

    @property
    def is_exercise(self) -> bool:
        return self.root.cap_status == Alert.CapStatus.EXERCISE

    @property
    def severity(self) -> SeverityStyle:
        return severity_style(self.latest.severity)

    @property
    def state_label(self) -> Any:
        return THREAD_STATES[self.state]

    @property
    def end(self) -> datetime | None:
        return message_end(self.latest)


THREAD_STATES: dict[str, Any] = {
    "in_force": _("In force"),
    "cancelled": _("Cancelled"),
    "ended": _("Ended"),
    "expired": _("Over"),
}


def public_messages(*, organisation: Organisation) -> QuerySet[Alert]:
    """Every alert message residents may see: public and sent (or being sent)."""
    return Alert.objects.filter(
        organisation=organisation,
        is_public=True,
        sent_at__isnull=False,
        status__in=PUBLIC_STATUSES,
    )


def _roots(organisation: Organisation) -> QuerySet[Alert]:
    follow_ups = public_messages(organisation=organisation).order_by("sent_at", "pk")
    return (
        public_messages(organisation=organisation)
        .filter(references__isnull=True)
        .select_related("organisation")
        .prefetch_related(
            "zones",
            "translations",
            Prefetch(
                "follow_ups",
                queryset=follow_ups.prefetch_related("zones", "translations"),
                to_attr="public_follow_ups",
            ),
        )
        .order_by("-sent_at", "-pk")
    )


def _thread(root: Alert, now: datetime) -> AlertThread:
    follow_ups: list[Alert] = list(getattr(root, "public_follow_ups", []))
    thread = AlertThread(root=root, messages=[root, *follow_ups])
    for message in thread.messages:
        message.severity_style = severity_style(message.severity)  # type: ignore[attr-defined]
    latest = thread.latest
    end = message_end(latest)
    cancelled = root.status == Alert.Status.CANCELLED or any(
        m.msg_type == Alert.MsgType.CANCEL for m in follow_ups
    )
    if cancelled:
        thread.state = "cancelled"
    elif latest.urgency == Alert.Urgency.PAST:
        thread.state = "ended"
    elif end is not None and end <= now:
        thread.state = "expired"
    return thread


def threads_for(
    roots: QuerySet[Alert] | list[Alert], now: datetime | None = None
) -> list[AlertThread]:
    moment = now or timezone.now()
    return [_thread(root, moment) for root in roots]


def current_threads(
    *, organisation: Organisation, now: datetime | None = None
) -> list[AlertThread]:
    """Threads in force: not cancelled, not ended, not expired; most severe first."""
    moment = now or timezone.now()
    recent = moment - DEFAULT_DURATION
    candidates = (
        _roots(organisation)
        .filter(
            Q(expires__gt=moment)
            | Q(expires__isnull=True, sent_at__gt=recent)
            | Q(follow_ups__expires__gt=moment)
            | Q(follow_ups__expires__isnull=True, follow_ups__sent_at__gt=recent)
        )
        .distinct()
    )
    threads = [t for t in threads_for(candidates, moment) if t.is_current]
    order = list(Alert.Severity.values)
    threads.sort(key=lambda t: (order.index(t.latest.severity), -t.latest.sent_at.timestamp()))  # type: ignore[union-attr]
    return threads


def past_roots(*, organisation: Organisation, exclude: list[int]) -> QuerySet[Alert]:
    """Originals of the threads no longer in force, newest first (for pagination)."""
    return _roots(organisation).exclude(pk__in=exclude)


def public_thread_get(
    *, organisation: Organisation, alert_id: int
) -> tuple[AlertThread, Alert] | None:
    """The thread a public message belongs to, and the message; None for anything else."""
    message = public_messages(organisation=organisation).filter(pk=alert_id).first()
    if message is None:
        return None
    root_id = message.references_id or message.pk
    root = _roots(organisation).filter(pk=root_id).first()
    if root is None:
        # The original is not public: the follow-up stands alone.
        message.severity_style = severity_style(message.severity)  # type: ignore[attr-defined]
        return AlertThread(root=message, messages=[message]), message
    return _thread(root, timezone.now()), message


def public_alert_get(*, organisation: Organisation, alert_id: int) -> Alert | None:
    return (
        public_messages(organisation=organisation)
        .select_related("organisation", "references")
        .prefetch_related("zones", "translations")
        .filter(pk=alert_id)
        .first()
    )


def alerts_geojson(alerts: list[Alert]) -> dict[str, Any]:
    features: list[dict[str, Any]] = []
    seen: set[int] = set()
    for alert in alerts:
        if alert.whole_territory:
            for commune in alert.organisation.communes.all():
                if commune.boundary and -commune.pk not in seen:
                    seen.add(-commune.pk)
                    features.append(
                        {
                            "type": "Feature",
                            "id": f"commune-{commune.pk}",
                            "geometry": commune.boundary,
                            "properties": {"name": commune.name, "kind": "risk"},
                        }
                    )
            continue
        for zone in alert.zones.all():
            if zone.pk in seen:
                continue
            seen.add(zone.pk)
            features.append(
                {
                    "type": "Feature",
                    "id": zone.pk,
                    "geometry": zone.geometry,
                    "properties": {
                        "name": zone.name,
                        "kind": "risk",
                        "kind_label": str(zone.get_kind_display()),
                    },
                }
            )
    return {"type": "FeatureCollection", "features": features}


def area_names(alert: Alert) -> list[str]:
    if alert.whole_territory:
        return [str(_("Whole territory"))]
    return [zone.name for zone in alert.zones.all()]


def topic_label(alert: Alert) -> str:
    return str(Topic(alert.topic).label) if alert.topic in Topic.values else alert.topic


def _banner_key(organisation: Organisation) -> str:
    return f"alerts:banner:{organisation.pk}"


def current_alert_summaries(*, organisation: Organisation) -> list[dict[str, Any]]:
    """What the banner on every page shows, cached briefly: one cheap query per half-minute
    and organisation, whatever the traffic during a crisis."""
    key = _banner_key(organisation)
    summaries: list[dict[str, Any]] | None = cache.get(key)
    if summaries is None:
        summaries = [
            {
                "id": thread.root.pk,
                "url": reverse("alerts:detail", args=[thread.root.pk]),
                "headline": thread.latest.headline,
                "severity": thread.latest.severity,
                "topic": thread.latest.topic,
                "exercise": thread.is_exercise,
                "end": message_end(thread.latest),
            }
            for thread in current_threads(organisation=organisation)
        ]
        cache.set(key, summaries, BANNER_CACHE_SECONDS)
    now = timezone.now()
    # Filtered again at read time: an alert ending within the cache's lifetime disappears
    # on time.
    return [s for s in summaries if s["end"] is None or s["end"] > now]


def banner_cache_clear(*, organisation: Organisation) -> None:
    cache.delete(_banner_key(organisation))


def delivery_stats(*, alert: Alert) -> dict[str, dict[str, int]]:
    """``{"email": {"delivered": 120, "failed": 3, …}, "sms": {…}}``: every status listed."""
    result: dict[str, dict[str, int]] = {}
    rows = (
        Delivery.objects.filter(alert=alert)
        .values("channel", "status")
        .annotate(count=Count("id"))
        .order_by("channel", "status")
    )
    for row in rows:
        channel = result.setdefault(row["channel"], dict.fromkeys(Delivery.Status.values, 0))
        channel[row["status"]] = row["count"]
    return result


def organisation_alert_get(*, organisation: Organisation, alert_id: int) -> Alert | None:
    """Any alert of the organisation (for agents)."""
    return (
        Alert.objects.select_related("organisation", "references")
        .filter(organisation=organisation, pk=alert_id)
        .first()
    )
