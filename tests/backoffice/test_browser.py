"""The staff pages in a real browser: the dashboard's SVG charts are drawn (no JavaScript library, nothing from a
CDN) and no page of backoffice raises a Content-Security-Policy violation."""

import datetime as dt
import os

import pytest

from tests.e2e.browser import CHROMIUM_ARGS
from tests.security.helpers import browser_admin_sign_in, staff_user, totp_device
from tests.security.test_browser_csp import portal_server  # noqa: F401 - fixture

PAGES = [
    "/admin/",
    "/admin/ops/imports/new/",
    "/admin/ops/exports/",
    "/admin/ops/reports/",
    "/admin/ops/reports/review-time/",
    "/admin/ops/reports/revenue/",
    "/admin/ops/reports/associations/",
    "/admin/ops/reports/wage-reports/",
    "/admin/backoffice/announcement/",
    "/admin/backoffice/councilrecord/",
    "/admin/backoffice/memberresource/add/",
    "/info/",
    "/info/subscribe/",
]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_dashboard_charts_render_and_backoffice_pages_raise_no_csp_violation(portal_server, monkeypatch):  # noqa: F811
    from playwright.sync_api import sync_playwright

    from tests.factories import EstablishmentFactory, membership_for

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop runs in this thread
    for pref in ("23", "13", "23"):
        membership_for(EstablishmentFactory(prefecture=pref), active_on=dt.date(2026, 7, 1))
    staff = staff_user(is_superuser=True)
    device = totp_device(staff)
    violations, statuses, external = [], {}, []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("JAIM_CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on(
            "console",
            lambda m: violations.append((page.url, m.text)) if "Content Security Policy" in m.text else None,
        )
        page.on(
            "request",
            lambda r: external.append(r.url) if not r.url.startswith(portal_server.url) else None,
        )
        browser_admin_sign_in(page, portal_server.url, staff, device)
        charts = page.locator("svg.bo-chart")
        assert charts.count() >= 6
        box = page.locator("section[aria-labelledby=bo-pref] svg.bo-chart").bounding_box()
        assert box["width"] > 150 and box["height"] > 20  # drawn at a readable size, not collapsed
        bars = page.locator("section[aria-labelledby=bo-pref] svg.bo-chart rect.bo-bar")
        assert bars.count() == 2  # 愛知県 and 東京都
        fill = bars.first.evaluate("e => getComputedStyle(e).fill")
        assert fill not in ("", "none", "rgb(0, 0, 0)")  # coloured by the stylesheet (no inline style)
        for path in PAGES:
            response = page.goto(portal_server.url + path)
            page.wait_for_load_state("load")
            statuses[path] = response.status
        browser.close()
    assert {path: code for path, code in statuses.items() if code != 200} == {}
    assert violations == []
    assert external == []
