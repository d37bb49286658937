"""Who takes part: how to take part (an account, or an SMS code for people registered for
alerts), the SMS sign-in and sign-out, and the participant's profile."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from beffroi.accounts.access import request_organisation
from beffroi.accounts.models import User
from beffroi.core.clients import client_address
from beffroi.participation.access import SMS_PARTICIPANT_SESSION_KEY, request_participant
from beffroi.participation.participants import challenge, selectors, services
from beffroi.participation.participants.forms import ProfileForm, SmsCodeForm, SmsNumberForm
from beffroi.territory.selectors import address_search

SMS_PENDING_SESSION_KEY = "participation_sms_pending"
ADDRESS_SUGGESTIONS = 8


def _next_url(request: HttpRequest) -> str:
    """The page to come back to after signing in (a path of this site), or ""."""
    candidate = str(request.POST.get("next") or request.GET.get("next") or "")[:500]
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate if candidate.startswith("/") else ""
    return ""


def _with_next(url: str, next_url: str) -> str:
    if not next_url:
        return url
    from urllib.parse import urlencode

    return f"{url}?{urlencode({'next': next_url})}"


def _user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


@require_http_methods(["GET"])
def take_part(request: HttpRequest) -> HttpResponse:
    """How to take part: with an account (its e-mail verified), or without one with an SMS
    code; what this session is signed in as."""
    organisation = request_organisation(request)
    user = _user(request)
    participant = selectors.participant_known(request=request, organisation=organisation)
    context: dict[str, Any] = {
        "next": _next_url(request),
        "account_user": user,
        "sms_participant": participant if user is None else None,
        "masked_number": "",
    }
    if user is None and participant is not None and participant.subscriber is not None:
        context["masked_number"] = selectors.masked_number(str(participant.subscriber.sms_number))
    return render(request, "participation/participants/take_part.html", context)


def _challenge_context(request: HttpRequest) -> dict[str, Any]:
    if not challenge.challenge_needed(
        organisation=request_organisation(request), client=client_address(request)
    ):
        return {}
    return {
        "challenge": challenge.challenge_issue(),
        "challenge_bits": challenge.challenge_difficulty(),
    }


@require_http_methods(["GET", "POST"])
def sms_request(request: HttpRequest) -> HttpResponse:
    """ "Take part with my mobile number": the number, then a code by SMS."""
    if _user(request) is not None:
        return redirect("participation_participants:take_part")
    organisation = request_organisation(request)
    next_url = _next_url(request)
    form = SmsNumberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        client = client_address(request)
        try:
            if challenge.signin_attempt(organisation=organisation, client=client):
                challenge.challenge_verify(
                    challenge=str(request.POST.get("challenge", "")),
                    nonce=str(request.POST.get("nonce", "")),
                )
            pending = services.sms_signin_request(
                organisation=organisation, number=form.cleaned_data["number"], client=client
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            request.session[SMS_PENDING_SESSION_KEY] = pending.as_session()
            messages.info(
                request,
                _(
                    "If this number is registered for alerts with %(org)s, a code has just "
                    "been sent to it by SMS."
                )
                % {"org": organisation.name},
            )
            return redirect(_with_next(reverse("participation_participants:sms_code"), next_url))
    return render(
        request,
        "participation/participants/sms_request.html",
        {"form": form, "next": next_url, **_challenge_context(request)},
    )


@require_http_methods(["GET", "POST"])
def sms_code(request: HttpRequest) -> HttpResponse:
    """Type the code received: the session then takes part as this person."""
    if _user(request) is not None:
        return redirect("participation_participants:take_part")
    organisation = request_organisation(request)
    next_url = _next_url(request)
    pending = services.SmsSigninPending.from_session(request.session.get(SMS_PENDING_SESSION_KEY))
    if pending is None:
        messages.info(request, _("Ask for a code first."))
        return redirect(_with_next(reverse("participation_participants:sms"), next_url))
    form = SmsCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            participant, pending = services.sms_signin_verify(
                organisation=organisation, pending=pending, code=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            kept = getattr(exc, "pending", None)
            if isinstance(kept, services.SmsSigninPending):
                request.session[SMS_PENDING_SESSION_KEY] = kept.as_session()
            form.add_service_errors(exc)
        else:
            assert participant is not None
            if participant.user_id is not None:
                # The registration is linked to an account: its participant is the account's,
                # which takes part by signing in (an SMS session would be a second way in).
                request.session.pop(SMS_PENDING_SESSION_KEY, None)
                messages.info(
                    request,
                    _(
                        "Your registration for alerts is linked to an account: log in with it "
                        "to take part."
                    ),
                )
                return redirect(_with_next(reverse("accounts:login"), next_url))
            # A new session key: whoever knew the old one (fixation) does not share the proof.
            request.session.cycle_key()
            request.session.pop(SMS_PENDING_SESSION_KEY, None)
            request.session[SMS_PARTICIPANT_SESSION_KEY] = participant.pk
            messages.success(request, _("Your number is confirmed: you can take part."))
            return redirect(next_url or reverse("participation_participants:profile"))
    return render(
        request,
        "participation/participants/sms_code.html",
        {
            "form": form,
            "next": next_url,
            "masked_number": selectors.masked_number(pending.number),
        },
    )


@require_POST
def sms_signout(request: HttpRequest) -> HttpResponse:
    """End the SMS-code session (a shared computer at the library, a relative's phone)."""
    request.session.pop(SMS_PARTICIPANT_SESSION_KEY, None)
    request.session.pop(SMS_PENDING_SESSION_KEY, None)
    request.session.cycle_key()
    messages.success(request, _("You are signed out."))
    return redirect("participation_participants:take_part")


@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """Public name, year of birth and residence, for the processes' own rules."""
    organisation = request_organisation(request)
    next_url = _next_url(request)
    participant = request_participant(request)
    if participant is None:
        return redirect(
            _with_next(
                reverse("participation_participants:take_part"),
                reverse("participation_participants:profile"),
            )
        )
    initial = {"display_name": participant.display_name, "birth_year": participant.birth_year}
    form = ProfileForm(request.POST or None, initial=initial)
    query = str(request.GET.get("q", ""))[:200].strip()
    matches: list[Any] = []
    if query:
        matches = address_search(organisation=organisation, query=query, limit=ADDRESS_SUGGESTIONS)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        address_only = request.POST.get("action") == "address"
        choice = str(data.get("address") or "")
        try:
            if address_only:
                services.participant_profile_update(
                    participant=participant,
                    display_name=participant.display_name,
                    birth_year=participant.birth_year,
                    address_id=int(choice) if choice.isdigit() else None,
                )
            else:
                services.participant_profile_update(
                    participant=participant,
                    display_name=data.get("display_name") or "",
                    birth_year=data.get("birth_year"),
                    address_id=None,
                    keep_address=True,
                )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            if address_only:
                message = (
                    _("Your residence is saved.")
                    if choice.isdigit()
                    else _("Your residence is removed.")
                )
            else:
                message = _("Your participant profile is saved.")
            messages.success(request, message)
            return redirect(next_url or reverse("participation_participants:profile"))
    participant.refresh_from_db()
    return render(
        request,
        "participation/participants/profile.html",
        {
            "form": form,
            "participant": participant,
            "matches": matches,
            "query": query,
            "next": next_url,
            "alert_places": selectors.alert_places(participant=participant),
            "sms_session": participant.user_id is None,
        },
    )
