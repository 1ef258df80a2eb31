"""The wage-increase report (domain.md §6, FAQ 3-3-1, 3-3-2): per establishment, figures and evidence; the target
for the company's size is data per year (public source: 3.0 % large, 1.5 % SME); below it an additional report
becomes due; after the deadline missing reports are flagged."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from jaim.errors import DomainError
from jaim.models import AuditEvent, OutboxMessage
from jaim.states import move
from lifecycle import services
from lifecycle.models import WageEvidence, WageReport
from lifecycle.services.wage import increase_pct, is_below_target
from tests.applications.factories import PDF, upload
from tests.factories import UserFactory
from tests.lifecycle.conftest import at
from tests.lifecycle.factories import member, wage_period
from tests.security.helpers import verified_login

pytestmark = pytest.mark.django_db

OPEN_DAY = dt.date(2027, 1, 20)


@pytest.fixture
def period():
    return wage_period()


def _submit(m, user, period, before=300_000, after=309_000, files=None, **kw):
    return services.submit_wage_report(
        m,
        period=period,
        by=user,
        workers=25,
        wage_before_yen=before,
        wage_after_yen=after,
        files=[upload()] if files is None else files,
        **kw,
    )


def test_increase_is_compared_exactly_and_shown_cut_to_two_decimals():
    assert increase_pct(300_000, 309_000) == Decimal("3.00")
    assert increase_pct(300_000, 308_999) == Decimal("2.99")  # 2.9996 % is not shown as 3.00 %
    assert is_below_target(300_000, 308_999, Decimal("3.00"))
    assert not is_below_target(300_000, 309_000, Decimal("3.00"))
    assert increase_pct(300_000, 297_000) == Decimal("-1.00")


def test_a_large_company_below_3_percent_owes_an_additional_report_and_is_told(period):
    user, m = member(capital_yen=500_000_000, regular_employees=900)  # large (F3)
    with at(OPEN_DAY):
        r = _submit(m, user, period, after=308_999)
    assert (r.status, r.company_is_sme, r.target_pct, r.increase_pct) == (
        "SUBMITTED",
        False,
        Decimal("3.00"),
        Decimal("2.99"),
    )
    assert r.below_target and r.additional_due_on == period.additional_due_on
    assert OutboxMessage.objects.filter(kind="lifecycle_wage_below_target", to=user.email).count() == 1
    assert WageEvidence.objects.get(report=r).content_type == "application/pdf"


def test_an_sme_is_held_to_its_own_target_from_the_years_data(period):
    user, m = member(capital_yen=50_000_000, regular_employees=80)  # SME, verified (factory)
    with at(OPEN_DAY):
        r = _submit(m, user, period, after=304_500)  # +1.5 %
    assert r.company_is_sme and r.target_pct == Decimal("1.50") and not r.below_target
    period.target_sme_pct = Decimal("2.00")  # next year's data may differ; a correction re-judges
    period.save()
    with at(OPEN_DAY):
        r = _submit(m, user, period, after=304_500, files=[])
    assert r.below_target and r.target_pct == Decimal("2.00")


def test_evidence_is_required_and_a_bad_file_changes_nothing(period):
    user, m = member()
    with at(OPEN_DAY), pytest.raises(DomainError, match="書類"):
        _submit(m, user, period, files=[])
    with at(OPEN_DAY), pytest.raises(DomainError):
        _submit(m, user, period, files=[upload("payroll.pdf", b"<html><script>alert(1)</script></html>")])
    assert not WageReport.objects.exists() and not WageEvidence.objects.exists()
    with at(OPEN_DAY):
        r = _submit(m, user, period)
    with at(OPEN_DAY), pytest.raises(DomainError):  # a refused correction keeps the filed figures and files
        _submit(m, user, period, after=400_000, files=[upload("x.pdf", b"not a pdf")])
    r.refresh_from_db()
    assert r.wage_after_yen == 309_000 and r.evidence.count() == 1


def test_reports_can_be_corrected_until_the_deadline_and_filed_late_after_being_flagged_missing(period):
    user, m = member()
    late_user, late = member()
    with at(OPEN_DAY):
        _submit(m, user, period)
        _submit(m, user, period, after=312_000, files=[])
    assert WageReport.objects.get(membership=m).increase_pct == Decimal("4.00")

    with at(dt.date(2027, 3, 1)):
        counts = services.flag_missing_wage_reports()
        assert services.flag_missing_wage_reports()["flagged_missing"] == 0  # once
        with pytest.raises(DomainError, match="提出期限"):
            _submit(m, user, period, files=[])
    assert counts["flagged_missing"] == 1
    missing = WageReport.objects.get(membership=late)
    assert missing.status == "MISSING" and missing.flagged_missing_on == dt.date(2027, 3, 1)
    assert OutboxMessage.objects.filter(kind="lifecycle_wage_missing", to=late_user.email).count() == 1
    with at(dt.date(2027, 3, 3)):
        r = _submit(late, late_user, period)
    assert r.pk == missing.pk and r.status == "SUBMITTED" and r.is_late


def test_only_members_admitted_by_the_opening_day_owe_the_report(period):
    user, m = member(active_on=dt.date(2027, 1, 10))  # admitted after the window opened
    with at(OPEN_DAY), pytest.raises(DomainError, match="対象ではありません"):
        _submit(m, user, period)
    with at(dt.date(2027, 3, 1)):
        assert services.flag_missing_wage_reports()["flagged_missing"] == 0


def test_the_additional_report_is_filed_on_my_page(client, period):
    user, m = member(capital_yen=500_000_000, regular_employees=900)
    with at(OPEN_DAY):
        _submit(m, user, period, after=303_000)
        client.force_login(user)
        page = client.get(reverse("members:establishment_detail", args=[m.establishment_id])).content.decode()
        assert "目標未達" in page and reverse("lifecycle:wage_additional", args=[m.establishment_id]) in page
        url = reverse("lifecycle:wage_additional", args=[m.establishment_id])
        bad = client.post(url, {"reason": "", "plan": ""})
        assert bad.status_code == 400 and "理由を入力してください。" in bad.content.decode()
        r = client.post(
            url, {"reason": "原材料高騰のため", "plan": "来年度に定期昇給を再開", "evidence": upload()}
        )
    assert r.status_code == 302
    report = WageReport.objects.get(membership=m)
    assert report.additional_submitted_at and report.additional_plan == "来年度に定期昇給を再開"
    assert report.evidence.filter(for_additional=True).count() == 1


def test_my_page_report_form_files_figures_and_evidence(client, period, django_assert_max_num_queries):
    user, m = member()
    with at(OPEN_DAY):
        client.force_login(user)
        url = reverse("lifecycle:wage_report", args=[m.establishment_id])
        with django_assert_max_num_queries(25):
            form = client.get(url)
        assert (
            "目標（従業員1人当たりの賃上げ率）" in form.content.decode() and "1.50" in form.content.decode()
        )
        missing = client.post(url, {"workers": "25", "wage_before_yen": "300000", "wage_after_yen": "309000"})
        assert missing.status_code == 400 and "書類" in missing.content.decode()
        ok = client.post(
            url,
            {
                "workers": "25",
                "wage_before_yen": "300000",
                "wage_after_yen": "309000",
                "evidence": [upload("ledger.pdf"), upload("ledger2.pdf")],
            },
        )
    assert ok.status_code == 302
    assert WageReport.objects.get(membership=m).evidence.count() == 2
    ev = WageEvidence.objects.first()
    assert ev.file.name.startswith("lifecycle/wage/") and "ledger" not in ev.file.name  # random stored name


def test_evidence_is_downloaded_only_by_the_member_side_and_staff(client, period):
    user, m = member()
    with at(OPEN_DAY):
        r = _submit(m, user, period)
    ev = r.evidence.get()
    url = reverse("lifecycle:wage_evidence", args=[ev.pk])
    client.force_login(user)
    got = client.get(url)
    assert got.status_code == 200 and got["Content-Disposition"].startswith("attachment")
    assert got["X-Content-Type-Options"] == "nosniff" and b"".join(got.streaming_content) == PDF
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    assert client.post(reverse("lifecycle:wage_evidence_delete", args=[ev.pk])).status_code == 404
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get(url).status_code == 302  # staff pass the second factor first (jaim.middleware)
    verified_login(client, staff)
    assert client.get(url).status_code == 404  # staff without the permission to view reports
    staff.user_permissions.add(Permission.objects.get(codename="view_wagereport"))
    verified_login(client, type(staff).objects.get(pk=staff.pk))
    assert client.get(url).status_code == 200


def test_the_last_piece_of_evidence_cannot_be_removed(period):
    user, m = member()
    with at(OPEN_DAY):
        r = _submit(m, user, period, files=[upload("a.pdf"), upload("b.pdf")])
        first, second = r.evidence.all()
        services.remove_wage_evidence(first, by=user)
        with pytest.raises(DomainError, match="書類がなくなる"):
            services.remove_wage_evidence(second, by=user)
    assert r.evidence.count() == 1


def test_a_filed_report_never_becomes_missing_and_a_late_filing_is_an_audited_move(period):
    """§6: the deadline job flags only members without a report; a filed report cannot be turned into a missing
    one, and a missing one filed late moves MISSING → SUBMITTED with its audit row (WageReport.TRANSITIONS)."""
    user, m = member()
    late_user, late = member()
    with at(OPEN_DAY):
        filed = _submit(m, user, period)
    with pytest.raises(DomainError) as refused:
        move(filed, WageReport.Status.MISSING, transitions=WageReport.TRANSITIONS)
    assert refused.value.code == "illegal_transition"
    filed.refresh_from_db()
    assert filed.status == WageReport.Status.SUBMITTED

    with at(dt.date(2027, 3, 1)):
        services.flag_missing_wage_reports()
    missing = WageReport.objects.get(membership=late, status=WageReport.Status.MISSING)
    with at(dt.date(2027, 3, 3)):
        _submit(late, late_user, period)
    moves = AuditEvent.objects.filter(object_id=str(missing.pk), action="status:SUBMITTED")
    assert [(e.from_status, e.to_status, e.actor_id) for e in moves] == [
        ("MISSING", "SUBMITTED", late_user.pk)
    ]
    # A correction before the deadline is not a move: no status row for the report filed on time.
    assert not AuditEvent.objects.filter(object_id=str(filed.pk), action__startswith="status:").exists()


def test_the_missing_report_job_finds_its_members_by_an_anti_join_not_by_not_in(period):
    """NOT IN (the period's reports) is rescanned for every member once the reports outgrow a hashed subplan (as
    the renewal's notices did at 65,000: minutes for one query); the job asks with NOT EXISTS."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    member()
    with at(dt.date(2027, 3, 1)), CaptureQueriesContext(connection) as queries:
        assert services.flag_missing_wage_reports()["flagged_missing"] == 1
    selects = [
        q["sql"] for q in queries if "lifecycle_wagereport" in q["sql"] and q["sql"].startswith("SELECT")
    ]
    assert selects and all("NOT EXISTS" in s or "IN (SELECT" not in s for s in selects), selects
    assert any("NOT EXISTS" in s for s in selects)
