"""Django settings for cxcrm.

Everything that differs between a laptop, CI and production is read from the
environment. The defaults give the *embedded* setup: an SQLite file and a
filesystem Celery broker inside the project folder, so `make run` works on a
bare machine. Production sets DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL
(Redis); see docs/architecture.md.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab  # noqa: F401  (handy for local overrides)
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

# django-environ reads and casts the variables: booleans (true/yes/on/1, false/no/off/0),
# whole numbers, comma-separated lists, database URLs. A variable set to "" (as compose
# files and systemd units leave them) counts as unset, so its default applies.
env = environ.Env()
env.ENVIRON = {name: value for name, value in os.environ.items() if value != ""}


def _secret(name: str, default: str) -> str:
    """A secret exactly as set: django-environ would take a leading "$" for the name of another variable."""
    return env.ENVIRON.get(name, default)


VAR_DIR = Path(env.str("CXCRM_VAR_DIR", default=str(BASE_DIR / "var")))
TESTING = "pytest" in sys.modules or env.str("CXCRM_TESTING", default="") == "1"

# --------------------------------------------------------------------------- core
DEBUG = env.bool("DEBUG", default=True)
# The development key signs sessions and survey links on a laptop and in tests only: with
# it, anyone could sign a survey link and answer or unsubscribe any customer. With DEBUG
# off the process refuses to start until SECRET_KEY, ALLOWED_HOSTS and SITE_URL are set.
DEV_SECRET_KEY = "insecure-dev-key-change-me-" + "x" * 40
SECRET_KEY = _secret("SECRET_KEY", DEV_SECRET_KEY if DEBUG or TESTING else "")
# Former keys, comma-separated, still accepted when checking signatures: rotating SECRET_KEY then keeps
# the survey links already emailed and the open sessions valid until the old key is dropped from here.
SECRET_KEY_FALLBACKS = [key.strip() for key in _secret("SECRET_KEY_FALLBACKS", "").split(",") if key.strip()]
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", cast=str.strip, default=["127.0.0.1", "localhost", "testserver"] if DEBUG or TESTING else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", cast=str.strip, default=[])


def _production_key_problem(key: str) -> str | None:
    """Why `key` cannot sign production sessions and links (None when it can): Django's own deploy rules."""
    if not key:
        return "is not set"
    if key == DEV_SECRET_KEY or key.startswith(("django-insecure-", "insecure-dev-key")):
        return "is the development key"
    if len(key) < 50 or len(set(key)) < 5:
        return "is too short (at least 50 characters, 5 of them different)"
    return None


if not DEBUG and not TESTING:
    _problem = _production_key_problem(SECRET_KEY)
    if _problem:
        raise ImproperlyConfigured(
            f"SECRET_KEY {_problem}. With DEBUG off, set SECRET_KEY to a long random value, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'` (see README, Deploy)."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS is not set. With DEBUG off, set ALLOWED_HOSTS to the host names the site answers to, "
            "comma-separated (e.g. crm.example.org)."
        )
    if not env.str("SITE_URL", default=""):
        raise ImproperlyConfigured(
            "SITE_URL is not set. With DEBUG off, set SITE_URL to the address customers open "
            "(e.g. https://crm.example.org): survey, unsubscribe and case links in emails are built on it."
        )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "django_tables2",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_celery_beat",
    "nested_admin",
    "axes",
    "django_ratelimit",
    "csp",
    # ours, in dependency order: journeys <- customers <- feedback; cxcrm is shared
    "cxcrm",
    "journeys",
    "customers",
    "feedback",
    "alerts",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The Content Security Policy header on every response (cxcrm/csp.py: the admin's additions).
    "cxcrm.csp.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The signed-in user's chosen language over the browser's (cxcrm/i18n.py).
    "cxcrm.i18n.UserLanguageMiddleware",
    # Keeps the request for the audit log (its user and client IP): cxcrm/audit.py.
    "cxcrm.audit.AuditRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login that axes locked out into our 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cxcrm.urls"
WSGI_APPLICATION = "cxcrm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cxcrm.context_processors.navigation",
            ],
        },
    },
]

# --------------------------------------------------------------------------- database
SQLITE_PATH = Path(env.str("SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3")))
DATABASES = {
    "default": {
        "CONN_MAX_AGE": env.int("CONN_MAX_AGE", default=60),
        "CONN_HEALTH_CHECKS": True,
        **env.db_url("DATABASE_URL", default=f"sqlite:///{SQLITE_PATH}"),
    }
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and one writer work at once; IMMEDIATE transactions take the
    # write lock up front so web, worker and beat queue on the busy timeout instead
    # of failing with "database is locked" on a lock upgrade.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    if TESTING:
        # A file, not Django's shared-cache in-memory database: there, a worker or
        # live-server thread writing at the same time as the test gets "table is
        # locked" at once instead of waiting on the busy timeout.
        import tempfile

        DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"cxcrm-test-{os.getpid()}.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env.bool("DATABASE_JIT", default=False):
    # PostgreSQL's JIT compiles every query it estimates costly to machine code first: 150-250 ms per report
    # or rollup query here, more than most of them take to run (docs/benchmarks.md). Off for our connections
    # (a libpq startup option) unless DATABASE_JIT=true. A pgbouncer in front must let it through
    # (ignore_startup_parameters = options), or set it on the database: ALTER DATABASE … SET jit = off.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --------------------------------------------------------------------------- cache
# The public pages' rate limits count requests in Django's cache (django-ratelimit), which must be shared
# by every process and count atomically. CACHE_URL names it in production (redis://127.0.0.1:6379/1);
# unset, it is a table of the database itself (cxcrm/cache.py, created after each migrate). A local-memory
# or file cache would give each process its own counts: django-ratelimit's check refuses them (E003).
if "CACHE_URL" in env:
    CACHES = {"default": env.cache_url("CACHE_URL")}
else:
    CACHES = {
        "default": {
            "BACKEND": "cxcrm.cache.AtomicDatabaseCache",
            "LOCATION": "cxcrm_cache",
            # Culling drops a third of the entries past this many: high enough never to forget live counts.
            "OPTIONS": {"MAX_ENTRIES": 100000},
        }
    }
# django-ratelimit warns (W001) about any backend outside its list of third-party ones; ours and Django's
# own Redis cache both increment atomically (a locked row, Redis INCR). Its errors (E001-E003) stay on.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]

# --------------------------------------------------------------------------- auth
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The lockout backend first: it refuses a locked-out (username, IP) pair before any password is checked,
# and it needs the request (the login form and the admin pass it; tests sign in with force_login).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# How many reverse proxies stand in front of gunicorn, each appending to X-Forwarded-For (the README's
# nginx is one). The client's IP is then the address that many places from the right of that header;
# with 0 it is the connection's peer. Used by the login lockout and the public pages' rate limits
# (cxcrm/security.py client_ip). Too high a number lets a client choose its own address.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Login lockout (django-axes): LOGIN_FAILURE_LIMIT wrong passwords for one username from one IP lock
# that pair, never the user alone (anyone could lock a manager out), for LOGIN_LOCKOUT_MINUTES; a
# successful login resets the count. A locked-out login answers 429 with registration/locked_out.html.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "cxcrm.security.client_ip"
AXES_LOCKOUT_CALLABLE = "cxcrm.security.login_locked_out_response"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --------------------------------------------------------------------------- i18n
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("pt-br", _("Portuguese (Brazil)")),
    ("es", _("Spanish")),
    ("pl", _("Polish")),
    ("el", _("Greek")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our corrections of Django's date formats for some languages (cxcrm/formats, docs/i18n.md).
FORMAT_MODULE_PATH = ["cxcrm.formats"]
USE_I18N = True
USE_TZ = True  # stored in UTC
# The organisation's zone: day boundaries of reports and quiet hours defaults.
TIME_ZONE = env.str("TIME_ZONE", default="UTC")

# --------------------------------------------------------------------------- static
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING or DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# --------------------------------------------------------------------------- email
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = _secret("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="cxcrm <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Absolute links in emails (survey links, password reset) are built on this. Unset, it is
# the address `make run` serves: PORT (scripts/run.sh passes it on) on the loopback.
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}").rstrip("/")

# --------------------------------------------------------------------------- security
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
# Content Security Policy (django-csp 4; docs/security.md): scripts, styles, fonts, images and requests
# from our own origin only, no inline script or style (the admin gets 'unsafe-inline': cxcrm/csp.py),
# images also as data: URIs (Bootstrap's form controls draw their icons so), no plugins, no framing,
# forms post only to us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    # HTTPS everywhere (docs/security.md). Behind a TLS-terminating proxy, the proxy sets the
    # header named by SECURE_PROXY_SSL_HEADER ("HTTP_X_FORWARDED_PROTO,https": header, value)
    # on every request, overwriting what the client sent; "off" when nothing in front sets it.
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    _proxy_header = env.list("SECURE_PROXY_SSL_HEADER", cast=str.strip, default=["HTTP_X_FORWARDED_PROTO", "https"])
    if _proxy_header != ["off"]:
        if len(_proxy_header) != 2:
            raise ImproperlyConfigured(
                'SECURE_PROXY_SSL_HEADER must be "HEADER,value" (e.g. HTTP_X_FORWARDED_PROTO,https) or "off".'
            )
        SECURE_PROXY_SSL_HEADER = tuple(_proxy_header)
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# --------------------------------------------------------------------------- REST API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous API call then answers 401 (with WWW-Authenticate), not 403.
        "cxcrm.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["cxcrm.api.permissions.RolePermission"],
    # Filters and ordering= both come from each resource's FilterSet (cxcrm.fields.OrderingFilter).
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # JSON that quotes a lone surrogate back (an error message) is sent with U+FFFD (cxcrm.api.renderers).
    "DEFAULT_RENDERER_CLASSES": [
        "cxcrm.api.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "cxcrm.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "cxcrm.api.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "cxcrm API",
    "DESCRIPTION": "Customer-journey CRM with a customer-experience module.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Every operation documents its error statuses (400/401/403/404/503), see cxcrm/api/schema.py.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "cxcrm.api.schema.document_error_responses",
    ],
}

# --------------------------------------------------------------------------- forms
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --------------------------------------------------------------------------- Celery
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if "CXCRM_BROKER_DIR" in env:
    BROKER_DIR = Path(env.str("CXCRM_BROKER_DIR"))
elif TESTING:
    # Each test run gets its own embedded broker folder, so parallel runs (or a
    # `make run` worker) never take each other's messages.
    import atexit
    import shutil
    import tempfile

    BROKER_DIR = Path(tempfile.mkdtemp(prefix="cxcrm-test-broker-"))
    atexit.register(shutil.rmtree, BROKER_DIR, ignore_errors=True)
else:
    BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The embedded broker: messages are files in one folder shared by producers and
    # consumers. It delivers at most once (no acknowledgement redelivery), which is
    # acceptable for a single-machine install; production uses Redis.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
    }
    for _folder in ("queue", "control", "processed"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
elif CELERY_BROKER_URL.startswith("redis"):
    # Tasks with a countdown longer than this would be redelivered early.
    # A producer gives up on a broker that does not answer after one quick retry (the outbox keeps the
    # work and its beat sweep hands it over later) instead of holding a web request for seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 12 * 3600,
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.2,
    }
# The transactional outbox (cxcrm/outbox.py): a row handed to the broker and not done after this many
# seconds is handed over again; a failing handler is run again after BACKOFF * 2**(run-1) s (at most an
# hour), up to MAX_ATTEMPTS runs.
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=300)
OUTBOX_RETRY_BACKOFF_SECONDS = env.int("OUTBOX_RETRY_BACKOFF_SECONDS", default=30)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=10)

# Outbound webhooks (docs/api.md, docs/security.md). Private, loopback, link-local and other non-public
# addresses are refused unless WEBHOOKS_ALLOW_PRIVATE_ADDRESSES; plain http only with DEBUG or
# WEBHOOKS_ALLOW_HTTP. A failed delivery is tried again after 30 s, 1 min, 2 min, … (at most
# WEBHOOKS_RETRY_MAX_SECONDS apart) for WEBHOOKS_RETRY_WINDOW_SECONDS, then gives up and disables its endpoint.
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", default=False)
WEBHOOKS_ALLOW_HTTP = env.bool("WEBHOOKS_ALLOW_HTTP", default=False)
WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=5.0)
WEBHOOKS_LEASE_SECONDS = env.int("WEBHOOKS_LEASE_SECONDS", default=60)
WEBHOOKS_RETRY_BASE_SECONDS = env.int("WEBHOOKS_RETRY_BASE_SECONDS", default=30)
WEBHOOKS_RETRY_MAX_SECONDS = env.int("WEBHOOKS_RETRY_MAX_SECONDS", default=3600)
WEBHOOKS_RETRY_WINDOW_SECONDS = env.int("WEBHOOKS_RETRY_WINDOW_SECONDS", default=24 * 3600)
WEBHOOKS_BATCH_SIZE = env.int("WEBHOOKS_BATCH_SIZE", default=50)
WEBHOOKS_LOG_DAYS = env.int("WEBHOOKS_LOG_DAYS", default=30)
# After a secret rotation the old secret keeps signing beside the new one for this long (seconds).
WEBHOOKS_SECRET_OVERLAP_SECONDS = env.int("WEBHOOKS_SECRET_OVERLAP_SECONDS", default=24 * 3600)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
DJANGO_CELERY_BEAT_TZ_AWARE = True

# --------------------------------------------------------------------------- logging
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --------------------------------------------------------------------------- cxcrm
# Default region for phone numbers written in national format ("(11) 91234-5678").
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="BR")
# The currency (ISO 4217) of an interaction's `metadata.amount` given without `metadata.currency`.
DEFAULT_CURRENCY = env.str("DEFAULT_CURRENCY", default="BRL").strip().upper()
# Clock skew allowed on an interaction's occurred_at (cxcrm.validators.instant_clean): a time ahead of the
# server's clock by less is taken as now, one further ahead is refused. Seconds in the environment.


def _check_region_and_currency() -> None:
    """Refuse at startup a PHONE_DEFAULT_REGION that phonenumbers does not know (every national-format phone
    would be refused with a puzzling error) and a DEFAULT_CURRENCY that is not an ISO 4217 code babel knows."""
    import phonenumbers
    from babel.numbers import list_currencies

    if PHONE_DEFAULT_REGION and PHONE_DEFAULT_REGION.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ImproperlyConfigured(
            f"PHONE_DEFAULT_REGION={PHONE_DEFAULT_REGION!r} is not a region phone numbers are known for. "
            "Set a two-letter ISO 3166 country code such as BR, ES, PL, GR or US."
        )
    if DEFAULT_CURRENCY not in list_currencies():
        raise ImproperlyConfigured(
            f"DEFAULT_CURRENCY={DEFAULT_CURRENCY!r} is not an ISO 4217 currency code. Set a code such as BRL, EUR, "
            "PLN or USD."
        )


_check_region_and_currency()
INTERACTION_FUTURE_SKEW = timedelta(seconds=env.int("INTERACTION_FUTURE_SKEW_SECONDS", default=300))

# Demo data loaders run by `manage.py load_demo`, in dependency order; each skips what is there.
DEMO_LOADERS: list[str] = [
    "journeys.demo.load_demo",  # personas, published maps and their touchpoint keys
    "customers.demo.load_demo",  # customers, identities, a year of interactions, cases, notes
    "feedback.demo.load_demo",  # surveys, rules, a year of invitations and responses (history)
    "feedback.journey_analytics.demo.load_demo",  # customers walking the retail map; journeys computed
    "feedback.metrics.demo.load_demo",  # daily metric rollups over that history
    "feedback.health.load_demo",  # every customer's health score
    "alerts.demo.load_demo",  # alert rules and the latest detractors' alerts
]

# Stable OpenAPI enum names (several models share field names such as status, kind, channel).
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    "ChannelEnum": "cxcrm.choices.Channel",
    "LanguageEnum": "cxcrm.choices.Language",
    "MapStatusEnum": "journeys.choices.MapStatus",
    "TouchpointKindEnum": "journeys.choices.TouchpointKind",
    "DepartmentEnum": "journeys.choices.Department",
    "CaseStatusEnum": "customers.choices.CaseStatus",
    "CasePriorityEnum": "customers.choices.CasePriority",
    "CaseOriginEnum": "customers.choices.CaseOrigin",
    "SuggestionStatusEnum": "customers.choices.SuggestionStatus",
    "IdentityKindEnum": "customers.choices.IdentityKind",
    "InteractionTypeEnum": "customers.choices.InteractionType",
    "DirectionEnum": "customers.choices.Direction",
    "LifecycleStageEnum": "customers.choices.LifecycleStage",
    "InvitationStatusEnum": "feedback.choices.InvitationStatus",
    "DeliveryChannelEnum": "feedback.choices.DeliveryChannel",
    "SuppressionReasonEnum": "feedback.choices.SuppressionReason",
    "SentimentEnum": "feedback.choices.Sentiment",
    "SurveyKindEnum": "feedback.choices.SurveyKind",
}

# --------------------------------------------------------------------------- feedback (surveys)
# At most one survey invitation per customer in this many days, across all rules.
SURVEY_FATIGUE_DAYS = env.int("SURVEY_FATIGUE_DAYS", default=30)
# Interactions older than this when they are recorded start no survey.
SURVEY_LIVE_WINDOW_DAYS = env.int("SURVEY_LIVE_WINDOW_DAYS", default=7)
# The send beat task claims at most this many due invitations per run.
SURVEY_SEND_BATCH_SIZE = env.int("SURVEY_SEND_BATCH_SIZE", default=100)
# A failed send is retried after BACKOFF * 2**(attempt-1) seconds, up to MAX_ATTEMPTS sends in all.
SURVEY_SEND_MAX_ATTEMPTS = env.int("SURVEY_SEND_MAX_ATTEMPTS", default=3)
SURVEY_SEND_RETRY_BACKOFF_SECONDS = env.int("SURVEY_SEND_RETRY_BACKOFF_SECONDS", default=300)
# A send run's claim on due invitations is a lease: rows still in `sending` this long after the claim
# (the worker died) go back to scheduled and the next run sends them; a live run renews its lease.
SURVEY_SEND_LEASE_SECONDS = env.int("SURVEY_SEND_LEASE_SECONDS", default=300)
# Sampling is a deterministic draw per (seed, rule, event): a retried evaluation decides the same.
SURVEY_SAMPLING_SEED = env.str("SURVEY_SAMPLING_SEED", default="cxcrm-surveys")
# SMS: feedback.sms.ConsoleSmsBackend (default), FileSmsBackend (SMS_FILE_PATH) or LocmemSmsBackend (tests).
SMS_BACKEND = env.str("SMS_BACKEND", default="feedback.sms.ConsoleSmsBackend")
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default=str(VAR_DIR / "sms"))
SMS_FROM = env.str("SMS_FROM", default="cxcrm")

# --------------------------------------------------------------------------- journeys
# Dotted path of the function that gives the map page its measured figures
# (journey_map, period_start, period_end) -> dict; the shape is documented in
# journeys/figures.py. When the variable is unset, the feedback section below makes the
# metric rollups the provider; with no provider the overlay slots say that no data is connected.
JOURNEYS_FIGURES_PROVIDER = env.str("JOURNEYS_FIGURES_PROVIDER", default=None)
# A panel a higher app shows under the map's stages, loaded by htmx (the CX module: the measured funnel, flow and
# paths): {"url_name": a URL name taking the map's pk (start and end are added), "permission": who sees it,
# "scripts": static files the page loads for it}. None: no panel.
JOURNEYS_MAP_PANEL: dict | None = None

# --------------------------------------------------------------------------- customers
# Panels of the customer page's key figures (the CX module adds its latest NPS/CSAT/CES here):
# dotted paths to callables (customer, request) -> dict(title, template, context) | dict(title, html) | str | None.
# See customers/panels.py.
CUSTOMER_PAGE_PANELS: list[str] = []
# Badges higher apps add to a customer's listed cases (the CX module: the CSAT answered about a case): dotted
# paths to callables (cases, request) -> {case id: HTML}. See customers/panels.py.
CUSTOMER_CASE_BADGES: list[str] = []
# Fields, filters and orderings other apps add to the customer API (customers/extensions.py).
CUSTOMER_API_EXTENSIONS: list[str] = []
# Sections other apps add to My work (customers/panels.py).
MY_WORK_PANELS: list[str] = []
# Columns other apps add to the customer list and search results: dotted paths to callables
# (request) -> [(name, django_tables2 Column)], reading the annotations of CUSTOMER_API_EXTENSIONS
# (customers/panels.py).
CUSTOMER_LIST_COLUMNS: list[str] = []
# Sections a customer's personal-data export (customers/gdpr.py) takes from higher apps: dotted paths to
# callables (customer) -> [(name, iterable of dicts)].
CUSTOMER_EXPORT_SECTIONS: list[str] = []
# How higher apps scrub their own rows when a customer is erased (customers/services/erasure.py), in the
# erasure's transaction: dotted paths to callables (customer_ids, *, commit) -> {label: rows}; with
# commit=False they only count (the confirmation page).
CUSTOMER_ERASURE_HOOKS: list[str] = []

# --------------------------------------------------------------------------- feedback (responses, closed loop)
# Rate limits of the public survey, thanks and unsubscribe pages ("count/s|m|h|d"), over the client's IP
# (behind TRUSTED_PROXY_COUNT proxies) and over each link's token; past either, 429 with a page in the
# customer's language. A customer answering uses 3 requests; an office behind one address shares the first.
SURVEY_RATE_LIMIT_PER_IP = env.str("SURVEY_RATE_LIMIT_PER_IP", default="60/m")
SURVEY_RATE_LIMIT_PER_TOKEN = env.str("SURVEY_RATE_LIMIT_PER_TOKEN", default="20/m")
# Longest comment or free-text answer the public survey page accepts.
SURVEY_COMMENT_MAX_LENGTH = env.int("SURVEY_COMMENT_MAX_LENGTH", default=2000)
# Comment sentiment: a dotted path to a callable (text, language) -> feedback.sentiment.SentimentResult.
SENTIMENT_ANALYSER = env.str("SENTIMENT_ANALYSER", default="feedback.sentiment.vader_analyse")
# The customer page's key figures show the latest NPS, CSAT and CES.
CUSTOMER_PAGE_PANELS.append("feedback.panels.customer_scores_panel")
CUSTOMER_PAGE_PANELS.append("feedback.panels.customer_health_panel")
# The customer API shows the health score and its parts, filters by it (health_below) and sorts on it.
CUSTOMER_API_EXTENSIONS.append("feedback.api.customer_health")
# ... and the customer list and search results show it, sortable (lowest first; not computed yet last).
CUSTOMER_LIST_COLUMNS.append("feedback.panels.customer_list_health_column")
# My work shows the customers who need attention, the rep's own first.
MY_WORK_PANELS.append("feedback.panels.my_work_attention_panel")
# A customer's recent resolved cases show the CSAT answered about each.
CUSTOMER_CASE_BADGES.append("feedback.panels.case_csat_badges")
# A customer's personal-data export includes their survey invitations and responses.
CUSTOMER_EXPORT_SECTIONS.append("feedback.gdpr.customer_export_sections")
# Erasing a customer scrubs their survey invitations and responses.
CUSTOMER_ERASURE_HOOKS.append("feedback.gdpr.customer_erase_rows")
# ... and the webhook deliveries about them (webhooks/gdpr.py).
CUSTOMER_ERASURE_HOOKS.append("webhooks.gdpr.customer_erase_rows")
# ... and the alerts about them (alerts/gdpr.py).
CUSTOMER_ERASURE_HOOKS.append("alerts.gdpr.customer_erase_rows")

# --------------------------------------------------------------------------- feedback (CX metrics and reports)
# The beat task recomputes today and yesterday, and the earlier days whose source rows changed, of each metric's
# daily rollups over at least this many days before today (more for metrics whose rows keep changing: see
# feedback/metrics/definitions.py settle_days, and feedback/metrics/changes.py).
METRICS_ROLLUP_RECENT_DAYS = env.int("METRICS_ROLLUP_RECENT_DAYS", default=3)
# Journey analytics (feedback/journey_analytics): the beat task recomputes the journeys of the customers whose
# history changed since the start of the day this many days ago (1: yesterday and today).
JOURNEY_ANALYTICS_RECENT_DAYS = env.int("JOURNEY_ANALYTICS_RECENT_DAYS", default=1)
# A campaign recipient converted if they purchased within this many days of a click.
CAMPAIGN_CONVERSION_DAYS = env.int("CAMPAIGN_CONVERSION_DAYS", default=7)
# Unless the environment names another provider, the journey map page's measured figures come from
# the metric rollups (feedback/metrics/journeys.py).
JOURNEYS_FIGURES_PROVIDER = JOURNEYS_FIGURES_PROVIDER or "feedback.metrics.journeys.journey_figures"
# ... and its journey analytics (funnel, flow chart, top paths) under the stages.
JOURNEYS_MAP_PANEL = {
    "url_name": "feedback:journey_analytics_panel",
    "permission": "feedback.view_marketing_reports",
    "scripts": [
        "vendor/chartjs/chart.umd.min.js",
        "vendor/chartjs-chart-sankey/chartjs-chart-sankey.min.js",
        "feedback/journey_analytics.js",
    ],
}
