"""The environment, installed apps, middleware, templates, languages and time zone, logging."""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
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
# Every absolute link (mails, PDFs, QR codes, CSV, API) is built from this by jaim.links.absolute_url.
# Required in production; `make run` sets it to the address it serves.
SITE_URL = (
    env("JAIM_SITE_URL") if PRODUCTION else env("JAIM_SITE_URL", default="http://127.0.0.1:8000")
).rstrip("/")

INSTALLED_APPS = [
    "jaim.admin_site.JaimAdminConfig",  # django.contrib.admin with a site that demands a second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # the form widgets' templates, overridable from templates/ (FORM_RENDERER below)
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
    # django-ninja as an app only so that its API docs page serves Swagger UI from our static files (CSP 'self').
    "ninja",
]

# Form widgets render through the project's template engine, so templates/django/forms/ may override one (the
# blank choice of a select reads 「選択してください」, not "---------").
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "jaim.middleware.DeploymentHeadersMiddleware",  # Permissions-Policy, Cross-Origin-Resource-Policy
    # Production: static files from STATIC_ROOT (hashed names cached for a year), before sessions and the rest.
    # Development: runserver serves them from the apps' directories.
    *(["whitenoise.middleware.WhiteNoiseMiddleware"] if PRODUCTION else []),
    "csp.middleware.CSPMiddleware",
    # A visitor's GET of the roster search goes from here through language, common, CSRF and X-Frame-Options
    # straight to the view (the roster's hot path; see the module); everything else through the rest below.
    "roster.middleware.AnonymousRosterMiddleware",
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

AUTH_USER_MODEL = "members.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "members:mypage"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("日本語")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# Redaction filters and the admins' mail handler are added by the security module.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
