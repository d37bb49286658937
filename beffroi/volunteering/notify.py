"""Messages to volunteers, whatever the area: a reminder, a decision, a call-out.

A volunteer is reached by e-mail when the profile has an address, otherwise by SMS (a
volunteer registered on the phone often has only a mobile). Everything goes out through the
messaging transports, so the gateways' contracted rates hold for the whole installation, and
every SMS counts against the organisation's daily budget outside alerts unless the caller is
the crisis cell sending a call-out (``counted=False``), which like an alert is never held back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from beffroi.volunteering.models import VolunteerProfile

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VolunteerMessage:
    key: str  # unique per message, echoed back by the gateways ("vol-reminder-42")
    subject: str
    text: str  # the e-mail's body
    sms_text: str = ""  # the SMS; empty: no SMS for this message
    # (file name, content, MIME type) joined to the e-mail, e.g. the slot's iCalendar file.
    attachments: tuple[tuple[str, bytes, str], ...] = ()


def volunteer_message_send(
    *, profile: VolunteerProfile, message: VolunteerMessage, counted: bool = True
) -> str:
    """Send ``message`` to the volunteer by e-mail, or by SMS when there is no e-mail (and
    an SMS text). Returns the channel used ("email", "sms"), or "" when nothing went out
    (no way to reach them, a gateway refused it, or the SMS budget is spent)."""
    if profile.email:
        return "email" if _email(profile, message) else ""
    if profile.phone and message.sms_text:
        return "sms" if _sms(profile, message, counted=counted) else ""
    return ""


def _email(profile: VolunteerProfile, message: VolunteerMessage) -> bool:
    return email_send(
        sender_name=profile.organisation.name,
        key=message.key,
        to=profile.email,
        subject=message.subject,
        text=message.text,
        attachments=message.attachments,
    )


def email_send(
    *,
    sender_name: str,
    key: str,
    to: str,
    subject: str,
    text: str,
    attachments: tuple[tuple[str, bytes, str], ...] = (),
) -> bool:
    """One e-mail through the messaging transport (the contracted rate holds for the whole
    installation). Every caller has already recorded what the e-mail tells, so a refusal or
    an unreachable relay is logged and answered False, never raised."""
    from beffroi.messaging.base import EmailOut
    from beffroi.messaging.registry import get_transport

    try:
        with get_transport("smtp") as transport:
            [outcome] = transport.send_many(
                [
                    EmailOut(
                        key=key,
                        to=to,
                        subject=subject,
                        text=text,
                        sender_name=sender_name,
                        attachments=attachments,
                    )
                ]
            )
    except Exception:
        logger.warning("E-mail %s not sent.", key, exc_info=True)
        return False
    if outcome.error is not None:
        logger.warning("E-mail %s not sent: %s", key, outcome.error.message)
        return False
    return True


def _sms(profile: VolunteerProfile, message: VolunteerMessage, *, counted: bool) -> bool:
    if counted:
        from beffroi.alerts.subscriptions.services import sms_send_counted

        return sms_send_counted(
            organisation=profile.organisation,
            key=message.key,
            to=profile.phone,
            text=message.sms_text,
        )
    from beffroi.messaging.base import SmsOut
    from beffroi.messaging.registry import get_sms_transport

    with get_sms_transport() as transport:
        [outcome] = transport.send_many(
            [SmsOut(key=message.key, to=profile.phone, text=message.sms_text)]
        )
    if outcome.error is not None:
        logger.warning("SMS %s not sent: %s", message.key, outcome.error.message)
        return False
    return True
