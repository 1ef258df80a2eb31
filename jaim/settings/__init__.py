"""Settings for JAIM Membership, one module per concern, read in this order (a later module may use an earlier
one's names). `DJANGO_SETTINGS_MODULE=jaim.settings` everywhere; the test suite uses `jaim.settings.test`.

Everything comes from the environment (django-environ) with working defaults for a laptop:
no DATABASE_URL -> a SQLite file; no CELERY_BROKER_URL -> tasks run eagerly in-process.
Production (DJANGO_ENV=production) refuses to start without the settings it needs.
"""

from .celery import *  # noqa: F403  broker, worker and the whole beat schedule
from .core import *  # noqa: F403  environment, apps, middleware, templates, i18n, logging
from .database import *  # noqa: F403  database and cache
from .jaim import *  # noqa: F403  JAIM's own settings (issuer, limits, scanner, rate limits)
from .mail import *  # noqa: F403  e-mail backend and sender
from .security import *  # noqa: F403  headers, cookies, CSP, passwords, 2FA, brute force, redaction
from .storage import *  # noqa: F403  static files, uploads (file system or S3)
