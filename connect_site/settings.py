"""Settings for Connect, read from the environment.

With nothing set, the site runs for development: SQLite in the project folder,
Celery tasks executed in-process, email printed to the console. Production mode
(``DEBUG=0``) refuses to start with an unsafe value and names it.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

DEVELOPMENT_SECRET_KEY = "django-insecure-connect-development-key-change-me"


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default):
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# "production" turns on the startup checks of connect_site/checks.py.
CONNECT_ENV = os.environ.get("CONNECT_ENV", "development")
SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
DEBUG = env_bool("DEBUG", CONNECT_ENV != "production")
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"]
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "connect_site",
    "teams",
    "onboarding",
    "members",
    "integrations",
]

MIDDLEWARE = [
    "connect_site.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "connect_site.middleware.ApiLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it wraps the view alone and replays only its response.
    "connect_site.idempotency.IdempotencyMiddleware",
]

ROOT_URLCONF = "connect_site.urls"
WSGI_APPLICATION = "connect_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "connect_site.web.context.site",
            ],
            "builtins": ["connect_site.web.templatetags.connect_web"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        # A persistent connection is checked before each request reuses it,
        # so a database restart costs no request a 500.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A transaction that reads and then writes cannot take SQLite's write
    # lock while another one holds it, and fails at once with "database is
    # locked". Taking the lock at BEGIN makes it wait instead.
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "connect",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: a real broker when REDIS_URL is set, otherwise tasks run in-process
# so that a development site works with nothing else running.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "connect"
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "es"
LANGUAGES = [("es", "Español"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "team-list"
LOGOUT_REDIRECT_URL = "login"


def email_settings(url):
    """Translate EMAIL_URL into Django's email settings."""
    if not url or url.startswith("consolemail:"):
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if url.startswith("memorymail:"):
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if url.startswith("filemail:"):
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": url.removeprefix("filemail://")
            or str(BASE_DIR / "sent-mail"),
        }
    if url.startswith(("smtp:", "smtps:")):
        from urllib.parse import unquote, urlsplit

        parts = urlsplit(url)
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname or "localhost",
            "EMAIL_PORT": parts.port or 25,
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_SSL": parts.scheme == "smtps",
            "EMAIL_USE_TLS": "tls=1" in (parts.query or ""),
        }
    raise ImproperlyConfigured(
        f"EMAIL_URL {url.split(':', 1)[0]!r} is not supported; use smtp://, "
        "consolemail://, filemail:///path or memorymail://."
    )


globals().update(email_settings(os.environ.get("EMAIL_URL", "")))
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Connect <no-reply@connect.localhost>"
)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["members.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["connect_site.api.parsers.StrictJSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": (
        "connect_site.api.negotiation.JsonOnlyContentNegotiation"
    ),
    "EXCEPTION_HANDLER": "connect_site.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_CLASSES": ["connect_site.ratelimit.ApiKeyRateThrottle"],
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Connect API",
    "DESCRIPTION": (
        "Run many client teams of an invoicing and payments platform from one API: "
        "teams, onboarding, members and webhook integrations."
    ),
    "VERSION": "2.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # /v2/connect/docs/ serves Redoc from static files, not from a CDN.
    "REDOC_DIST": "SIDECAR",
    # Several models have a field named status; each set of choices gets a name.
    "ENUM_NAME_OVERRIDES": {
        "TeamStatusEnum": ["active", "suspended"],
        "DeliveryStatusEnum": ["pending", "succeeded", "failed"],
    },
}

# Request bodies larger than this are rejected with 413 before parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = 512 * 1024

CONNECT_BASE_URL = os.environ.get("CONNECT_BASE_URL", "http://127.0.0.1:8000").rstrip(
    "/"
)
CONNECT_WEBHOOK_ALLOW_LOOPBACK = env_bool("CONNECT_WEBHOOK_ALLOW_LOOPBACK", False)
CONNECT_WEBHOOK_RETRY_SCHEDULE = [
    float(part)
    for part in os.environ.get(
        "CONNECT_WEBHOOK_RETRY_SCHEDULE", "5,300,1800,7200,18000,36000,36000"
    ).split(",")
]
CONNECT_WEBHOOK_TIMEOUT = float(os.environ.get("CONNECT_WEBHOOK_TIMEOUT", "10"))
CONNECT_INVITATION_TTL_DAYS = float(os.environ.get("CONNECT_INVITATION_TTL_DAYS", "7"))
# Minutes a hosted onboarding link stays valid before its first open, and
# minutes the session it is exchanged for lasts after that open.
CONNECT_ONBOARDING_LINK_TTL_MINUTES = float(
    os.environ.get("CONNECT_ONBOARDING_LINK_TTL_MINUTES", "30")
)
CONNECT_ONBOARDING_SESSION_TTL_MINUTES = float(
    os.environ.get("CONNECT_ONBOARDING_SESSION_TTL_MINUTES", "120")
)
CONNECT_SECRET_GRACE_SECONDS = int(
    os.environ.get("CONNECT_SECRET_GRACE_SECONDS", "86400")
)
# Seconds between two writes of an API key's last use.
CONNECT_API_KEY_LAST_USED_INTERVAL = 60

# Requests per API key per minute; 0 turns a limit off (see ratelimit.py).
CONNECT_RATE_LIMIT_READS_PER_MINUTE = int(
    os.environ.get("CONNECT_RATE_LIMIT_READS_PER_MINUTE", "600")
)
CONNECT_RATE_LIMIT_WRITES_PER_MINUTE = int(
    os.environ.get("CONNECT_RATE_LIMIT_WRITES_PER_MINUTE", "120")
)
# How long a POST's response is replayed for its Idempotency-Key, and after
# how many seconds an unfinished request's claim on its key is abandoned.
CONNECT_IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60
CONNECT_IDEMPOTENCY_LOCK_SECONDS = int(
    os.environ.get("CONNECT_IDEMPOTENCY_LOCK_SECONDS", "300")
)

if CONNECT_ENV == "production":
    # HTTPS only. Behind a proxy that terminates TLS, set
    # SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto so Django detects HTTPS.
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
    _proxy_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "")
    if _proxy_header:
        SECURE_PROXY_SSL_HEADER = (
            "HTTP_" + _proxy_header.upper().replace("-", "_"),
            "https",
        )
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        # httpx logs every request with its full URL, which may contain a
        # webhook receiver's credentials; delivery logs its own outcomes.
        "httpx": {"level": "WARNING"},
    },
}

# Webhook delivery (integrations/delivery.py). Retries are sent when the
# periodic sweep re-queues them. Without REDIS_URL no beat runs, so a
# development site sends deliveries in-process and never retries. A delivery
# held back there (its endpoint failed, or the batch ran out of time) waits
# for a worker too.
CONNECT_DELIVERY_SWEEP_SECONDS = float(
    os.environ.get("CONNECT_DELIVERY_SWEEP_SECONDS", "5")
)
CONNECT_DELIVERY_RETENTION_DAYS = int(
    os.environ.get("CONNECT_DELIVERY_RETENTION_DAYS", "90")
)
# Seconds a claim's lease outlasts its task's budget (see delivery.lease_seconds).
CONNECT_DELIVERY_LEASE_MARGIN_SECONDS = float(
    os.environ.get("CONNECT_DELIVERY_LEASE_MARGIN_SECONDS", "30")
)
# A worker task claims up to this many deliveries and sends them one after
# another, starting no new send after this many seconds.
CONNECT_WEBHOOK_BATCH_SIZE = int(os.environ.get("CONNECT_WEBHOOK_BATCH_SIZE", "100"))
CONNECT_WEBHOOK_BATCH_SECONDS = float(
    os.environ.get("CONNECT_WEBHOOK_BATCH_SECONDS", "5")
)
# A send slower than this hands its batch's deliveries to other endpoints
# to other workers, so that a slow endpoint delays no other endpoint.
CONNECT_WEBHOOK_HAND_OVER_SECONDS = float(
    os.environ.get("CONNECT_WEBHOOK_HAND_OVER_SECONDS", "0.5")
)
# Claims of one integration in flight at once, and how many seconds a
# delivery over that cap waits before it is tried again.
CONNECT_WEBHOOK_CONCURRENCY_PER_INTEGRATION = int(
    os.environ.get("CONNECT_WEBHOOK_CONCURRENCY_PER_INTEGRATION", "4")
)
CONNECT_WEBHOOK_CONCURRENCY_BACKOFF_SECONDS = 1.0
# An integration whose deliveries have all failed for this long is disabled.
CONNECT_WEBHOOK_FAILURE_DISABLE_SECONDS = int(
    os.environ.get("CONNECT_WEBHOOK_FAILURE_DISABLE_SECONDS", str(5 * 24 * 60 * 60))
)
# The maximum Retry-After, in seconds, that a 429 or 503 response can impose.
CONNECT_WEBHOOK_RETRY_AFTER_MAX_SECONDS = 24 * 60 * 60
CELERY_BEAT_SCHEDULE = {
    "sweep-due-deliveries": {
        "task": "integrations.tasks.sweep_due_deliveries",
        "schedule": CONNECT_DELIVERY_SWEEP_SECONDS,
    },
    "prune-delivered": {
        "task": "integrations.tasks.prune_delivered",
        "schedule": 60 * 60,
    },
    # Sends a new link for invitations whose email task was lost.
    "sweep-unsent-invitations": {
        "task": "members.tasks.invitation_emails_sweep",
        "schedule": 5 * 60,
    },
    "purge-idempotency-records": {
        "task": "connect_site.tasks.purge_idempotency_records",
        "schedule": 60 * 60,
    },
}

from connect_site.checks import check_production_settings  # noqa: E402

check_production_settings(globals())
