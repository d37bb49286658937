from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from beffroi.accounts import selectors, services
from beffroi.accounts.access import (
    access_agent,
    access_own_api_token,
    access_role_assignment,
    is_agent,
    is_verified,
    request_organisation,
    requires_two_factor,
    roles_required,
    user_roles,
)
from beffroi.accounts.forms import (
    ApiTokenForm,
    EraseForm,
    LoginForm,
    ProfileForm,
    RoleGrantForm,
    SignupForm,
    TwoFactorCodeForm,
    TwoFactorVerifyForm,
    request_origin,
)
from beffroi.accounts.models import Role, User
from beffroi.accounts.qr import qr_svg
from beffroi.core.audit import audit_record
from beffroi.core.backoffice import visible_tools
from beffroi.core.models import AuditEvent

RESEND_INTERVAL_SECONDS = 60


def safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` parameter when it points back into this site, else ``default``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _remember_language(response: HttpResponse, language: str) -> None:
    """The interface follows the account's language from now on, even after logout."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def _current_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# --- Login, logout, sign-up, e-mail verification ---------------------------------------------


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"

    def form_valid(self, form: Any) -> HttpResponse:
        user: User = form.get_user()
        auth_login(self.request, user)
        next_url = self.get_redirect_url()
        organisation = getattr(self.request, "organisation", None)
        if requires_two_factor(user, organisation):
            # Password proven; the code comes next, then the page that was asked for.
            target = next_url or reverse("backoffice:home")
            query = urlencode({"next": target})
            response: HttpResponse = redirect(f"{reverse('accounts:two_factor')}?{query}")
        else:
            # Agents come to work: the back office; residents to the commune's home page.
            default = (
                reverse("backoffice:home")
                if is_agent(user, organisation)
                else resolve_url(settings.LOGIN_REDIRECT_URL)
            )
            response = HttpResponseRedirect(next_url or default)
        _remember_language(response, user.language)
        return response


def signup(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_signup(
            organisation=organisation,
            email=form.cleaned_data["email"],
            full_name=form.cleaned_data["full_name"],
            password=form.cleaned_data["password1"],
            origin=request_origin(request),
        )
        # The same answer whether the address was new or already had an account (its owner
        # is told by e-mail): no session is opened, so nothing tells the two apart.
        messages.success(
            request,
            _(
                "We sent an e-mail to %(email)s: open the link it contains to confirm your "
                "address, then log in."
            )
            % {"email": form.cleaned_data["email"]},
        )
        return redirect("accounts:login")
    return render(request, "accounts/signup.html", {"form": form})


@require_GET
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        services.email_verify(token=token)
    except ValidationError as exc:
        return render(request, "accounts/verify_email.html", {"error": exc.messages[0]}, status=400)
    return render(request, "accounts/verify_email.html", {"error": None})


@require_POST
@login_required
def verify_email_resend(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    # One e-mail a minute per account: the button cannot be used to flood a mailbox.
    if not cache.add(f"accounts:verify-resend:{user.pk}", 1, RESEND_INTERVAL_SECONDS):
        messages.warning(request, _("An e-mail was sent less than a minute ago; please wait."))
        return redirect("accounts:profile")
    try:
        services.email_verification_send(
            user=user,
            origin=request_origin(request),
            organisation=getattr(request, "organisation", None),
        )
    except ValidationError as exc:
        messages.info(request, exc.messages[0])
    else:
        messages.success(
            request, _("A new verification link was sent to %(email)s.") % {"email": user.email}
        )
    return redirect("accounts:profile")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # The link came by e-mail: the address is proven too.
        services.email_mark_verified(user=form.user)
        return response


# --- Profile, GDPR -----------------------------------------------------------------------------


def _profile_context(request: HttpRequest, user: User) -> dict[str, Any]:
    organisation = getattr(request, "organisation", None)
    agent = is_agent(user, organisation)
    return {
        "role_labels": selectors.user_role_labels(user=user, organisation=organisation),
        "is_agent_here": agent,
        "has_two_factor": selectors.user_has_two_factor(user=user),
        "backup_codes_left": selectors.user_backup_codes_left(user=user),
        "two_factor_required": requires_two_factor(user, organisation),
        "tokens": (
            selectors.user_api_tokens(user=user, organisation=organisation)
            if agent and organisation is not None
            else []
        ),
        "now": timezone.now(),
    }


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_profile_update(
                user=user,
                full_name=form.cleaned_data["full_name"],
                language=form.cleaned_data["language"],
                phone=form.cleaned_data["phone"],
            )
        except ValidationError as exc:
            form.add_error("language", exc)
        else:
            messages.success(request, _("Your profile is saved."))
            response = redirect("accounts:profile")
            _remember_language(response, user.language)
            return response
    context = _profile_context(request, user)
    context.update({"form": form, "token_form": ApiTokenForm()})
    return render(request, "accounts/profile.html", context)


@require_GET
@login_required
def data_export(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    data = services.user_export_data(user=user)
    audit_record(
        action="account.export",
        organisation=getattr(request, "organisation", None),
        actor=user,
        target=user,
        request=request,
    )
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="beffroi-my-data-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def erase(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    form = EraseForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_erase(
                user=user, organisation=getattr(request, "organisation", None), request=request
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            auth_logout(request)
            messages.success(request, _("Your account has been erased. Goodbye."))
            return redirect("core:home")
    return render(request, "accounts/erase.html", {"form": form})


# --- Two-factor authentication ---------------------------------------------------------------


def _two_factor_setup(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    try:
        device = services.two_factor_pending_device(user=user)
    except ValidationError:
        return redirect(f"{reverse('accounts:two_factor')}?{urlencode({'next': next_url})}")
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.two_factor_confirm(
                user=user,
                device=device,
                code=form.cleaned_data["code"],
                organisation=getattr(request, "organisation", None),
                request=request,
            )
        except services.TwoFactorThrottled:
            form.add_error("code", _("Too many wrong codes: wait a minute, then try again."))
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            request.session.cycle_key()
            otp_login(request, device)
            return render(
                request, "accounts/two_factor_backup_codes.html", {"codes": codes, "next": next_url}
            )
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "next": next_url,
            "qr": qr_svg(
                device.config_url,
                title=_("QR code to scan with your authentication app"),
            ),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "required": requires_two_factor(user, getattr(request, "organisation", None)),
        },
    )


@never_cache
@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Set up the second factor when there is none, otherwise ask for a code."""
    user = _current_user(request)
    default = (
        reverse("backoffice:home")
        if is_agent(user, getattr(request, "organisation", None))
        else reverse("accounts:profile")
    )
    next_url = safe_next(request, default)
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return _two_factor_setup(request, user, next_url)
    if is_verified(user):
        return redirect(next_url)
    form = TwoFactorVerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.two_factor_verify(user=user, code=form.cleaned_data["code"])
        except services.TwoFactorThrottled:
            form.add_error("code", _("Too many wrong codes: wait a minute, then try again."))
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            request.session.cycle_key()
            otp_login(request, device)
            return redirect(next_url)
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": next_url})


@never_cache
@require_POST
@login_required
def backup_codes_regenerate(request: HttpRequest) -> HttpResponse:
    user = _current_user(request)
    if not is_verified(user):
        query = urlencode({"next": reverse("accounts:profile")})
        return redirect(f"{reverse('accounts:two_factor')}?{query}")
    try:
        codes = services.two_factor_backup_codes_regenerate(
            user=user, organisation=getattr(request, "organisation", None), request=request
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("accounts:profile")
    return render(
        request,
        "accounts/two_factor_backup_codes.html",
        {"codes": codes, "next": reverse("accounts:profile")},
    )


# --- API tokens (agents) ---------------------------------------------------------------------


@never_cache
@roles_required()
def api_token_create(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect(f"{reverse('accounts:profile')}#tokens")
    organisation = request_organisation(request)
    user = _current_user(request)
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, key = services.api_token_create(
                user=user,
                organisation=organisation,
                name=form.cleaned_data["name"],
                expires_at=form.expires_at(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return render(request, "accounts/token_created.html", {"token": token, "key": key})
    context = _profile_context(request, user)
    context.update({"form": ProfileForm(instance=user), "token_form": form})
    return render(request, "accounts/profile.html", context, status=400)


@require_POST
@roles_required()
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = access_own_api_token(request, token_id)
    services.api_token_revoke(token=token, actor=_current_user(request), request=request)
    messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect(f"{reverse('accounts:profile')}#tokens")


# --- Back office: agents and roles -----------------------------------------------------------


@roles_required([Role.ADMINISTRATOR])
def agents(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    form = RoleGrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            assignment = services.role_grant(
                organisation=organisation,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                granted_by=_current_user(request),
                origin=request_origin(request),
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("%(email)s is now %(role)s.")
                % {"email": assignment.user.email, "role": assignment.get_role_display()},
            )
            return redirect("accounts_backoffice:agents")
    status = 400 if form.is_bound else 200
    return render(
        request,
        "accounts/backoffice_agents.html",
        {"rows": selectors.organisation_agents(organisation=organisation), "form": form},
        status=status,
    )


@require_POST
@roles_required([Role.ADMINISTRATOR])
def role_revoke(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = access_role_assignment(request, assignment_id)
    try:
        services.role_revoke(
            assignment=assignment, revoked_by=_current_user(request), request=request
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(
            request,
            _("%(email)s no longer has the role %(role)s.")
            % {"email": assignment.user.email, "role": assignment.get_role_display()},
        )
    return redirect("accounts_backoffice:agents")


@require_POST
@roles_required([Role.ADMINISTRATOR])
def two_factor_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    agent = access_agent(request, user_id)
    services.two_factor_reset(
        user=agent,
        organisation=request_organisation(request),
        actor=_current_user(request),
        request=request,
    )
    messages.success(
        request,
        _("Two-factor authentication of %(email)s is reset: they will set it up again.")
        % {"email": agent.email},
    )
    return redirect("accounts_backoffice:agents")


# --- Back office home and audit trail ----------------------------------------------------


@roles_required()
def backoffice(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    return render(
        request,
        "accounts/backoffice.html",
        {
            "tools": visible_tools(user_roles(request.user, organisation)),
            "role_labels": [
                Role(role).label for role in sorted(user_roles(request.user, organisation))
            ],
        },
    )


@roles_required([Role.ADMINISTRATOR])
def audit_log(request: HttpRequest) -> HttpResponse:
    organisation = request_organisation(request)
    events = AuditEvent.objects.filter(organisation=organisation).select_related("actor")
    action = request.GET.get("action", "").strip()
    if action:
        events = events.filter(action__startswith=action)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/audit_log.html", {"page": page, "action": action})
