"""Settings for the helpdesk portal.

Everything comes from the environment (django-environ). With nothing set you get a
developer's setup: SQLite under ``var/``, a filesystem Celery broker, mail written to
``var/mail/``. Production sets ``DEBUG=false`` and the variables listed in the README.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONCE
from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _

from helpdesk.storage_url import storages_from_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# The development key is public (it is in this file): with DEBUG off, a missing, short or
# built-in key is the error accounts.E001 of `check --deploy` (accounts/checks.py).
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-set-SECRET_KEY-in-production-0123456789abcdef"
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
# Optional: serve uploaded files from a separate origin (portal.user_content), e.g.
# https://files.helpdesk.example, by signed addresses valid USER_CONTENT_MAX_AGE seconds.
USER_CONTENT_URL = env.str("USER_CONTENT_URL", default="").rstrip("/")
USER_CONTENT_MAX_AGE = env.int("USER_CONTENT_MAX_AGE", default=300)
if USER_CONTENT_URL:
    ALLOWED_HOSTS.append(urlsplit(USER_CONTENT_URL).hostname)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://localhost:8000")

INSTALLED_APPS = [
    # django-unfold's skin (templates, widgets) before the admin it restyles; its basic
    # config, which leaves the admin site ours (helpdesk.admin.HelpdeskAdminSite).
    "unfold.apps.BasicAppConfig",
    "helpdesk.admin.HelpdeskAdminConfig",  # django.contrib.admin, with our site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_fsm",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "anymail",
    "django_prometheus",
    "core",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "tickets",
    "sla",
    "notifications",
    "webhooks",
    "mailin",
    "billing",
    "reports",
    "moderation",
    "portal",
    "api",
]

MIDDLEWARE = [
    # /health/live answers here, before anything else looks at the request.
    "helpdesk.health.LiveMiddleware",
    # The request id (X-Request-ID in and out), the user and the ticket on every log line.
    "helpdesk.request_context.RequestContextMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "portal.user_content.UserContentHostMiddleware",
    "accounts.security.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A session that logged in with a password only reaches the second-factor pages
    # (django-otp's devices; the session notes the verification, see accounts.two_factor).
    "accounts.two_factor.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes requires: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "helpdesk.context_processors.support_line",
                "helpdesk.context_processors.urgent_banner",
            ],
        },
    },
]

# Django's own widget templates render through their Jinja2 twins (core/form_renderer.py).
FORM_RENDERER = "core.form_renderer.FormRenderer"

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'helpdesk.sqlite3'}")
}
# The same backends, counted by django-prometheus (queries, errors, connections).
_PROMETHEUS_ENGINES = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}
DATABASES["default"]["ENGINE"] = _PROMETHEUS_ENGINES.get(
    DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"]
)
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A worker keeps its connection for a minute instead of opening one per request (half
# the cost of a small page); the health check replaces one the database dropped.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
# Behind PgBouncer in transaction pooling mode a server-side cursor (QuerySet.iterator())
# would outlive its transaction's server connection: turn them off there.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
    "DATABASE_TRANSACTION_POOLING", default=False
)
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # One test database per test run, so that runs started side by side never drop each
    # other's database (pytest-xdist adds its own _gwN suffix on top).
    DATABASES["default"]["TEST"] = {
        "NAME": env.str("TEST_DATABASE_NAME", default="")
        or f"test_{DATABASES['default']['NAME']}_{os.getpid()}"
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.EmailBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "login"
# Two-factor login (django-otp: TOTP, with single-use recovery codes). Contractor staff
# must use it when this is on (production; the demo turns it off with DEBUG); anyone may
# turn it on for themselves.
TWO_FACTOR_REQUIRED_FOR_STAFF = env.bool("TWO_FACTOR_REQUIRED_FOR_STAFF", default=not DEBUG)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Helpdesk")
TWO_FACTOR_RECOVERY_CODES = 10
# Passkeys (django-otp-webauthn) are a second factor too, never a login without the
# password. Their scope is SITE_URL's host, its origin the only one accepted
# (django-otp-webauthn checks both); changing SITE_URL's host makes them unusable.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_ID = urlsplit(SITE_URL).hostname or "localhost"
OTP_WEBAUTHN_RP_NAME = OTP_TOTP_ISSUER
OTP_WEBAUTHN_ALLOWED_ORIGINS = [f"{urlsplit(SITE_URL).scheme}://{urlsplit(SITE_URL).netloc}"]

# Lockout after repeated failures (django-axes).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
# An account is locked after repeated failures from anywhere (an attacker who changes
# address gains nothing); an address is locked only when it fails on many accounts
# (password spraying), never for one account's failures (behind a proxy or a company's
# NAT that would lock everybody). accounts.security.axes_lockout_parameters decides.
# The username is the lower-cased e-mail (accounts.backends.axes_username).
AXES_LOCKOUT_PARAMETERS = "accounts.security.axes_lockout_parameters"
AXES_IP_ACCOUNTS_LIMIT = env.int("AXES_IP_ACCOUNTS_LIMIT", default=10)
AXES_USERNAME_CALLABLE = "accounts.backends.axes_username"
# The client's address: X-Forwarded-For counts only on a request that came from one of
# TRUSTED_PROXIES (addresses or networks, e.g. the compose nginx's network).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
AXES_CLIENT_IP_CALLABLE = "accounts.security.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One way of writing dates per language: "1 Dec 2026, 14:24", "1 дек. 2026, 14:24".
FORMAT_MODULE_PATH = ["helpdesk.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# No MEDIA_URL on purpose: attachments are served only by the permission-checked view.
# STORAGE_URL (s3://…): attachments and raw inbound mail on S3-compatible object storage
# (django-storages), so that every web node and worker reads the same files; the
# permission-checked view still streams them. Empty: local files under MEDIA_ROOT.
_object_storage = storages_from_url(env.str("STORAGE_URL", default=""))
STORAGES = {
    "default": _object_storage or {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Attachments
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_MB", default=10) * 1024 * 1024
ATTACHMENT_MAX_FILES = env.int("ATTACHMENT_MAX_FILES", default=10)
# Files of a form shown again (an error, a confirmation) are kept this long (portal.pending).
PENDING_UPLOAD_HOURS = env.int("PENDING_UPLOAD_HOURS", default=24)
# Who else is on a staff ticket page: the page polls this often (seconds); a presence
# not renewed for PRESENCE_TTL_SECONDS is gone.
PRESENCE_POLL_SECONDS = env.int("PRESENCE_POLL_SECONDS", default=12)
PRESENCE_TTL_SECONDS = env.int("PRESENCE_TTL_SECONDS", default=30)
# Every staff page redraws the Urgent banner (and the dashboard its counts) this often.
STAFF_LIVE_POLL_SECONDS = env.int("STAFF_LIVE_POLL_SECONDS", default=30)
# An image with more pixels than this is refused (a decompression bomb); previews are
# thumbnails re-encoded from images within it.
ATTACHMENT_IMAGE_MAX_MEGAPIXELS = env.float("ATTACHMENT_IMAGE_MAX_MEGAPIXELS", default=40.0)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Ticketing rules
REOPEN_WINDOW_DAYS = env.int("REOPEN_WINDOW_DAYS", default=10)
AUTO_CLOSE_BUSINESS_DAYS = env.int("AUTO_CLOSE_BUSINESS_DAYS", default=5)
ACCOUNT_INVITATION_DAYS = env.int("ACCOUNT_INVITATION_DAYS", default=7)
# Satisfaction: how long the rating links of a mail work, and the score at or below
# which the assignee and the managers are alerted.
SATISFACTION_LINK_DAYS = env.int("SATISFACTION_LINK_DAYS", default=30)
SATISFACTION_ALERT_SCORE = env.int("SATISFACTION_ALERT_SCORE", default=2)
# The usual length of an update installation, in hours: its agreed window must hold it.
UPDATE_ESTIMATE_HOURS = tuple(
    env.list("UPDATE_ESTIMATE_HOURS", cast=float, default=[1, 3])[:2]
)
TICKET_NUMBER_PREFIX = env.str("TICKET_NUMBER_PREFIX", default="HD")
SUPPORT_PHONE = env.str("SUPPORT_PHONE", default="+1 (256) 474-85-86")
SUPPORT_PHONE_EXT = env.str("SUPPORT_PHONE_EXT", default="200")
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", default="support@helpdesk.localhost")
PORTAL_PAGE_SIZE = 25

# Business calendar and SLA (read by sla.calendar.calendar_from_settings)
SLA_CALENDAR_TIME_ZONE = env.str("SLA_TIME_ZONE", default="Europe/Moscow")
SLA_CALENDAR_COUNTRY = env.str("SLA_HOLIDAY_COUNTRY", default="RU")
SLA_CALENDAR_WEEKLY_HOURS = {
    weekday: (
        env.str("SLA_WORKDAY_START", default="10:00"),
        env.str("SLA_WORKDAY_END", default="19:00"),
    )
    for weekday in env.list("SLA_WORKDAYS", cast=int, default=[0, 1, 2, 3, 4])  # Monday = 0
}
SLA_AT_RISK_SHARE = env.float("SLA_AT_RISK_SHARE", default=0.75)

# Mail: EMAIL_URL (smtp://user:pass@host:port) or EMAIL_BACKEND (e.g. an anymail
# backend, with its keys as ANYMAIL_<SETTING>); neither set: one .eml file per message
# in var/mail/ (a mail client opens them).
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Helpdesk <support@helpdesk.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env.str(
        "EMAIL_BACKEND", default="notifications.file_backend.EmailBackend"
    )
    EMAIL_FILE_PATH = VAR_DIR / "mail"
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in env.ENVIRON.items()
    if key.startswith("ANYMAIL_")
}

# Celery: Redis when REDIS_URL is set, else the filesystem broker under var/celery.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    # The host is a formality of the URL (the transport has none), but kombu warns
    # "No hostname was supplied" at every connection without one.
    CELERY_BROKER_URL = "filesystem://localhost/"
    _broker_dir = VAR_DIR / "celery"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "sla-sweep": {"task": "tickets.tasks.sla_sweep", "schedule": 60.0},
    "auto-close": {"task": "tickets.tasks.auto_close_sweep", "schedule": 15 * 60.0},
    # The forms' submit tokens and the API's idempotency keys, each past its lifetime.
    "submit-tokens": {
        "task": "core.tasks.forget_submit_tokens",
        "schedule": 3600.0,
        "options": {"expires": 3500},
    },
    "pending-uploads": {"task": "portal.tasks.forget_pending_uploads", "schedule": 3600.0},
}

# Sessions in the database, so that any web node serves any session (and Redis, the
# cache, may restart empty without logging anybody out).
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Security: secure by default, relaxed only with DEBUG on (local development).
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp) on every page: our own static files only, no
# inline script (a template that needs one uses {{ request.csp_nonce }}), no framing.
# The staff admin adds inline styles only (accounts.security.ADMIN_CSP_UPDATE).
# CSP_REPORT_ONLY sends the same policy as Content-Security-Policy-Report-Only.
_csp = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", *([USER_CONTENT_URL] if USER_CONTENT_URL else [])],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if env.str("CSP_REPORT_URI", default=""):
    _csp["DIRECTIVES"]["report-uri"] = env.str("CSP_REPORT_URI")
if env.bool("CSP_REPORT_ONLY", default=False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _csp
    CONTENT_SECURITY_POLICY = None
else:
    CONTENT_SECURITY_POLICY = _csp

# The staff admin's skin (django-unfold): the helpdesk's name, the portal's blue
# (static/css/portal.css --accent is primary 600), the sidebar of helpdesk.admin.
UNFOLD = {
    "SITE_TITLE": _("Helpdesk staff"),
    "SITE_HEADER": _("Helpdesk · support staff"),
    "SITE_SUBHEADER": _("Triage and administration"),
    "SITE_URL": "/",
    # An image with a text alternative ("Home"): unfold's default symbol is a ligature
    # that a screen reader would read out as "settings".
    "SITE_ICON": lambda request: static("img/helpdesk-icon.svg"),
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "SHOW_LANGUAGES": True,
    "COLORS": {
        "primary": {
            "50": "#eef4fc",
            "100": "#d9e6f8",
            "200": "#b7cff1",
            "300": "#8aafe6",
            "400": "#5b8cd9",
            "500": "#3873cc",
            "600": "#1f5fbf",
            "700": "#1a4f9f",
            "800": "#173f7d",
            "900": "#14335f",
            "950": "#0d213e",
        },
    },
    "SIDEBAR": {
        "show_search": False,
        "show_all_applications": False,
        "navigation": "helpdesk.admin.sidebar_navigation",
    },
}

# Password-reset mail is throttled per address and per client address, with counters in
# the database (accounts.throttle): they must hold while Redis, the cache, is down.
PASSWORD_RESET_PER_ADDRESS_HOURLY = env.int("PASSWORD_RESET_PER_ADDRESS_HOURLY", default=3)
PASSWORD_RESET_PER_IP_HOURLY = env.int("PASSWORD_RESET_PER_IP_HOURLY", default=20)

# Logs go to the console: one JSON object per line in production (python-json-logger),
# readable lines with DEBUG on (the demo). Every line carries the request id, user id,
# ticket number and Celery task id where there is one (core.logcontext).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "core.logcontext.PlainFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# --- inbound mail ---
# Mail to the support address: anymail's inbound webhook (Mailgun, at /mail/in/) and
# `manage.py fetch_mail` (files, mbox, IMAP). The webhook stays closed until
# ANYMAIL_WEBHOOK_SECRET is set; Mailgun's signature needs ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY.
INBOUND_MAX_BYTES = env.int("INBOUND_MAX_BYTES", default=25 * 1024 * 1024)
INBOUND_OWN_ADDRESSES = env.list("INBOUND_OWN_ADDRESSES", default=[])
# The authserv-id your MX (or provider) stamps on Authentication-Results: when set, mail
# whose DMARC check failed there is held for review instead of acted on.
INBOUND_AUTHSERV_ID = env.str("INBOUND_AUTHSERV_ID", default="")
INBOUND_IMAP_HOST = env.str("INBOUND_IMAP_HOST", default="")
INBOUND_IMAP_PORT = env.int("INBOUND_IMAP_PORT", default=993)
INBOUND_IMAP_USER = env.str("INBOUND_IMAP_USER", default="")
INBOUND_IMAP_PASSWORD = env.str("INBOUND_IMAP_PASSWORD", default="")
INBOUND_IMAP_MAILBOX = env.str("INBOUND_IMAP_MAILBOX", default="INBOX")
INBOUND_IMAP_DONE_MAILBOX = env.str("INBOUND_IMAP_DONE_MAILBOX", default="")
INBOUND_LOCK_FILE = VAR_DIR / "fetch_mail.lock"  # used when the database is not PostgreSQL
# --- end inbound mail ---

# --- notifications (outbound) ---
# Who is mailed, the outbox relay, retries and storm caps (notifications/services.py).
TRIAGE_EMAILS = env.list("TRIAGE_EMAILS", default=[])  # empty: the managers
TRIAGE_ALL_AGENTS = env.bool("TRIAGE_ALL_AGENTS", default=False)  # instead: every agent
NOTIFY_REPRESENTATIVES = env.bool("NOTIFY_REPRESENTATIVES", default=True)
MAIL_DEFAULT_LANGUAGE = env.str("MAIL_DEFAULT_LANGUAGE", default=LANGUAGE_CODE)
MAIL_MESSAGE_ID_DOMAIN = env.str(
    "MAIL_MESSAGE_ID_DOMAIN", default=SUPPORT_EMAIL.rpartition("@")[2] or "helpdesk.localhost"
)
# Transient failures are retried with backoff for this long after the mail was written.
MAIL_RETRY_LIFETIME_HOURS = env.float("MAIL_RETRY_LIFETIME_HOURS", default=48.0)
MAIL_RETRY_BASE_SECONDS = env.float("MAIL_RETRY_BASE_SECONDS", default=30.0)
MAIL_RETRY_MAX_SECONDS = env.float("MAIL_RETRY_MAX_SECONDS", default=1800.0)
MAIL_SENDING_TIMEOUT_SECONDS = env.int("MAIL_SENDING_TIMEOUT_SECONDS", default=300)
MAIL_RELAY_GRACE_SECONDS = env.int("MAIL_RELAY_GRACE_SECONDS", default=60)
MAIL_RELAY_BATCH = env.int("MAIL_RELAY_BATCH", default=500)
MAIL_CAP_PER_TICKET = env.int("MAIL_CAP_PER_TICKET", default=10)  # per ticket and address
MAIL_CAP_PER_ADDRESS = env.int("MAIL_CAP_PER_ADDRESS", default=30)
MAIL_CAP_WINDOW_MINUTES = env.int("MAIL_CAP_WINDOW_MINUTES", default=10)
MAIL_CELERY_QUEUE = env.str("MAIL_CELERY_QUEUE", default="mail")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)  # SMTP socket timeout, seconds
# Publishing must not hang a web request while Redis is down: fail fast, the relay sends.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **globals().get("CELERY_BROKER_TRANSPORT_OPTIONS", {}),
        "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
        "max_retries": 0,  # publishing: one try, no reconnect loop
    }
CELERY_BEAT_SCHEDULE["mail-relay"] = {
    "task": "notifications.tasks.relay_notifications",
    "schedule": 60.0,
    "options": {"expires": 55},  # its queue: CELERY_TASK_ROUTES
}
CELERY_BEAT_SCHEDULE["mail-digests"] = {
    "task": "notifications.tasks.send_digests",
    "schedule": 60.0,
    "options": {"expires": 55},  # its queue: CELERY_TASK_ROUTES
}
CELERY_BEAT_SCHEDULE["mail-failures"] = {
    "task": "accounts.tasks.report_mail_failures",
    "schedule": 300.0,
    "options": {"expires": 290},
}
# Representatives hear of colleagues' tickets in one digest a day, at this hour (TIME_ZONE).
REPRESENTATIVE_DIGEST_HOUR = env.int("REPRESENTATIVE_DIGEST_HOUR", default=9)
CELERY_BEAT_SCHEDULE["representative-digests"] = {
    "task": "notifications.tasks.send_daily_digests",
    "schedule": crontab(hour=REPRESENTATIVE_DIGEST_HOUR, minute=0),
}
# --- end notifications (outbound) ---

# --- webhooks (outbound, webhooks.delivery) ---
# Private, loopback, link-local and multicast targets are refused unless this is true.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=False)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)  # connect, read
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)  # of one delivery
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=30)
WEBHOOK_RETRY_MAX_SECONDS = env.int("WEBHOOK_RETRY_MAX_SECONDS", default=3600)
# An endpoint whose attempts fail this many times in a row is disabled; its owner is mailed.
WEBHOOK_DISABLE_AFTER_FAILURES = env.int("WEBHOOK_DISABLE_AFTER_FAILURES", default=10)
WEBHOOK_SENDING_TIMEOUT_SECONDS = env.int("WEBHOOK_SENDING_TIMEOUT_SECONDS", default=120)
CELERY_BEAT_SCHEDULE["webhook-relay"] = {
    "task": "webhooks.tasks.relay_webhooks",
    "schedule": 60.0,
    "options": {"expires": 55},  # its queue: CELERY_TASK_ROUTES
}
# --- end webhooks ---

# --- billing ---
# Hourly, and acts only on the first business day of a month (in the calendar's time
# zone), once: last month's statements (billing.statements.monthly_statements_run).
CELERY_BEAT_SCHEDULE["monthly-statements"] = {
    "task": "billing.tasks.monthly_statements",
    "schedule": 3600.0,
    "options": {"expires": 3500},
}
# --- end billing ---

# --- operations: health, queues ---
# Readiness (/health/ready, helpdesk/health.py): details for staff or this bearer token.
HEALTH_TOKEN = env.str("HEALTH_TOKEN", default="")
HEALTH_REDIS_TIMEOUT_SECONDS = env.float("HEALTH_REDIS_TIMEOUT_SECONDS", default=1.0)
HEALTH_WORKER_MAX_AGE_SECONDS = env.int("HEALTH_WORKER_MAX_AGE_SECONDS", default=120)
HEALTH_WORKER_QUEUES = env.list("HEALTH_WORKER_QUEUES", default=[])  # empty: every queue
HEALTH_OUTBOX_MAX_AGE_SECONDS = env.int("HEALTH_OUTBOX_MAX_AGE_SECONDS", default=600)
HEALTH_OUTBOX_MAX_PENDING = env.int("HEALTH_OUTBOX_MAX_PENDING", default=5000)
HEALTH_INBOUND_REVIEW_MAX = env.int("HEALTH_INBOUND_REVIEW_MAX", default=50)
HEALTH_SLA_SWEEP_MAX_AGE_SECONDS = env.int("HEALTH_SLA_SWEEP_MAX_AGE_SECONDS", default=300)
# Probes come over plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]

# Queues per kind of work, so that a recalculation never waits in front of an Urgent
# alert: mail (the outbox), sweeps (the minute rules), heavy (recalculations, statements,
# anything unrouted). A worker consumes some of them: `celery worker -Q mail`.
CELERY_SWEEPS_QUEUE = env.str("CELERY_SWEEPS_QUEUE", default="sweeps")
CELERY_HEAVY_QUEUE = env.str("CELERY_HEAVY_QUEUE", default="heavy")
CELERY_TASK_DEFAULT_QUEUE = CELERY_HEAVY_QUEUE
CELERY_QUEUES_ALL = {MAIL_CELERY_QUEUE, CELERY_SWEEPS_QUEUE, CELERY_HEAVY_QUEUE}
CELERY_TASK_ROUTES = {
    "notifications.tasks.*": {"queue": MAIL_CELERY_QUEUE},
    "webhooks.tasks.*": {"queue": MAIL_CELERY_QUEUE},
    "accounts.tasks.report_mail_failures": {"queue": MAIL_CELERY_QUEUE},
    "tickets.tasks.sla_sweep": {"queue": CELERY_SWEEPS_QUEUE},
    "tickets.tasks.auto_close_sweep": {"queue": CELERY_SWEEPS_QUEUE},
    "core.tasks.forget_submit_tokens": {"queue": CELERY_SWEEPS_QUEUE},
    "portal.tasks.forget_pending_uploads": {"queue": CELERY_SWEEPS_QUEUE},
    "tickets.tasks.sla_recalculations_run": {"queue": CELERY_HEAVY_QUEUE},
    "billing.tasks.*": {"queue": CELERY_HEAVY_QUEUE},
}
# A task past its soft limit gets SoftTimeLimitExceeded (it can clean up), past the hard
# one its process is killed; acks_late (above) puts the message back for another try.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_TASK_ANNOTATIONS = {  # heavy work may take longer; it never blocks mail or sweeps
    name: {"soft_time_limit": 3600, "time_limit": 3660}
    for name in ("tickets.tasks.sla_recalculations_run", "billing.tasks.monthly_statements")
}
# Each worker writes a heartbeat row (core.models.Heartbeat) this often; /health/ready
# reads it.
WORKER_HEARTBEAT_SECONDS = env.int("WORKER_HEARTBEAT_SECONDS", default=30)
# A worker that died without removing its row: the SLA sweep forgets the row this late.
WORKER_HEARTBEAT_KEEP_HOURS = env.float("WORKER_HEARTBEAT_KEEP_HOURS", default=24)
# Beat runs the schedule only while it holds the database lease "celery-beat"
# (helpdesk.celery.LeasedScheduler): a second beat waits, quiet, to take over.
CELERY_BEAT_SCHEDULER = "helpdesk.celery:LeasedScheduler"
BEAT_LEASE_SECONDS = env.int("BEAT_LEASE_SECONDS", default=90)

# /metrics (helpdesk/metrics.py): a bearer token, or a peer address in these networks.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list(
    "METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"]
)
METRICS_CACHE_SECONDS = env.int("METRICS_CACHE_SECONDS", default=30)
PROMETHEUS_EXPORT_MIGRATIONS = False  # readiness checks migrations

# Errors to Sentry (helpdesk/sentry.py), personal data scrubbed.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from helpdesk.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
# --- end operations ---
# --- REST API ---
# /api/v1/ (the api app): personal tokens or the session, problem+json errors, OpenAPI at
# /api/v1/schema/ and Swagger UI from our own static files at /api/docs/.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "api.permissions.TokenScopeAllows",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.PerCallerThrottle",
        "api.throttling.PerAddressThrottle",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Requests per token (or signed-in person), and per client address, in the cache (Redis);
# with the cache down the limits are skipped and the failure logged.
API_THROTTLE_RATES = {
    "caller": env.str("API_RATE_PER_TOKEN", default="120/min"),
    "address": env.str("API_RATE_PER_IP", default="300/min"),
}
# How long an Idempotency-Key and its first answer are kept (core.submit; a form's
# one-time token is kept a day).
API_IDEMPOTENCY_HOURS = env.int("API_IDEMPOTENCY_HOURS", default=24)
SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk API",
    "DESCRIPTION": (
        "Tickets, their conversation and their SLA, on the same rules as the portal. "
        "Errors are application/problem+json (RFC 9457) with a stable `code`."
    ),
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "tickets.models.Status",
        "AccountRequestStatusEnum": "accounts.models.AccountRequestStatus",
        "StatementStatusEnum": "billing.models.StatementStatus",
        # Out-of-hours requests and each side's decision share one set of choices.
        "DecisionEnum": "billing.models.Decision",
        "WebhookEventEnum": "webhooks.models.WebhookEvent",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_problems",
    ],
}
# --- end REST API ---
