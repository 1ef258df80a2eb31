"""E-mail: every message is a row in the outbox (jaim.OutboxMessage) and is sent by a task (jaim.mail.deliver).

EMAIL_URL names the SMTP server, e.g. smtp+tls://user:password@smtp.example.jp:587 (django-environ). Development
without it prints mails on the console. Production refuses to start without a real transport: a console, locmem,
file or dummy backend there drops every mail (and logs names and addresses) — unless JAIM_ALLOW_UNDELIVERED_MAIL=true
says so explicitly (a staging copy that must never write to anyone)."""

from django.core.exceptions import ImproperlyConfigured

from .core import PRODUCTION, env

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
if env("EMAIL_URL", default=""):
    vars().update(env.email("EMAIL_URL"))
EMAIL_TIMEOUT = env.int(
    "EMAIL_TIMEOUT", default=30
)  # seconds per SMTP conversation: a hung server is a failure
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="JAIM 事務局 <noreply@jaim.example.jp>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

_UNDELIVERING_BACKENDS = ("console", "locmem", "filebased", "dummy")
if PRODUCTION and not env.bool("JAIM_ALLOW_UNDELIVERED_MAIL", default=False):
    if not env("EMAIL_URL", default="") and "smtp" not in EMAIL_BACKEND:
        raise ImproperlyConfigured(
            "DJANGO_ENV=production needs EMAIL_URL (e.g. smtp+tls://user:password@smtp.example.jp:587): without it "
            "no mail would be delivered. Set JAIM_ALLOW_UNDELIVERED_MAIL=true only for a copy that must send nothing."
        )
    if any(f".{name}." in EMAIL_BACKEND for name in _UNDELIVERING_BACKENDS):
        raise ImproperlyConfigured(
            f"DJANGO_ENV=production with EMAIL_BACKEND={EMAIL_BACKEND}: that backend delivers nothing. Use EMAIL_URL "
            "(SMTP), or set JAIM_ALLOW_UNDELIVERED_MAIL=true for a copy that must send nothing."
        )
