"""Background work of the accounts app: e-mails, sent from the "email" queue."""

from __future__ import annotations

from django.tasks import task

from beffroi.accounts import services


@task(queue_name="email")
def send_account_email(
    *, kind: str, user_id: int, origin: str, organisation_id: int | None = None, role: str = ""
) -> bool:
    return services.account_email_send(
        kind=kind, user_id=user_id, origin=origin, organisation_id=organisation_id, role=role
    )
