"""Notification e-mails, really received by a loopback SMTP server: at once after the
action's commit, or gathered in daily and weekly digests; one-click unsubscribe headers;
titles inert in the HTML part; each notification e-mailed once."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from beffroi.alerts.tests.factories import (
    RunOnCommit,
    gateways,
    make_address,
    make_subscriber,
    sent,
)
from beffroi.messaging.testing import SmscServer, SmtpServer, smtp_server
from beffroi.participation.models import Notification, NotificationSettings
from beffroi.participation.notifications.services import (
    digest_slot,
    notification_settings_update,
    notifications_digests_send,
    notify,
)
from beffroi.participation.participants.services import participant_for_subscriber
from beffroi.participation.tests.factories import participant
from beffroi.testing import Cast

__all__ = ["gateways", "sent"]

Gateways = tuple[SmtpServer, SmscServer]
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
PARIS = ZoneInfo("Europe/Paris")


def _parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


def _at(day: int, hour: int) -> datetime:
    """A local time in a week starting on Monday 2 March 2026."""
    return datetime(2026, 3, day, hour, 0, tzinfo=PARIS)


def _created(notification_ids: list[int] | None = None, at: datetime | None = None) -> None:
    query = Notification.objects.all()
    if notification_ids is not None:
        query = query.filter(pk__in=notification_ids)
    query.update(created_at=at)


def test_it_e_mails_at_once_after_commit_with_one_click_unsubscribe(
    cast: Cast, sent: RunOnCommit, gateways: Gateways, settings: Any
) -> None:
    settings.TIME_ZONE = "Europe/Paris"
    alice = participant(cast.resident, cast.org)
    notification_settings_update(participant=alice, email_frequency="immediate")
    with sent():
        notify(
            recipients=[alice],
            kind="comment",
            title=XSS,
            body="Bruno a répondu.",
            url="/participer/propositions/1/",
        )
    smtp = gateways[0]
    [mail] = smtp.received
    assert mail.rcpt_tos == ["alice@example.org"]
    message = mail.message
    assert "Commune de Valmont" in str(message["From"])
    assert str(message["Subject"]).strip().startswith("Commune de Valmont : <script>")
    token = NotificationSettings.objects.get(participant=alice).unsubscribe_token
    assert str(message["List-Unsubscribe"]) == (
        f"<https://testserver/participer/notifications/desinscription/{token}/>"
    )
    assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    text, html = _parts(message)
    assert XSS in text and "Bruno a répondu." in text
    assert "https://testserver/participer/propositions/1/" in text
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert Notification.objects.get().emailed_at is not None
    # The digest run that follows sends it no second time.
    assert notifications_digests_send(now=timezone.now() + timedelta(hours=1)) == 0
    assert len(smtp.received) == 1


def test_it_sends_nothing_when_the_action_rolls_back(
    cast: Cast, sent: RunOnCommit, gateways: Gateways
) -> None:
    alice = participant(cast.resident, cast.org)
    notification_settings_update(participant=alice, email_frequency="immediate")
    with sent():
        try:
            with transaction.atomic():
                notify(recipients=[alice], kind="comment", title="Jamais")
                raise RuntimeError("the action failed")
        except RuntimeError:
            pass
    assert gateways[0].received == []
    assert not Notification.objects.exists()


def test_it_gathers_a_daily_digest_once_at_the_set_hour(
    cast: Cast, gateways: Gateways, settings: Any
) -> None:
    settings.TIME_ZONE = "Europe/Paris"
    settings.PARTICIPATION_DIGEST_HOUR = 8
    alice = participant(cast.resident, cast.org)  # daily by default
    notify(recipients=[alice], kind="comment", title="Premier")
    notify(recipients=[alice], kind="answer", title="Second")
    _created(at=_at(3, 14))
    smtp = gateways[0]
    # Before the next 8 o'clock: nothing yet.
    assert notifications_digests_send(now=_at(4, 7)) == 0
    assert notifications_digests_send(now=_at(4, 8)) == 1
    [mail] = smtp.received
    assert "2 nouvelles notifications" in str(mail.message["Subject"])
    text, _html = _parts(mail.message)
    assert "Premier" in text and "Second" in text
    assert str(mail.message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    # Idempotent: the same run again, or an hour later, sends nothing.
    assert notifications_digests_send(now=_at(4, 8)) == 0
    assert notifications_digests_send(now=_at(4, 9)) == 0
    # A notification of the day waits for the next morning.
    notify(recipients=[alice], kind="phase", title="Troisième")
    _created([Notification.objects.get(title="Troisième").pk], _at(4, 10))
    assert notifications_digests_send(now=_at(4, 18)) == 0
    assert notifications_digests_send(now=_at(5, 8)) == 1
    assert "Troisième" in _parts(smtp.received[-1].message)[0]
    assert "Premier" not in _parts(smtp.received[-1].message)[0]


def test_it_sends_weekly_digests_on_the_set_day(
    cast: Cast, gateways: Gateways, settings: Any
) -> None:
    settings.TIME_ZONE = "Europe/Paris"
    settings.PARTICIPATION_DIGEST_HOUR = 8
    settings.PARTICIPATION_DIGEST_WEEKDAY = 0  # Monday
    alice = participant(cast.resident, cast.org)
    notification_settings_update(participant=alice, email_frequency="weekly")
    notify(recipients=[alice], kind="comment", title="Mardi")
    _created(at=_at(3, 10))  # Tuesday 3 March
    assert digest_slot("weekly", _at(5, 12)) == _at(2, 8)
    assert notifications_digests_send(now=_at(5, 12)) == 0  # Thursday
    assert notifications_digests_send(now=_at(9, 8)) == 1  # the next Monday
    assert notifications_digests_send(now=_at(9, 9)) == 0


def test_it_e_mails_nobody_who_said_never_or_has_no_verified_address(
    cast: Cast, gateways: Gateways
) -> None:
    alice = participant(cast.resident, cast.org)
    notification_settings_update(participant=alice, email_frequency="never")
    no_email = participant_for_subscriber(
        subscriber=make_subscriber(cast.org, make_address(cast.org, 4.0, 45.0), sms="+33612345678")
    )
    notify(recipients=[alice, no_email], kind="comment", title="Rien")
    _created(at=timezone.now() - timedelta(days=3))
    call_command("participation_digests", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert gateways[0].received == []
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 2


def test_it_e_mails_a_person_registered_for_alerts_at_their_verified_address(
    cast: Cast, gateways: Gateways
) -> None:
    subscriber = make_subscriber(
        cast.org, make_address(cast.org, 4.0, 45.0), email="jeanne@example.org", sms="+33612345678"
    )
    jeanne = participant_for_subscriber(subscriber=subscriber)
    notify(recipients=[jeanne], kind="phase", title="La phase de vote est ouverte")
    _created(at=timezone.now() - timedelta(days=3))
    assert notifications_digests_send() == 1
    assert gateways[0].received[0].rcpt_tos == ["jeanne@example.org"]


def test_it_gives_a_refused_e_mail_back_to_the_next_run(cast: Cast, settings: Any) -> None:
    alice = participant(cast.resident, cast.org)
    notify(recipients=[alice], kind="comment", title="Réessayé")
    _created(at=timezone.now() - timedelta(days=3))
    with smtp_server(refuse={"alice@example.org": 451}) as smtp:
        settings.ALERT_EMAIL_URL = smtp.url
        assert notifications_digests_send() == 0
    assert Notification.objects.get().emailed_at is None
    assert NotificationSettings.objects.get(participant=alice).last_digest_at is None
    with smtp_server() as smtp:
        settings.ALERT_EMAIL_URL = smtp.url
        assert notifications_digests_send() == 1
        assert len(smtp.received) == 1
    assert Notification.objects.get().emailed_at is not None
