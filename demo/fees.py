"""Demo fees: SAMPLE fee schedules (no official amounts are public, F2), JAIM's collection account, a billing
contact, a paid first-year invoice and an unpaid one, a debit mandate, and a head office with three member sites
that chose one 請求明細書 (statement) for all of them, with its statement issued. Safe to run twice."""

import datetime as dt

from fees import selectors, services
from fees.models import BillingContact, DebitOriginator, FeeSchedule, FirstYearRate, Invoice
from jaim.dates import fiscal_year_of, today
from jaim.validators import corporate_number_check_digit
from members import selectors as member_selectors
from members import services as member_services
from members.models import Membership, Organisation

STATEMENT_ORG_NUMBER = f"{corporate_number_check_digit('300000000777')}300000000777"
STATEMENT_SITES = [
    ("名古屋本社工場", "ナゴヤホンシャコウジョウ"),
    ("岐阜工場", "ギフコウジョウ"),
    ("三重工場", "ミエコウジョウ"),
]

SAMPLE_LABEL = "サンプル会費表（公式の金額ではありません）"
# fiscal year: (base, SME discount, group discount, renewal debit date). FY2025 was charged at half price.
SAMPLE_AMOUNTS = {
    2025: (60_000, 15_000, 10_000, dt.date(2025, 2, 27)),
    2026: (120_000, 30_000, 20_000, dt.date(2026, 2, 27)),
    2027: (120_000, 30_000, 20_000, dt.date(2027, 2, 26)),
}


def ensure_schedules() -> dict[int, FeeSchedule]:
    """The sample schedules (also callable from other demo steps that approve applications before this one)."""
    out = {}
    for fy, (base, sme, group, debit_on) in SAMPLE_AMOUNTS.items():
        schedule, _ = FeeSchedule.objects.get_or_create(
            fiscal_year=fy,
            defaults=dict(
                label=f"{fy}年度 {SAMPLE_LABEL}",
                is_sample=True,
                base_fee_yen=base,
                sme_discount_yen=sme,
                group_discount_yen=group,
                renewal_debit_date=debit_on,
                note="デモ用の見本です。実際の金額は賛助会員会費規程に従って経理担当が登録してください。",
            ),
        )
        for month in range(1, 13):
            num, den = services.default_first_year_rate(month)
            FirstYearRate.objects.get_or_create(
                schedule=schedule, month=month, defaults={"numerator": num, "denominator": den}
            )
        out[fy] = schedule
    return out


def _originator():
    if not DebitOriginator.objects.exists():
        DebitOriginator.objects.create(
            originator_code="12345",
            name_kana="ｼﾔ)ｺｳｷﾞﾖｳｾｲﾋﾝｾｲｿﾞｳｷﾞﾉｳｼﾞﾝｻﾞｲｷｺｳ",
            bank_code="0005",
            bank_name_kana="ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ",
            branch_code="001",
            branch_name_kana="ﾎﾝﾃﾝ",
            account_type="1",
            account_number="1234567",
            transfer_bank_text="（サンプル）三菱UFJ銀行 本店 普通預金 1234567\n口座名義 ｼﾔ)ｺｳｷﾞﾖｳｾｲﾋﾝｾｲｿﾞｳｷﾞﾉｳｼﾞﾝｻﾞｲｷｺｳ",
        )


def _membership(est, *, notice, by):
    m = est.memberships.filter(status__in=Membership.OPEN_STATUSES).first()
    return m or member_services.create_membership(est, jsic_codes=["2592"], fee_notice_date=notice, by=by)


def seed(ctx):
    ensure_schedules()
    _originator()
    org, owner, finance = ctx["organisation"], ctx["owner"], ctx.get("finance")
    if not BillingContact.objects.filter(organisation=org).exists():
        services.save_billing_contact(
            org.establishments.first(),
            data=dict(
                addressee=org.name,
                department="経理部",
                person_name="経理 一郎",
                email="billing@demo.jaim.example",
                postal_code=org.postal_code,
                prefecture=org.prefecture,
                city=org.city,
                address_line=org.address_line,
                phone=org.phone,
            ),
            for_organisation=True,
            by=owner,
        )
    sites = list(org.establishments.order_by("id"))
    paid_notice = dt.date(2026, 6, 10)
    main = _membership(sites[0], notice=paid_notice, by=finance)
    paid = Invoice.objects.filter(membership=main).exclude(status="CREDITED").order_by("fiscal_year").first()
    if paid is None:
        paid = services.bill_new_membership(
            main, notice_date=main.fee_notice_date, application_date=main.fee_notice_date, by=finance
        )
    if paid.status != Invoice.Status.PAID:
        services.record_payment(
            [paid],
            amount_yen=selectors.outstanding_yen(paid),
            received_on=min(paid.due_date, today()),
            payer_name="ｶ)ｻﾝﾌﾟﾙｾｲｺｳ",
            reference="デモ入金",
            by=finance,
        )
    if selectors.active_mandate(sites[0]) is None:
        services.register_debit_mandate(
            sites[0],
            data=dict(
                bank_code="0001",
                branch_code="210",
                account_type="1",
                account_number="7654321",
                holder_kana="ｶ)ｻﾝﾌﾟﾙｾｲｺｳ",
            ),
            by=owner,
        )
    unpaid = None
    if len(sites) > 1:
        notice = today() if fiscal_year_of(today()) in SAMPLE_AMOUNTS else dt.date(2026, 10, 1)
        second = _membership(sites[1], notice=notice, by=finance)
        unpaid = Invoice.objects.filter(membership=second).exclude(status="CREDITED").first()
        if unpaid is None and fiscal_year_of(second.fee_notice_date) in SAMPLE_AMOUNTS:
            unpaid = services.bill_new_membership(
                second,
                notice_date=second.fee_notice_date,
                application_date=second.fee_notice_date,
                by=finance,
            )
    statement = _statement_head_office(finance)
    return {"paid_invoice": paid, "unpaid_invoice": unpaid, "statement": statement}


def _statement_head_office(finance):
    """株式会社中部精工ホールディングス: three sites admitted in the sample year, their first-year invoices unpaid,
    the head office has chosen the statement: one 請求明細書 lists the three invoices with one total."""
    from demo.members import user

    org = Organisation.objects.filter(corporate_number=STATEMENT_ORG_NUMBER).first()
    if org is None:
        manager = user("chubu@demo.jaim.example", "中部 花子")
        org = member_services.create_organisation(
            by=manager,
            data=dict(
                kind="CORPORATION",
                corporate_number=STATEMENT_ORG_NUMBER,
                name="株式会社中部精工ホールディングス",
                name_kana="チュウブセイコウホールディングス",
                **member_selectors.representative_fields("kabushiki", "代表取締役"),
                representative_name="中部 太郎",
                postal_code="4500002",
                prefecture="23",
                city="名古屋市中村区",
                address_line="名駅1-1-1",
                phone="0521112222",
                capital_yen=50_000_000,
                regular_employees=120,
            ),
        )
    manager = org.accesses.filter(can_manage=True).first().user
    for name, kana in STATEMENT_SITES:
        if not org.establishments.filter(name=name).exists():
            member_services.create_establishment(
                org,
                by=manager,
                data=dict(
                    name=name,
                    name_kana=kana,
                    postal_code="4500002",
                    prefecture="23",
                    city="名古屋市中村区",
                    address_line="名駅2-2-2",
                    phone="0521113333",
                ),
            )
    if not BillingContact.objects.filter(organisation=org).exists():
        services.save_billing_contact(
            org.establishments.first(),
            data=dict(
                addressee=org.name,
                department="経理部",
                person_name="経理 次郎",
                email="keiri@chubu.demo.jaim.example",
                postal_code=org.postal_code,
                prefecture=org.prefecture,
                city=org.city,
                address_line=org.address_line,
                phone=org.phone,
            ),
            for_organisation=True,
            by=manager,
        )
    services.set_billing_preference(org, mode="STATEMENT", by=manager)
    notice = dt.date(2026, 6, 10)
    for est in org.establishments.order_by("id"):
        m = _membership(est, notice=notice, by=finance)
        if not Invoice.objects.filter(membership=m).exclude(status="CREDITED").exists():
            services.bill_new_membership(m, notice_date=notice, application_date=notice, by=finance)
    return services.issue_statement(org, by=finance)
