"""One settings module for every environment, driven by environment variables.

Demo/development defaults are safe on a laptop; with ``OEGD_MODE=production`` the
process refuses to start while a secret is missing or still has its demo value.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent  # the repository root
SRC_DIR = BASE_DIR / "src"


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


MODE = env("OEGD_MODE", "development")  # development | production
PRODUCTION = MODE == "production"
DEBUG = env_bool("DEBUG", default=not PRODUCTION)
TESTING = env_bool("OEGD_TESTING")

DEMO_SECRET_KEY = "demo-insecure-secret-key-do-not-use-in-production-0123456789"  # noqa: S105
# Demo data key (32 bytes, base64url). Production must supply its own keys.
DEMO_DATA_KEY = "demo:ZGVtby1kYXRhLWtleS1kby1ub3QtdXNlLWluLXByb2Q="

SECRET_KEY = env("SECRET_KEY", DEMO_SECRET_KEY)
# Keys for encrypting free-text health data: "id:base64key,id2:key2"; the first encrypts.
DATA_ENCRYPTION_KEYS = env("OEGD_DATA_KEYS", DEMO_DATA_KEY)
# Key for keyed-hash pseudonyms and API token hashing (kept apart from SECRET_KEY).
PSEUDONYM_KEY = env("OEGD_PSEUDONYM_KEY", "demo-pseudonym-key")

if PRODUCTION:
    missing = [
        name
        for name, value, demo in (
            ("SECRET_KEY", SECRET_KEY, DEMO_SECRET_KEY),
            ("OEGD_DATA_KEYS", DATA_ENCRYPTION_KEYS, DEMO_DATA_KEY),
            ("OEGD_PSEUDONYM_KEY", PSEUDONYM_KEY, "demo-pseudonym-key"),
        )
        if not value or value == demo
    ]
    if missing:
        raise ImproperlyConfigured("Production mode refuses to start: set " + ", ".join(missing) + " (no demo values).")
    if DEBUG:
        raise ImproperlyConfigured("Production mode refuses to start with DEBUG on.")
    if not env("DATABASE_URL"):
        raise ImproperlyConfigured("Production mode needs DATABASE_URL (PostgreSQL).")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if not PRODUCTION else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "oegd.core.admin_apps.PlatformAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks_db",
    "django_rq",
    "ninja",  # serves the API docs page from local static files (no CDN)
    "oegd.core",
    "oegd.directory",
    "oegd.cases",
    "oegd.forms",
    "oegd.appointments",
    "oegd.messaging",
    "oegd.infection",
    "oegd.portal",
    "oegd.interop",
    "oegd.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "oegd.core.middleware.MachineErrorMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "oegd.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "oegd.core.middleware.NulByteGuardMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "oegd.core.middleware.SessionTimeoutMiddleware",
    "oegd.core.middleware.ActiveOfficeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "oegd.core.middleware.NoStoreMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "oegd.urls"
WSGI_APPLICATION = "oegd.wsgi.application"
ASGI_APPLICATION = "oegd.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "oegd.core.context_processors.platform",
            ],
        },
    },
]

# Database: PostgreSQL via DATABASE_URL; the demo uses an embedded SQLite file.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'demo.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "portal:my_area"

# Lockout after repeated failures (django-axes), by account name and address together, so the
# message is the same whether or not the account exists.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "oegd.core.views.login_name_for_lockout"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "oegd.core.views.lockout_response"
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_IPWARE_PROXY_COUNT = env_int("AXES_PROXY_COUNT", 0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)

# Sessions live on the server; logout deletes them. Idle and absolute limits are enforced
# by SessionTimeoutMiddleware.
SESSION_ENGINE = env("SESSION_ENGINE", "django.contrib.sessions.backends.db")
SESSION_IDLE_TIMEOUT = timedelta(minutes=env_int("SESSION_IDLE_MINUTES", 30))
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=env_int("SESSION_ABSOLUTE_HOURS", 10))
# Parents acting for children (Vertretung), as in Norway: full access under 12, limited until 16, none from 16.
PROXY_FULL_ACCESS_UNDER_AGE = env_int("PROXY_FULL_ACCESS_UNDER_AGE", 12)
PROXY_NO_ACCESS_FROM_AGE = env_int("PROXY_NO_ACCESS_FROM_AGE", 16)
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "oegd.core.views.csrf_failure"
LANGUAGE_COOKIE_NAME = "oegd_language"
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# Security headers.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = PRODUCTION and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 63072000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
if env_bool("BEHIND_TLS_PROXY", PRODUCTION):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# Languages: German first. Citizen pages in nine languages, staff pages in German and English.
LANGUAGE_CODE = "de"
LANGUAGES = [
    ("de", "Deutsch"),
    ("en", "English"),
    ("tr", "Türkçe"),
    ("ar", "العربية"),
    ("uk", "Українська"),
    ("ru", "Русский"),
    ("pl", "Polski"),
    ("nb", "Norsk bokmål"),
    ("da", "Dansk"),
]
STAFF_LANGUAGES = ["de", "en"]
LANGUAGES_BIDI = ["ar", "he", "fa", "ur"]
LOCALE_PATHS = [SRC_DIR / "oegd" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env("TIME_ZONE", "Europe/Berlin")

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [
    ("kern", BASE_DIR / "node_modules" / "@kern-ux" / "native" / "dist"),
    ("htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("bpmn-js", BASE_DIR / "node_modules" / "bpmn-js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "private")))
# Request bodies (not counting uploaded files): FHIR/REST submissions carry attachments inline.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
# Virus scanning of uploads with ClamAV (tcp://host:3310 or unix:///run/clamav/clamd.ctl); empty: off.
CLAMD_ADDRESS = env("CLAMD_ADDRESS")
CLAMD_TIMEOUT = env_int("CLAMD_TIMEOUT", 30)
FORMS_MAX_ATTACHMENT_BYTES = env_int("FORMS_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024)

# Infection protection: transfers to the state authority / RKI (§ 11 IfSG) are written to an outbox
# folder that the state's transport (SurvNet, DEMIS) picks up; the receiver code defaults to the
# state part of the office's RKI code. A DEMIS FHIR storage to pull notifications from (empty: push only).
SURVNET_OUTBOX_DIR = env("SURVNET_OUTBOX_DIR", str(MEDIA_ROOT / "survnet-outbox"))
SURVNET_RECEIVER_CODE = env("SURVNET_RECEIVER_CODE")
SURVNET_SENDER = env("SURVNET_SENDER")
DEMIS_PULL_URL = env("DEMIS_PULL_URL")
DEMIS_PULL_OFFICE = env("DEMIS_PULL_OFFICE")

# E-mail: console in the demo, SMTP for real (Django 6.1 MAILERS).
_EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
_EMAIL_OPTIONS: dict[str, object] = {}
if _EMAIL_BACKEND.endswith("smtp.EmailBackend"):
    _EMAIL_OPTIONS = {
        "host": env("EMAIL_HOST", "127.0.0.1"),
        "port": env_int("EMAIL_PORT", 25),
        "username": env("EMAIL_HOST_USER"),
        "password": env("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS"),
        "timeout": 20,
    }
MAILERS = {"default": {"BACKEND": _EMAIL_BACKEND, "OPTIONS": _EMAIL_OPTIONS}}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Gesundheitsamt <noreply@gesundheitsamt.example>")

# Background work: django.tasks with the database backend; Redis (RQ) when one machine is not enough.
TASK_BACKEND = env("TASK_BACKEND", "database")  # database | redis | immediate
REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
TASKS = {
    "default": {
        "database": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]},
        "redis": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]},
        "immediate": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"},
    }[TASK_BACKEND]
}

# Cache: per process by default; CACHE_URL (Redis) shares it between app servers, which the
# idempotency of FHIR bookings needs when there is more than one process.
CACHE_URL = env("CACHE_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# Appointments: SMS reminders through a gateway ("loopback" keeps them in memory for the demo and
# tests; "http" posts JSON to SMS_GATEWAY_URL), and the video service of video consultations.
SMS_GATEWAY = env("SMS_GATEWAY", "loopback")
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL")
SMS_GATEWAY_TOKEN = env("SMS_GATEWAY_TOKEN")
SMS_DEFAULT_COUNTRY_CODE = env("SMS_DEFAULT_COUNTRY_CODE", "+49")
VIDEO_BASE_URL = env("VIDEO_BASE_URL", "https://meet.example.org/")

# OIDC: citizen login with the state eID provider, staff single sign-on. Each provider is
# configured by environment; a provider without a discovery URL is switched off.
OIDC_PROVIDERS = {
    "eid": {
        "audience": "citizen",
        "label": _("State eID (BundID)"),
        "discovery_url": env("OIDC_EID_DISCOVERY_URL"),
        "client_id": env("OIDC_EID_CLIENT_ID"),
        "client_secret": env("OIDC_EID_CLIENT_SECRET"),
        "scope": env("OIDC_EID_SCOPE", "openid email profile"),
    },
    "staff": {
        "audience": "staff",
        "label": _("Staff single sign-on"),
        "discovery_url": env("OIDC_STAFF_DISCOVERY_URL"),
        "client_id": env("OIDC_STAFF_CLIENT_ID"),
        "client_secret": env("OIDC_STAFF_CLIENT_SECRET"),
        "scope": env("OIDC_STAFF_SCOPE", "openid email profile"),
    },
}

STATE_NAME = env("OEGD_STATE_NAME", "Musterland")
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "ÖGD Musterland")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {
            "format": '{"time": "%(asctime)s", "level": "%(levelname)s", "logger": "%(name)s", "msg": "%(message)s"}'
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
        "authlib": {"level": "INFO"},  # its DEBUG output holds PKCE verifiers
        "fontTools": {"level": "WARNING"},  # one line per font subset of every receipt PDF
        "weasyprint": {"level": "WARNING"},
    },
}
