"""Background work of resident registration, on the "alerts" queue: verification codes and
links, management links. Each task fetches by id and calls one service."""

from __future__ import annotations

from django.tasks import task

from beffroi.alerts.services import subscriptions as services


@task(queue_name="alerts")
def send_sms_code(*, verification_id: int, include_link: bool = False) -> bool:
    return services.sms_code_send(verification_id=verification_id, include_link=include_link)


@task(queue_name="alerts")
def send_email_verification(*, subscriber_id: int, include_link: bool = False) -> bool:
    return services.email_verification_send(subscriber_id=subscriber_id, include_link=include_link)


@task(queue_name="alerts")
def send_management_link(*, subscriber_id: int, channel: str) -> bool:
    return services.management_link_send(subscriber_id=subscriber_id, channel=channel)
