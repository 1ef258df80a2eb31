"""Direct debit (F7, F12): mandates, the 全銀 request file (byte-exact against zengin.md §6), result import."""

import dataclasses
import datetime as dt
import hashlib

import pytest

from fees import selectors, services, zengin
from fees.kana import to_zengin_kana as k
from fees.models import DebitMandate, DebitRun, Invoice
from jaim.errors import DomainError
from jaim.models import OutboxMessage, Sequence
from members.models import Membership
from tests.factories import EstablishmentFactory, OrganisationFactory, membership_for, withdraw
from tests.fees.factories import BillingContactFactory, FeeScheduleFactory, originator

COLLECTION = dt.date(2027, 2, 27)
REQUEST_CRLF_SHA = "94f0da2fcd14edd1aaa8bacb9f23526fc72bbab645df44809be021b5ab83d36d"
REQUEST_PLAIN_SHA = "8913be5a59659cf3f4feaa9f3bc81081fac01b7feaee5da4890ff07bee8e05f7"
RESULT_CRLF_SHA = "8924de594535d1c506c0e5badb8c0adf7bd237c8b60937707a90563c115e2fde"
EXAMPLE_LINES = [
    "19100000012345ｼﾔ)ﾆﾎﾝｾｲﾐﾂｷｷｺｳｷﾞﾖｳｶｲ                    02270005ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ  001ﾎﾝﾃﾝ           11234567                 ",
    "20001ﾐｽﾞﾎ           210ｼﾌﾞﾔ               20123456ｶ)ﾔﾏﾀﾞｾｲｻｸｼﾖ                  00001200001000000000000000010010        ",
    "20009ﾐﾂｲｽﾐﾄﾓ        015ﾄｳｷﾖｳﾁﾕｳｵｳ         17654321ｻﾄｳｺｳｷﾞﾖｳ(ｶ                   00000600000000000000000000010020        ",
    "8000002000000180000000000000000000000000000000000000000" + " " * 65,
    "9" + " " * 119,
]


def _example_records():
    o = zengin.Originator(
        "12345",
        k("シャ)ニホンセイミツキキコウギョウカイ"),
        "0005",
        k("ミツビシユ－エフジエイ"),
        "001",
        k("ホンテン"),
        "1",
        "1234567",
    )
    records = [
        zengin.DebitRecord(
            "0001",
            k("ミズホ"),
            "210",
            k("シブヤ"),
            "2",
            "0123456",
            k("カ)ヤマダセイサクショ"),
            120_000,
            "1",
            "1001",
        ),
        zengin.DebitRecord(
            "0009",
            k("ミツイスミトモ"),
            "015",
            k("トウキヨウチユウオウ"),
            "1",
            "7654321",
            k("サトウコウギョウ(カ"),
            60_000,
            "0",
            "1002",
        ),
    ]
    return o, records


def test_request_file_matches_the_worked_example_byte_for_byte():
    o, records = _example_records()
    data = zengin.build_file(o, COLLECTION, records)
    assert len(data) == 610 and hashlib.sha256(data).hexdigest() == REQUEST_CRLF_SHA
    assert data.decode("cp932").split("\r\n")[:-1] == EXAMPLE_LINES
    plain = zengin.build_file(o, COLLECTION, records, crlf=False)
    assert len(plain) == 600 and hashlib.sha256(plain).hexdigest() == REQUEST_PLAIN_SHA
    assert all(len(line.encode("cp932")) == 120 for line in EXAMPLE_LINES)


def test_result_file_of_the_example_parses_and_balances():
    o, records = _example_records()
    records[1] = dataclasses.replace(records[1], result_code="1")
    data = zengin.build_file(o, COLLECTION, records, result=True)
    assert hashlib.sha256(data).hexdigest() == RESULT_CRLF_SHA
    parsed = zengin.parse_file(data)
    zengin.check_result_totals(parsed)
    assert (parsed.ok_count, parsed.ok_yen, parsed.failed_count, parsed.failed_yen) == (1, 120_000, 1, 60_000)
    assert [r.result_code for r in parsed.records] == ["0", "1"]
    assert zengin.parse_file(data.replace(b"\r\n", b"")).records == parsed.records  # no separators
    assert zengin.parse_file(data[:-2]).records == parsed.records  # missing final CRLF


def test_truncating_a_name_never_separates_a_kana_from_its_voicing_mark():
    from fees.kana import fit_bytes

    assert fit_bytes("ｶﾞｶﾞ", 3) == "ｶﾞ "
    assert len(fit_bytes("ｻﾄｳｺｳｷﾞﾖｳ" * 5, 30).encode("cp932")) == 30


# --- the database path -------------------------------------------------------------------------------------


@pytest.fixture
def example(db):
    """The worked example rebuilt through the services: two members with mandates and renewal invoices."""
    FeeScheduleFactory(
        fiscal_year=2027, sme_discount_yen=60_000, group_discount_yen=0, renewal_debit_date=COLLECTION
    )
    originator()
    Sequence.objects.update_or_create(prefix="member", defaults={"last_value": 1000})
    yamada = OrganisationFactory(
        name="株式会社ヤマダ製作所",
        name_kana="ヤマダセイサクショ",
        capital_yen=900_000_000,
        regular_employees=900,
    )
    sato = OrganisationFactory(
        name="サトウ工業株式会社", name_kana="サトウコウギョウ", capital_yen=10_000_000, regular_employees=30
    )
    members = []
    for org, bank, branch, typ, acct, holder in [
        (yamada, "0001", "210", "2", "0123456", "カ)ヤマダセイサクショ"),
        (sato, "0009", "015", "1", "7654321", "ｻﾄｳｺｳｷﾞﾖｳ(ｶ"),
    ]:
        est = EstablishmentFactory(organisation=org)
        m = membership_for(est, fee_notice_date=dt.date(2026, 6, 1), active_on=dt.date(2026, 6, 20))
        services.register_debit_mandate(
            est,
            data={
                "bank_code": bank,
                "branch_code": branch,
                "account_type": typ,
                "account_number": acct,
                "holder_kana": holder,
            },
            by=None,
        )
        members.append(m)
    DebitMandate.objects.filter(establishment=members[1].establishment).update(first_debit_done=True)
    services.issue_renewal_invoices(2027, issue_date=dt.date(2027, 1, 20))
    return members


@pytest.mark.django_db
def test_exported_request_file_from_the_database_matches_the_example(example):
    assert [m.member_number for m in example] == ["J0001001", "J0001002"]
    run = services.export_debit_requests(COLLECTION)
    data = run.request_file.read()
    assert hashlib.sha256(data).hexdigest() == REQUEST_CRLF_SHA
    assert (run.total_count, run.total_yen) == (2, 180_000)
    assert list(run.items.values_list("new_code", flat=True).order_by("customer_number")) == ["1", "0"]


@pytest.mark.django_db
def test_result_import_marks_paid_and_failed_and_tells_the_member(
    example, django_capture_on_commit_callbacks
):
    BillingContactFactory(establishment=example[1].establishment, email="keiri@sato.example.jp")
    run = services.export_debit_requests(COLLECTION)
    o, records = _example_records()
    records[1] = dataclasses.replace(records[1], result_code="1")
    counts = services.import_debit_results(run, zengin.build_file(o, COLLECTION, records, result=True))
    assert counts == {"collected": 1, "failed": 1, "no_result": 0}
    paid = Invoice.objects.get(membership=example[0], fiscal_year=2027)
    failed = Invoice.objects.get(membership=example[1], fiscal_year=2027)
    assert paid.status == "PAID" and paid.paid_on == COLLECTION
    assert paid.allocations.get().payment.method == "DEBIT"
    assert failed.status == "DEBIT_FAILED"
    assert list(selectors.failed_debits()) == [failed]
    assert list(selectors.failed_debits(example[1].establishment)) == [failed]
    mail = OutboxMessage.objects.get(kind="fees_debit_failed")
    assert mail.to == "keiri@sato.example.jp" and "資金不足" in mail.body
    assert DebitMandate.objects.get(establishment=example[0].establishment, status="ACTIVE").first_debit_done
    run.refresh_from_db()
    assert run.status == "RESULT_IMPORTED"
    with pytest.raises(DomainError, match="既に取り込まれています"):
        services.import_debit_results(run, zengin.build_file(o, COLLECTION, records, result=True))


@pytest.mark.django_db
def test_a_failed_debit_is_requested_again_in_the_next_run(example):
    run = services.export_debit_requests(COLLECTION)
    o, records = _example_records()
    records = [dataclasses.replace(r, result_code="1") for r in records]
    services.import_debit_results(run, zengin.build_file(o, COLLECTION, records, result=True))
    again = services.export_debit_requests(dt.date(2027, 3, 29))
    assert again.total_count == 2
    assert set(again.items.values_list("new_code", flat=True)) == {"1", "0"}


@pytest.mark.django_db
def test_invoices_waiting_for_a_result_are_not_requested_twice(example):
    services.export_debit_requests(COLLECTION)
    with pytest.raises(DomainError):
        services.export_debit_requests(dt.date(2027, 3, 1))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mangle", "line"),
    [
        (lambda lines: lines[:2] + [lines[2][:-1]] + lines[3:], 3),  # a short record
        (
            lambda lines: (
                lines[:3] + [lines[3].replace(b"000002000000180000", b"000002000000170000")] + lines[4:]
            ),
            4,
        ),
        (lambda lines: lines[:4], 4),  # no end record
        (lambda lines: [lines[0].replace(b"191", b"121", 1)] + lines[1:], 1),  # not a 91 header
    ],
)
def test_malformed_result_file_is_rejected_with_its_line_number_and_changes_nothing(example, mangle, line):
    run = services.export_debit_requests(COLLECTION)
    o, records = _example_records()
    lines = zengin.build_file(o, COLLECTION, records, result=True).split(b"\r\n")[:-1]
    data = b"\r\n".join(mangle(lines)) + b"\r\n"
    with pytest.raises(DomainError) as err:
        services.import_debit_results(run, data)
    assert err.value.message.startswith(f"{line}行目")
    assert not Invoice.objects.filter(status__in=["PAID", "DEBIT_FAILED"]).exists()
    assert DebitRun.objects.get(pk=run.pk).status == "EXPORTED"


@pytest.mark.django_db
def test_result_for_an_unknown_customer_or_another_amount_is_rejected(example):
    run = services.export_debit_requests(COLLECTION)
    o, records = _example_records()
    wrong_amount = [records[0], dataclasses.replace(records[1], amount_yen=60_001)]
    with pytest.raises(DomainError, match="3行目"):
        services.import_debit_results(run, zengin.build_file(o, COLLECTION, wrong_amount, result=True))
    stranger = [records[0], dataclasses.replace(records[1], customer_number="9999")]
    with pytest.raises(DomainError, match="3行目"):
        services.import_debit_results(run, zengin.build_file(o, COLLECTION, stranger, result=True))
    assert not Invoice.objects.filter(status="PAID").exists()


# --- mandates ----------------------------------------------------------------------------------------------

GOOD = {
    "bank_code": "0001",
    "branch_code": "210",
    "account_type": "1",
    "account_number": "1234567",
    "holder_kana": "ｶ)ﾃｽﾄ",
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("bank_code", "01"),
        ("bank_code", "9998"),  # no such bank
        ("branch_code", "999"),  # no such branch
        ("account_number", "12345678"),
        ("account_number", "12a4567"),
        ("account_type", "7"),
        ("holder_kana", "山田太郎"),
        ("holder_kana", "ｶ)ﾔﾏﾀﾞ,ﾀﾛｳ"),
    ],
)
def test_mandate_fields_are_validated(field, value):
    est = EstablishmentFactory()
    with pytest.raises(DomainError):
        services.register_debit_mandate(est, data={**GOOD, field: value}, by=None)
    assert not DebitMandate.objects.exists()


@pytest.mark.django_db
def test_mandate_names_come_from_the_bank_code_data_and_holder_kana_is_half_width():
    est = EstablishmentFactory()
    md = services.register_debit_mandate(est, data={**GOOD, "holder_kana": "カ）テスト・ショウジ"}, by=None)
    assert (md.bank_name_kana, md.branch_name_kana, md.holder_kana) == ("ﾐｽﾞﾎ", "ｼﾌﾞﾔ", "ｶ)ﾃｽﾄ ｼﾖｳｼﾞ")


@pytest.mark.django_db
def test_changing_the_account_replaces_the_mandate_and_the_next_debit_says_so(example):
    est = example[1].establishment
    new = services.register_debit_mandate(est, data={**GOOD, "holder_kana": "ｻﾄｳｺｳｷﾞﾖｳ(ｶ"}, by=None)
    assert (
        new.replaces.status == "REPLACED"
        and DebitMandate.objects.filter(establishment=est, status="ACTIVE").get() == new
    )
    run = services.export_debit_requests(COLLECTION)
    assert run.items.get(invoice__membership=example[1]).new_code == "2"


@pytest.mark.django_db
def test_a_support_organisation_may_own_the_debited_account_f12():
    support = OrganisationFactory(is_support_organisation=True)
    est = EstablishmentFactory()
    md = services.register_debit_mandate(est, data=GOOD, payer=support, by=None)
    assert md.payer == support
    with pytest.raises(DomainError):
        services.register_debit_mandate(
            EstablishmentFactory(), data=GOOD, payer=OrganisationFactory(), by=None
        )


@pytest.mark.django_db
def test_withdrawal_creates_no_refund_f13(example):
    run = services.export_debit_requests(COLLECTION)
    o, records = _example_records()
    services.import_debit_results(run, zengin.build_file(o, COLLECTION, records, result=True))

    withdraw(example[0], on=dt.date(2027, 5, 1))
    inv = Invoice.objects.get(membership=example[0], fiscal_year=2027)
    assert inv.status == "PAID" and selectors.paid_yen(inv) == 120_000
    assert not inv.credit_notes.exists()
    assert Membership.objects.get(pk=example[0].pk).status == "WITHDRAWN"
