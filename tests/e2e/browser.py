"""What the browser journeys share: the project served over HTTP by the test process, Debian's Chromium, and a
`Visitor` (one person's browser context) that takes a screenshot of every step, runs axe-core on a page, checks
the page at phone width and collects Content-Security-Policy violations and JavaScript errors."""

import collections
import os
import re
import socketserver
import threading
from dataclasses import dataclass, field
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings

CHROMIUM = os.environ.get("JAIM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=ja-JP",  # as a Japanese user's browser: date inputs read yyyy/mm/dd
]
DESKTOP = {"width": 1280, "height": 900}
PHONE_WIDTH = 390
AXE_JS = Path(__file__).with_name("vendor") / "axe.min.js"
# axe-core rules are checked as shipped; impacts that fail a page:
FAILING_IMPACTS = {"serious", "critical"}


def artifacts_dir() -> Path:
    """Screenshots go to $JAIM_ARTIFACTS_DIR/e2e (CI keeps them as artifacts); default artifacts/e2e (git-ignored)."""
    root = os.environ.get("JAIM_ARTIFACTS_DIR") or str(Path(settings.BASE_DIR) / "artifacts")
    path = Path(root) / "e2e"
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- the live server -------------------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):  # the tests read the browser, not the access log
        pass

    def handle(self):
        try:
            super().handle()
        finally:
            # Each request has its own thread: leave no connection behind (the test database is dropped at the end).
            from django.db import connections

            connections.close_all()


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class LiveServer:
    """The project (with its static files) on a free port of 127.0.0.1, served by threads of the test process so
    that it sees the test database. (pytest-django's live_server mounts MEDIA_URL, which this project leaves unset:
    uploads have no public URL.)"""

    def __init__(self):
        from django.contrib.staticfiles.handlers import StaticFilesHandler
        from django.core.handlers.wsgi import WSGIHandler

        self._server = make_server(
            "127.0.0.1",
            0,
            StaticFilesHandler(WSGIHandler()),
            server_class=_ThreadingServer,
            handler_class=_QuietHandler,
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()


# --- one person's browser ----------------------------------------------------------------------------------


@dataclass
class Visitor:
    """A browser context for one person in one journey. `shot()` numbers the screenshots in the order taken."""

    browser: object
    base_url: str
    journey: str
    who: str
    viewport: dict = field(default_factory=lambda: dict(DESKTOP))
    csp_violations: list = field(default_factory=list)
    js_errors: list = field(default_factory=list)
    failed_responses: list = field(default_factory=list)

    def __post_init__(self):
        self.context = self.browser.new_context(
            viewport=self.viewport, locale="ja-JP", timezone_id="Asia/Tokyo", accept_downloads=True
        )
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.js_errors.append((self.page.url, str(exc))))
        self.page.on("response", self._response)
        self.folder = artifacts_dir() / self.journey
        self.folder.mkdir(parents=True, exist_ok=True)

    # events
    def _console(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp_violations.append((self.page.url, message.text))

    def _response(self, response):
        if response.status >= 500:
            self.failed_responses.append((response.status, response.url))

    # navigation
    def goto(self, path: str):
        response = self.page.goto(self.base_url + path if path.startswith("/") else path)
        assert response is not None and response.status < 400, (path, response and response.status)
        return response

    def submit(self, button_text: str, *, within: str = "main"):
        """Press a submit button by its visible text and wait for the next page."""
        with self.page.expect_navigation():
            self.page.locator(within).get_by_role("button", name=button_text, exact=True).first.click()

    def follow(self, link_text: str, *, within: str = "main", exact: bool = True):
        with self.page.expect_navigation():
            self.page.locator(within).get_by_role("link", name=link_text, exact=exact).first.click()

    def text(self) -> str:
        return self.page.locator("body").inner_text()

    def download(self, click) -> bytes:
        """Run `click` (a callable that starts a download) and return the downloaded bytes."""
        with self.page.expect_download() as info:
            click()
        download = info.value
        with open(download.path(), "rb") as fh:
            data = fh.read()
        (self.folder / download.suggested_filename).write_bytes(data)
        return data

    # evidence
    def shot(self, label: str) -> Path:
        _SHOTS[self.journey] += 1
        name = re.sub(r"[^0-9A-Za-z_-]+", "-", label).strip("-")
        path = self.folder / f"{_SHOTS[self.journey]:03d}-{self.who}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def assert_accessible(self, label: str):
        """axe-core on the current page: no serious or critical violation (WCAG 2.x A/AA and best practices)."""
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            # evaluate() runs as the DevTools protocol, outside the page's CSP (a script tag would be refused).
            self.page.evaluate(AXE_SOURCE())
        violations = self.page.evaluate(
            """async () => {
                const r = await axe.run(document, {resultTypes: ['violations']});
                return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
            }"""
        )
        bad = [v for v in violations if v["impact"] in FAILING_IMPACTS]
        assert bad == [], f"axe-core on {label} ({self.page.url}): {bad}"
        return violations

    def assert_fits_phone(self, label: str):
        """At 390 px wide nothing scrolls sideways (the page, not a table inside its own scroller)."""
        self.page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
        try:
            self.page.wait_for_timeout(50)
            width = self.page.evaluate("document.scrollingElement.scrollWidth")
            culprits = []
            if width > PHONE_WIDTH:
                culprits = self.page.evaluate(
                    """(w) => [...document.querySelectorAll('body *')]
                        .filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest('.table-wrap'))
                        .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 40))""",
                    PHONE_WIDTH,
                )
            self.shot(f"{label}-phone")
            assert width <= PHONE_WIDTH, (
                f"{label} at {PHONE_WIDTH}px scrolls sideways ({width}px): {culprits}"
            )
        finally:
            self.page.set_viewport_size(self.viewport)

    def assert_japanese_dates(self, label: str):
        """Days are written 2026年4月1日 (never 2026-04-01 or 04/01/2026) in what the page shows."""
        shown = self.page.locator("main").inner_text()
        iso = re.findall(r"\b20\d\d[-/]\d{1,2}[-/]\d{1,2}\b|\b\d{1,2}/\d{1,2}/20\d\d\b", shown)
        assert iso == [], f"{label}: dates not in Japanese style: {iso}"

    def check_page(self, label: str, *, phone: bool = True, axe: bool = True):
        """The usual evidence for a key page: screenshot, axe-core, phone width, Japanese dates."""
        self.shot(label)
        self.assert_japanese_dates(label)
        if axe:
            self.assert_accessible(label)
        if phone:
            self.assert_fits_phone(label)

    def assert_clean(self):
        assert self.csp_violations == [], self.csp_violations
        assert self.js_errors == [], self.js_errors
        assert self.failed_responses == [], self.failed_responses

    def close(self):
        self.context.close()


_SHOTS: collections.Counter = (
    collections.Counter()
)  # per journey, so one journey's people interleave in order
_AXE: list[str] = []


def AXE_SOURCE() -> str:  # noqa: N802 - read once, lazily
    if not _AXE:
        _AXE.append(AXE_JS.read_text(encoding="utf-8"))
    return _AXE[0]
