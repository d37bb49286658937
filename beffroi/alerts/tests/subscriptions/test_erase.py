"""Erasure of a registration (from the manage link, or the retention of the unsubscribed):
the person's data goes, the delivery counts of past alerts stay."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beffroi.alerts.dispatch.selectors import dispatch_failure_reasons, dispatch_progress
from beffroi.alerts.dispatch.services import alert_dispatch
from beffroi.alerts.models import Alert, ChannelVerification, Delivery, Place, Subscriber
from beffroi.alerts.subscriptions import services
from beffroi.alerts.tests.factories import (
    RunOnCommit,
    Territory,
    email,
    gateways,
    make_alert,
    make_subscriber,
    make_subscribers,
    number,
    on_commit,
    register_subscriber,
    territory,
)
from beffroi.core.models import AuditEvent
from beffroi.messaging.testing import SmscServer, SmtpServer
from beffroi.territory.models import Address
from beffroi.testing import Cast, login_verified

__all__ = ["gateways", "on_commit", "territory"]


def _manage_url(subscriber: Subscriber) -> str:
    return reverse("subscriptions:manage", args=[services.management_token(subscriber)])


def test_it_erases_a_registration_from_the_manage_link_after_confirmation(
    client: Client, territory: Territory
) -> None:
    subscriber = register_subscriber(
        territory,
        places=[
            services.PlaceInput(address_id=territory.mairie_12.pk),
            services.PlaceInput(kind="work", lon=3.996, lat=45.004),
        ],
    )
    point = Place.objects.get(subscriber=subscriber, kind="work").address_id
    url = _manage_url(subscriber)
    assert "Delete my data" in client.get(url).content.decode()

    # First the question: nothing is deleted yet.
    asked = client.post(url, {"action": "erase"})
    assert asked.status_code == 200
    assert "delete your registration for good" in asked.content.decode()
    assert Subscriber.objects.filter(pk=subscriber.pk).exists()

    done = client.post(url, {"action": "erase", "confirm": "yes"})
    assert done.status_code == 200
    assert "Your data is deleted" in done.content.decode()
    assert not Subscriber.objects.filter(pk=subscriber.pk).exists()
    assert not Place.objects.exists()
    assert not ChannelVerification.objects.exists()
    # The hand-placed point located their workplace; the BAN address stays.
    assert not Address.objects.filter(pk=point).exists()
    assert Address.objects.filter(pk=territory.mairie_12.pk).exists()
    event = AuditEvent.objects.get(action="alerts.subscriber_erase")
    assert event.organisation_id == territory.cast.org.pk
    trail = f"{event.actor_label} {event.reason} {event.data}"
    for personal in ("jeanne", "Durand", "612345678"):
        assert personal not in trail
    # The link is dead now.
    assert client.get(url).status_code == 404


def test_it_answers_the_manage_page_in_french(client: Client, territory: Territory) -> None:
    subscriber = register_subscriber(territory)
    url = _manage_url(subscriber)
    client.cookies["django_language"] = "fr"
    done = client.post(url, {"action": "erase", "confirm": "yes"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert "Vos données sont supprimées" in done.content.decode()


def test_it_does_not_let_an_agent_erase_from_the_back_office(
    client: Client, territory: Territory
) -> None:
    subscriber = register_subscriber(territory)
    login_verified(client, territory.cast.front_desk)
    url = reverse("subscribers_backoffice:detail", args=[subscriber.pk])
    client.post(url, {"action": "erase", "confirm": "yes"})
    assert Subscriber.objects.filter(pk=subscriber.pk).exists()


def test_it_keeps_the_counts_of_an_alert_whose_recipient_is_erased(
    cast: Cast,
    client: Client,
    gateways: tuple[SmtpServer, SmscServer],
    on_commit: RunOnCommit,
) -> None:
    recipients = make_subscribers(cast.org, 3)
    alert = make_alert(cast.org, cast.alert_author, status=Alert.Status.APPROVED)
    with on_commit():
        assert alert_dispatch(alert=alert) == 6
    gone = recipients[0]
    # A gateway's refusal that quotes the address.
    Delivery.objects.filter(subscriber=gone, channel="email").update(
        status=Delivery.Status.FAILED, last_error=f"SMTP 550 <{email(0)}>: User unknown"
    )
    before = dispatch_progress(alert=alert)
    login_verified(client, cast.administrator)
    report_url = f"/backoffice/alertes/envoi/{alert.pk}/rapport/"
    live_url = f"/backoffice/alertes/envoi/{alert.pk}/"
    assert email(0) in client.get(report_url).content.decode()

    services.subscriber_erase(subscriber=gone, reason="test")

    after = dispatch_progress(alert=alert)
    assert after.counts == before.counts
    assert after.total == before.total == 6
    assert [c.counts for c in after.channels] == [c.counts for c in before.channels]
    assert dispatch_failure_reasons(alert=alert) == [("email", "SMTP 550 <…>: User unknown", 1)]
    anonymous = Delivery.objects.filter(alert=alert, subscriber__isnull=True)
    assert anonymous.count() == 2
    assert set(anonymous.values_list("target", flat=True)) == {""}
    for url in (report_url, live_url):
        page = client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert email(0) not in html
        assert number(0)[3:] not in html
    assert Delivery.objects.filter(target__in=[email(0), number(0)]).count() == 0


def test_it_purges_unsubscribed_residents_after_the_retention(cast: Cast, settings: object) -> None:
    settings.UNSUBSCRIBED_RETENTION_DAYS = 90  # type: ignore[attr-defined]
    now = timezone.now()
    old = make_subscriber(cast.org, email="old@example.org", channels=("email",))
    recent = make_subscriber(cast.org, email="recent@example.org", channels=("email",))
    active = make_subscriber(cast.org, email="active@example.org", channels=("email",))
    other = make_subscriber(cast.other_org, email="other@example.org", channels=("email",))
    Subscriber.objects.filter(pk=old.pk).update(unsubscribed_at=now - timedelta(days=91))
    Subscriber.objects.filter(pk=recent.pk).update(unsubscribed_at=now - timedelta(days=30))
    Subscriber.objects.filter(pk=other.pk).update(unsubscribed_at=now - timedelta(days=30))
    # The other organisation keeps unsubscribed residents for ten days only.
    cast.other_org.settings = {"alerts": {"unsubscribed_retention_days": 10}}
    cast.other_org.save(update_fields=["settings"])

    out = StringIO()
    call_command("purge_unsubscribed", stdout=out)
    assert "Unsubscribed residents erased: 2." in out.getvalue()
    assert set(Subscriber.objects.values_list("pk", flat=True)) == {recent.pk, active.pk}
    assert (
        AuditEvent.objects.filter(action="alerts.subscriber_erase", reason="retention").count() == 2
    )
    assert services.purge_unsubscribed.call() == 0


@pytest.mark.parametrize("value", [0, -3, "30", None, True])
def test_it_falls_back_to_the_default_retention_for_a_bad_setting(
    cast: Cast, settings: object, value: object
) -> None:
    settings.UNSUBSCRIBED_RETENTION_DAYS = 90  # type: ignore[attr-defined]
    cast.org.settings = {"alerts": {"unsubscribed_retention_days": value}}
    assert services.unsubscribed_retention_days(cast.org) == 90
