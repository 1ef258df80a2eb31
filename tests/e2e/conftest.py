"""Fixtures of the browser journeys: a live server on a free port, Debian's Chromium through Playwright, and
`visitor(who)` that opens one person's browser context. Each journey's screenshots are written under
$JAIM_ARTIFACTS_DIR/e2e/<journey>/ (a fresh folder per run)."""

import shutil

import pytest

from tests.e2e.browser import _SHOTS, CHROMIUM, CHROMIUM_ARGS, LiveServer, Visitor, artifacts_dir

_CLEANED: set[str] = set()


@pytest.fixture
def server(settings):
    """The project over HTTP; links in e-mails and PDFs (SITE_URL) point at it."""
    live = LiveServer()
    settings.SITE_URL = live.url
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
def chromium(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's event loop runs in this thread; the test's own ORM calls are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            # Inside Playwright's context the test's ORM calls got their own connection (Django keys connections
            # by context, not only by thread): close it here, or the test database cannot be dropped at the end.
            from django.db import connections

            connections.close_all()


@pytest.fixture
def visitor(request, chromium, server):
    """visitor("applicant") → a Visitor for this journey (named after the test module)."""
    journey = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    if journey not in _CLEANED:  # a fresh folder per run; tests of one module add to it
        shutil.rmtree(artifacts_dir() / journey, ignore_errors=True)
        _SHOTS[journey] = 0
        _CLEANED.add(journey)
    opened: list[Visitor] = []

    def open_visitor(who: str, **kwargs) -> Visitor:
        v = Visitor(chromium, server.url, journey, who, **kwargs)
        opened.append(v)
        return v

    yield open_visitor
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for v in opened:
        if failed:  # what each person saw when the journey broke
            try:
                v.shot("FAILED")
            except Exception:  # noqa: BLE001 - the page may be gone; the failure itself is reported
                pass
        v.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
