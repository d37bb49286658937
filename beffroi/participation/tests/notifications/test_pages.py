"""Notifications in the app: the list, marking read, settings, the header's unread count and
the one-click unsubscribe endpoint."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from beffroi.participation.models import Notification, NotificationSettings
from beffroi.participation.notifications.context_processors import participation_header
from beffroi.participation.notifications.services import notification_settings_of, notify
from beffroi.participation.tests.factories import participant
from beffroi.testing import Cast

LIST = reverse("participation_notifications:list")
SETTINGS = reverse("participation_notifications:settings")
XSS = '<script>alert("x")</script>'


def test_it_lists_notifications_escaped_and_marks_them_read(client: Client, cast: Cast) -> None:
    alice = participant(cast.resident, cast.org)
    notify(recipients=[alice], kind="comment", title=XSS, body=XSS, url="javascript:alert(1)")
    notify(recipients=[alice], kind="answer", title="Réponse officielle", url="/participer/")
    client.force_login(cast.resident)
    page = client.get(LIST)
    assert page.status_code == 200
    assert XSS.encode() not in page.content and b"&lt;script&gt;" in page.content
    assert b"javascript:" not in page.content
    assert b'href="/participer/"' in page.content
    assert page.context["unread"] == 2
    # Unread ones are marked as such (not "New": titles often start with "New comment").
    assert page.content.count(b'<span class="tag">Unread</span>') == 2
    first = Notification.objects.get(title=XSS)
    response = client.post(reverse("participation_notifications:mark_read", args=[first.pk]))
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.read_at is not None
    client.post(reverse("participation_notifications:mark_all_read"))
    assert not Notification.objects.filter(recipient=alice, read_at__isnull=True).exists()


def test_it_answers_404_for_someone_elses_notification(client: Client, cast: Cast) -> None:
    bruno = participant(cast.resident2, cast.org)
    notify(recipients=[bruno], kind="comment", title="Pour Bruno")
    client.force_login(cast.resident)
    participant(cast.resident, cast.org)
    theirs = Notification.objects.get()
    response = client.post(reverse("participation_notifications:mark_read", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_it_sends_anonymous_visitors_to_take_part(client: Client, cast: Cast) -> None:
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("participation_participants:take_part"))


def test_it_saves_the_e_mail_frequency_and_refuses_an_unknown_one(
    client: Client, cast: Cast
) -> None:
    alice = participant(cast.resident, cast.org)
    client.force_login(cast.resident)
    page = client.get(SETTINGS)
    assert page.status_code == 200 and b"alice@example.org" in page.content
    response = client.post(SETTINGS, {"email_frequency": "weekly"})
    assert response.status_code == 302
    assert NotificationSettings.objects.get(participant=alice).email_frequency == "weekly"
    response = client.post(SETTINGS, {"email_frequency": "hourly"})
    assert response.status_code == 200 and response.context["form"].errors
    assert NotificationSettings.objects.get(participant=alice).email_frequency == "weekly"


def test_it_shows_the_unread_count_in_the_header(cast: Cast) -> None:
    alice = participant(cast.resident, cast.org)
    notify(recipients=[alice], kind="comment", title="Un")
    notify(recipients=[alice], kind="comment", title="Deux")
    request = RequestFactory().get("/")
    request.organisation = cast.org  # type: ignore[attr-defined]
    request.user = cast.resident
    request.session = {}  # type: ignore[assignment]
    context = participation_header(request)
    html = render_to_string(
        "participation/notifications/_header.html", {**context, "request": request}
    )
    assert LIST in html
    assert '<span class="tag">2<span class="visually-hidden"> unread</span></span>' in html
    request.user = cast.resident2
    html = render_to_string(
        "participation/notifications/_header.html",
        {**participation_header(request), "request": request},
    )
    assert LIST not in html  # not a participant: nothing shown, nothing created


def test_it_unsubscribes_in_one_click_without_login(client: Client, cast: Cast) -> None:
    alice = participant(cast.resident, cast.org)
    row = notification_settings_of(alice)
    url = reverse("participation_notifications:unsubscribe", args=[row.unsubscribe_token])
    page = client.get(url)
    assert page.status_code == 200 and b"Stop the e-mails" in page.content
    row.refresh_from_db()
    assert row.email_frequency == "daily"  # a GET (a link scanner) changes nothing
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    row.refresh_from_db()
    assert row.email_frequency == "never"
    assert client.get(url.replace(row.unsubscribe_token, "x" * 43)).status_code == 404
    # Another organisation's site does not know the token.
    other = Client(HTTP_HOST="autreville.localhost")
    assert other.post(url).status_code == 404
