"""Settings for JAIM Membership.

Everything comes from the environment (django-environ) with working defaults for a laptop:
no DATABASE_URL -> a SQLite file; no CELERY_BROKER_URL -> tasks run eagerly in-process.
Production (DJANGO_ENV=production) refuses to start without the settings it needs.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

JAIM_ENV = env("DJANGO_ENV", default="development")
PRODUCTION = JAIM_ENV == "production"

if PRODUCTION:
    SECRET_KEY = env("DJANGO_SECRET_KEY")  # fails loudly when missing
    DEBUG = False
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
else:
    SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me-in-production-0123456789")
    DEBUG = env.bool("DJANGO_DEBUG", default=True)
    ALLOWED_HOSTS = env.list(
        "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver", "[::1]"]
    )

CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("JAIM_SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "jaim.admin_site.JaimAdminConfig",  # django.contrib.admin with a site that demands a second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "jaim",
    "members",
    "fees",
    "applications",
    "roster",
    "lifecycle",
    "backoffice",
    "security",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "jaim.locale.JapaneseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "jaim.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "jaim.middleware.NoStoreForAuthenticatedMiddleware",
    # Last, as django-axes requires: turns a lockout raised during authentication into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jaim.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "jaim.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env("TEST_DATABASE_NAME", default=None)
    if not DATABASES["default"]["TEST"]["NAME"]:
        DATABASES["default"]["TEST"].pop("NAME")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USING_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
# Throwaway databases (CI, the bench) may trade durability for speed: commits return before the WAL is flushed.
if USING_POSTGRES and env("DB_SYNCHRONOUS_COMMIT", default="") == "off":
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"

AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = [
    "jaim.auth_backends.LoginAttemptBackend",  # django-axes, first: refuses a locked-out user+IP
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "members:mypage"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("日本語")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

# Uploaded files never live under a public media root: they are served only by views that check access.
PRIVATE_ROOT = Path(env("JAIM_PRIVATE_ROOT", default=str(BASE_DIR / "private")))
MEDIA_ROOT = PRIVATE_ROOT
MEDIA_URL = "/media/"  # never routed: uploads are served only by access-checking views
if env("AWS_STORAGE_BUCKET_NAME", default=""):
    _private_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _private_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_ROOT), "base_url": None},
    }
STORAGES = {
    "default": _private_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
JAIM_UPLOAD_MAX_BYTES = env.int("JAIM_UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
JAIM_APPLICATION_MAX_BYTES = env.int("JAIM_APPLICATION_MAX_BYTES", default=100 * 1024 * 1024)

# E-mail: every message is a row in the outbox (jaim.OutboxMessage) and is sent by a task.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
if env("EMAIL_URL", default=""):
    vars().update(env.email("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="JAIM 事務局 <noreply@jaim.example.jp>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: Redis in production and CI; eager in-process when no broker is configured.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="jaim")
CELERY_BEAT_SCHEDULE: dict = {}  # filled by jaim.schedule

CACHES = {
    "default": (
        env.cache("CACHE_URL")
        if env("CACHE_URL", default="")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "jaim"}
    )
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "jaim.cache.RedisCache"  # one Redis client per pool (see jaim.cache)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Security (issue 8): headers, cookies, CSP, 2FA, brute force, redaction --------------------------------
# `DJANGO_ENV=production … manage.py check --deploy --fail-level WARNING` passes with nothing silenced.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    # TLS ends at the reverse proxy, which must overwrite X-Forwarded-Proto (never pass the client's through).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer probes plain HTTP
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content-Security-Policy (django-csp 4): nothing inline, nothing from elsewhere, never framed.
# Templates put behaviour in static/js/*.js (data-* attributes) and looks in static/css/*.css.
_CSP_SELF, _CSP_NONE = "'self'", "'none'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_CSP_SELF],
        "script-src": [_CSP_SELF],
        "style-src": [_CSP_SELF],
        # django-simple-history's object history page carries one style attribute; allowed by its hash only.
        "style-src-attr": ["'unsafe-hashes'", "'sha256-XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM='"],
        "img-src": [_CSP_SELF, "data:"],
        "font-src": [_CSP_SELF],
        "connect-src": [_CSP_SELF],
        "object-src": [_CSP_NONE],
        "base-uri": [_CSP_NONE],
        "form-action": [_CSP_SELF],
        "frame-src": [_CSP_NONE],
        "frame-ancestors": [_CSP_NONE],
        **({"upgrade-insecure-requests": True} if PRODUCTION else {}),
    }
}

# Two-factor authentication (django-otp): staff verify a TOTP code before any admin page; portal users may
# opt in on My Page. Recovery codes are django-otp static tokens.
OTP_TOTP_ISSUER = env("JAIM_TOTP_ISSUER", default="JAIM 会員管理")
OTP_TOTP_THROTTLE_FACTOR = 1  # each wrong code doubles the wait before the next try (1 s, 2 s, 4 s, …)
OTP_STATIC_THROTTLE_FACTOR = 1
JAIM_RECOVERY_CODE_COUNT = 10
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows a TOTP secret, its QR code or recovery codes

# Client address: REMOTE_ADDR, unless JAIM_TRUSTED_PROXY_COUNT names how many proxies of ours append to
# X-Forwarded-For (then the entry our outermost proxy appended). A client-sent X-Forwarded-For is never
# believed on its own (jaim.security.client_ip).
JAIM_TRUSTED_PROXY_COUNT = env.int("JAIM_TRUSTED_PROXY_COUNT", default=0)

# Brute force (django-axes): a user+IP combination is locked after a few failed logins, on the portal and
# the admin alike; a successful login resets the count.
AXES_ENABLED = env.bool("JAIM_AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("JAIM_LOGIN_FAILURE_LIMIT", default=5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = env.float("JAIM_LOGIN_COOLOFF_HOURS", default=0.5)  # hours
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "jaim.security.client_ip"
AXES_USERNAME_CALLABLE = "jaim.security.login_username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address"]

# Password reset requests: per client address and per e-mail address, counted in the cache
# (Redis in production, so every web server shares the count). (requests, seconds)
JAIM_RESET_LIMIT_PER_IP = (10, 3600)
JAIM_RESET_LIMIT_PER_ADDRESS = (3, 3600)

# Error reports and logs never carry personal data, passwords or tokens (jaim.security).
ADMINS = [("JAIM", a) for a in env.list("DJANGO_ADMINS", default=[])]
DEFAULT_EXCEPTION_REPORTER = "jaim.security.RedactingExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "jaim.security.RedactingExceptionReporterFilter"
LOGGING["filters"] = {
    "redact": {"()": "jaim.security.RedactingLogFilter"},
    "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
}
LOGGING["handlers"]["console"]["filters"] = ["redact"]
LOGGING["handlers"]["mail_admins"] = {
    "level": "ERROR",
    "class": "django.utils.log.AdminEmailHandler",
    "filters": ["require_debug_false", "redact"],
    "reporter_class": "jaim.security.RedactingExceptionReporter",
}
LOGGING["loggers"]["django"] = {"handlers": ["mail_admins"], "level": "INFO"}  # and the root's console
LOGGING["loggers"]["django.server"] = {"handlers": ["console"], "level": "INFO", "propagate": False}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # workers keep this LOGGING (and its redaction)

# Reliability (issue 8 §9): with Redis down a request must not hang on the broker. A publish gives up quickly;
# the work is already in the database (outbox rows, due rows) and the periodic sweep sends it later.
CELERY_BROKER_TRANSPORT_OPTIONS = {**CELERY_BROKER_TRANSPORT_OPTIONS, "socket_connect_timeout": 2}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}

# Sign-up verification links are valid this long (seconds).
JAIM_VERIFY_MAX_AGE = 3 * 24 * 3600

from jaim.schedule import BEAT_SCHEDULE  # noqa: E402

CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE

# --- applications (review of applications and changes) -----------------------------------------------------
# After an approved name change or relocation, the member has this many days from the change date (the decision
# date when none was given) to send the follow-up documents; the reviewer may set another date.
JAIM_IDENTITY_FOLLOW_UP_DAYS = env.int("JAIM_IDENTITY_FOLLOW_UP_DAYS", default=30)
# An application sent back for correction: the deadline the return form suggests, in days from today.
JAIM_RETURN_DEADLINE_DAYS = env.int("JAIM_RETURN_DEADLINE_DAYS", default=30)

# --- fees (issue 4: fees, invoices, payments, direct debit) ----------------------------------------------
# Issuer block printed on invoices, notices, credit notes and receipts.
JAIM_ISSUER = {
    "name": env("JAIM_ISSUER_NAME", default="一般社団法人工業製品製造技能人材機構（JAIM）"),
    "lines": env.list("JAIM_ISSUER_LINES", default=["事務局 会費担当"]),
}
# PDFs not rendered yet (e.g. queued while the broker was down) are rendered by this sweep.
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "fees-render-missing-pdfs": {"task": "fees.tasks.render_missing_documents", "schedule": 900.0},
}

# --- roster (issue 5: public roster) ---------------------------------------------------------------------
# Requests per client per window on the public roster page and API, "requests/seconds"; "0/60" switches the
# limit off (e.g. for a benchmark where every client shares one address).
JAIM_ROSTER_RATE_LIMIT = env("JAIM_ROSTER_RATE_LIMIT", default="60/60")
JAIM_ROSTER_API_RATE_LIMIT = env("JAIM_ROSTER_API_RATE_LIMIT", default="60/60")
# django-ninja as an app only so that its API docs page serves Swagger UI from our static files (CSP 'self').
INSTALLED_APPS = [*INSTALLED_APPS, "ninja"]
# Client addresses: JAIM_TRUSTED_PROXY_COUNT (security block). PDF font: JAIM_PDF_FONT, default IPAex Gothic.
# Roster exports: checked every 30 minutes, rebuilt when today's files are missing or the roster changed.
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "roster-exports": {"task": "roster.tasks.build_roster_exports", "schedule": 1800.0},
}

# --- backoffice (issue 10: staff dashboard, imports, exports, reports, announcements, member resources) --------
# Admin lists up to this many rows download at once as CSV/Excel; longer ones are written by a task.
BACKOFFICE_EXPORT_SYNC_LIMIT = env.int("JAIM_EXPORT_SYNC_LIMIT", default=1000)
# Export files are kept this many days, then deleted by the daily sweep (the record of the export stays).
CELERY_BEAT_SCHEDULE = {
    **CELERY_BEAT_SCHEDULE,
    "backoffice-purge-exports": {"task": "backoffice.tasks.purge_exports", "schedule": 86400.0},
}

# --- uploads: virus scanner and image limits (jaim.uploads, jaim.virus) -----------------------------------------
# ClamAV's daemon: a Unix socket (JAIM_CLAMD_SOCKET, e.g. /run/clamav/clamd.ctl) or TCP (JAIM_CLAMD_HOST and
# JAIM_CLAMD_PORT). Unset → uploads are not scanned (development). Set but down → uploads are refused.
JAIM_CLAMD_SOCKET = env("JAIM_CLAMD_SOCKET", default="")
JAIM_CLAMD_HOST = env("JAIM_CLAMD_HOST", default="")
JAIM_CLAMD_PORT = env.int("JAIM_CLAMD_PORT", default=3310)
JAIM_CLAMD_TIMEOUT = env.float("JAIM_CLAMD_TIMEOUT", default=30.0)  # seconds, per file
# Images above this many pixels are refused before they are decoded (50 M: a 48-megapixel phone photo passes).
JAIM_UPLOAD_MAX_PIXELS = env.int("JAIM_UPLOAD_MAX_PIXELS", default=50_000_000)
# A PDF is parsed in a child process with this much memory (bytes, beyond the worker's own) and time (seconds).
JAIM_PDF_CHECK_MAX_MEMORY = env.int("JAIM_PDF_CHECK_MAX_MEMORY", default=256 * 1024 * 1024)
JAIM_PDF_CHECK_SECONDS = env.float("JAIM_PDF_CHECK_SECONDS", default=20.0)
