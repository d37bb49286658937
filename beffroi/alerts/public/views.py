"""Public alerts pages, the Atom feed and the CAP documents (no login: alerts are public)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from lxml import etree

from beffroi.accounts.access import request_organisation, roles_required
from beffroi.accounts.models import Role, User
from beffroi.alerts.access import access_public_alert, access_public_thread
from beffroi.alerts.models import Alert
from beffroi.alerts.public.cap import NS as CAP_NS
from beffroi.alerts.public.cap import format_cap_datetime
from beffroi.alerts.public.forms import CapImportForm
from beffroi.alerts.public.selectors import (
    alerts_geojson,
    current_threads,
    past_roots,
    public_messages,
    threads_for,
    topic_label,
)
from beffroi.alerts.public.services import (
    CAP_MEDIA_TYPE,
    alert_cap_xml,
    cap_identifier,
    cap_import,
)
from beffroi.alerts.texts import BASE_LANGUAGE, alert_texts
from beffroi.core.imports import ImportRefused
from beffroi.territory.selectors import organisation_url

PAST_PER_PAGE = 10
FEED_ENTRIES = 50
ATOM_NS = "http://www.w3.org/2005/Atom"


def _base_url(request: HttpRequest) -> str:
    return organisation_url(request_organisation(request))


@require_GET
def alert_list(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    current = current_threads(organisation=organisation)
    past = past_roots(organisation=organisation, exclude=[t.root.pk for t in current])
    page = Paginator(past, PAST_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "current": current,
        "past": threads_for(list(page.object_list)),
        "page": page,
        "current_geojson": alerts_geojson([t.latest for t in current]),
    }
    return render(request, "alerts/public/list.html", context)


@require_GET
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    thread, message = access_public_thread(request, alert_id)
    context = {
        "thread": thread,
        "message": message,
        "area_geojson": alerts_geojson([thread.latest]),
    }
    return render(request, "alerts/public/detail.html", context)


@require_GET
def alert_cap(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = access_public_alert(request, alert_id)
    document = alert_cap_xml(alert, base_url=_base_url(request))
    response = HttpResponse(document, content_type=f"{CAP_MEDIA_TYPE}; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{cap_identifier(alert)}.xml"'
    return response


def _sub(parent: etree._Element, tag: str, text: str = "", **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, tag, attrs)
    if text:
        element.text = text
    return element


def atom_feed(request: HttpRequest, alerts: list[Alert]) -> bytes:
    """Atom (RFC 4287) index of the alerts, CAP-over-Atom style: each entry links to its CAP
    document with ``rel="alternate" type="application/cap+xml"`` (what the WMO and Google
    alert hubs harvest) and carries the main CAP fields in the CAP namespace."""
    organisation = request_organisation(request)
    base = _base_url(request)
    a = f"{{{ATOM_NS}}}"
    c = f"{{{CAP_NS}}}"
    feed = etree.Element(a + "feed", nsmap={None: ATOM_NS, "cap": CAP_NS})
    feed_url = base + reverse("alerts:feed")
    _sub(feed, a + "id", feed_url)
    _sub(feed, a + "title", _("Alerts — %(name)s") % {"name": organisation.name})
    updated = max((m.sent_at for m in alerts if m.sent_at), default=timezone.now())
    _sub(feed, a + "updated", format_cap_datetime(timezone.localtime(updated)))
    author = _sub(feed, a + "author")
    _sub(author, a + "name", organisation.name)
    if organisation.contact_email:
        _sub(author, a + "email", organisation.contact_email)
    _sub(feed, a + "link", rel="self", href=feed_url, type="application/atom+xml")
    _sub(feed, a + "link", rel="alternate", href=base + reverse("alerts:list"), type="text/html")
    for alert in alerts:
        assert alert.sent_at is not None
        cap_url = base + reverse("alerts:cap", args=[alert.pk])
        sent = format_cap_datetime(timezone.localtime(alert.sent_at))
        entry = _sub(feed, a + "entry")
        _sub(entry, a + "id", cap_url)
        # The headline as it goes out: an exercise or a test is marked once, by texts.py.
        title = alert_texts(alert, BASE_LANGUAGE).headline
        if alert.msg_type != Alert.MsgType.ALERT:
            title = f"{alert.get_msg_type_display()} — {title}"
        _sub(entry, a + "title", title)
        _sub(entry, a + "updated", sent)
        _sub(entry, a + "published", sent)
        _sub(entry, a + "summary", alert.description or alert.instruction or alert.headline)
        _sub(entry, a + "link", rel="alternate", href=cap_url, type=CAP_MEDIA_TYPE)
        _sub(
            entry,
            a + "link",
            rel="related",
            href=base + reverse("alerts:detail", args=[alert.pk]),
            type="text/html",
        )
        _sub(entry, a + "category", term=alert.topic, label=topic_label(alert))
        _sub(entry, c + "identifier", cap_identifier(alert))
        _sub(entry, c + "status", alert.cap_status)
        _sub(entry, c + "msgType", alert.msg_type)
        _sub(entry, c + "event", topic_label(alert))
        _sub(entry, c + "urgency", alert.urgency)
        _sub(entry, c + "severity", alert.severity)
        _sub(entry, c + "certainty", alert.certainty)
        if alert.expires:
            _sub(entry, c + "expires", format_cap_datetime(timezone.localtime(alert.expires)))
    return bytes(etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True))


@require_GET
def alert_feed(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    alerts = list(
        public_messages(organisation=organisation).order_by("-sent_at", "-pk")[:FEED_ENTRIES]
    )
    return HttpResponse(
        atom_feed(request, alerts), content_type="application/atom+xml; charset=utf-8"
    )


# ---------------------------------------------------------------------------------------------
# Back office: import an authority's CAP message as a draft


@roles_required([Role.ALERT_AUTHOR, Role.ADMINISTRATOR])
def cap_import_page(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    result = None
    if request.method == "POST":
        form = CapImportForm(request.POST, request.FILES)
        if form.is_valid():
            user = request.user
            assert isinstance(user, User)
            try:
                result = cap_import(
                    organisation=organisation,
                    document=form.cleaned_data["document"],
                    author=user,
                    allow_outside=form.cleaned_data["allow_outside"],
                )
            except ImportRefused as exc:
                for message in exc.messages:
                    form.add_error("document", message)
            else:
                form = CapImportForm()
    else:
        form = CapImportForm()
    return render(request, "alerts/public/cap_import.html", {"form": form, "result": result})
