"""Pages of resident registration: register (with or without an account), manage one's
registration (logged in, or through the link sent to an anonymous registrant), verify
channels, unsubscribe (link and RFC 8058 one-click); and the agents' back office: list,
register on the phone, edit, import a CSV file."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms.utils import ErrorDict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from beffroi.accounts.access import request_organisation, roles_required
from beffroi.accounts.models import User
from beffroi.alerts.access import (
    SUBSCRIBER_IMPORT_ROLES,
    SUBSCRIBER_ROLES,
    access_place,
    access_subscriber,
)
from beffroi.alerts.models import Channel, Subscriber, Topic
from beffroi.alerts.subscriptions import challenge, imports
from beffroi.alerts.subscriptions import services as services
from beffroi.alerts.subscriptions.forms import (
    AgentPreferencesForm,
    AgentRegistrationForm,
    CodeForm,
    ImportForm,
    PlaceForm,
    PreferencesForm,
    RegistrationForm,
    SubscriberSearchForm,
)
from beffroi.alerts.subscriptions.selectors import (
    subscriber_of_user,
    subscriber_places,
    subscribers_for_agents,
)
from beffroi.core.clients import client_address
from beffroi.core.imports import ImportRefused, ImportReport
from beffroi.territory.selectors import address_search

SUGGESTIONS = 8
_IMPORT_SESSION_KEY = "alerts_subscribers_import"
# The report of the last import, shown by its result page (post/redirect/get).
_IMPORT_DONE_SESSION_KEY = "alerts_subscribers_import_done"
# Kept in the session between the preview and the commit; larger files use the command.
_IMPORT_SESSION_MAX_BYTES = 2 * 1024 * 1024


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


def _matches(request: HttpRequest, query: str) -> list[Any]:
    query = query.strip()
    if not query:
        return []
    return address_search(
        organisation=request_organisation(request), query=query[:200], limit=SUGGESTIONS
    )


# A best match this far ahead of the next one is the address meant: the address search
# keeps streets within 5 points of the best as real competitors.
_UNAMBIGUOUS_LEAD = 5.0


def _unambiguous(matches: list[Any]) -> int | None:
    """The id of the address to preselect among ``matches``: the only one, or one clearly
    ahead (the exact house number asked for, on the only street that fits). Several
    numbers of one street (no number typed) or look-alike streets leave the choice open."""
    if len(matches) == 1:
        return int(matches[0].address_id)
    if len(matches) > 1 and matches[0].score - matches[1].score >= _UNAMBIGUOUS_LEAD:
        return int(matches[0].address_id)
    return None


def _place_input(form: PlaceForm | RegistrationForm) -> list[services.PlaceInput]:
    data = form.cleaned_data
    kind = data.get("kind") or "home"
    if data.get("address"):
        return [services.PlaceInput(kind=kind, address_id=data["address"])]
    if data.get("lat") is not None and data.get("lon") is not None:
        return [services.PlaceInput(kind=kind, lon=data["lon"], lat=data["lat"])]
    return []


def _territory_context(request: HttpRequest) -> dict[str, Any]:
    organisation = request_organisation(request)
    boundaries = [
        {"type": "Feature", "geometry": c.boundary, "properties": {"name": c.name}}
        for c in organisation.communes.filter(boundary__isnull=False)
    ]
    return {"territory_geojson": {"type": "FeatureCollection", "features": boundaries}}


def _chosen_address(request: HttpRequest, form: PlaceForm | RegistrationForm) -> Any:
    """The address ticked in the form, or on a fresh form the one its link names
    (?address=, from "get alerts for this address" on the "My neighbourhood" page)."""
    raw = form.data.get("address", "") if form.is_bound else form.initial.get("address", "")
    if not str(raw).isdigit():
        return None
    from beffroi.territory.models import Address

    return (
        Address.objects.filter(organisation=request_organisation(request), pk=int(raw))
        .select_related("street", "commune")
        .first()
    )


# ---------------------------------------------------------------------------------------------
# Residents


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Register for alerts. Works without JavaScript: "Search" re-displays the form with the
    matching addresses to choose from; with htmx, suggestions appear as one types."""
    organisation = request_organisation(request)
    user = _user(request)
    if request.method == "GET" and request.GET.get("suggest"):
        query = request.GET.get("q", "")[:200]
        matches = _matches(request, query)
        return render(
            request,
            "alerts/subscriptions/_suggestions.html",
            {"matches": matches, "preselected": _unambiguous(matches), "query": query.strip()},
        )
    if user is not None and subscriber_of_user(organisation=organisation, user=user):
        existing = subscriber_of_user(organisation=organisation, user=user)
        if existing is not None and existing.unsubscribed_at is None:
            return redirect("subscriptions:mine")
    initial: dict[str, Any] = {"topics": list(Topic.values), "channels": [Channel.EMAIL]}
    if request.GET.get("address", "").isdigit():
        initial["address"] = request.GET["address"]
    if user is not None:
        initial.update(email=user.email, full_name=user.full_name, language=user.language)
    form = RegistrationForm(request.POST or None, initial=initial)
    return _registration(request, form, registered_by=None, template="register.html")


def _registration(
    request: HttpRequest,
    form: RegistrationForm,
    *,
    registered_by: User | None,
    template: str,
) -> HttpResponse:
    matches: list[Any] = []
    searched = False
    if request.method == "POST" and request.POST.get("action") == "search":
        # Searching an address is not submitting: the rest of the form is not judged yet.
        form._errors = ErrorDict()  # type: ignore[attr-defined]
        form.cleaned_data = {}
        matches = _matches(request, str(form.data.get("q", "")))
        searched = True
    elif request.method == "POST":
        # Every error in one answer: the fields that parsed are checked by the service even
        # when others did not, and an address typed but not chosen is said along with them.
        form.is_valid()
        places = _place_input(form)
        query = form.cleaned_data.get("q", "").strip()
        if not places and query and not form.has_error("q"):
            matches = _matches(request, query)
            form.add_error(
                "q",
                _("Choose your address in the list below.")
                if matches
                else _("No address matches: check the spelling or place a point on the map."),
            )
        try:
            services.registration_check(details=_details(form, places))
        except ValidationError as exc:
            form.add_service_errors(exc)
        if not form.errors:
            try:
                result = _register(request, form, places, registered_by=registered_by)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                return _registered(request, result, registered_by=registered_by)
    return render(
        request,
        f"alerts/subscriptions/{template}",
        {
            "form": form,
            "matches": matches,
            "preselected": _unambiguous(matches),
            "searched": searched,
            "query": form.data.get("q", "") if form.is_bound else "",
            "chosen_address": _chosen_address(request, form),
            **_challenge_context(request, registered_by=registered_by),
            **_territory_context(request),
        },
    )


def _details(
    form: RegistrationForm, places: list[services.PlaceInput]
) -> services.RegistrationDetails:
    """What the form collected; a field that did not parse counts as empty (its own error
    already says what is wrong, and the service's about it is then not shown)."""
    data = form.cleaned_data
    return services.RegistrationDetails(
        email=data.get("email") or "",
        sms_number=data.get("sms_number") or "",
        voice_number=data.get("voice_number") or "",
        full_name=data.get("full_name") or "",
        channels=data.get("channels") or [],
        topics=data.get("topics") or [],
        language=data.get("language") or "fr",
        places=places,
        consent=bool(data.get("consent")),
    )


def _challenge_context(request: HttpRequest, *, registered_by: User | None) -> dict[str, Any]:
    """A fresh proof-of-work challenge for the anonymous form when sign-ups come fast."""
    if registered_by is not None or _user(request) is not None:
        return {}
    if not challenge.challenge_needed(
        organisation=request_organisation(request), client=client_address(request)
    ):
        return {}
    return {
        "challenge": challenge.challenge_issue(),
        "challenge_bits": challenge.challenge_difficulty(),
    }


def _register(
    request: HttpRequest,
    form: RegistrationForm,
    places: list[services.PlaceInput],
    *,
    registered_by: User | None,
) -> services.Registration:
    """The service for who is registering: an agent, a logged-in resident or anyone."""
    organisation = request_organisation(request)
    data = form.cleaned_data
    details = _details(form, places)
    if registered_by is not None:
        return services.subscriber_register_by_agent(
            organisation=organisation,
            agent=registered_by,
            details=details,
            confirmed_on_phone=bool(data.get("confirmed_on_phone")),
        )
    user = _user(request)
    client = client_address(request)
    if user is not None:
        return services.subscriber_register_resident(
            organisation=organisation, user=user, details=details, client=client
        )
    if challenge.signup_attempt(organisation=organisation, client=client):
        challenge.challenge_verify(
            challenge=str(request.POST.get("challenge", "")),
            nonce=str(request.POST.get("nonce", "")),
        )
    return services.subscriber_register_anonymous(
        organisation=organisation, details=details, client=client
    )


def _registered(
    request: HttpRequest, result: services.Registration, *, registered_by: User | None
) -> HttpResponse:
    subscriber = result.subscriber
    if registered_by is not None:
        messages.success(request, _("The resident is registered."))
        return redirect("subscribers_backoffice:detail", subscriber_id=subscriber.pk)
    if subscriber.user_id is not None and subscriber.user_id == getattr(request.user, "pk", None):
        messages.success(request, _("You are registered for alerts."))
        return redirect("subscriptions:mine")
    if not result.created:
        # Somebody registered these details before: the owner got their link.
        return render(request, "alerts/subscriptions/already_registered.html", status=200)
    messages.success(
        request,
        _(
            "You are registered. Keep the link of this page (we also sent it to you): it lets "
            "you change or end your registration."
        ),
    )
    return redirect("subscriptions:manage", token=services.management_token(subscriber))


@login_required
@require_http_methods(["GET", "POST"])
def mine(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    assert user is not None
    subscriber = subscriber_of_user(organisation=request_organisation(request), user=user)
    if subscriber is None or subscriber.unsubscribed_at is not None:
        return redirect("subscriptions:register")
    return _manage(request, subscriber, self_url=reverse("subscriptions:mine"), agent=False)


@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = services.subscriber_from_management_token(
            organisation=request_organisation(request), token=token
        )
    except ValidationError as exc:
        raise Http404(exc.messages[0]) from exc
    return _manage(
        request, subscriber, self_url=reverse("subscriptions:manage", args=[token]), agent=False
    )


@dataclass
class _ManagePage:
    """The page about one registration: the resident's own (by link or account) or an
    agent's. Each form on it posts an ``action``, handled by one function of
    ``_MANAGE_ACTIONS``; only the posted form is bound, so the others show no errors."""

    request: HttpRequest
    subscriber: Subscriber
    self_url: str
    agent: bool
    preferences: PreferencesForm
    place_form: PlaceForm
    code_form: CodeForm
    matches: list[Any] = field(default_factory=list)

    @classmethod
    def build(
        cls, request: HttpRequest, subscriber: Subscriber, *, self_url: str, agent: bool
    ) -> _ManagePage:
        action = _action(request)
        preferences_class = AgentPreferencesForm if agent else PreferencesForm
        national = {
            "sms_number": subscriber.sms_number.as_national if subscriber.sms_number else "",
            "voice_number": subscriber.voice_number.as_national if subscriber.voice_number else "",
        }
        return cls(
            request=request,
            subscriber=subscriber,
            self_url=self_url,
            agent=agent,
            preferences=preferences_class(
                request.POST if action == "update" else None,
                initial={
                    "full_name": subscriber.full_name,
                    "email": subscriber.email,
                    **national,
                    "channels": subscriber.channels,
                    "topics": subscriber.topics,
                    "language": subscriber.language,
                },
            ),
            place_form=PlaceForm(request.POST if action in ("add_place", "search_place") else None),
            code_form=CodeForm(request.POST if action == "verify_code" else None),
        )

    @property
    def actor(self) -> User | None:
        return _user(self.request) if self.agent else None

    @property
    def client(self) -> str:
        """The resident's address, for the limits on SMS; agents answer for what they send."""
        return "" if self.agent else client_address(self.request)

    def done(self, message: str) -> HttpResponse:
        messages.success(self.request, message)
        return redirect(self.self_url)


def _action(request: HttpRequest) -> str:
    return request.POST.get("action", "") if request.method == "POST" else ""


def _manage(
    request: HttpRequest, subscriber: Subscriber, *, self_url: str, agent: bool
) -> HttpResponse:
    page = _ManagePage.build(request, subscriber, self_url=self_url, agent=agent)
    handler = _MANAGE_ACTIONS.get(_action(request))
    response = handler(page) if handler is not None else None
    return response if response is not None else _manage_render(page)


def _manage_update(page: _ManagePage) -> HttpResponse | None:
    form = page.preferences
    if not form.is_valid():
        return None
    values = {k: v for k, v in form.cleaned_data.items() if k != "confirmed_on_phone"}
    try:
        services.subscriber_update(
            subscriber=page.subscriber,
            actor=page.actor,
            confirmed_on_phone=bool(form.cleaned_data.get("confirmed_on_phone")),
            client=page.client,
            **values,
        )
    except ValidationError as exc:
        form.add_service_errors(exc)
        return None
    return page.done(_("Your choices are saved."))


def _manage_search_place(page: _ManagePage) -> HttpResponse | None:
    if page.place_form.is_valid():
        page.matches = _matches(page.request, page.place_form.cleaned_data.get("q", ""))
    return None


def _manage_add_place(page: _ManagePage) -> HttpResponse | None:
    form = page.place_form
    if not form.is_valid():
        return None
    places = _place_input(form)
    if not places:
        page.matches = _matches(page.request, form.cleaned_data.get("q", ""))
        form.add_error(
            "q",
            _("Choose the address in the list below.")
            if page.matches
            else _("Search for an address, or place a point on the map."),
        )
        return None
    try:
        services.place_add(subscriber=page.subscriber, place=places[0])
    except ValidationError as exc:
        form.add_service_errors(exc)
        return None
    return page.done(_("The place is added."))


def _manage_remove_place(page: _ManagePage) -> HttpResponse | None:
    raw = page.request.POST.get("place", "")
    if not raw.isdigit():
        return redirect(page.self_url)
    place = access_place(subscriber=page.subscriber, place_id=int(raw))
    services.place_remove(place=place)
    return page.done(_("The place is removed."))


def _manage_verify_code(page: _ManagePage) -> HttpResponse | None:
    form = page.code_form
    if not form.is_valid():
        return None
    try:
        services.sms_code_verify(subscriber=page.subscriber, code=form.cleaned_data["code"])
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error("code", message)
        return None
    return page.done(_("Your mobile number is verified."))


def _resend(page: _ManagePage, send: Callable[[], object], sent: str) -> HttpResponse:
    try:
        send()
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(page.request, message)
        return redirect(page.self_url)
    return page.done(sent)


def _manage_resend_code(page: _ManagePage) -> HttpResponse | None:
    return _resend(
        page,
        lambda: services.sms_code_request(subscriber=page.subscriber, client=page.client),
        _("A new code is on its way by SMS."),
    )


def _manage_resend_email(page: _ManagePage) -> HttpResponse | None:
    return _resend(
        page,
        lambda: services.email_verification_request(subscriber=page.subscriber),
        _("A new verification link is on its way by e-mail."),
    )


def _manage_unsubscribe(page: _ManagePage) -> HttpResponse | None:
    """Ending every alert takes a confirmation (a stray click must not silence someone's
    warnings, and it works without JavaScript); the resident then lands on the unsubscribe
    page, which offers to undo it."""
    if page.request.POST.get("confirm") != "yes":
        return render(
            page.request,
            "alerts/subscriptions/unsubscribe.html",
            {"subscriber": page.subscriber, "self_url": page.self_url, "agent": page.agent},
        )
    subscriber = services.subscriber_unsubscribe(
        subscriber=page.subscriber, reason="agent" if page.agent else "manage page"
    )
    if page.agent:
        messages.success(page.request, _("The registration is ended: no more alerts will be sent."))
        return redirect("subscribers_backoffice:list")
    return redirect("subscriptions:unsubscribe", token=subscriber.unsubscribe_token)


def _manage_erase(page: _ManagePage) -> HttpResponse | None:
    """The resident's own erasure: a confirmation page first (a stray click must not delete
    someone's only warning channel), then everything goes and a page says so."""
    if page.agent:
        return None
    organisation = page.subscriber.organisation
    if page.request.POST.get("confirm") != "yes":
        return render(
            page.request,
            "alerts/subscriptions/erase.html",
            {"subscriber": page.subscriber, "self_url": page.self_url},
        )
    services.subscriber_erase(subscriber=page.subscriber, reason="manage page")
    return render(
        page.request,
        "alerts/subscriptions/erase.html",
        {"done": True, "organisation": organisation},
    )


_MANAGE_ACTIONS: dict[str, Callable[[_ManagePage], HttpResponse | None]] = {
    "update": _manage_update,
    "search_place": _manage_search_place,
    "add_place": _manage_add_place,
    "remove_place": _manage_remove_place,
    "verify_code": _manage_verify_code,
    "resend_code": _manage_resend_code,
    "resend_email": _manage_resend_email,
    "unsubscribe": _manage_unsubscribe,
    "erase": _manage_erase,
}


def _manage_render(page: _ManagePage) -> HttpResponse:
    subscriber = page.subscriber
    subscriber.refresh_from_db()
    place_form = page.place_form
    return render(
        page.request,
        "alerts/subscriptions/backoffice/detail.html"
        if page.agent
        else "alerts/subscriptions/manage.html",
        {
            "subscriber": subscriber,
            "places": subscriber_places(subscriber=subscriber),
            "preferences": page.preferences,
            "place_form": place_form,
            "code_form": page.code_form,
            "matches": page.matches,
            "preselected": _unambiguous(page.matches),
            "searched": _action(page.request) == "search_place",
            "query": place_form.data.get("q", "") if place_form.is_bound else "",
            "chosen_address": _chosen_address(page.request, place_form)
            if place_form.is_bound
            else None,
            "self_url": page.self_url,
            "unsubscribe_url": services.unsubscribe_url(subscriber),
            "agent": page.agent,
            **_territory_context(page.request),
        },
    )


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = services.email_verify(organisation=request_organisation(request), token=token)
    except ValidationError as exc:
        return render(
            request,
            "alerts/subscriptions/verify_email.html",
            {"error": exc.messages[0]},
            status=400,
        )
    return render(request, "alerts/subscriptions/verify_email.html", {"subscriber": subscriber})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for confirmation (link scanners prefetch GETs); POST unsubscribes. CSRF is
    off on purpose: RFC 8058 mailbox providers POST ``List-Unsubscribe=One-Click`` without
    any cookie or token, and the unguessable token in the URL is the authorisation."""
    organisation = request_organisation(request)
    subscriber = Subscriber.objects.filter(
        organisation=organisation, unsubscribe_token=token[:64]
    ).first()
    if subscriber is None:
        raise Http404("No such registration.")
    if request.method == "POST" and request.POST.get("action") == "resubscribe":
        return _resubscribe(request, subscriber)
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        if subscriber.unsubscribed_at is None:
            services.subscriber_unsubscribe(
                subscriber=subscriber,
                reason="one-click (RFC 8058)" if one_click else "unsubscribe link",
            )
        if one_click:
            return HttpResponse(status=200)
    return _unsubscribed_page(request, subscriber)


def _unsubscribed_page(
    request: HttpRequest, subscriber: Subscriber, *, error: str = "", status: int = 200
) -> HttpResponse:
    """The question (still registered) or the result with its undo, while it is possible."""
    subscriber.refresh_from_db()
    return render(
        request,
        "alerts/subscriptions/unsubscribe.html",
        {
            "subscriber": subscriber,
            "done": subscriber.unsubscribed_at is not None,
            "resubscribe_until": services.resubscribe_deadline(subscriber),
            "error": error,
        },
        status=status,
    )


def _resubscribe(request: HttpRequest, subscriber: Subscriber) -> HttpResponse:
    """Undo "unsubscribe everything" from the unsubscribe page: the token in its address is
    the authorisation, as for unsubscribing."""
    try:
        subscriber = services.subscriber_resubscribe(
            subscriber=subscriber, reason="undo on the unsubscribe page"
        )
    except ValidationError as exc:
        return _unsubscribed_page(request, subscriber, error=" ".join(exc.messages), status=409)
    messages.success(
        request, _("You are registered again, with the same choices: alerts will reach you.")
    )
    if subscriber.user_id is not None and subscriber.user_id == getattr(request.user, "pk", None):
        return redirect("subscriptions:mine")
    return redirect("subscriptions:manage", token=services.management_token(subscriber))


# ---------------------------------------------------------------------------------------------
# Agents


@roles_required(SUBSCRIBER_ROLES)
def agent_list(request: HttpRequest) -> HttpResponse:
    form = SubscriberSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(
        subscribers_for_agents(organisation=request_organisation(request), query=query), 50
    ).get_page(request.GET.get("page"))
    labels = dict(Channel.choices)
    rows = [
        (subscriber, [str(labels[c]) for c in subscriber.channels if c in labels])
        for subscriber in page.object_list
    ]
    return render(
        request,
        "alerts/subscriptions/backoffice/list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query,
            "can_import": _can_import(request),
        },
    )


def _can_import(request: HttpRequest) -> bool:
    from beffroi.accounts.access import has_role

    return has_role(request.user, request_organisation(request), *SUBSCRIBER_IMPORT_ROLES)


@roles_required(SUBSCRIBER_ROLES)
@require_http_methods(["GET", "POST"])
def agent_register(request: HttpRequest) -> HttpResponse:
    form = AgentRegistrationForm(
        request.POST or None,
        initial={"topics": list(Topic.values), "channels": [Channel.SMS], "language": "fr"},
    )
    return _registration(
        request, form, registered_by=_user(request), template="backoffice/register.html"
    )


@roles_required(SUBSCRIBER_ROLES)
@require_http_methods(["GET", "POST"])
def agent_detail(request: HttpRequest, subscriber_id: int) -> HttpResponse:
    subscriber = access_subscriber(request, subscriber_id)
    return _manage(
        request,
        subscriber,
        self_url=reverse("subscribers_backoffice:detail", args=[subscriber.pk]),
        agent=True,
    )


@roles_required(SUBSCRIBER_IMPORT_ROLES)
@require_http_methods(["GET", "POST"])
def agent_import(request: HttpRequest) -> HttpResponse:
    """Upload → preview (checked, nothing written) → import (the same file, from the
    session). One refused line refuses the file; every refused line is listed. The agent
    may certify that the commune holds the residents' consent: the preview and the import
    then count their channels as verified."""
    organisation = request_organisation(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    report: ImportReport | None = None
    rejected = False
    fingerprint = ""
    if request.method == "POST" and request.POST.get("action") == "commit":
        stored = request.session.get(_IMPORT_SESSION_KEY)
        if not stored or stored.get("fingerprint") != request.POST.get("fingerprint"):
            messages.error(request, _("Upload the file again: its preview has expired."))
            return redirect("subscribers_backoffice:import")
        data = bytes.fromhex(stored["data"])
        try:
            report = imports.subscribers_import(
                organisation=organisation,
                data=data,
                actor=_user(request),
                file_name=stored.get("name", ""),
                consent=bool(stored.get("consent")),
            )
        except ImportRefused as exc:
            report, rejected = exc.report, True
        else:
            # Post/redirect/get: the result is a page of its own, which a refresh shows
            # again instead of sending the import a second time.
            del request.session[_IMPORT_SESSION_KEY]
            request.session[_IMPORT_DONE_SESSION_KEY] = dataclasses.asdict(report)
            messages.success(
                request,
                _("%(created)d residents registered, %(updated)d updated.")
                % {"created": report.created, "updated": report.updated},
            )
            return redirect("subscribers_backoffice:import_done", import_id=report.import_id)
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        consent = form.cleaned_data["consent"]
        if upload.size > imports.IMPORT_MAX_BYTES:
            form.add_error("file", _("The file is larger than 10 MB."))
        else:
            data = upload.read()
            try:
                report = imports.subscribers_import(
                    organisation=organisation,
                    data=data,
                    actor=_user(request),
                    file_name=upload.name,
                    consent=consent,
                    dry_run=True,
                )
            except ImportRefused as exc:
                report, rejected = exc.report, True
            else:
                if len(data) <= _IMPORT_SESSION_MAX_BYTES:
                    fingerprint = hashlib.sha256(data).hexdigest()
                    request.session[_IMPORT_SESSION_KEY] = {
                        "fingerprint": fingerprint,
                        "data": data.hex(),
                        "name": upload.name,
                        "consent": consent,
                    }
                else:
                    form.add_error(
                        "file",
                        _(
                            "The file is checked, but too large to import from the browser: "
                            "use the command “beffroi import_subscribers”."
                        ),
                    )
    return render(
        request,
        "alerts/subscriptions/backoffice/import.html",
        {"form": form, "report": report, "rejected": rejected, "fingerprint": fingerprint},
    )


@roles_required(SUBSCRIBER_IMPORT_ROLES)
@require_http_methods(["GET"])
def agent_import_done(request: HttpRequest, import_id: int) -> HttpResponse:
    """The report of the import the agent has just made (kept in their session)."""
    report = request.session.get(_IMPORT_DONE_SESSION_KEY)
    if not report or report.get("import_id") != import_id:
        messages.info(request, _("The report of this import is no longer available."))
        return redirect("subscribers_backoffice:import")
    return render(
        request,
        "alerts/subscriptions/backoffice/import.html",
        {"form": ImportForm(), "report": report, "done": True},
    )
