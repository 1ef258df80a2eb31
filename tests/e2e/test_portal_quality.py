"""Portal quality in a real browser, beyond the journeys: the portal can be used with the keyboard alone (skip link
first, a sensible focus order, the error summary takes the focus and leads to the field), and work done in the
background — PDFs rendered by a Celery task — shows its state ("作成中") and the page updates itself instead of
a request that hangs."""

import pytest
from playwright.sync_api import expect

from applications import services
from fees import services as fees_services
from fees import tasks as fees_tasks
from fees.models import Invoice
from tests.applications.factories import applicant, submitted
from tests.e2e import data
from tests.security.helpers import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def focused(page) -> str:
    """What has the keyboard focus: its id, else its text."""
    return page.evaluate("() => document.activeElement.id || document.activeElement.textContent.trim()")


def sign_in(person, user):
    page = person.page
    person.goto("/accounts/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    person.submit("ログイン")


def test_keyboard_alone_skips_to_the_content_moves_in_order_and_lands_on_the_error_summary(visitor):
    user, _est = applicant()
    me = visitor("keyboard")
    page = me.page

    # Sign-up sent empty: the summary at the top takes the focus; its first link leads into the e-mail field
    me.goto("/accounts/signup/")
    page.keyboard.press("Tab")
    assert focused(page) == "本文へスキップ"
    assert page.locator("a.skip").bounding_box()["x"] >= 0  # shown on screen while focused
    me.shot("skip-link-focused")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert focused(page) == "id_email"  # the first field of the page's content, past the menu
    for _ in range(4):
        page.keyboard.press("Tab")
    assert focused(page) == "登録する"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".error-summary")).to_be_focused()
    me.shot("error-summary-focused")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert focused(page) == "id_email"

    # Sign in by keyboard: the login form's fields and button in reading order, Enter submits
    me.goto("/accounts/login/")
    assert focused(page) == "id_username"  # autofocus
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    assert focused(page) == "id_password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    assert focused(page) == "ログイン"
    page.keyboard.press("Tab")
    assert focused(page) == "パスワードをお忘れの方"
    page.keyboard.press("Shift+Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/mypage/")
    me.shot("signed-in-by-keyboard")
    me.assert_clean()


def test_invoice_pdfs_being_rendered_show_their_state_and_the_page_updates_itself(visitor, monkeypatch):
    data.fee_schedule_for_this_year()
    user, est = applicant()
    app = services.start_review(submitted(est, user), reviewer=data.reviewer())
    queued = []
    # The PDFs are queued for a worker that has not run yet.
    monkeypatch.setattr(fees_tasks.render_invoice_documents, "delay", lambda *args: queued.append(args))
    services.approve_application(app, reviewer=app.reviewer)
    invoice = Invoice.objects.get(membership__establishment=est)
    assert queued == [([invoice.pk],)] and not invoice.pdf

    me = visitor("member")
    sign_in(me, user)
    me.goto(f"/mypage/establishments/{est.pk}/")
    fees = me.page.locator("#fees")
    expect(fees).to_contain_text("請求書PDF：作成中")
    expect(fees).to_contain_text("会費通知書PDF：作成中")
    expect(fees.get_by_role("link", name="請求書PDF")).to_have_count(0)
    expect(fees.locator("[data-refresh-help]")).to_be_visible()
    me.check_page("invoice-pdf-pending", phone=False)

    # The worker runs; the open page notices by itself (it reloads every few seconds while something is pending)
    fees_services.store_document_pdf("invoice", invoice.pk)
    fees_services.store_document_pdf("notice", invoice.pk)
    expect(fees.get_by_role("link", name="会費通知書PDF")).to_be_visible(timeout=20_000)
    expect(fees.locator(".pending")).to_have_count(0, timeout=20_000)
    expect(fees.locator("[data-refresh-help]")).to_be_hidden()
    me.shot("invoice-pdf-ready")
    pdf = me.download(lambda: fees.get_by_role("link", name="請求書PDF").click())
    assert pdf.startswith(b"%PDF") and invoice.number in data.pdf_text(pdf)
    me.assert_clean()
