"""Background tasks of dispatch: they fetch ids and call the service, nothing more."""

from __future__ import annotations

from django.tasks import task  # type: ignore[import-not-found,unused-ignore]

from beffroi.alerts.models import Alert
from beffroi.alerts.services.dispatch import (
    alert_dispatch,
    deliveries_requeue_stale,
    deliveries_send,
)


@task(queue_name="alerts")  # type: ignore[misc,unused-ignore]
def alert_dispatch_task(*, alert_id: int) -> int:
    """Fan-out of an approved alert: one delivery per recipient × channel, send tasks
    enqueued as it goes. Returns the deliveries created."""
    return alert_dispatch(alert=Alert.objects.get(pk=alert_id))


# No priority in the decorator: the RQ backend refuses one at import time; the service
# adds it with ``.using(priority=…)`` when the backend supports priorities.
@task(queue_name="alerts")  # type: ignore[misc,unused-ignore]
def deliveries_send_task(*, delivery_ids: list[int]) -> dict[str, int]:
    """Claim and send a batch of deliveries; returns the counts (stored as the task result)."""
    report = deliveries_send(delivery_ids=delivery_ids)
    return {
        "claimed": report.claimed,
        "sent": report.sent,
        "failed": report.failed,
        "retried": report.retried,
    }


@task(queue_name="alerts")  # type: ignore[misc,unused-ignore]
def deliveries_requeue_stale_task() -> int:
    """Periodic: re-queue deliveries of dead workers and overdue retries."""
    return deliveries_requeue_stale()
