"""WSGI entry for the PostgreSQL restart test: the project, with the sign-up view exempt from CSRF (the test posts
from a plain HTTP client). Never used outside tests."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jaim.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()

from django.urls import get_resolver  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

for pattern in get_resolver().url_patterns:
    if getattr(pattern, "name", None) == "signup":
        pattern.callback = csrf_exempt(pattern.callback)
