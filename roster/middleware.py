"""A shorter middleware path for a visitor's GET of the public roster search (the roster's hot path).

A visitor (no session cookie: anonymous by construction, no pending messages) searching the roster needs none
of the session, authentication, second-factor, messages, history, no-store and lockout middleware: they only
act for a signed-in user or a form post. Listed right after the CSP middleware, this sends such a request
through the middleware the page does need — language (JapaneseFirstLocaleMiddleware), CommonMiddleware, CSRF
(the page's language switch posts a form: token and cookie as before) and X-Frame-Options — straight to the
search view, with `request.user` an AnonymousUser. Everything listed before it (security headers,
Permissions-Policy, static files, CSP) applies as before, and the view keeps its own rate limit. The answer
carries `Vary: Cookie`, as the session middleware adds it after the user was looked up. Any other request, a
request with any other cookie, and DEBUG take the full path.

The search only reads, so it also does without Django's connection health check (CONN_HEALTH_CHECKS: a
`SELECT 1` round trip before each request's first query on a kept connection): a connection found broken by
the search's own first query (PostgreSQL restarted, the connection dropped) is closed and the search run once
more on a new one."""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.exception import convert_exception_to_response
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from jaim.locale import JapaneseFirstLocaleMiddleware


class AnonymousRosterMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._path: str | None = None
        self._cookies = frozenset({settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME})
        inner = convert_exception_to_response(self._search)
        for middleware in (XFrameOptionsMiddleware, CsrfViewMiddleware, CommonMiddleware):
            inner = convert_exception_to_response(middleware(inner))
        self._fast = JapaneseFirstLocaleMiddleware(inner)

    def __call__(self, request):
        if self._path is None:
            self._path = reverse("roster:search")
        if (
            request.method == "GET"
            and request.path_info == self._path
            and not settings.DEBUG
            and self._cookies.issuperset(request.COOKIES)
        ):
            return self._fast(request)
        return self.get_response(request)

    @staticmethod
    def _search(request):
        from roster.views import search

        request.user = AnonymousUser()
        response = read_only(search, request)
        patch_vary_headers(response, ("Cookie",))
        return response


def read_only(view, request):
    """Run a view that only reads without the connection's health check; on a connection error, once more on a
    new connection (nothing was written, so running it twice changes nothing)."""
    connection = connections[DEFAULT_DB_ALIAS]
    connection.health_check_done = True  # Django's own flag: set when a new connection is made
    try:
        return view(request)
    except (OperationalError, InterfaceError):
        # Only a broken connection is worth a second try (a query cancelled by statement_timeout is not).
        if connection.in_atomic_block or connection.connection is None or connection.is_usable():
            raise
        connection.close()
        return view(request)
