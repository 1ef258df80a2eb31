from django.contrib import messages
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render

from jaim.errors import DomainError


def home(request):
    return render(request, "home.html")


def apply_service(request, form, fn, *args, **kwargs):
    """Call a service for a valid form; a DomainError becomes a message (and a non-field form error), and the
    caller re-renders the form with what was typed. Returns the result or None."""
    try:
        return fn(*args, **kwargs)
    except DomainError as exc:
        if form is not None:
            form.add_error(None, exc.message)
        messages.error(request, exc.message)
        return None


def livez(request):
    """Liveness: the process answers. Touches nothing else (a database outage must not get web restarted)."""
    return HttpResponse("ok", content_type="text/plain")


def healthz(request):
    """Readiness: the database answers a query and the cache a write and a read; 503 naming what failed."""
    failed = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any failure of the database is "not ready"
        failed.append("database")
    try:
        key = "jaim:healthz"
        cache.set(key, "1", 10)
        if cache.get(key) != "1":
            failed.append("cache")
    except Exception:  # noqa: BLE001 - same for the cache (Redis)
        failed.append("cache")
    if failed:
        return HttpResponse("unavailable: " + ", ".join(failed), content_type="text/plain", status=503)
    return HttpResponse("ok", content_type="text/plain")
