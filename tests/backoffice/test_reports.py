"""Reports: review time per reviewer, revenue by fiscal year and discount type, members per association, wage-report
compliance per year — numbers on known data, CSV download, access."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from backoffice import reports
from fees.models import CreditNote, Payment, PaymentAllocation
from tests.backoffice.conftest import TOKYO
from tests.backoffice.factories import application, invoice, returned_message
from tests.factories import (
    AssociationFactory,
    AssociationMembershipFactory,
    EstablishmentFactory,
    OrganisationFactory,
    UserFactory,
    membership_for,
)

pytestmark = pytest.mark.django_db
S = Application.Status


def decided(rev, days, *, on=dt.datetime(2026, 10, 1, 12, tzinfo=TOKYO), status=S.APPROVED):
    return application(status=status, submitted_at=on - dt.timedelta(days=days), decided_at=on, reviewer=rev)


def test_review_time_per_reviewer():
    a = UserFactory(is_staff=True, full_name="審査 一郎")
    b = UserFactory(is_staff=True, full_name="審査 花子")
    decided(a, 10)
    decided(a, 20)
    app = decided(a, 30, status=S.REJECTED)
    decided(b, 50)
    decided(b, 400, on=dt.datetime(2025, 5, 1, 12, tzinfo=TOKYO))  # fiscal year 2025
    returned_message(app, at=timezone.now(), author=a)
    returned_message(app, at=timezone.now(), author=a)
    report = reports.review_time_per_reviewer(2026)
    rows = {r[0]: r for r in report.rows}
    assert rows["審査 一郎"] == ["審査 一郎", 3, 2, 1, 2, 20.0, pytest.approx(28.0)]
    assert rows["審査 花子"][1:4] == [1, 1, 0] and rows["審査 花子"][5] == 50.0
    everything = {r[0]: r for r in reports.review_time_per_reviewer(None).rows}
    assert everything["審査 花子"][1] == 2 and everything["審査 花子"][5] == 225.0


def _pay(inv, amount):
    p = Payment.objects.create(method="TRANSFER", received_on=dt.date(2026, 7, 1), amount_yen=amount)
    PaymentAllocation.objects.create(payment=p, invoice=inv, amount_yen=amount)


def test_revenue_by_fiscal_year_and_discount_type():
    plain = invoice(fiscal_year=2026, status="PAID", total_yen=120_000)
    _pay(plain, 120_000)
    invoice(fiscal_year=2026, total_yen=105_000, lines=["SME_DISCOUNT"])
    group = invoice(fiscal_year=2026, status="PAID", total_yen=105_000, lines=["GROUP_DISCOUNT"])
    _pay(group, 105_000)
    both = invoice(fiscal_year=2026, total_yen=90_000, lines=["SME_DISCOUNT", "GROUP_DISCOUNT"])
    _pay(both, 40_000)
    CreditNote.objects.create(
        number="CN-1", invoice=both, issue_date=dt.date(2026, 8, 1), amount_yen=5_000, reason="訂正"
    )
    invoice(fiscal_year=2026, status="CREDITED", total_yen=120_000)  # cancelled: not revenue
    invoice(fiscal_year=2025, status="PAID", total_yen=60_000)
    rows = {(r[0], r[1]): r[2:] for r in reports.revenue_by_fiscal_year().rows}
    assert rows[(2026, "割引なし")] == [1, 120_000, 120_000, 0, 0]
    assert rows[(2026, "中小企業割引")] == [1, 105_000, 0, 0, 15_000]
    assert rows[(2026, "正会員団体割引")] == [1, 105_000, 105_000, 0, 15_000]
    assert rows[(2026, "中小企業割引＋団体割引")] == [1, 90_000, 40_000, 5_000, 30_000]
    assert rows[(2025, "割引なし")][:2] == [1, 60_000]
    assert len(rows) == 5


def test_members_per_association():
    assoc = AssociationFactory(name="日本テスト工業会", name_kana="ニホンテスト")
    other = AssociationFactory(name="別の会", name_kana="ベツ", is_regular_member=False)
    org1, org2, org3 = OrganisationFactory(), OrganisationFactory(), OrganisationFactory()
    AssociationMembershipFactory(organisation=org1, association=assoc, complete_on=dt.date(2024, 4, 1))
    AssociationMembershipFactory(
        organisation=org2, association=assoc, complete_on=dt.date(2024, 4, 1), ended_on=dt.date(2025, 3, 31)
    )
    AssociationMembershipFactory(organisation=org3, association=assoc, complete_on=None)
    AssociationMembershipFactory(organisation=org1, association=other, complete_on=dt.date(2024, 4, 1))
    membership_for(EstablishmentFactory(organisation=org1), active_on=dt.date(2026, 7, 1))
    membership_for(EstablishmentFactory(organisation=org1), active_on=dt.date(2026, 7, 1))
    membership_for(EstablishmentFactory(organisation=org1))  # awaiting payment: not counted
    membership_for(
        EstablishmentFactory(organisation=org2), active_on=dt.date(2026, 7, 1)
    )  # left the association
    rows = {r[0]: r for r in reports.members_per_association(on=dt.date(2026, 11, 1)).rows}
    assert rows["日本テスト工業会"] == ["日本テスト工業会", "○", 1, 1, 2]
    assert rows["別の会"] == ["別の会", "", 1, 0, 2]


def test_wage_report_compliance_per_year():
    from lifecycle.models import WageReport, WageReportPeriod

    period = WageReportPeriod.objects.create(
        fiscal_year=2025,
        opens_on=dt.date(2026, 1, 5),
        closes_on=dt.date(2026, 2, 28),
        additional_due_on=dt.date(2026, 4, 30),
    )
    owing = [membership_for(EstablishmentFactory(), active_on=dt.date(2025, 9, 1)) for _ in range(5)]
    membership_for(EstablishmentFactory(), active_on=dt.date(2026, 2, 1))  # joined after the window opened

    def report(m, **kw):
        defaults = dict(
            status="SUBMITTED",
            workers=10,
            wage_before_yen=250_000,
            wage_after_yen=260_000,
            target_pct=Decimal("1.50"),
            submitted_at=timezone.now(),
        )
        return WageReport.objects.create(period=period, membership=m, **{**defaults, **kw})

    report(owing[0])
    report(owing[1], is_late=True)
    report(
        owing[2],
        wage_after_yen=251_000,
        below_target=True,
        additional_due_on=dt.date(2026, 4, 30),
    )
    WageReport.objects.create(
        period=period, membership=owing[3], status="MISSING", flagged_missing_on=dt.date(2026, 3, 1)
    )
    rows = reports.wage_report_compliance().rows
    assert rows == [[2025, 5, 2, 1, 1, 1, 60.0, 1, 1]]


def test_report_pages_and_csv_downloads(admin_client):
    decided(UserFactory(is_staff=True, full_name="審査 一郎"), 10)
    index = admin_client.get(reverse("backoffice:reports")).content.decode()
    for slug in reports.REPORTS:
        assert reverse("backoffice:report", args=[slug]) in index
        page = admin_client.get(reverse("backoffice:report", args=[slug]))
        assert page.status_code == 200 and "<svg" in page.content.decode(), slug
        csv = admin_client.get(reverse("backoffice:report", args=[slug]) + "?format=csv")
        assert csv.content.startswith(b"\xef\xbb\xbf") and "attachment" in csv["Content-Disposition"]
    body = admin_client.get(reverse("backoffice:report", args=["review-time"]) + "?format=csv").content
    assert "審査 一郎" in body.decode("utf-8-sig")


def test_reports_need_the_report_permission(client):
    from tests.security.helpers import staff_user, verified_login

    user = staff_user(group="reviewer")
    user.groups.clear()
    verified_login(client, user)
    assert client.get(reverse("backoffice:reports")).status_code == 403
    assert client.get(reverse("backoffice:report", args=["revenue"])).status_code == 403
