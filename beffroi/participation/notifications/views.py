"""A person's notifications: the list, marking read, e-mail settings, and the one-click
unsubscribe link of every notification e-mail."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from beffroi.accounts.access import request_organisation
from beffroi.participation.access import request_participant
from beffroi.participation.models import NotificationSettings, Participant
from beffroi.participation.notifications import selectors, services
from beffroi.participation.notifications.forms import NotificationSettingsForm

PAGE_SIZE = 20


def _signin_redirect(request: HttpRequest) -> HttpResponse:
    query = urlencode({"next": request.get_full_path()})
    return redirect(f"{reverse('participation_participants:take_part')}?{query}")


def _participant(request: HttpRequest) -> Participant | None:
    return request_participant(request)


@require_http_methods(["GET"])
def notification_list(request: HttpRequest) -> HttpResponse:
    participant = _participant(request)
    if participant is None:
        return _signin_redirect(request)
    page = Paginator(selectors.notifications_of(participant=participant), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    items = [{"notification": n, "link": selectors.safe_path(n.url)} for n in page.object_list]
    return render(
        request,
        "participation/notifications/list.html",
        {
            "page": page,
            "items": items,
            "unread": selectors.unread_count(participant=participant),
            "frequency": selectors.settings_or_default(
                participant=participant
            ).get_email_frequency_display(),
        },
    )


def _back_to_list(request: HttpRequest) -> HttpResponse:
    page = str(request.POST.get("page", ""))
    url = reverse("participation_notifications:list")
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    participant = _participant(request)
    if participant is None:
        return _signin_redirect(request)
    if not services.notification_mark_read(
        participant=participant, notification_id=notification_id
    ):
        raise Http404("No such notification.")
    return _back_to_list(request)


@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    participant = _participant(request)
    if participant is None:
        return _signin_redirect(request)
    count = services.notifications_mark_all_read(participant=participant)
    if count:
        messages.success(request, _("All your notifications are marked as read."))
    return _back_to_list(request)


@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    participant = _participant(request)
    if participant is None:
        return _signin_redirect(request)
    current = selectors.settings_or_default(participant=participant)
    form = NotificationSettingsForm(
        request.POST or None, initial={"email_frequency": current.email_frequency}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.notification_settings_update(
                participant=participant, email_frequency=form.cleaned_data["email_frequency"]
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("email_frequency", message)
        else:
            messages.success(request, _("Your notification settings are saved."))
            return redirect("participation_notifications:settings")
    recipient = services.email_recipient(participant)
    return render(
        request,
        "participation/notifications/settings.html",
        {"form": form, "email": recipient.email if recipient is not None else ""},
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for confirmation (link scanners prefetch GETs); POST stops the e-mails. CSRF
    is off on purpose: RFC 8058 mailbox providers POST ``List-Unsubscribe=One-Click``
    without any cookie, and the unguessable token in the URL is the authorisation."""
    organisation = request_organisation(request)
    row = (
        NotificationSettings.objects.filter(
            unsubscribe_token=token[:64], participant__organisation=organisation
        )
        .select_related("participant")
        .first()
    )
    if row is None:
        raise Http404("No such notification settings.")
    if request.method == "POST":
        services.notifications_unsubscribe(organisation=organisation, token=row.unsubscribe_token)
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse(status=200)
        row.refresh_from_db()
    return render(
        request,
        "participation/notifications/unsubscribe.html",
        {"row": row, "done": row.email_frequency == NotificationSettings.Frequency.NEVER},
    )
