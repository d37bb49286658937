"""Users (e-mail login), roles scoped to an organisation, and API tokens."""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    ASSOCIATION_MANAGER = "association_manager", _("Association manager")
    MODERATOR = "moderator", _("Moderator")
    PARTICIPATION_MANAGER = "participation_manager", _("Participation manager")
    ALERT_AUTHOR = "alert_author", _("Alert author")
    ALERT_APPROVER = "alert_approver", _("Alert approver")
    SOCIAL_AGENT = "social_agent", _("Social agent (CCAS)")
    FRONT_DESK = "front_desk", _("Front-desk agent")
    ADMINISTRATOR = "administrator", _("Administrator")


AGENT_ROLES: frozenset[str] = frozenset(
    {
        Role.MODERATOR,
        Role.PARTICIPATION_MANAGER,
        Role.ALERT_AUTHOR,
        Role.ALERT_APPROVER,
        Role.SOCIAL_AGENT,
        Role.FRONT_DESK,
        Role.ADMINISTRATOR,
    }
)
# Power to alert the population or to read the vulnerable persons registry: these roles
# must prove a second factor before the back office opens.
TWO_FACTOR_ROLES: frozenset[str] = frozenset(
    {Role.ADMINISTRATOR, Role.ALERT_APPROVER, Role.SOCIAL_AGENT}
)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=5, choices=[("fr", "Français"), ("en", "English")], default="fr"
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email_verified_at = models.DateTimeField(_("e-mail verified at"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Installation operators (Django admin across organisations); commune administrators
    # are a role, not this flag.
    is_staff = models.BooleanField(_("staff status"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Set when the account was erased at its owner's request (GDPR art. 17); the row stays
    # so that contributions keep an anonymous author.
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)
    # Proof of the consent given to the privacy notice at sign-up (GDPR art. 7(1)); empty for
    # agents invited by an administrator, whose processing rests on their employment.
    privacy_consented_at = models.DateTimeField(
        _("privacy notice accepted at"), null=True, blank=True
    )

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.erased_at:
            return str(_("Former resident"))
        return self.full_name or self.email.split("@", 1)[0]


class RoleAssignment(models.Model):
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("user")
    )
    organisation = models.ForeignKey(
        "territory.Organisation",
        on_delete=models.CASCADE,
        related_name="role_assignments",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("role"), max_length=40, choices=Role.choices)
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    granted_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted by"),
    )

    class Meta:
        ordering = ["organisation", "role"]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="role_assignment_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} ({self.organisation})"


class ApiToken(models.Model):
    """A bearer token for an agent's scripts. Only its SHA-256 is stored."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    organisation = models.ForeignKey(
        "territory.Organisation",
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8")).hexdigest()
