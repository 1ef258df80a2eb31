"""The staff dashboard on the admin index: numbers on a known data set, charts beside tables, constant queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Application
from backoffice import dashboard
from members.models import JsicCode, Membership
from tests.backoffice.conftest import TOKYO, at
from tests.backoffice.factories import application, invoice, job_run, returned_message
from tests.factories import EstablishmentFactory, UserFactory, membership_for

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 15, 10, 0, tzinfo=TOKYO)
S = Application.Status


def days_ago(n, *, hours=0):
    return NOW - dt.timedelta(days=n, hours=hours)


@pytest.fixture
def data_set():
    """A known set: waiting applications of several ages, decided ones with known review times, returns,
    memberships by status / prefecture / JSIC, invoices of two years, job runs with failures."""
    with at(NOW.date()):
        rev = UserFactory(is_staff=True, full_name="審査 一郎")
        application(status=S.SUBMITTED, submitted_at=days_ago(3))
        application(status=S.IN_REVIEW, submitted_at=days_ago(20), reviewer=rev)
        application(status=S.SUBMITTED, submitted_at=days_ago(45))
        oldest = application(status=S.SUBMITTED, submitted_at=days_ago(100))
        application(status=S.RETURNED, submitted_at=days_ago(30))
        application(status=S.DRAFT, submitted_at=None)
        # Decided in October 2026 after 10, 20, 30, 40 and 100 days; in September after 50 days.
        for d in (10, 20, 30, 40, 100):
            decided = dt.datetime(2026, 10, 20, 12, tzinfo=TOKYO)
            status = S.REJECTED if d == 100 else S.APPROVED
            application(
                status=status, submitted_at=decided - dt.timedelta(days=d), decided_at=decided, reviewer=rev
            )
        sep = dt.datetime(2026, 9, 10, 12, tzinfo=TOKYO)
        app = application(
            status=S.APPROVED, submitted_at=sep - dt.timedelta(days=50), decided_at=sep, reviewer=rev
        )
        returned_message(app, at=dt.datetime(2026, 9, 1, 9, tzinfo=TOKYO))
        returned_message(app, at=dt.datetime(2026, 10, 2, 9, tzinfo=TOKYO))
        returned_message(app, at=dt.datetime(2026, 10, 30, 23, 30, tzinfo=TOKYO))  # still October in Tokyo

        active = []
        for pref, codes in (("23", ["2592"]), ("23", ["2592", "1811"]), ("13", ["1811"])):
            m = membership_for(EstablishmentFactory(prefecture=pref), active_on=dt.date(2026, 7, 1))
            m.jsic_codes.set(JsicCode.objects.filter(code__in=codes))
            active.append(m)
        membership_for(EstablishmentFactory(prefecture="27"))  # awaiting payment: not a member yet

        invoice(active[0], fiscal_year=2025, status="PAID", due_date=dt.date(2025, 7, 31), total_yen=60_000)
        invoice(active[1], fiscal_year=2025, status="ISSUED", due_date=dt.date(2026, 3, 31), total_yen=45_000)
        invoice(active[0], fiscal_year=2026, status="PAID", due_date=dt.date(2026, 7, 31), total_yen=90_000)
        invoice(
            active[1], fiscal_year=2026, status="ISSUED", due_date=dt.date(2026, 12, 31), total_yen=90_000
        )
        invoice(
            active[2],
            fiscal_year=2026,
            status="DEBIT_FAILED",
            due_date=dt.date(2026, 10, 27),
            total_yen=70_000,
        )
        invoice(
            active[2], fiscal_year=2026, status="CREDITED", due_date=dt.date(2026, 7, 31), total_yen=70_000
        )

        job_run("fees.renewal", started_at=days_ago(1))
        job_run("fees.renewal", started_at=days_ago(2))
        job_run("fees.renewal", started_at=days_ago(3), error="SMTPException: down")
        job_run("lifecycle.lapse", started_at=days_ago(0, hours=3), finished=False)  # stuck
        job_run("lifecycle.lapse", started_at=NOW - dt.timedelta(minutes=10), finished=False)  # still running
        job_run("roster.exports", started_at=days_ago(40), error="old")  # outside the window
    return {"oldest": oldest, "reviewer": rev}


def test_waiting_applications_by_age_and_the_oldest(data_set):
    with at(NOW.date()):
        w = dashboard.waiting_applications(now=NOW)
    assert w["total"] == 4 and w["returned"] == 1
    assert w["buckets"] == [
        ("2週間未満", 1),
        ("2週間〜1か月", 1),
        ("1〜2か月", 1),
        ("2〜3か月", 0),
        ("3か月以上", 1),
    ]
    assert w["oldest"] == data_set["oldest"] and w["oldest_days"] == 100


def test_review_time_average_and_90th_percentile_per_month_with_returns(data_set):
    months = {m["month"]: m for m in dashboard.review_times(12, on=NOW.date())}
    assert len(months) == 12 and min(months) == dt.date(2025, 12, 1) and max(months) == dt.date(2026, 11, 1)
    october = months[dt.date(2026, 10, 1)]
    assert october["decided"] == 5
    assert october["avg_days"] == pytest.approx(40.0)
    assert october["p90_days"] == pytest.approx(76.0)  # percentile_cont: 40 + 0.6 × (100 − 40)
    assert october["returns"] == 2
    september = months[dt.date(2026, 9, 1)]
    assert (september["decided"], september["returns"]) == (1, 1)
    assert september["avg_days"] == pytest.approx(50.0) and september["p90_days"] == pytest.approx(50.0)
    assert months[dt.date(2026, 11, 1)]["avg_days"] is None


def test_members_by_status_prefecture_and_jsic_middle_category(data_set):
    by_status = {value: n for value, _label, n in dashboard.members_by_status()}
    assert by_status == {
        "AWAITING_PAYMENT": 1,
        "ACTIVE": 3,
        "WITHDRAWAL_REQUESTED": 0,
        "WITHDRAWN": 0,
        "LAPSED": 0,
    }
    assert dashboard.members_by_prefecture() == [("23", "愛知県", 2), ("13", "東京都", 1)]
    jsic = dashboard.members_by_jsic_middle()
    assert [(code, n) for code, _name, n in jsic] == [("18", 2), ("25", 2)]
    assert dict((c, name) for c, name, _n in jsic)["25"] == JsicCode.objects.get(code="25").name_ja


def test_invoices_issued_paid_and_overdue_per_fiscal_year(data_set):
    years = {y["fiscal_year"]: y for y in dashboard.invoices_by_fiscal_year(on=NOW.date())}
    assert {k: years[2025][k] for k in ("issued", "paid", "open", "overdue", "credited")} == {
        "issued": 2,
        "paid": 1,
        "open": 0,
        "overdue": 1,
        "credited": 0,
    }
    y26 = years[2026]
    assert (y26["issued"], y26["paid"], y26["open"], y26["overdue"], y26["credited"]) == (3, 1, 1, 1, 1)
    assert y26["issued_yen"] == 250_000 and y26["overdue_yen"] == 70_000 and y26["paid_yen"] == 90_000


def test_job_runs_with_failures_including_stuck_runs(data_set):
    jobs = dashboard.job_runs(now=NOW)
    per = {j["job"]: j for j in jobs["jobs"]}
    assert set(per) == {"fees.renewal", "lifecycle.lapse"}
    assert (per["fees.renewal"]["runs"], per["fees.renewal"]["failures"]) == (3, 1)
    assert (per["lifecycle.lapse"]["runs"], per["lifecycle.lapse"]["failures"]) == (2, 1)
    assert jobs["failures"] == 2 and len(jobs["latest_failures"]) == 2


def test_admin_index_shows_the_dashboard_with_numbers_beside_the_charts(admin_client, data_set):
    with at(NOW.date()):
        page = admin_client.get(reverse("admin:index")).content.decode()
    assert page.count("<svg") >= 6 and "<script" not in page.split('id="content-main"')[1].split("</svg>")[0]
    assert data_set["oldest"].receipt_number in page and "100日経過" in page
    assert "2026年10月" in page and "76.0" in page  # the table beside the review-time chart
    assert "愛知県" in page and "25 " in page
    assert "fees.renewal" in page
    assert "管理メニュー" in page  # the app list is still there


def test_the_dashboard_costs_a_constant_number_of_queries(
    admin_client, data_set, django_assert_max_num_queries
):
    url = reverse("admin:index")
    with at(NOW.date()):
        admin_client.get(url)  # warm caches (content types, permissions)
        with CaptureQueriesContext(connection) as small:
            admin_client.get(url)
        # Ten times more of everything.
        for i in range(10):
            est = EstablishmentFactory(prefecture=f"{(i % 40) + 1:02d}")
            m = membership_for(est, active_on=dt.date(2026, 7, 1))
            m.jsic_codes.set(JsicCode.objects.filter(code__in=["2592", "1811", "2441"]))
            invoice(m, fiscal_year=2024 + i % 3, status="PAID" if i % 2 else "ISSUED")
            application(status=S.SUBMITTED, submitted_at=days_ago(i * 7))
            application(status=S.APPROVED, submitted_at=days_ago(200 - i), decided_at=days_ago(100 - i * 5))
            job_run(f"job.{i}", started_at=days_ago(i), error="x" if i % 3 else "")
        with CaptureQueriesContext(connection) as large:
            admin_client.get(url)
        with django_assert_max_num_queries(len(small)):
            admin_client.get(url)
    assert len(large) == len(small)


def test_reviewer_without_fee_rights_does_not_see_invoices(client, data_set):
    from tests.security.helpers import staff_user, verified_login

    user = staff_user(group="reviewer")
    user.groups.first().permissions.remove(
        *user.groups.first().permissions.filter(content_type__app_label="fees")
    )
    verified_login(client, user)
    page = client.get(reverse("admin:index")).content.decode()
    assert "審査待ちの申請" in page and "請求書（年度別）" not in page


@pytest.mark.postgres
def test_percentile_in_postgresql_matches_the_python_fallback(data_set):
    from django.db.models import F

    from backoffice.dashboard import DaysBetween, Percentile, percentile

    qs = Application.objects.filter(decided_at__month=10, decided_at__year=2026)
    days = DaysBetween(F("decided_at"), F("submitted_at"))
    in_db = qs.aggregate(p=Percentile(days, 0.9))["p"]
    in_python = percentile(list(qs.annotate(d=days).values_list("d", flat=True)), 0.9)
    assert in_db == pytest.approx(in_python) == pytest.approx(76.0)


def test_membership_statuses_are_all_listed_even_when_zero():
    assert [v for v, _l, _n in dashboard.members_by_status()] == list(Membership.Status.values)
