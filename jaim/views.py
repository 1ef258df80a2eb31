import sys

from django.contrib import messages
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader

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


# --- error pages -------------------------------------------------------------------------------------------

RETRY_AFTER_SECONDS = 30


def _busy_errors() -> tuple[type[BaseException], ...]:
    """A service that is down or overloaded for a moment (the database, the broker, the cache): worth a retry."""
    import kombu.exceptions
    import psycopg
    import redis.exceptions

    return (
        OperationalError,  # the server is gone, restarting, refusing connections; a deadlock; a statement timeout
        InterfaceError,  # a connection closed under the request
        psycopg.OperationalError,
        kombu.exceptions.OperationalError,
        redis.exceptions.ConnectionError,
        redis.exceptions.TimeoutError,
    )


def is_busy_error(exc: BaseException | None) -> bool:
    """The exception, or one it was raised from, says a service is unavailable for now (not a bug: a retry may
    succeed). Integrity and data errors are DatabaseErrors too, but not this."""
    seen = set()
    busy = _busy_errors()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, busy) and not (
            isinstance(exc, DatabaseError) and not isinstance(exc, OperationalError | InterfaceError)
        ):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


# POSTed fields never written back into a page (the busy page's resend form): secrets and the file inputs.
_NOT_RESENT = ("password", "otp", "token", "code")


def _resend_fields(request) -> tuple[list[tuple[str, str]] | None, bool]:
    """What the user sent, for the busy page to send again as it was: every field except passwords, codes and
    files (the form then asks only for those again), and whether files were left out. None for anything but a
    form POST."""
    if request is None or request.method != "POST":
        return None, False
    try:
        items = list(request.POST.lists())
        has_files = bool(request.FILES)
    except Exception:  # noqa: BLE001 - a body that cannot be read again: no resend form, the text still helps
        return None, False
    fields: list[tuple[str, str]] = []
    for name, values in items:
        if name != "csrfmiddlewaretoken" and any(word in name.lower() for word in _NOT_RESENT):
            continue
        fields.extend((name, value) for value in values)
    return fields, has_files


def server_error(request, template_name="500.html"):
    """handler500. A database, broker or cache outage is 503 with Retry-After and 「ただいま混み合っています」
    (nothing was done; what the user typed can be sent again from the page); any other error is the plain 500
    page. Rendered without a request context: the database may be down."""
    exc = sys.exc_info()[1]
    if is_busy_error(exc):
        fields, has_files = _resend_fields(request)
        template = loader.get_template("503.html")
        body = template.render(
            {
                "resend_fields": fields,
                "resend_path": request.get_full_path() if fields is not None else "",
                "has_files": has_files,
                "retry_after": RETRY_AFTER_SECONDS,
            }
        )
        response = HttpResponse(body, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
    return HttpResponseServerError(loader.get_template(template_name).render())
