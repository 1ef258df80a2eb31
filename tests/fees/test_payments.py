"""Payments: by hand, from a bank statement CSV (matching, review, malformed files), membership activation (R9)."""

import datetime as dt

import pytest

from fees import selectors, services
from fees.kana import normalise_payer_name, to_zengin_kana
from fees.models import BankStatementImport, BankStatementLine, Invoice, Payment
from jaim.errors import DomainError
from jaim.models import OutboxMessage
from members.models import Membership
from tests.factories import EstablishmentFactory, OrganisationFactory, membership_for
from tests.fees.factories import BillingContactFactory, FeeScheduleFactory

pytestmark = pytest.mark.django_db

HEADER = "booked_on,direction,amount_yen,payer_name_raw,description_raw,balance_yen,bank_reference\n"


@pytest.fixture(autouse=True)
def _schedule(db):
    FeeScheduleFactory(fiscal_year=2026)


def _invoice(org, notice=dt.date(2026, 6, 10)):
    m = membership_for(EstablishmentFactory(organisation=org), fee_notice_date=notice)
    return services.bill_new_membership(m, notice_date=notice, application_date=dt.date(2026, 5, 1))


@pytest.fixture
def yamada():
    return OrganisationFactory(
        name="株式会社ヤマダ製作所",
        name_kana="ヤマダセイサクショ",
        capital_yen=900_000_000,
        regular_employees=900,
    )


def _csv(*rows):
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


# --- by hand ------------------------------------------------------------------------------------------------


def test_first_full_payment_makes_the_membership_active_from_the_payment_date_r9(yamada):
    inv = _invoice(yamada)
    services.record_payment([inv], amount_yen=100_000, received_on=dt.date(2026, 7, 3), payer_name="ｶ)ﾔﾏﾀﾞ")
    inv.refresh_from_db()
    m = Membership.objects.get(pk=inv.membership_id)
    assert inv.status == "PAID" and inv.paid_on == dt.date(2026, 7, 3)
    assert m.status == "ACTIVE" and m.activated_on == dt.date(2026, 7, 3)


def test_a_partial_payment_keeps_the_invoice_open_and_the_member_unlisted(yamada):
    inv = _invoice(yamada)
    services.record_payment([inv], amount_yen=40_000, received_on=dt.date(2026, 7, 3))
    inv.refresh_from_db()
    assert inv.status == "ISSUED" and selectors.outstanding_yen(inv) == 60_000
    assert Membership.objects.get(pk=inv.membership_id).status == "AWAITING_PAYMENT"
    services.record_payment([inv], amount_yen=60_000, received_on=dt.date(2026, 7, 20))
    assert Membership.objects.get(pk=inv.membership_id).activated_on == dt.date(2026, 7, 20)


def test_paying_more_than_is_due_is_refused_no_refunds_f13(yamada):
    inv = _invoice(yamada)
    with pytest.raises(DomainError, match="超えています"):
        services.record_payment([inv], amount_yen=100_001, received_on=dt.date(2026, 7, 3))
    assert not Payment.objects.exists()


def test_one_payment_cannot_mix_invoices_of_two_companies(yamada):
    a, b = _invoice(yamada), _invoice(OrganisationFactory())
    with pytest.raises(DomainError):
        services.record_payment([a, b], amount_yen=200_000, received_on=dt.date(2026, 7, 3))


def test_payment_mail_goes_to_the_billing_contact(yamada, django_capture_on_commit_callbacks):
    inv = _invoice(yamada)
    BillingContactFactory(organisation=yamada, email="keiri@yamada.example.jp")
    services.record_payment([inv], amount_yen=100_000, received_on=dt.date(2026, 7, 3))
    assert list(OutboxMessage.objects.filter(kind="fees_payment_received").values_list("to", flat=True)) == [
        "keiri@yamada.example.jp"
    ]


# --- statement import: matching ---------------------------------------------------------------------------


def test_statement_line_with_same_amount_and_payer_kana_is_matched(yamada):
    inv = _invoice(yamada)
    stmt = services.import_bank_statement(
        _csv("2026-07-10,in,100000,ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ,振込　ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ,1520000,"),
        file_name="a.csv",
        bank_format="canonical",
    )
    assert stmt.counts["matched"] == 1 and stmt.counts["unmatched"] == 0
    line = stmt.lines.get()
    inv.refresh_from_db()
    assert line.status == "MATCHED" and line.payment.allocations.get().invoice == inv
    assert inv.status == "PAID" and inv.paid_on == dt.date(2026, 7, 10)
    assert Membership.objects.get(pk=inv.membership_id).status == "ACTIVE"


def test_one_transfer_settles_several_invoices_of_one_company(yamada):
    a = _invoice(yamada, dt.date(2026, 6, 10))  # 100,000
    b = _invoice(yamada, dt.date(2026, 7, 1))  # 90,000
    stmt = services.import_bank_statement(
        _csv("2026-07-10,in,190000,ﾔﾏﾀﾞｾｲｻｸｼﾖ(ｶ,,,"), file_name="b.csv", bank_format="canonical"
    )
    assert stmt.counts["matched"] == 1
    assert set(Invoice.objects.filter(pk__in=[a.pk, b.pk]).values_list("status", flat=True)) == {"PAID"}


def test_amount_that_matches_nothing_stays_unmatched_and_nothing_is_settled(yamada):
    inv = _invoice(yamada)
    stmt = services.import_bank_statement(
        _csv("2026-07-10,in,99340,ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ,,,"), file_name="c.csv", bank_format="canonical"
    )  # bank fee deducted: one-sided match goes to review
    line = stmt.lines.get()
    inv.refresh_from_db()
    assert line.status == "UNMATCHED" and line.payment is None and "金額" in line.note
    assert inv.status == "ISSUED" and not Payment.objects.exists()


def test_amount_alone_never_matches(yamada):
    _invoice(yamada)
    stmt = services.import_bank_statement(
        _csv("2026-07-10,in,100000,ｽｽﾞｷｼﾖｳｼﾞ,,,"), file_name="d.csv", bank_format="canonical"
    )
    assert stmt.lines.get().status == "UNMATCHED" and not Payment.objects.exists()


def test_two_equal_invoices_of_one_company_and_one_transfer_is_not_guessed(yamada):
    a, b = _invoice(yamada), _invoice(yamada)
    stmt = services.import_bank_statement(
        _csv("2026-07-10,in,100000,ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ,,,"), file_name="e.csv", bank_format="canonical"
    )
    assert stmt.lines.get().status == "UNMATCHED"
    assert set(Invoice.objects.filter(pk__in=[a.pk, b.pk]).values_list("status", flat=True)) == {"ISSUED"}


def test_member_number_typed_by_the_payer_picks_one_of_two_equal_invoices(yamada):
    a, b = _invoice(yamada), _invoice(yamada)
    digits = b.member_number.lstrip("J").lstrip("0")
    stmt = services.import_bank_statement(
        _csv(f"2026-07-10,in,100000,{digits} ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ,,,"), file_name="f.csv", bank_format="canonical"
    )
    assert stmt.lines.get().status == "MATCHED"
    assert Invoice.objects.get(pk=b.pk).status == "PAID" and Invoice.objects.get(pk=a.pk).status == "ISSUED"


def test_review_suggestions_offer_same_amount_and_similar_kana_but_settle_nothing(yamada):
    """zengin.md §4: an unmatched line shows candidates; nothing is settled until finance chooses."""
    inv = _invoice(yamada)
    other = _invoice(
        OrganisationFactory(name_kana="スズキショウジ", capital_yen=900_000_000, regular_employees=900)
    )
    stmt = services.import_bank_statement(
        _csv("2026-07-10,in,99340,ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ,,,"), file_name="e.csv", bank_format="canonical"
    )  # the bank fee was deducted: not matched
    same_amount, similar = selectors.match_suggestions(stmt.lines.get())
    assert same_amount == []  # ¥99,340 is no invoice's amount
    assert similar == [inv]  # ヤマダ… starts like the payer; スズキ does not
    stmt2 = services.import_bank_statement(
        _csv("2026-07-11,in,100000,ﾀﾅｶｼﾖｳｼﾞ,,,"), file_name="f.csv", bank_format="canonical"
    )
    same_amount, similar = selectors.match_suggestions(stmt2.lines.get())
    assert set(same_amount) == {inv, other} and similar == []
    assert not Payment.objects.exists()


def test_unmatched_line_is_settled_by_finance_on_the_review_screen(yamada):
    inv = _invoice(yamada)
    stmt = services.import_bank_statement(
        _csv("2026-07-10,in,100000,ﾀﾅｶ ﾀﾛｳ,,,"), file_name="g.csv", bank_format="canonical"
    )
    line = stmt.lines.get()
    services.settle_statement_line(line, [inv], by=None, note="代表者個人名義での振込（電話で確認）")
    line.refresh_from_db()
    inv.refresh_from_db()
    assert line.status == "MANUAL" and inv.status == "PAID"
    with pytest.raises(DomainError):
        services.settle_statement_line(line, [inv], by=None)


def test_outgoing_lines_are_kept_but_never_matched(yamada):
    _invoice(yamada)
    stmt = services.import_bank_statement(
        _csv("2026-07-10,out,100000,ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ,,,"), file_name="h.csv", bank_format="canonical"
    )
    assert stmt.lines.get().status == "IGNORED" and not Payment.objects.exists()


def test_importing_the_same_lines_again_adds_nothing(yamada):
    _invoice(yamada)
    data = _csv("2026-07-10,in,100000,ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ,振込,1520000,")
    services.import_bank_statement(data, file_name="i.csv", bank_format="canonical")
    again = services.import_bank_statement(data, file_name="i.csv", bank_format="canonical")
    assert again.counts["duplicates"] == 1 and again.counts["new"] == 0
    assert BankStatementLine.objects.count() == 1 and Payment.objects.count() == 1


# --- statement import: malformed files ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        ("2026-13-10,in,100000,ｶ)ﾔﾏﾀﾞ,,,", "日付"),
        ("2026-07-10,in,10万円,ｶ)ﾔﾏﾀﾞ,,,", "金額"),
        ("2026-07-10,sideways,100000,ｶ)ﾔﾏﾀﾞ,,,", "direction"),
        ("2026-07-10,in,-5,ｶ)ﾔﾏﾀﾞ,,,", "金額"),
    ],
)
def test_malformed_file_is_rejected_with_its_line_number_and_nothing_is_imported(yamada, bad_row, message):
    _invoice(yamada)
    data = _csv("2026-07-10,in,100000,ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ,,,", "2026-07-11,in,5000,ｽｽﾞｷ,,,", bad_row)
    with pytest.raises(DomainError) as err:
        services.import_bank_statement(data, file_name="bad.csv", bank_format="canonical")
    assert "4行目" in err.value.message and message in err.value.message
    assert not BankStatementImport.objects.exists() and not BankStatementLine.objects.exists()
    assert not Payment.objects.exists()


def test_file_without_the_canonical_header_is_rejected():
    with pytest.raises(DomainError, match="1行目"):
        services.import_bank_statement(
            b"date,amount\n2026-07-10,100\n", file_name="x.csv", bank_format="canonical"
        )


def test_bank_adapters_produce_canonical_rows(yamada):
    inv = _invoice(yamada)
    sbi = '日付,内容,出金金額(円),入金金額(円),残高(円),メモ\n2026/07/10,振込　ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ,,"100,000","1,520,000",\n2026/07/11,手数料,440,,"1,519,560",\n'
    stmt = services.import_bank_statement(sbi.encode("cp932"), file_name="sbi.csv", bank_format="sbi")
    assert stmt.counts == {"rows": 2, "new": 2, "duplicates": 0, "incoming": 1, "matched": 1, "unmatched": 0}
    inv.refresh_from_db()
    assert inv.status == "PAID"
    rakuten = "取引日,入出金(円),取引後残高(円),入出金内容\n20260712,-300,1519260,振込手数料\n20260712,5000,1524260,ﾌﾘｺﾐ ｽｽﾞｷ\n"
    stmt = services.import_bank_statement(rakuten.encode("cp932"), file_name="r.csv", bank_format="rakuten")
    assert [(r.direction, r.amount_yen, r.payer_name_raw) for r in stmt.lines.order_by("line_number")] == [
        ("out", 300, ""),
        ("in", 5000, "ｽｽﾞｷ"),
    ]
    smbc = "年月日,お引出し,お預入れ,お取り扱い内容,残高\n2026/07/13,,abc,振込 ｻﾄｳ,1\n"
    with pytest.raises(DomainError, match="2行目"):
        services.import_bank_statement(smbc.encode("cp932"), file_name="s.csv", bank_format="smbc")


# --- name normalisation (zengin.md §3–4) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key", "form"),
    [
        ("ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ", "ヤマダセイサクシヨ", "カ"),
        ("振込　ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ", "ヤマダセイサクシヨ", "カ"),
        ("ﾔﾏﾀﾞｾｲｻｸｼﾖ(ｶ", "ヤマダセイサクシヨ", "カ"),
        ("ｶﾌﾞ)ﾔﾏﾀﾞｾｲｻｸｼﾖ", "ヤマダセイサクシヨ", "カ"),
        ("ｶ.ﾔﾏﾀﾞｾｲｻｸｼﾖ", "ヤマダセイサクシヨ", "カ"),
        ("カブシキガイシャ　ヤマダセイサクショ", "ヤマダセイサクシヨ", "カ"),
        ("ヤマダセイサクショ", "ヤマダセイサクシヨ", ""),
        ("ﾔﾏﾀﾞ(ｶ)ｵｵｻｶ(ｴｲ", "ヤマダオオサカ", "カ"),
        ("ﾕ)ｽｽﾞｷ-ﾃﾂｺｳ", "スズキテツコウ", "ユ"),
        ("シャ）ミライ・テック", "ミライテツク", "シヤ"),
    ],
)
def test_payer_names_normalise_to_one_key(raw, key, form):
    assert normalise_payer_name(raw)[:2] == (key, form)


def test_member_number_digits_are_taken_apart():
    assert normalise_payer_name("1001 ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ") == ("ヤマダセイサクシヨ", "カ", "1001")
    assert normalise_payer_name("ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ1001")[2] == "1001"


def test_zengin_kana_conversion_follows_the_bank_rules():
    assert to_zengin_kana("ガッコウ・キョウイク") == "ｶﾞﾂｺｳ ｷﾖｳｲｸ"
    assert to_zengin_kana("ミツビシユ－エフジエイ") == "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ"
    assert to_zengin_kana("ヴィラ") == "ｳﾞｲﾗ"
    with pytest.raises(ValueError):
        to_zengin_kana("山田")
