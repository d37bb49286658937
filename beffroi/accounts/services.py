"""Writes of the accounts app: sign-up, e-mail verification, roles, API tokens, 2FA, GDPR.

Every function takes keyword-only arguments and raises ``ValidationError`` with a translated,
user-facing message when the request cannot be honoured; nothing is written in that case.
"""

from __future__ import annotations

import secrets
import string
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django_otp import verify_token as otp_verify_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from beffroi.accounts import gdpr
from beffroi.accounts.models import AGENT_ROLES, ApiToken, Role, RoleAssignment, User
from beffroi.core.audit import audit_actor_forget, audit_record
from beffroi.core.models import AuditEvent
from beffroi.messaging.email import sender_address

if TYPE_CHECKING:
    from beffroi.territory.models import Organisation

EMAIL_VERIFICATION_MAX_AGE = timedelta(days=3)
_EMAIL_VERIFICATION_SALT = "beffroi.accounts.email-verification"
BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"

# What an e-mail task may send; the links are built inside the task, so no secret ever sits
# in the task queue's table.
EMAIL_KINDS = ("verify", "invite", "password_reset", "signup_attempt")
_TOKEN_ALPHABET = string.ascii_letters + string.digits


class TwoFactorThrottled(Exception):
    """Too many wrong codes in a row: verification is refused for a while (exponential)."""


def _normalize_email(email: str) -> str:
    return User.objects.normalize_email(email.strip()).lower()


def _enqueue_account_email(
    *, kind: str, user: User, origin: str, organisation: Organisation | None = None, role: str = ""
) -> None:
    kwargs: dict[str, Any] = {
        "kind": kind,
        "user_id": user.pk,
        "origin": origin,
        "organisation_id": organisation.pk if organisation is not None else None,
        "role": role,
    }
    # After commit: a worker on another backend must find the user row; a rolled-back
    # sign-up must send nothing.
    transaction.on_commit(lambda: send_account_email.enqueue(**kwargs))


# --- Sign-up and e-mail verification -------------------------------------------------------


def user_signup(
    *, organisation: Organisation, email: str, full_name: str, password: str, origin: str
) -> User | None:
    """Create a resident of ``organisation`` who accepted the privacy notice, and send the
    verification e-mail. ``password`` must already have passed the password validators.

    When the address already has an account, nothing is created and None is returned: the
    owner is told by e-mail that someone tried to sign up with it (with links to log in and
    to reset the password). The caller answers exactly as for a new account, so the form
    cannot be used to learn who has an account here.
    """
    email = _normalize_email(email)
    try:
        with transaction.atomic():
            existing = User.objects.filter(email__iexact=email).first()
            if existing is not None:
                if existing.is_active:
                    _enqueue_account_email(
                        kind="signup_attempt",
                        user=existing,
                        origin=origin,
                        organisation=organisation,
                    )
                return None
            user = User.objects.create_user(
                email=email,
                password=password,
                full_name=full_name.strip(),
                privacy_consented_at=timezone.now(),
            )
            RoleAssignment.objects.create(user=user, organisation=organisation, role=Role.RESIDENT)
            _enqueue_account_email(
                kind="verify", user=user, origin=origin, organisation=organisation
            )
    except IntegrityError:
        # Two sign-ups with the same address raced: the loser is answered like the winner;
        # the owner already gets the verification e-mail.
        return None
    return user


def email_verification_token(*, user: User) -> str:
    """A signed, timestamped token naming the user and the address it proves."""
    signer = signing.TimestampSigner(salt=_EMAIL_VERIFICATION_SALT)
    return signer.sign_object({"u": user.pk, "e": user.email})


def email_verification_send(
    *, user: User, origin: str, organisation: Organisation | None = None
) -> None:
    if user.email_verified_at is not None:
        raise ValidationError(_("Your e-mail address is already verified."), code="verified")
    _enqueue_account_email(kind="verify", user=user, origin=origin, organisation=organisation)


def email_verify(*, token: str) -> User:
    """Mark the address named by ``token`` verified. Expired, forged, or stale tokens (the
    address changed since) are refused."""
    signer = signing.TimestampSigner(salt=_EMAIL_VERIFICATION_SALT)
    try:
        payload = signer.unsign_object(token, max_age=EMAIL_VERIFICATION_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ValidationError(
            _("This verification link has expired. Ask for a new one from your account page."),
            code="expired",
        ) from exc
    except signing.BadSignature as exc:
        raise ValidationError(_("This verification link is not valid."), code="invalid") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        raise ValidationError(_("This verification link is not valid."), code="invalid")
    with transaction.atomic():
        user = (
            User.objects.select_for_update()
            .filter(pk=int(payload["u"]), email=str(payload.get("e")), is_active=True)
            .first()
        )
        if user is None:
            raise ValidationError(_("This verification link is not valid."), code="invalid")
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
    return user


def email_mark_verified(*, user: User) -> None:
    """Record that the person opened a link sent to their address (e.g. a password reset)."""
    if user.email_verified_at is None:
        User.objects.filter(pk=user.pk, email_verified_at__isnull=True).update(
            email_verified_at=timezone.now()
        )
        user.email_verified_at = timezone.now()


def password_reset_request(
    *, users: list[User], origin: str, organisation: Organisation | None = None
) -> None:
    """Send a password-reset link to each of ``users`` (already filtered to active accounts),
    from ``organisation``'s name (the site the request came through) when given."""
    for user in users:
        _enqueue_account_email(
            kind="password_reset", user=user, origin=origin, organisation=organisation
        )


def account_email_send(
    *, kind: str, user_id: int, origin: str, organisation_id: int | None = None, role: str = ""
) -> bool:
    """Render and send one account e-mail in the user's language. Returns False when there
    is nothing to send any more (account erased or deactivated since the request)."""
    from beffroi.territory.models import Organisation

    if kind not in EMAIL_KINDS:
        raise ValueError(f"Unknown account e-mail kind {kind!r}.")
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    organisation = (
        Organisation.objects.filter(pk=organisation_id).first() if organisation_id else None
    )
    if kind == "verify":
        if user.email_verified_at is not None:
            return False
        path = reverse("accounts:verify_email", args=[email_verification_token(user=user)])
    elif kind == "signup_attempt":
        path = reverse("accounts:login")
    else:
        path = reverse(
            "accounts:password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
    context = {
        "user": user,
        "link": origin.rstrip("/") + path,
        "organisation": organisation,
        "role_label": Role(role).label if role in Role.values else "",
        "valid_days": EMAIL_VERIFICATION_MAX_AGE.days,
        "reset_valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        "reset_link": origin.rstrip("/") + reverse("accounts:password_reset"),
    }
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"accounts/email/{kind}_subject.txt", context)
        body = render_to_string(f"accounts/email/{kind}_body.txt", context)
    # From the organisation's name when there is one, as its alerts: the reader knows who writes.
    from_email = (
        sender_address(settings.DEFAULT_FROM_EMAIL, organisation.name) if organisation else None
    )
    EmailMessage(
        subject=" ".join(subject.split()), body=body, from_email=from_email, to=[user.email]
    ).send()
    return True


# --- Profile -------------------------------------------------------------------------------


def user_profile_update(*, user: User, full_name: str, language: str, phone: str) -> User:
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(_("This language is not available."), code="language")
    user.full_name = full_name.strip()
    user.language = language
    user.phone = phone
    user.save(update_fields=["full_name", "language", "phone"])
    return user


# --- Roles ---------------------------------------------------------------------------------


def _locked_administrator_ids(organisation: Organisation) -> list[int]:
    """Ids of the organisation's administrator assignments, locked until the transaction ends,
    so that two administrators removing each other at once cannot leave none."""
    return list(
        RoleAssignment.objects.select_for_update()
        .filter(organisation=organisation, role=Role.ADMINISTRATOR)
        .values_list("pk", flat=True)
    )


def role_grant(
    *,
    organisation: Organisation,
    email: str,
    role: str,
    granted_by: User,
    origin: str,
    request: HttpRequest | None = None,
) -> RoleAssignment:
    """Give ``role`` to the person with ``email`` in ``organisation``, creating their account
    (no usable password) when needed; people without a password get a "set your password"
    link by e-mail."""
    if role not in AGENT_ROLES:
        raise ValidationError(_("This role cannot be granted here."), code="role")
    email = _normalize_email(email)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(email__iexact=email).first()
        created = user is None
        if user is None:
            user = User.objects.create_user(email=email, password=None)
        elif not user.is_active or user.erased_at is not None:
            raise ValidationError(_("This account is deactivated."), code="inactive")
        if RoleAssignment.objects.filter(user=user, organisation=organisation, role=role).exists():
            raise ValidationError(
                _("%(email)s already holds this role.") % {"email": email}, code="duplicate"
            )
        assignment = RoleAssignment.objects.create(
            user=user, organisation=organisation, role=role, granted_by=granted_by
        )
        audit_record(
            action="role.grant",
            organisation=organisation,
            actor=granted_by,
            target=user,
            data={"role": role, "user_id": user.pk, "account_created": created},
            request=request,
        )
        if not user.has_usable_password():
            _enqueue_account_email(
                kind="invite", user=user, origin=origin, organisation=organisation, role=role
            )
    return assignment


def role_revoke(
    *, assignment: RoleAssignment, revoked_by: User, request: HttpRequest | None = None
) -> None:
    """Remove a role. The organisation always keeps an administrator, and administrators
    cannot remove their own administrator role (another one must)."""
    with transaction.atomic():
        if assignment.role == Role.ADMINISTRATOR:
            if assignment.user_id == revoked_by.pk:
                raise ValidationError(
                    _(
                        "You cannot remove your own administrator role: ask another "
                        "administrator to do it."
                    ),
                    code="own_admin",
                )
            admin_ids = _locked_administrator_ids(assignment.organisation)
            if len(admin_ids) <= 1:
                raise ValidationError(
                    _("The organisation must keep at least one administrator."),
                    code="last_admin",
                )
        deleted, _rows = RoleAssignment.objects.filter(pk=assignment.pk).delete()
        if not deleted:
            raise ValidationError(_("This role was already removed."), code="gone")
        audit_record(
            action="role.revoke",
            organisation=assignment.organisation,
            actor=revoked_by,
            target=assignment.user,
            data={"role": assignment.role, "user_id": assignment.user_id},
            request=request,
        )


# --- API tokens ----------------------------------------------------------------------------


def api_token_create(
    *,
    user: User,
    organisation: Organisation,
    name: str,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token ``bf_<prefix>_<secret>`` and return it with its row. The clear token
    exists only in the return value: the caller shows it once; only its hash is stored."""
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the token a name."), code="name")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError(_("The expiry date must be in the future."), code="expiry")
    if not RoleAssignment.objects.filter(
        user=user, organisation=organisation, role__in=AGENT_ROLES
    ).exists():
        raise ValidationError(_("Only agents can create API tokens."), code="not_agent")
    prefix = secrets.token_hex(4)
    # Letters and digits only: "_" separates the parts, and the token survives a double-click
    # selection and any shell quoting.
    secret = "".join(secrets.choice(_TOKEN_ALPHABET) for _i in range(40))
    key = f"bf_{prefix}_{secret}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            organisation=organisation,
            name=name,
            prefix=prefix,
            key_hash=ApiToken.hash_key(key),
            expires_at=expires_at,
        )
        audit_record(
            action="api_token.create",
            organisation=organisation,
            actor=user,
            target=token,
            data={"name": name, "prefix": prefix},
        )
    return token, key


def api_token_revoke(*, token: ApiToken, actor: User, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if updated:
            audit_record(
                action="api_token.revoke",
                organisation=token.organisation,
                actor=actor,
                target=token,
                data={"name": token.name, "prefix": token.prefix},
                request=request,
            )
    token.refresh_from_db(fields=["revoked_at"])


# --- Two-factor authentication -------------------------------------------------------------


def two_factor_pending_device(*, user: User) -> TOTPDevice:
    """The unconfirmed TOTP device being set up (created on first call, reused on reloads so
    the QR code stays the same while the person scans it)."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ValidationError(_("Two-factor authentication is already set up."), code="exists")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def _verify_device(user: User, device: Device, code: str) -> bool:
    allowed, _info = device.verify_is_allowed()
    if not allowed:
        raise TwoFactorThrottled
    return otp_verify_token(user, device.persistent_id, code) is not None


def two_factor_confirm(
    *,
    user: User,
    device: TOTPDevice,
    code: str,
    organisation: Organisation | None,
    request: HttpRequest | None = None,
) -> list[str]:
    """Confirm ``device`` with a code from the app, and issue fresh backup codes (returned in
    clear once; only the static device keeps them). Raises ``ValidationError`` on a wrong
    code and ``TwoFactorThrottled`` after too many."""
    code = "".join(code.split())
    if device.user_id != user.pk or device.confirmed:
        raise ValidationError(_("This device cannot be confirmed."), code="device")
    if not _verify_device(user, device, code):
        raise ValidationError(
            _("This code is not valid. Check your phone's clock and try the current code."),
            code="invalid",
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        device.confirmed = True
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        codes = _backup_codes_replace(user)
        audit_record(
            action="two_factor.setup",
            organisation=organisation,
            actor=user,
            target=user,
            data={"device": device.name},
            request=request,
        )
    return codes


def _backup_codes_replace(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    codes: list[str] = []
    while len(codes) < BACKUP_CODE_COUNT:
        candidate = StaticToken.random_token()
        if candidate not in codes:
            codes.append(candidate)
    StaticToken.objects.bulk_create(StaticToken(device=static, token=c) for c in codes)
    return codes


def two_factor_backup_codes_regenerate(
    *, user: User, organisation: Organisation | None, request: HttpRequest | None = None
) -> list[str]:
    """Replace the backup codes (the old ones stop working); the caller shows them once."""
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ValidationError(_("Set up two-factor authentication first."), code="no_device")
    with transaction.atomic():
        codes = _backup_codes_replace(user)
        audit_record(
            action="two_factor.backup_codes",
            organisation=organisation,
            actor=user,
            target=user,
            request=request,
        )
    return codes


def two_factor_verify(*, user: User, code: str) -> Device:
    """The confirmed device that accepts ``code`` (an app code or an unused backup code,
    which is then spent). Raises ``ValidationError`` on a wrong code and
    ``TwoFactorThrottled`` when every device is cooling down after failures."""
    code = "".join(code.split()).lower()
    devices: list[Device] = [
        *TOTPDevice.objects.filter(user=user, confirmed=True),
        *StaticDevice.objects.filter(user=user, confirmed=True),
    ]
    if not devices:
        raise ValidationError(_("Set up two-factor authentication first."), code="no_device")
    throttled = 0
    for device in devices:
        # App codes are digits, backup codes letters: only try the device the code can fit,
        # so a mistyped app code does not also slow down the backup codes.
        if isinstance(device, TOTPDevice) != code.isdigit():
            continue
        try:
            if _verify_device(user, device, code):
                return device
        except TwoFactorThrottled:
            throttled += 1
    if throttled:
        raise TwoFactorThrottled
    raise ValidationError(_("This code is not valid."), code="invalid")


def two_factor_reset(
    *,
    user: User,
    organisation: Organisation,
    actor: User,
    request: HttpRequest | None = None,
) -> None:
    """Remove every second-factor device of ``user`` (lost phone): they set up a new one at
    their next sign-in."""
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).count()
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit_record(
            action="two_factor.reset",
            organisation=organisation,
            actor=actor,
            target=user,
            data={"user_id": user.pk, "devices_removed": removed},
            request=request,
        )


# --- GDPR: export and erasure ----------------------------------------------------------------


def user_export_data(*, user: User) -> dict[str, Any]:
    """Everything Beffroi holds on ``user``, one key per registered exporter."""
    data: dict[str, Any] = {
        "format": "beffroi-personal-data/1",
        "generated_at": timezone.now().isoformat(),
    }
    for name, exporter in gdpr.exporters().items():
        data[name] = exporter(user)
    return data


def export_account(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "language": user.language,
        "phone": user.phone,
        "email_verified_at": user.email_verified_at,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "privacy_consented_at": user.privacy_consented_at,
        "is_active": user.is_active,
    }


def export_roles(user: User) -> list[dict[str, Any]]:
    return [
        {
            "organisation": a.organisation.name,
            "role": a.role,
            "role_label": str(Role(a.role).label),
            "granted_at": a.granted_at,
        }
        for a in user.role_assignments.select_related("organisation")
    ]


def export_two_factor_devices(user: User) -> list[dict[str, Any]]:
    devices: list[dict[str, Any]] = [
        {"type": "totp", "name": d.name, "confirmed": d.confirmed, "created_at": d.created_at}
        for d in TOTPDevice.objects.filter(user=user)
    ]
    devices += [
        {
            "type": "backup_codes",
            "name": d.name,
            "unused_codes": d.token_set.count(),
            "created_at": d.created_at,
        }
        for d in StaticDevice.objects.filter(user=user)
    ]
    return devices


def export_api_tokens(user: User) -> list[dict[str, Any]]:
    return [
        {
            "name": t.name,
            "prefix": t.prefix,
            "organisation": t.organisation.name,
            "created_at": t.created_at,
            "last_used_at": t.last_used_at,
            "expires_at": t.expires_at,
            "revoked_at": t.revoked_at,
        }
        for t in user.api_tokens.select_related("organisation")
    ]


def export_audit_events(user: User) -> list[dict[str, Any]]:
    return [
        {
            "date": e.created_at,
            "organisation": e.organisation.name if e.organisation else None,
            "action": e.action,
            "target_type": e.target_type,
            "target_id": e.target_id,
            "reason": e.reason,
            "data": e.data,
            "ip_address": e.ip_address,
        }
        for e in AuditEvent.objects.filter(actor=user).select_related("organisation")
    ]


def _delete_sessions(user: User) -> None:
    """Delete the user's stored sessions. Other session engines need nothing: an inactive
    user with a changed password hash is logged out on their next request anyway."""
    if settings.SESSION_ENGINE not in {
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
    }:
        return
    from importlib import import_module

    from django.contrib.sessions.models import Session

    stale = [
        s.session_key
        for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if s.get_decoded().get("_auth_user_id") == str(user.pk)
    ]
    # Through the engine's store: cached_db keeps a copy in the cache, which must go too.
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in stale:
        store(session_key=key).delete()
    Session.objects.filter(session_key__in=stale).delete()


def user_erase(
    *, user: User, organisation: Organisation | None, request: HttpRequest | None = None
) -> None:
    """Anonymise ``user`` for good (GDPR art. 17). The row stays so that contributions keep
    an author shown as "Former resident"; roles, devices, tokens and sessions go.

    Refused while the user is the last administrator of an organisation: a commune must
    never lose the ability to manage its own platform.
    """
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if user.erased_at is not None:
            return
        for assignment in RoleAssignment.objects.filter(
            user=user, role=Role.ADMINISTRATOR
        ).select_related("organisation"):
            if len(_locked_administrator_ids(assignment.organisation)) <= 1:
                raise ValidationError(
                    _(
                        "You are the last administrator of %(organisation)s: appoint another "
                        "administrator before erasing your account."
                    )
                    % {"organisation": assignment.organisation.name},
                    code="last_admin",
                )
        for eraser in gdpr.erasers().values():
            eraser(user)
        old_email = user.email
        RoleAssignment.objects.filter(user=user).delete()
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        ApiToken.objects.filter(user=user).delete()
        # Failed-login records name the address; they are no longer needed once the account
        # cannot log in.
        for model in (AccessAttempt, AccessFailureLog, AccessLog):
            model.objects.filter(username=old_email).delete()
        _delete_sessions(user)
        user.email = f"erased-{user.pk}@invalid.invalid"
        user.full_name = ""
        user.phone = ""
        user.set_unusable_password()
        user.is_active = False
        user.is_staff = False
        user.is_superuser = False
        user.email_verified_at = None
        user.privacy_consented_at = None
        user.erased_at = timezone.now()
        user.save()
        user.groups.clear()
        user.user_permissions.clear()
        # The trail keeps what the account did, but no longer its address.
        audit_actor_forget(actor_id=user.pk, identifiers=[old_email])
        # No personal data in the trail: only the row id that contributions point to.
        audit_record(action="account.erase", organisation=organisation, target=user)


# --- Tasks: fetch by id, call the service ------------------------------------------------


@task(queue_name="email")
def send_account_email(
    *, kind: str, user_id: int, origin: str, organisation_id: int | None = None, role: str = ""
) -> bool:
    return account_email_send(
        kind=kind, user_id=user_id, origin=origin, organisation_id=organisation_id, role=role
    )
