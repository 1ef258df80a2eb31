"""The timeline in a real browser: a reviewer signs in, writes a note on an establishment's timeline and sees it
at the top of the history, with no Content-Security-Policy violation. The screenshot is kept
(artifacts/e2e/timeline.png)."""

import datetime as dt
import os

import pytest

from tests.e2e.browser import CHROMIUM_ARGS, artifacts_dir
from tests.security.helpers import browser_admin_sign_in, staff_user, totp_device
from tests.security.test_browser_csp import portal_server  # noqa: F401 - fixture


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_reviewer_writes_a_note_and_sees_it_on_the_timeline(portal_server, monkeypatch):  # noqa: F811
    from playwright.sync_api import sync_playwright

    from backoffice import services
    from tests.backoffice import factories as bf
    from tests.factories import EstablishmentFactory, membership_for

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop runs in this thread
    est = EstablishmentFactory(name="本社工場")
    membership = membership_for(est, fee_notice_date=dt.date(2026, 6, 10))
    bf.invoice(membership, total_yen=120_000)
    finance = staff_user(group="finance")
    services.add_note(est, kind="VISIT", text="経理ご担当の来訪。口座振替依頼書を受領。", by=finance)
    struck = services.add_note(est, kind="MEMO", text="宛名変更の要望（確認中）", by=finance)
    services.strike_note(struck, reason="別の会社の要望と取り違えたため", by=finance)
    reviewer = staff_user(group="reviewer")
    device = totp_device(reviewer)
    violations = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("JAIM_CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on(
            "console",
            lambda m: violations.append((page.url, m.text)) if "Content Security Policy" in m.text else None,
        )
        browser_admin_sign_in(page, portal_server.url, reviewer, device)
        page.goto(f"{portal_server.url}/admin/members/establishment/{est.pk}/change/")
        page.get_by_role("link", name="対応履歴・職員メモ").click()
        page.get_by_label("電話").check()
        page.get_by_label("内容").fill("総務部の佐藤様より電話。第二工場の入会申請を来月提出予定。")
        page.get_by_role("button", name="記録する").click()
        page.wait_for_load_state("load")
        first = page.locator("table.bo-timeline tbody tr").first
        assert "総務部の佐藤様より電話" in first.inner_text()
        assert page.locator("table.bo-timeline del").inner_text() == "宛名変更の要望（確認中）"
        assert "修正" in first.inner_text()  # its author may still correct it
        page.screenshot(path=str(artifacts_dir() / "timeline.png"), full_page=True)
        browser.close()
    assert violations == []
