"""The crisis cell's live view and the post-alert report."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from beffroi.alerts.models import Alert, AlertTransition, Delivery
from beffroi.alerts.tests.factories import make_alert, make_person, make_subscribers, number
from beffroi.testing import Cast, login_verified


def _sending_alert(cast: Cast) -> Alert:
    subscribers = make_subscribers(cast.org, 6)
    alert = make_alert(
        cast.org,
        cast.alert_author,
        status=Alert.Status.SENDING,
        headline="Flood warning",
        instruction="Move to higher ground.",
    )
    now = timezone.now()
    rows = [
        # e-mail: 3 sent, 1 failed for good, 2 waiting for a retry (the relay is down)
        ("email", Delivery.Status.SENT, ""),
        ("email", Delivery.Status.SENT, ""),
        ("email", Delivery.Status.SENT, ""),
        ("email", Delivery.Status.FAILED, "SMTP 550 recipient: User unknown"),
        ("email", Delivery.Status.PENDING, "SMTP server unavailable: ConnectionRefusedError()"),
        ("email", Delivery.Status.PENDING, "SMTP server unavailable: ConnectionRefusedError()"),
        # SMS: 4 delivered, 1 sending, 1 invalid
        ("sms", Delivery.Status.DELIVERED, ""),
        ("sms", Delivery.Status.DELIVERED, ""),
        ("sms", Delivery.Status.DELIVERED, ""),
        ("sms", Delivery.Status.DELIVERED, ""),
        ("sms", Delivery.Status.SENDING, ""),
        ("sms", Delivery.Status.FAILED, "Invalid mobile number."),
    ]
    for index, (channel, status, error) in enumerate(rows):
        subscriber = subscribers[index % 6]
        Delivery.objects.create(
            alert=alert,
            subscriber=subscriber,
            channel=channel,
            target=subscriber.email if channel == "email" else number(index % 6),
            status=status,
            last_error=error,
            claimed_at=now - timedelta(seconds=index),
            attempts=1,
        )
    return alert


def test_it_shows_live_counts_per_channel_and_status(cast: Cast, client: Client) -> None:
    alert = _sending_alert(cast)
    login_verified(client, cast.alert_author)
    response = client.get(f"/backoffice/alertes/envoi/{alert.pk}/")
    assert response.status_code == 200
    progress = response.context["progress"]
    assert progress.total == 12
    assert progress.counts == {
        "pending": 2,
        "sending": 1,
        "sent": 3,
        "delivered": 4,
        "failed": 2,
    }
    email_health, sms_health = progress.channels
    assert (email_health.channel, email_health.waiting_retry, email_health.outage) == (
        "email",
        2,
        True,
    )
    assert not sms_health.outage
    html = response.content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert "Problem on the E-mail channel" in html
    assert "ConnectionRefusedError" in html
    assert "User unknown" in html and "Invalid mobile number." in html
    assert '<progress class="progress" max="12" value="9"' in html
    # The agents read what it means and what to do; the raw error is folded away for the
    # provider's hotline, and nobody is told "nothing needs to be done".
    assert "The gateway cannot be reached or does not answer." in html
    assert "If it lasts more than a few minutes, call the provider." in html
    assert "<summary>Technical detail (for the provider)</summary>" in html
    assert "nothing needs to be done" not in html


def test_it_tells_an_administrator_to_act_when_the_account_is_refused(
    cast: Cast, client: Client
) -> None:
    alert = _sending_alert(cast)
    Delivery.objects.filter(alert=alert, status=Delivery.Status.PENDING).update(
        last_error="SMTP 530 MAIL: Authentication required (check ALERT_EMAIL_URL credentials)"
    )
    login_verified(client, cast.alert_author)
    html = client.get(f"/backoffice/alertes/envoi/{alert.pk}/").content.decode()
    assert "The gateway refuses our account or our sender name." in html
    assert "until an administrator corrects the gateway settings" in html


@pytest.mark.french
def test_it_explains_the_gateway_error_in_french(cast: Cast, client: Client) -> None:
    alert = _sending_alert(cast)
    login_verified(client, cast.alert_author)
    html = client.get(f"/backoffice/alertes/envoi/{alert.pk}/").content.decode()
    assert "La passerelle est injoignable ou ne répond pas." in html
    assert "Détail technique (pour le prestataire)" in html


def test_it_answers_htmx_polling_with_the_status_fragment_and_stops_when_finished(
    cast: Cast, client: Client
) -> None:
    alert = _sending_alert(cast)
    login_verified(client, cast.alert_approver)
    url = f"/backoffice/alertes/envoi/{alert.pk}/"
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert body.lstrip().startswith('<div id="dispatch-status"')
    assert "<html" not in body
    assert 'hx-trigger="every 2s"' in body

    Delivery.objects.filter(alert=alert, status__in=["pending", "sending"]).update(status="sent")
    Alert.objects.filter(pk=alert.pk).update(status=Alert.Status.SENT, finished_at=timezone.now())
    finished = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in finished
    assert "Finished at" in finished


def test_it_shows_the_vulnerable_count_only_to_social_agents(cast: Cast, client: Client) -> None:
    alert = _sending_alert(cast)
    address = cast.org.subscribers.first().places.get().address  # type: ignore[union-attr]
    make_person(cast.org, address)
    make_person(cast.org, address, last_name="Martin")
    url = f"/backoffice/alertes/envoi/{alert.pk}/"
    login_verified(client, cast.social_agent)
    response = client.get(url)
    assert response.context["vulnerable_count"] == 2
    assert "2 registered vulnerable persons live in the target area" in response.content.decode()
    login_verified(client, cast.alert_author)
    response = client.get(url)
    assert response.context["vulnerable_count"] is None
    assert "vulnerable persons live" not in response.content.decode()


def test_it_refuses_residents_and_other_organisations(cast: Cast, client: Client) -> None:
    alert = _sending_alert(cast)
    url = f"/backoffice/alertes/envoi/{alert.pk}/"
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(cast.resident)
    assert client.get(url).status_code == 403
    login_verified(client, cast.other_admin)
    other = client.get(url, headers={"host": "autreville.localhost"})
    assert other.status_code == 404
    login_verified(client, cast.front_desk)
    assert client.get(f"{url}rapport/").status_code == 403


def test_it_prints_a_report_for_the_pcs_logbook(cast: Cast, client: Client) -> None:
    alert = _sending_alert(cast)
    AlertTransition.objects.create(alert=alert, from_status="pending", to_status="approved")
    AlertTransition.objects.create(
        alert=alert, from_status="approved", to_status="sending", reason="go"
    )
    login_verified(client, cast.administrator)
    response = client.get(f"/backoffice/alertes/envoi/{alert.pk}/rapport/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Alert report: Flood warning" in html
    assert "Move to higher ground." in html
    assert "Approved → Sending" in html  # the statuses by their names, not their codes
    assert "SMTP 550 recipient: User unknown" in html
    assert response.context["progress"].accepted == 7
    assert response.context["reasons"] == [
        ("email", "SMTP 550 recipient: User unknown", 1),
        ("sms", "Invalid mobile number.", 1),
    ]


def test_it_lists_sent_alerts(cast: Cast, client: Client) -> None:
    alert = _sending_alert(cast)
    make_alert(cast.org, cast.alert_author, status=Alert.Status.DRAFT, headline="Draft one")
    login_verified(client, cast.alert_author)
    response = client.get("/backoffice/alertes/envoi/")
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [alert]
    assert "Draft one" not in response.content.decode()


def test_it_calls_an_outage_from_a_share_or_a_count_of_waiting_messages() -> None:
    from beffroi.alerts.dispatch.selectors import ChannelHealth

    def health(total: int, waiting: int) -> ChannelHealth:
        return ChannelHealth("email", "E-mail", {}, total, waiting, "refused", None)

    assert health(10, 1).outage  # one message of a small alert
    assert not health(10, 0).outage
    assert not health(1_000, 19).outage  # under 5 % and under 20 messages
    assert health(1_000, 50).outage  # 5 %
    assert health(50_000, 20).outage  # a relay down near the end of a large alert


def test_it_says_when_the_list_of_recipients_is_still_being_written(
    cast: Cast, client: Client
) -> None:
    alert = _sending_alert(cast)
    login_verified(client, cast.alert_author)
    notice = "The list of recipients is still being written"
    assert notice not in client.get(f"/backoffice/alertes/envoi/{alert.pk}/").content.decode()
    Alert.objects.filter(pk=alert.pk).update(fanout_done_at=None)
    assert notice in client.get(f"/backoffice/alertes/envoi/{alert.pk}/").content.decode()


def test_it_says_no_worker_is_sending_when_nothing_moves(cast: Cast, client: Client) -> None:
    # The live view once showed 33 % forever when the worker was killed: it now says that
    # nothing moved and what to check — but not while a retry is only waiting for its time.
    alert = _sending_alert(cast)
    long_ago = timezone.now() - timedelta(minutes=5)
    Delivery.objects.filter(alert=alert).update(claimed_at=long_ago, sent_at=long_ago)
    Alert.objects.filter(pk=alert.pk).update(fanout_heartbeat_at=long_ago)
    login_verified(client, cast.alert_author)
    url = f"/backoffice/alertes/envoi/{alert.pk}/"
    html = client.get(url).content.decode()
    assert "No worker has sent anything for 5\xa0minutes: check the workers." in html

    Delivery.objects.filter(alert=alert, status=Delivery.Status.PENDING).update(
        next_attempt_at=timezone.now() + timedelta(minutes=2)
    )
    assert "No worker has sent anything" not in client.get(url).content.decode()
    Delivery.objects.filter(alert=alert).update(claimed_at=timezone.now())
    Delivery.objects.filter(alert=alert, status=Delivery.Status.PENDING).update(
        next_attempt_at=None
    )
    assert "No worker has sent anything" not in client.get(url).content.decode()
