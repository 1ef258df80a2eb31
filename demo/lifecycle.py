"""Demo lifecycle: the renewal question waiting for the demo company's answer on My Page, a withdrawal
request waiting for the secretariat, a lapsed site (unpaid renewal fee), two wage-increase reports (one meeting
its target, one below it with the additional report due), and one run of every lifecycle job for today (JobRun).

Dates are relative to today so every screen has something to show whenever the demo is loaded; the seasons and
the report window made here say so in their notes. Everything goes through the services. Safe to run twice."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from demo.files import sample_pdf
from fees import services as fee_services
from fees.models import FeeSchedule, Invoice
from jaim.dates import fiscal_year_end, fiscal_year_of, fiscal_year_start, today
from jaim.models import JobRun
from lifecycle import services
from lifecycle.models import RenewalSeason, WageReport, WageReportPeriod, WithdrawalRequest
from members import services as members
from members.models import Establishment, Membership

NOTE = "デモ用の日程です（実際の日程ではありません）。"
PDF = sample_pdf()


def _schedule(year: int) -> None:
    """A sample fee schedule for a year the fees demo does not cover (demo loaded in a later year)."""
    FeeSchedule.objects.get_or_create(
        fiscal_year=year,
        defaults=dict(
            label=f"{year}年度 サンプル会費表（公式の金額ではありません）",
            is_sample=True,
            base_fee_yen=120_000,
            sme_discount_yen=30_000,
            group_discount_yen=20_000,
            renewal_debit_date=dt.date(year, 2, 26),
        ),
    )


def _seasons(on: dt.date) -> None:
    year = fiscal_year_of(on)
    # This year's renewal happened last February (the lapsed site did not pay it).
    RenewalSeason.objects.get_or_create(
        fiscal_year=year,
        defaults=dict(notice_on=dt.date(year, 2, 2), answer_deadline=dt.date(year, 2, 20), grace_days=30),
    )
    # Next year's renewal is open now, so the question shows on My Page.
    debit = FeeSchedule.objects.get(fiscal_year=year + 1).renewal_debit_date or dt.date(year + 1, 2, 26)
    deadline = max(on, min(on + dt.timedelta(days=14), debit - dt.timedelta(days=1), fiscal_year_end(year)))
    RenewalSeason.objects.get_or_create(
        fiscal_year=year + 1,
        defaults=dict(
            notice_on=max(on - dt.timedelta(days=2), fiscal_year_start(year)),
            answer_deadline=deadline,
            grace_days=30,
            note=NOTE,
        ),
    )


def _period(on: dt.date) -> WageReportPeriod:
    year = fiscal_year_of(on)
    # Opens today: every demo site admitted so far owes this year's report.
    period, _ = WageReportPeriod.objects.get_or_create(
        fiscal_year=year,
        defaults=dict(
            opens_on=on,
            closes_on=on + dt.timedelta(days=40),
            additional_due_on=on + dt.timedelta(days=100),
            source="公表資料：大企業3.0％・中小企業1.5％（" + NOTE + "）",
        ),
    )
    return period


def _site(org, name, kana, prefecture, city, *, by, activated_on, notice):
    est = Establishment.objects.filter(organisation=org, name=name).first()
    if est is None:
        est = members.create_establishment(
            org,
            by=by,
            data=dict(
                name=name,
                name_kana=kana,
                postal_code="4300001",
                prefecture=prefecture,
                city=city,
                address_line="1-1-1",
                phone="0531234567",
            ),
        )
    m = est.memberships.order_by("-created_at").first()
    if m is None:
        m = members.create_membership(est, jsic_codes=["2592"], fee_notice_date=notice, by=by)
        m = members.activate_membership(m, on=activated_on, by=by)
    return m


def _wage_report(m, period, *, by, before, after):
    if m is None or WageReport.objects.filter(period=period, membership=m).exists():
        return
    if m.status != Membership.Status.ACTIVE or not m.activated_on or m.activated_on > period.opens_on:
        return
    services.submit_wage_report(
        m,
        period=period,
        by=by,
        workers=42,
        wage_before_yen=before,
        wage_after_yen=after,
        measures="ベースアップと定期昇給",
        files=[SimpleUploadedFile("賃金台帳.pdf", PDF, content_type="application/pdf")],
    )


def seed(ctx):
    on = today()
    year = fiscal_year_of(on)
    for y in (year, year + 1):
        _schedule(y)
    _seasons(on)
    period = _period(on)
    org, owner = ctx["organisation"], ctx["owner"]
    finance = ctx.get("finance")

    # Leaving: 退会する sent on My Page, waiting for the secretariat (admin: 退会の申出).
    leaving = _site(
        org, "磐田工場", "イワタコウジョウ", "22", "磐田市", by=owner, activated_on=dt.date(year, 5, 20),
        notice=dt.date(year, 5, 1),
    )  # fmt: skip
    if (
        leaving.status == Membership.Status.ACTIVE
        and not WithdrawalRequest.objects.filter(membership=leaving).exists()
    ):
        services.request_withdrawal(
            leaving,
            by=owner,
            effective_on=min(on + dt.timedelta(days=30), fiscal_year_start(year + 1)),
            reason="特定技能外国人の雇用を本社工場に集約するため（FAQ 3-1-5）",
            contact_name="山田 太郎",
            contact_phone="0521234567",
            no_ssw_confirmed=True,
            no_refund_acknowledged=True,
        )

    # Lapsed: admitted last year, this year's renewal fee (debited in February) never paid.
    lapsed = _site(
        org, "豊橋工場", "トヨハシコウジョウ", "23", "豊橋市", by=owner, activated_on=dt.date(year - 1, 10, 20),
        notice=dt.date(year - 1, 10, 1),
    )  # fmt: skip
    if not Invoice.objects.filter(membership=lapsed, fiscal_year=year).exists():
        fee_services.issue_invoice(lapsed, fiscal_year=year, issue_date=dt.date(year, 2, 2), by=finance)

    # Wage-increase reports: the demo company's main site below its target (SME 1.5 %), another company's on it.
    main = Membership.objects.filter(establishment__organisation=org, establishment__name="本社工場").first()
    _wage_report(main, period, by=owner, before=280_000, after=282_800)
    other = (
        Membership.objects.filter(establishment__name="豊田工場")
        .exclude(establishment__organisation=org)
        .first()
    )
    if other is not None:
        other_user = other.establishment.organisation.accesses.first()
        _wage_report(other, period, by=other_user.user if other_user else None, before=300_000, after=310_000)

    # Every job once for today (renewal notices, the lapse, reminders …), as the scheduler would.
    for job, run in services.JOBS.items():
        if not JobRun.objects.filter(job=job, reference_date=on).exists():
            run(on=on)
    return {"lifecycle_leaving": leaving, "lifecycle_lapsed": lapsed}
