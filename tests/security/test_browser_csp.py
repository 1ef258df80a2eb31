"""Security in a real browser: the portal's 2FA pages and the Django admin work under the CSP — Chromium reports
no violation (an inline script, style or handler anywhere would be refused and logged)."""

import os
import socketserver
import threading
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from tests.e2e.browser import CHROMIUM_ARGS
from tests.security.helpers import browser_admin_sign_in, staff_user, totp_device

ADMIN_PAGES = [
    "/admin/",
    "/admin/members/user/",
    "/admin/members/user/{staff}/change/",
    "/admin/members/user/{staff}/history/",
    "/admin/members/user/add/",
    "/admin/members/establishment/",
    "/admin/members/organisation/add/",
    "/admin/jaim/auditevent/",
    "/admin/jaim/retentionpolicy/",
    "/admin/auth/group/1/change/",
    "/admin/otp_totp/totpdevice/",
]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):  # the test reads the browser, not the access log
        pass


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


@pytest.fixture
def portal_server():
    """The project served over HTTP with its static files. (pytest-django's live_server cannot be used: Django's
    live server mounts MEDIA_URL, which this project deliberately leaves unset — uploads have no public URL.)"""
    from types import SimpleNamespace

    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.handlers.wsgi import WSGIHandler

    server = make_server(
        "127.0.0.1",
        0,
        StaticFilesHandler(WSGIHandler()),
        server_class=_ThreadingServer,
        handler_class=_QuietHandler,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_and_two_factor_pages_raise_no_csp_violation_in_chromium(portal_server, monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop runs in this thread
    staff = staff_user(is_superuser=True)
    device = totp_device(staff)
    violations, statuses = [], {}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("JAIM_CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        page.on(
            "console",
            lambda m: violations.append((page.url, m.text)) if "Content Security Policy" in m.text else None,
        )
        browser_admin_sign_in(page, portal_server.url, staff, device)
        for path in ADMIN_PAGES:
            url = portal_server.url + path.format(staff=staff.pk)
            response = page.goto(url)
            page.wait_for_load_state("load")
            statuses[path] = response.status
        # The date/time widgets and the filter widget run their JavaScript on these pages.
        page.goto(portal_server.url + f"/admin/members/user/{staff.pk}/change/")
        page.click("#calendarlink0")
        page.goto(portal_server.url + "/accounts/2fa/")
        browser.close()
    assert {path: code for path, code in statuses.items() if code != 200} == {}
    assert violations == []
