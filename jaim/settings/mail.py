"""E-mail: every message is a row in the outbox (jaim.OutboxMessage) and is sent by a task."""

from .core import env

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
if env("EMAIL_URL", default=""):
    vars().update(env.email("EMAIL_URL"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="JAIM 事務局 <noreply@jaim.example.jp>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
