"""Reads of dispatch: progress of a sending alert, its failures, the post-alert report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Case, Count, Max, Min, Q, QuerySet, When
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from beffroi.alerts.composer.selectors import TransitionRow, alert_history
from beffroi.alerts.models import Alert, Channel, Delivery
from beffroi.messaging.base import ErrorKind, error_kind
from beffroi.territory.models import Organisation

__all__ = [
    "ChannelHealth",
    "DispatchProgress",
    "dispatch_alert",
    "dispatch_alerts",
    "dispatch_failure_reasons",
    "dispatch_failures",
    "dispatch_progress",
    "dispatch_timeline",
    "duration_label",
]

STATUSES = [value for value, _label in Delivery.Status.choices]
# Deliveries waiting for a retry above this share of a channel, or above this count, are
# shown as an outage (the count: a relay down near the end of a 50,000-message alert).
# A worker claims a batch every few seconds while messages are due: a minute without any
# claim means none is running (a retry waiting for its time is not "due").
STALL_SECONDS = 60
OUTAGE_SHARE = 0.05
OUTAGE_COUNT = 20


def dispatch_alert(*, organisation: Organisation, alert_id: int) -> Alert | None:
    """An alert of ``organisation`` that has entered dispatch."""
    return (
        Alert.objects.select_related("organisation", "created_by", "approved_by")
        .filter(
            pk=alert_id,
            organisation=organisation,
            status__in=(
                Alert.Status.APPROVED,
                Alert.Status.SENDING,
                Alert.Status.SENT,
                Alert.Status.FAILED,
                Alert.Status.CANCELLED,
            ),
        )
        .first()
    )


def dispatch_alerts(*, organisation: Organisation) -> QuerySet[Alert]:
    """The organisation's alerts that were sent or are being sent, most recent first."""
    return (
        Alert.objects.filter(
            organisation=organisation,
            status__in=(Alert.Status.SENDING, Alert.Status.SENT, Alert.Status.FAILED),
        )
        .annotate(deliveries_count=Count("deliveries"))
        .order_by("-approved_at", "-pk")
    )


# What agents read about a gateway error, by kind; the technical text stays one click away
# for the provider's hotline.
_EXPLANATIONS: dict[ErrorKind, tuple[Any, Any]] = {
    ErrorKind.UNREACHABLE: (
        _("The gateway cannot be reached or does not answer."),
        _(
            "The messages are retried automatically, at increasing intervals. If it lasts "
            "more than a few minutes, call the provider."
        ),
    ),
    ErrorKind.ACCOUNT: (
        _("The gateway refuses our account or our sender name."),
        _(
            "Nothing will go out on this channel until an administrator corrects the gateway "
            "settings with the provider: warn them now."
        ),
    ),
    ErrorKind.THROTTLED: (
        _("The gateway asks us to send more slowly (contracted rate exceeded)."),
        _(
            "The messages are retried automatically. Check the sending rate set for this "
            "gateway against the contract."
        ),
    ),
    ErrorKind.REFUSED: (
        _("The gateway refuses some messages or recipients."),
        _("These messages are not retried: the failures list below says which and why."),
    ),
    ErrorKind.OTHER: (
        _("The gateway answered with an error."),
        _(
            "The messages are retried automatically, at increasing intervals. If it lasts, "
            "call the provider with the technical detail."
        ),
    ),
}


@dataclass(frozen=True)
class ChannelHealth:
    channel: str
    label: str
    counts: dict[str, int]
    total: int
    waiting_retry: int  # pending after a temporary error
    last_error: str
    last_error_at: datetime | None

    @property
    def done(self) -> int:
        return sum(self.counts.get(s, 0) for s in ("sent", "delivered", "failed"))

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 100

    @property
    def accepted(self) -> int:
        return self.counts.get("sent", 0) + self.counts.get("delivered", 0)

    @property
    def accepted_percent(self) -> int:
        return round(100 * self.accepted / self.total) if self.total else 0

    @property
    def last_error_explained(self) -> tuple[str, str]:
        """The last error for the agents following the alert: what happened, what to do."""
        return _EXPLANATIONS[error_kind(self.last_error)]

    @property
    def outage(self) -> bool:
        threshold = max(1, min(OUTAGE_SHARE * self.total, OUTAGE_COUNT))
        return bool(self.waiting_retry) and self.waiting_retry >= threshold


@dataclass(frozen=True)
class DispatchProgress:
    alert: Alert
    counts: dict[str, int]
    total: int
    channels: list[ChannelHealth] = field(default_factory=list)
    first_sent_at: datetime | None = None
    last_sent_at: datetime | None = None
    # Set when messages are due but nothing was claimed or sent for STALL_SECONDS: no
    # worker is sending (stopped, crashed, or all busy elsewhere).
    stalled_since: datetime | None = None

    @property
    def done(self) -> int:
        return sum(self.counts.get(s, 0) for s in ("sent", "delivered", "failed"))

    @property
    def accepted(self) -> int:
        return self.counts.get("sent", 0) + self.counts.get("delivered", 0)

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 100

    @property
    def accepted_percent(self) -> int:
        return round(100 * self.accepted / self.total) if self.total else 0

    @property
    def delivery_rate(self) -> float | None:
        """Share of messages accepted by the gateways (sent or delivered)."""
        return self.accepted / self.total if self.total else None

    @property
    def finished(self) -> bool:
        return self.alert.status != Alert.Status.SENDING and self.alert.status != (
            Alert.Status.APPROVED
        )

    @property
    def outage(self) -> bool:
        return any(channel.outage for channel in self.channels)

    @property
    def duration(self) -> timedelta | None:
        start = self.alert.approved_at or self.first_sent_at
        end = self.alert.finished_at or self.last_sent_at
        if start is None or end is None:
            return None
        return end - start

    @property
    def duration_label(self) -> str:
        """The duration in words ("1 s", "2 min 5 s", "1 h 3 min"); "" when not known."""
        return duration_label(self.duration) if self.duration is not None else ""


def duration_label(duration: timedelta) -> str:
    """``duration`` as a person writes it in a logbook: "1 s", "2 min 5 s", "1 h 3 min"
    (to the second, to the minute past an hour), never Python's "0:00:01.334158"."""
    seconds = max(0, round(duration.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        if not minutes:
            return gettext("%(hours)d h") % {"hours": hours}
        return gettext("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if minutes:
        if not seconds:
            return gettext("%(minutes)d min") % {"minutes": minutes}
        return gettext("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": seconds}
    return gettext("%(seconds)d s") % {"seconds": seconds}


def dispatch_progress(*, alert: Alert) -> DispatchProgress:
    """Counts per status and per channel, and each channel's latest error (3 queries)."""
    rows = (
        Delivery.objects.filter(alert=alert)
        .values("channel", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    per_channel: dict[str, dict[str, int]] = {}
    counts = dict.fromkeys(STATUSES, 0)
    for row in rows:
        per_channel.setdefault(row["channel"], dict.fromkeys(STATUSES, 0))[row["status"]] = row["n"]
        counts[row["status"]] += row["n"]
    waiting = dict(
        Delivery.objects.filter(alert=alert, status=Delivery.Status.PENDING)
        .exclude(last_error="")
        .values_list("channel")
        .annotate(n=Count("pk"))
        .order_by()
    )
    labels = dict(Channel.choices)
    channels = []
    for channel, channel_counts in sorted(per_channel.items()):
        # The cause of the messages waiting for a retry first (what the outage panel is
        # about), else the latest failure.
        latest = (
            Delivery.objects.filter(alert=alert, channel=channel)
            .filter(
                Q(status=Delivery.Status.PENDING) | Q(status=Delivery.Status.FAILED),
            )
            .exclude(last_error="")
            .annotate(waiting=Case(When(status=Delivery.Status.PENDING, then=0), default=1))
            .order_by("waiting", "-claimed_at", "-pk")
            .values_list("last_error", "claimed_at")
            .first()
        )
        channels.append(
            ChannelHealth(
                channel=channel,
                label=str(labels.get(channel, channel)),
                counts=channel_counts,
                total=sum(channel_counts.values()),
                waiting_retry=int(waiting.get(channel, 0)),
                last_error=latest[0] if latest else "",
                last_error_at=latest[1] if latest else None,
            )
        )
    times = Delivery.objects.filter(alert=alert).aggregate(
        first=Min("sent_at"), last=Max("sent_at"), last_claim=Max("claimed_at")
    )
    return DispatchProgress(
        alert=alert,
        counts=counts,
        total=sum(counts.values()),
        channels=channels,
        first_sent_at=times["first"],
        last_sent_at=times["last"],
        stalled_since=_stalled_since(alert, times["last"], times["last_claim"]),
    )


def _stalled_since(
    alert: Alert, last_sent: datetime | None, last_claim: datetime | None
) -> datetime | None:
    """Since when nothing moved, if messages are due and nothing moved for STALL_SECONDS."""
    if alert.status != Alert.Status.SENDING:
        return None
    now = timezone.now()
    activity = [moment for moment in (last_sent, last_claim, alert.fanout_heartbeat_at) if moment]
    last = max(activity, default=alert.sent_at or alert.approved_at)
    if last is None or now - last < timedelta(seconds=STALL_SECONDS):
        return None
    due = Delivery.objects.filter(alert=alert, status=Delivery.Status.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    return last if due.exists() else None


def dispatch_failures(*, alert: Alert) -> QuerySet[Delivery]:
    """Failed deliveries, and those waiting for a retry, with their reason (newest first)."""
    return (
        Delivery.objects.filter(alert=alert)
        .filter(Q(status=Delivery.Status.FAILED) | ~Q(last_error=""))
        .exclude(status__in=(Delivery.Status.SENT, Delivery.Status.DELIVERED))
        .order_by("-claimed_at", "-pk")
    )


def dispatch_failure_reasons(*, alert: Alert, limit: int = 20) -> list[tuple[str, str, int]]:
    """(channel, reason, count) of failed deliveries, most frequent first: the report's
    summary (a thousand "invalid number" lines say less than one line with a count)."""
    rows = (
        Delivery.objects.filter(alert=alert, status=Delivery.Status.FAILED)
        .values_list("channel", "last_error")
        .annotate(n=Count("pk"))
        .order_by("-n", "channel")
    )
    return [(channel, reason, int(n)) for channel, reason, n in rows[:limit]]


def dispatch_timeline(*, alert: Alert) -> list[TransitionRow]:
    """The alert's changes of status, the statuses by their translated names."""
    return alert_history(alert=alert)
