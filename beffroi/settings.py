"""Beffroi settings: one module, every value from the environment.

See the README's configuration table for each variable. Helpers in ``beffroi.core.env`` raise
``ImproperlyConfigured`` naming the variable at fault.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.utils.csp import CSP  # type: ignore[import-not-found,unused-ignore]
from django.utils.translation import gettext_lazy as _

from beffroi.core.env import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
    parse_database_url,
    parse_email_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("BEFFROI_DATA_DIR", str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    """A key from the environment, or one generated once and kept in the data directory.

    Generating it at first start means a fresh clone runs without a manual step, while the
    key survives restarts (sessions and password-reset links stay valid).
    """
    key = env_str("SECRET_KEY", "")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", ".localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_htmx",
    "django_tasks_db",
    "django_rq",
    "phonenumber_field",
    "ninja",
    "beffroi.core",
    "beffroi.accounts",
    "beffroi.territory",
    "beffroi.messaging",
    "beffroi.alerts",
    "beffroi.participation",
    "beffroi.volunteering",
    "beffroi.api",
    "beffroi.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "beffroi.territory.middleware.OrganisationMiddleware",
    "beffroi.accounts.middleware.TwoFactorMiddleware",
    # Axes last: it must see the final response of a failed login.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "beffroi.urls"
WSGI_APPLICATION = "beffroi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "beffroi" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["beffroi.core.templatetags.core_formats"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "beffroi.accounts.context_processors.beffroi",
                "beffroi.alerts.public.context_processors.current_alerts",
                "beffroi.participation.notifications.context_processors.participation_header",
            ],
        },
    }
]

DATABASES = {
    "default": parse_database_url(
        "DATABASE_URL",
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'beffroi.sqlite3'}"),
        base_dir=BASE_DIR,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "")

if REDIS_URL:
    CACHES: dict[str, Any] = {
        # Django's Redis cache, with one client per server (beffroi.core.cache).
        "default": {"BACKEND": "beffroi.core.cache.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # A file cache is shared by every process of one machine (web and worker), which the
    # rate limits need; several machines need REDIS_URL.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

# Background work: django.tasks with the database backend by default (no extra service);
# RQ on Redis when a commune runs several worker machines.
TASK_QUEUES = ["default", "alerts", "imports", "email"]
TASKS_BACKEND = env_choice("TASKS_BACKEND", "database", ("database", "rq", "immediate"))
if TASKS_BACKEND == "rq":
    if not REDIS_URL:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("TASKS_BACKEND=rq needs REDIS_URL.")
    TASKS: dict[str, Any] = {
        "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": TASK_QUEUES}
    }
elif TASKS_BACKEND == "immediate":
    TASKS = {
        "default": {
            "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
            "QUEUES": TASK_QUEUES,
        }
    }
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}}
RQ_QUEUES = {name: {"URL": REDIS_URL or "redis://127.0.0.1:6379/0"} for name in TASK_QUEUES}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the account of a session with one fixed statement.
    "beffroi.accounts.backends.AccountBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:home"

# Login throttling: five failures per account and address lock for a quarter of an hour.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env_int("PROXY_COUNT", 0, minimum=0) or None

OTP_TOTP_ISSUER = env_str("OTP_ISSUER", "Beffroi")

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "beffroi" / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "static")))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "/media/"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

EMAIL_URL = env_str("EMAIL_URL", "smtp://localhost:25")
_email = parse_email_url("EMAIL_URL", EMAIL_URL)
# Django 6.1 mailers (the EMAIL_* settings are deprecated).
MAILERS: dict[str, Any] = {"default": {"BACKEND": _email.backend, "OPTIONS": _email.options()}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Beffroi <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Maps: a configurable tile server; the default is Beffroi's own tile view, so maps render
# offline, in tests and in the demo. Production: an OpenStreetMap or IGN Plan tile URL.
TILE_URL = env_str("TILE_URL", "/tiles/{z}/{x}/{y}.png")
TILE_ATTRIBUTION = env_str("TILE_ATTRIBUTION", "Beffroi")
_tile_origin = ""
if TILE_URL.startswith(("http://", "https://")):
    from urllib.parse import urlsplit

    _split = urlsplit(TILE_URL.replace("{s}", "a"))
    _tile_origin = f"{_split.scheme}://{_split.netloc}"
    if "{s}" in TILE_URL:
        _tile_origin = f"{_split.scheme}://*.{_split.netloc.split('.', 1)[1]}"

# Strict CSP: scripts only from our origin or with the request's nonce; no inline styles.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", *([_tile_origin] if _tile_origin else [])],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

HTTPS = env_bool("HTTPS", False)
# Links in messages and feeds (e-mails, SMS, CAP, Atom) leave the request behind: they are
# built from the organisation's primary host with this scheme, and this port when the site is
# not served on the scheme's standard one (the demo on :8000). https unless set otherwise.
PUBLIC_URL_SCHEME = env_choice("PUBLIC_URL_SCHEME", "https", ("https", "http"))
PUBLIC_URL_PORT = env_int("PUBLIC_URL_PORT", 0, minimum=0)
if HTTPS:
    # X-Forwarded-Proto is believed only behind a proxy (PROXY_COUNT), which sets it: without
    # one (the development server, gunicorn exposed directly) any client could send it, and a
    # plain-HTTP request would pass for a secure one and get HSTS and secure cookies.
    if AXES_IPWARE_PROXY_COUNT:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = False
# Sessions in the database, read through the cache (the file cache, or Redis when set): a
# signed-in request reads no session row. Deleting sessions goes through the engine's store.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("UPLOAD_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

# Services are required in CI: a test that cannot reach PostgreSQL or Redis fails.
REQUIRE_SERVICES = env_bool("REQUIRE_SERVICES", False)
# How long the SMTP relay stays down in the dispatch outage test (alerts/tests/dispatch/
# test_outage.py): a few seconds already prove that nothing is lost and that the crisis cell
# sees the outage, so `make test` stays fast; CI runs it again on its own with the 30 s of a
# real relay restart (several rounds of backoff). Under 3 s no retry is sure to meet the
# closed port, and the test would no longer show that messages are retried meanwhile.
TEST_OUTAGE_SECONDS = env_int("TEST_OUTAGE_SECONDS", 3, minimum=3)

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# API: requests per minute per client address (0 disables the limit).
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 300, minimum=0)
# SMS outside alerts (verification codes): each costs the commune money and reaches a
# person, so an anonymous visitor must not be able to make the server send many (0: no limit).
SMS_CODES_PER_NUMBER_PER_HOUR = env_int("SMS_CODES_PER_NUMBER_PER_HOUR", 3, minimum=0)
SMS_CODES_PER_NUMBER_PER_DAY = env_int("SMS_CODES_PER_NUMBER_PER_DAY", 6, minimum=0)
SMS_CODES_PER_CLIENT_PER_HOUR = env_int("SMS_CODES_PER_CLIENT_PER_HOUR", 10, minimum=0)
# SMS parts per organisation and day outside alerts, unless its administrators set another.
SMS_DAILY_BUDGET = env_int("SMS_DAILY_BUDGET", 200, minimum=0)
# Anonymous sign-ups in 10 minutes, from one address or for one organisation, after which the
# form asks the browser for a proof of work (0: never), and its difficulty in bits.
REGISTRATION_CHALLENGE_PER_CLIENT = env_int("REGISTRATION_CHALLENGE_PER_CLIENT", 5, minimum=0)
REGISTRATION_CHALLENGE_PER_ORGANISATION = env_int(
    "REGISTRATION_CHALLENGE_PER_ORGANISATION", 30, minimum=0
)
REGISTRATION_CHALLENGE_BITS = env_int("REGISTRATION_CHALLENGE_BITS", 16, minimum=1)
# Audit events older than this are purged by the daily `audit_purge` task (ten years).
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 3650, minimum=1)
# Unsubscribed residents are erased this many days after they left (an organisation may set
# its own in settings["alerts"]["unsubscribed_retention_days"]), by `purge_unsubscribed`.
UNSUBSCRIBED_RETENTION_DAYS = env_int("UNSUBSCRIBED_RETENTION_DAYS", 90, minimum=1)

# Crisis call-outs of volunteers: they reach people and cost SMS, so each path is limited
# (beffroi/volunteering/callouts/services.py; 0 would refuse every call-out, hence minimum 1).
CALLOUT_ASSOCIATION_MAX_CONTACTS = env_int("CALLOUT_ASSOCIATION_MAX_CONTACTS", 40, minimum=1)
CALLOUT_ASSOCIATION_PER_DAY = env_int("CALLOUT_ASSOCIATION_PER_DAY", 3, minimum=1)
CALLOUT_PER_AUTHOR_PER_HOUR = env_int("CALLOUT_PER_AUTHOR_PER_HOUR", 10, minimum=1)
CALLOUT_PER_DESTINATION_PER_DAY = env_int("CALLOUT_PER_DESTINATION_PER_DAY", 6, minimum=1)
CALLOUT_PER_ORGANISATION_PER_DAY = env_int("CALLOUT_PER_ORGANISATION_PER_DAY", 20_000, minimum=1)
CALLOUT_ANSWERS_PER_NUMBER_PER_HOUR = env_int("CALLOUT_ANSWERS_PER_NUMBER_PER_HOUR", 20, minimum=1)
CALLOUT_ANSWERS_PER_CLIENT_PER_HOUR = env_int("CALLOUT_ANSWERS_PER_CLIENT_PER_HOUR", 60, minimum=1)
CALLOUT_ASSOCIATION_HORIZON_DAYS = env_int("CALLOUT_ASSOCIATION_HORIZON_DAYS", 7, minimum=1)

# Participation: residents' daily digests leave at this local hour, weekly ones on this
# weekday (0 = Monday) at that hour; uploads (images, attachments) up to this size.
PARTICIPATION_DIGEST_HOUR = env_int("PARTICIPATION_DIGEST_HOUR", 8, minimum=0)
PARTICIPATION_DIGEST_WEEKDAY = env_int("PARTICIPATION_DIGEST_WEEKDAY", 0, minimum=0)
PARTICIPATION_UPLOAD_MAX_BYTES = env_int(
    "PARTICIPATION_UPLOAD_MAX_BYTES", 10 * 1024 * 1024, minimum=1024
)

# Second factor: wrong codes slow down exponentially (1 s, 2 s, 4 s…) per device.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# Alert transports -------------------------------------------------------------------------
# (owned by beffroi/messaging; see its transport modules for the URL syntax and error mapping)
# Mass e-mail goes through its own SMTP relay when set (a commune's transactional relay is
# often not the one its staff mail uses); same syntax as EMAIL_URL.
ALERT_EMAIL_URL = env_str("ALERT_EMAIL_URL", EMAIL_URL)
ALERT_EMAIL_FROM = env_str("ALERT_EMAIL_FROM", DEFAULT_FROM_EMAIL)
# Envelope sender (MAIL FROM): where bounces go, read later by the bounce mailbox reader.
ALERT_EMAIL_RETURN_PATH = env_str("ALERT_EMAIL_RETURN_PATH", "")
ALERT_EMAIL_TIMEOUT = env_int("ALERT_EMAIL_TIMEOUT", 30, minimum=1)
# Messages per second to the alerts relay, for the whole installation; 0 disables pacing.
ALERT_EMAIL_MAX_PER_SECOND = env_int("ALERT_EMAIL_MAX_PER_SECOND", 0, minimum=0)
# "smpp" (a contract with an operator/aggregator) or "http_sms" (Brevo-style HTTP API).
SMS_TRANSPORT = env_choice("SMS_TRANSPORT", "smpp", ("smpp", "http_sms"))
# smpp://system_id:password@host:2775?source=MAIRIE&source_ton=5&source_npi=0&window=10
SMPP_URL = env_str("SMPP_URL", "smpp://beffroi:@localhost:2775?source=MAIRIE")
# The contracted submission rate (SMS parts per second) for the whole installation: every
# worker shares it through the database (RateSlot); 0 disables pacing.
SMPP_MAX_PER_SECOND = env_int("SMPP_MAX_PER_SECOND", 50, minimum=0)
SMS_HTTP_URL = env_str("SMS_HTTP_URL", "https://api.brevo.com")
SMS_HTTP_PATH = env_str("SMS_HTTP_PATH", "/v3/transactionalSMS/send")
SMS_HTTP_API_KEY = env_str("SMS_HTTP_API_KEY", "")  # or SMS_HTTP_API_KEY_FILE
SMS_HTTP_SENDER = env_str("SMS_HTTP_SENDER", "MAIRIE")
SMS_HTTP_TIMEOUT = env_int("SMS_HTTP_TIMEOUT", 10, minimum=1)
SMS_HTTP_WEBHOOK_URL = env_str("SMS_HTTP_WEBHOOK_URL", "")
# Requests per second to the HTTP SMS provider, for the whole installation; 0: no pacing.
SMS_HTTP_MAX_PER_SECOND = env_int("SMS_HTTP_MAX_PER_SECOND", 20, minimum=0)
# End of alert transports ------------------------------------------------------------------
# The login form's field is "username" (an e-mail); see beffroi.accounts.lockout.
AXES_USERNAME_CALLABLE = "beffroi.accounts.lockout.axes_username"

# Alert dispatch ---------------------------------------------------------------------------
# (owned by beffroi/alerts/dispatch/services.py)
# Deliveries per send task: one transport connection per channel and task.
DISPATCH_BATCH_SIZE = env_int("DISPATCH_BATCH_SIZE", 500, minimum=1)
# Outcomes are written after every this many messages of a batch: what a killed worker may
# send twice. Smaller costs throughput (more write transactions; 100 cost 25 % and 250 cost
# 6 % of the fan-out rate on SQLite, see BENCHMARKS.md).
DISPATCH_RECORD_EVERY = env_int("DISPATCH_RECORD_EVERY", 250, minimum=1)
# A delivery claimed longer ago than this by a worker that died is sent again.
DISPATCH_CLAIM_TIMEOUT_SECONDS = env_int("DISPATCH_CLAIM_TIMEOUT_SECONDS", 300, minimum=1)
# Temporary errors: retried after 30 s, 2 min, 8 min… (×4, with jitter), then given up.
DISPATCH_MAX_ATTEMPTS = env_int("DISPATCH_MAX_ATTEMPTS", 8, minimum=1)
DISPATCH_RETRY_BASE_SECONDS = env_int("DISPATCH_RETRY_BASE_SECONDS", 30, minimum=1)
DISPATCH_RETRY_MAX_SECONDS = env_int("DISPATCH_RETRY_MAX_SECONDS", 3600, minimum=1)
# How often `beffroi dispatch_worker` re-queues stale claims and overdue retries.
DISPATCH_SWEEP_SECONDS = env_int("DISPATCH_SWEEP_SECONDS", 30, minimum=1)
# A worker writes its heartbeat this often; a worker on another machine that has not for
# WORKER_HEARTBEAT_TIMEOUT_SECONDS is gone, and its claims are sent again at once (on the
# same machine a worker whose process is gone is known at once, without waiting).
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 10, minimum=1)
WORKER_HEARTBEAT_TIMEOUT_SECONDS = env_int("WORKER_HEARTBEAT_TIMEOUT_SECONDS", 60, minimum=2)
# Secret in the URL of the HTTP SMS provider's delivery webhook (empty: webhook disabled).
SMS_HTTP_WEBHOOK_TOKEN = env_str("SMS_HTTP_WEBHOOK_TOKEN", "")
# End of alert dispatch --------------------------------------------------------------------

# Alert composer ---------------------------------------------------------------------------
# (owned by beffroi/alerts/composer/services.py)
# Price of one SMS part in euros, to show authors the cost of an alert before they send it
# (a French aggregator's rate is a few cents; set the commune's contracted rate).
SMS_UNIT_PRICE_EUR = float(env_str("SMS_UNIT_PRICE_EUR", "0.045"))

# (owned by beffroi/demo/)
# The demo's own loopback SMTP server and SMSC: `beffroi serve` starts them and points every
# transport at them, so a tester sees each e-mail and SMS in the back office's outbox and
# nothing ever leaves the machine. Off by default: a real installation must reach residents.
DEMO_GATEWAYS = env_bool("DEMO_GATEWAYS", False)
