"""Portal quality, journey 1 — an establishment in a real browser: sign up, verify the address from the outbox mail, register
the company and two sites (the postal code fills the address), apply for one with a printing (JSIC 15) code and its
documents, get returned for correction, fix and resubmit; after approval see the invoice and download its PDF;
after payment download the receipt and the membership confirmation PDF.

The secretariat's decisions here are made through the services (the staff journey drives the admin for them)."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from applications import services
from applications.models import Application
from fees import services as services_fees
from fees.models import Invoice
from jaim.dates import today
from jaim.models import OutboxMessage
from members.models import Establishment, Membership
from roster import selectors as roster_selectors
from tests.e2e import data
from tests.factories import representative_title

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

EMAIL = "soumu@kawaguchi-insatsu.example.jp"
ORGANISATION = "株式会社川口印刷"
RETURN_MESSAGE = "出荷実績の書類に、直近1年以内の納品書の画像が含まれていません。納品書の写しを追加して再提出してください。"
PASSWORD = "Kawaguchi-Insatsu-2026"


def upload(me, document_type: str, path, *, association: str | None = None):
    """The wizard's "書類を追加する" form on the current step: choose the type, the file, send."""
    form = me.page.locator("form[action$='/documents/']")
    form.locator("select[name=document_type]").select_option(label=document_type)
    if association:
        form.locator("select[name=association]").select_option(label=association)
    form.locator("input[type=file]").set_input_files(str(path))
    with me.page.expect_navigation():
        form.get_by_role("button", name="アップロードする").click()
    assert f"「{path.name}」を受け付けました" in me.text(), me.text()[:400]


def test_establishment_signs_up_applies_for_printing_is_returned_resubmits_pays_and_downloads(
    visitor, tmp_path
):
    tmp = tmp_path
    data.fee_schedule_for_this_year()
    me = visitor("applicant")
    page = me.page

    # Home → sign-up
    me.goto("/")
    me.check_page("home")
    me.follow("利用者登録（無料）")
    me.submit("登録する")  # empty: errors next to the fields and a summary at the top
    assert page.locator(".error-summary").is_visible()
    assert page.locator("#field-email .error").is_visible()
    me.check_page("signup-errors")
    page.fill("#id_email", EMAIL)
    page.fill("#id_full_name", "川口 花子")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    me.submit("登録する")
    me.shot("signup-done")
    assert EMAIL in me.text()

    # The verification link, from the real outbox row
    mail = OutboxMessage.objects.get(to=EMAIL, kind="verify_email")
    link = re.search(r"https?://\S+/accounts/verify/\S+/", mail.body).group(0)
    assert link.startswith(me.base_url)
    me.goto(link)
    assert "メールアドレスを確認しました" in me.text()
    me.check_page("login")
    page.fill("#id_username", EMAIL)
    page.fill("#id_password", PASSWORD)
    me.submit("ログイン")
    assert page.url.endswith("/mypage/")
    me.check_page("mypage-empty")

    # The company: the postal code fills prefecture and city
    me.follow("法人を登録する")
    page.check("input[name=kind][value=CORPORATION]")
    page.fill("#id_corporate_number", data.CORPORATE_NUMBER)
    page.fill("#id_name", ORGANISATION)
    page.fill("#id_name_kana", "カワグチインサツ")
    # R8: the kind of company, then its legal representative's title from the list (never typed)
    page.select_option("#id_legal_form", label="株式会社")
    page.select_option(
        "#id_representative_title", value=str(representative_title("kabushiki", "代表取締役").pk)
    )
    page.fill("#id_representative_name", "川口 一郎")
    page.fill("#id_postal_code", "332-0012")
    page.locator("#id_postal_code").blur()
    expect(page.locator("#id_city")).to_have_value("川口市")
    assert page.input_value("#id_prefecture") == "11"
    page.fill("#id_address_line", "本町1-2-3")
    page.fill("#id_phone", "048-123-4567")
    page.fill("#id_capital_yen", "30000000")
    page.fill("#id_regular_employees", "45")
    me.check_page("organisation-form")
    me.submit("保存する")
    assert "法人を登録しました" in me.text()
    me.shot("organisation")

    # Two sites; the postal code fills the address of each
    sites = [
        ("川口第一工場", "カワグチダイイチコウジョウ", "3320012", "川口市", "本町4-5-6"),
        (
            "川越工場",
            "かわごえこうじょう",
            "350-0001",
            "川越市",
            "古谷上100",
        ),  # hiragana furigana is converted
    ]
    for name, kana, postal, city, line in sites:
        me.follow("事業所を追加する")
        page.fill("#id_name", name)
        page.fill("#id_name_kana", kana)
        page.fill("#id_postal_code", postal)
        page.locator("#id_postal_code").blur()
        expect(page.locator("#id_city")).to_have_value(city)
        assert page.input_value("#id_prefecture") == "11"
        page.fill("#id_address_line", line)
        page.fill("#id_phone", "0481234568")
        page.fill("#id_operating_since", "2012-04-01")
        if name == "川口第一工場":
            me.check_page("establishment-form")
        me.submit("保存する")
        assert "事業所を登録しました" in me.text()
        me.goto("/mypage/")
        me.follow(ORGANISATION)  # back to the company for the next site
    # hiragana furigana is stored as katakana, the typed hyphen dropped
    assert Establishment.objects.filter(
        name="川越工場", name_kana="カワゴエコウジョウ", postal_code="3500001"
    ).exists()
    me.goto("/mypage/")
    me.check_page("mypage-two-sites")
    sites_table = page.get_by_role("table")
    expect(sites_table.get_by_role("link", name="川口第一工場")).to_be_visible()
    expect(sites_table.get_by_role("link", name="川越工場")).to_be_visible()

    # Apply for the first site from its page
    me.follow("川口第一工場", within="table")
    me.shot("establishment")
    me.follow("入会申請する")
    me.shot("start")
    me.submit("下書きを作成して始める")
    me.check_page("wizard-establishment")
    expect(page.locator("#draft-note")).to_contain_text("下書きとして保存されます")
    assert page.locator("ol.steps li[aria-current=step]").inner_text().startswith("事業所")
    next_step = lambda: me.submit("保存して次へ")  # noqa: E731
    next_step()

    # Codes: search and add printing (15) — 1511 offset printing
    page.fill("#id_q", "1511")
    me.submit("検索")
    page.locator("tr", has_text="1511").get_by_role("button", name="追加").click()
    page.wait_for_load_state()
    assert "分類 1511 を追加しました" in me.text()
    me.check_page("wizard-codes")
    next_step()

    # Add-on (printing): the association's membership card and the cooperative certificate
    me.check_page("wizard-addon")
    assert "印刷・同関連業" in me.text()
    upload(
        me,
        "業界団体が発行した正式な会員証",
        data.pdf_file(tmp, "会員証.pdf", "MEMBER CARD"),
        association="全日本印刷工業組合連合会",
    )
    upload(me, "組合加盟証明書", data.pdf_file(tmp, "組合加盟証明書.pdf", "COOPERATIVE"))
    next_step()

    # Shipments: pressing next without an answer shows the error next to the field and in the summary
    next_step()
    assert page.locator(".error-summary").is_visible()
    assert page.locator("#field-had_shipments .error").is_visible()
    me.check_page("wizard-shipment-error")
    page.check("input[name=had_shipments][value=yes]")
    page.get_by_role("button", name="下書き保存").click()
    page.wait_for_load_state()
    assert "下書きを保存しました" in me.text()
    me.shot("wizard-shipment-saved")
    upload(
        me,
        "製造品出荷額等の証明書類（産業分類別テンプレート）",
        data.pdf_file(tmp, "出荷実績_15.pdf", "SHIPMENTS 15"),
    )
    next_step()

    # Images of the product and the factory floor
    upload(me, "完成品（最終製品）の画像", data.png_file(tmp, "完成品.png", "PRODUCT"))
    upload(me, "製造設備・工場内部の画像", data.png_file(tmp, "工場内部.png", "FACTORY", (40, 120, 60)))
    me.check_page("wizard-images")
    next_step()

    # SME declaration with its proof
    page.check("#id_sme_claimed")
    page.fill("#id_capital_yen", "30000000")
    page.fill("#id_regular_employees", "45")
    page.select_option("#id_sme_proof_type", index=1)
    page.get_by_role("button", name="下書き保存").click()  # the proof's upload box appears once claimed
    page.wait_for_load_state()
    upload(me, "中小企業であることを示す書類", data.pdf_file(tmp, "労働保険申告書.pdf", "SME PROOF"))
    me.check_page("wizard-sme")
    next_step()

    # No regular-member association; pledges
    me.shot("wizard-association")
    next_step()
    me.check_page("wizard-pledges")
    for box in page.locator("input[type=checkbox][name^=pledge_]").all():
        box.check()
    next_step()

    # Review: the factory image is missing, so the checklist says so; submit anyway is refused
    me.check_page("wizard-review")
    assert page.locator(".checklist li.ng").count() == 0
    me.submit("この内容で提出する")
    app = Application.objects.get(establishment__name="川口第一工場")
    assert app.status == Application.Status.SUBMITTED
    assert f"受付番号：{app.receipt_number}" in me.text()
    me.shot("submitted")
    me.goto("/mypage/applications/")
    expect(page.get_by_role("table")).to_contain_text(app.receipt_number)
    me.check_page("applications-list")
    assert OutboxMessage.objects.filter(to=EMAIL, kind__contains="received").exists()

    # The secretariat asks for a correction (the staff journey drives this in the admin)
    reviewer = data.reviewer()
    app = services.start_review(app, reviewer=reviewer)
    services.return_application(
        app, reviewer=reviewer, message=RETURN_MESSAGE, deadline=today() + dt.timedelta(days=30)
    )
    me.goto("/mypage/")
    returned = page.locator(".msg-warning", has_text="修正依頼")
    expect(returned).to_contain_text(RETURN_MESSAGE)
    me.check_page("mypage-returned")
    returned.get_by_role("link", name="修正する").click()
    page.wait_for_load_state()
    assert RETURN_MESSAGE in me.text()
    me.shot("returned-application")
    me.follow("修正する")  # resumes at the review; the shipment step is where the delivery notes go
    me.goto(f"/mypage/applications/{app.pk}/step/shipment/")
    upload(
        me,
        "製造品出荷額等の証明書類（産業分類別テンプレート）",
        data.pdf_file(tmp, "納品書_2026.pdf", "DELIVERY NOTES"),
    )
    me.shot("returned-fixed-shipment")
    me.goto(f"/mypage/applications/{app.pk}/review/")
    me.submit("修正して再提出する")
    app.refresh_from_db()
    assert app.status == Application.Status.SUBMITTED and app.resubmitted_at is not None
    me.shot("resubmitted")

    # Approval → the first-year invoice on the establishment page, its PDF downloaded
    app = services.start_review(app, reviewer=reviewer)
    services.approve_application(app, reviewer=reviewer)
    invoice = Invoice.objects.get(membership__establishment=app.establishment)
    me.goto("/mypage/")
    me.follow("川口第一工場", within="table")
    fees = page.locator("#fees")
    expect(fees).to_contain_text(invoice.number)
    expect(fees).to_contain_text(f"{invoice.fiscal_year}年度")
    expect(fees).to_contain_text(f"¥{invoice.total_yen:,}")
    me.check_page("invoice")
    pdf = me.download(lambda: fees.get_by_role("link", name="請求書PDF").click())
    assert pdf.startswith(b"%PDF")
    assert invoice.number in data.pdf_text(pdf)
    assert ORGANISATION in data.pdf_text(pdf)

    # Finance records the bank transfer → paid, listed; the member issues its receipt (F11) and the confirmation
    services_fees.record_payment(
        [invoice],
        amount_yen=invoice.total_yen,
        received_on=today(),
        by=data.finance(),
        payer_name="カ)カワグチインサツ",
    )
    page.reload()
    expect(fees.locator(".badge-paid")).to_be_visible()
    with page.expect_navigation():
        fees.get_by_role("button", name="領収書を発行する").click()
    assert "領収書を発行しました" in me.text()
    receipt = me.download(lambda: page.locator("#fees").get_by_role("link", name="領収書PDF").click())
    assert receipt.startswith(b"%PDF") and "領収書" in data.pdf_text(receipt)
    roster_panel = page.locator("#roster")
    member_number = Membership.objects.get(establishment=app.establishment).member_number
    expect(roster_panel).to_contain_text(member_number)
    me.check_page("paid-and-listed")
    confirmation = me.download(
        lambda: roster_panel.get_by_role("button", name="会員確認書（PDF）を発行する").click()
    )
    text = data.pdf_text(confirmation)
    assert member_number in text and ORGANISATION in text
    assert data.qr_urls(confirmation) == [roster_selectors.entry_url(data.entry_token(app.establishment))]
    me.assert_clean()
