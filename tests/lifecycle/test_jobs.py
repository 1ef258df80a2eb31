"""The jobs (design §5): each selects "due and not yet done" — never "due exactly today" — so running it twice
changes nothing the second time, and one run after a missed week does what the week's daily runs would have
done. Every run is recorded (JobRun) with its counts or its error."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from applications import services as application_services
from applications.models import Application
from fees import services as fee_services
from fees.models import CreditNote, Invoice
from jaim.models import AuditEvent, JobRun, OutboxMessage
from lifecycle import services
from lifecycle.models import (
    Lapse,
    Reminder,
    RenewalNotice,
    WageReport,
    WithdrawalRequest,
)
from members import services as member_services
from members.models import Membership, MembershipTerm
from roster.models import ListingPeriod
from tests.applications.factories import upload
from tests.factories import UserFactory
from tests.lifecycle.conftest import at
from tests.lifecycle.factories import (
    DEBIT_ON,
    NOTICE_ON,
    fee_schedules,
    member,
    returned_application,
    season,
    textile_certificate,
    wage_period,
)

pytestmark = pytest.mark.django_db

WEEK = [dt.date(2027, 3, 26) + dt.timedelta(days=i) for i in range(7)]  # 26 March … 1 April


def run_day(day):
    """What the scheduler runs on a day: the lifecycle jobs and applications' deadline job."""
    with at(day):
        for job in services.JOBS.values():
            job()
        application_services.run_deadline_job()


def withdraw(m, user, **kw):
    data = dict(
        by=user,
        effective_on=None,
        reason="雇用を集約するため",
        contact_name="総務 花子",
        contact_phone="0521234567",
        no_ssw_confirmed=True,
        no_refund_acknowledged=True,
        source=WithdrawalRequest.Source.RENEWAL,
    )
    data.update(kw)
    return services.request_withdrawal(m, **data)


@pytest.fixture
def world():
    """Something due for every job in the week up to 1 April 2027: year end, lapse, a late renewal, the wage
    deadline (31 March), reminders for a returned application, follow-up documents and an expiring certificate."""
    fee_schedules()
    season()
    period = wage_period(closes_on=dt.date(2027, 3, 31), additional_due_on=dt.date(2027, 4, 30))
    staff = UserFactory(is_staff=True)
    owner, paid = member()
    _, leaving = member(paid.establishment.organisation)
    unpaid_owner, unpaid = member()
    silent_owner, silent = member()
    late_owner, late = member(active_on=None, notice=dt.date(2027, 1, 15))
    with at(dt.date(2027, 1, 15)):
        fee_services.bill_new_membership(
            late, notice_date=dt.date(2027, 1, 15), application_date=dt.date(2026, 12, 1)
        )
    with at(dt.date(2027, 1, 10)):
        change = member_services.record_identity_change(
            silent.establishment,
            kind="RELOCATION",
            new_organisation_name="",
            new_establishment_name="新工場",
            accepted_on=dt.date(2027, 1, 10),
        )
    with at(dt.date(2027, 1, 20)):  # the new site operates: the follow-up documents become due (R14)
        member_services.complete_identity_change(
            change, effective_on=dt.date(2027, 1, 20), follow_up_due_on=dt.date(2027, 3, 30), by=staff
        )
    run_day(NOTICE_ON)
    with at(dt.date(2027, 2, 5)):
        request = withdraw(leaving, owner)
    with at(dt.date(2027, 2, 8)):
        services.confirm_withdrawal(request, by=staff)
    with at(dt.date(2027, 2, 10)):
        services.submit_wage_report(
            paid,
            period=period,
            by=owner,
            workers=40,
            wage_before_yen=300_000,
            wage_after_yen=303_000,
            files=[upload()],
        )
    for m in (paid, silent):
        inv = Invoice.objects.get(membership=m, fiscal_year=2027)
        with at(DEBIT_ON):
            fee_services.record_payment([inv], amount_yen=inv.total_yen, received_on=DEBIT_ON, method="DEBIT")
    first = Invoice.objects.get(membership=late, fiscal_year=2026)
    with at(dt.date(2027, 3, 25)):
        fee_services.record_payment([first], amount_yen=first.total_yen, received_on=dt.date(2027, 3, 25))
    returned_application(
        paid.establishment, owner, deadline=dt.date(2027, 4, 3), returned_on=dt.date(2027, 3, 20)
    )
    textile_certificate(paid.establishment, owner, valid_until=dt.date(2027, 6, 29))
    # Up to date until 25 March (earlier reminders sent, nothing of the week yet).
    with at(dt.date(2027, 3, 25)):
        for job in services.JOBS.values():
            job()
    return {"paid": paid, "leaving": leaving, "unpaid": unpaid, "silent": silent, "late": late}


def outcome() -> dict:
    """The lasting outcome of the jobs, by natural keys (not ids, not the day a job happened to run)."""
    return {
        "memberships": sorted(
            Membership.objects.values_list("member_number", "status", "withdrawn_on", "lapsed_on")
        ),
        "invoices": sorted(Invoice.objects.values_list("membership__member_number", "fiscal_year", "status")),
        "renewed": sorted(RenewalNotice.objects.values_list("membership__member_number", "fiscal_year")),
        "requests": sorted(WithdrawalRequest.objects.values_list("membership__member_number", "status")),
        "lapses": sorted(Lapse.objects.values_list("membership__member_number", "lapsed_on")),
        "wage": sorted(
            WageReport.objects.values_list("membership__member_number", "status", "flagged_missing_on")
        ),
        "applications": sorted(Application.objects.values_list("receipt_number", "status")),
        "listing": sorted(
            ListingPeriod.objects.values_list(
                "entry__membership__member_number", "listed_from", "delisted_on"
            )
        ),
    }


def snapshot() -> dict:
    """Everything a job may write, down to each row."""
    return {
        **outcome(),
        "outbox": sorted(OutboxMessage.objects.values_list("kind", "to", "dedupe_key")),
        "reminders": sorted(Reminder.objects.values_list("rule_id", "object_id", "reference_date")),
        "terms": sorted(MembershipTerm.objects.values_list("membership_id", "fiscal_year", "renewal_answer")),
        "credit_notes": CreditNote.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def latest_reminders() -> dict:
    """Per kind and subject, the most recent reminder sent."""
    out: dict = {}
    for kind, obj, day in Reminder.objects.values_list("rule__kind", "object_id", "reference_date"):
        out[(kind, obj)] = max(day, out.get((kind, obj), day))
    return out


def test_every_job_run_twice_on_the_same_day_changes_nothing_the_second_time(world):
    day = WEEK[-1]  # 1 April: year end, lapse, wage deadline passed, reminders due
    run_day(day)
    first = snapshot()
    assert first["memberships"] != []  # the day did change things (see the catch-up test for what)
    runs = JobRun.objects.count()
    run_day(day)
    assert snapshot() == first
    second = JobRun.objects.order_by("-id")[: len(services.JOBS) + 1]
    assert JobRun.objects.count() == runs + len(services.JOBS) + 1
    for run in second:
        assert run.succeeded
        assert not any(v for k, v in run.counts.items() if k not in ("seasons",)), (run.job, run.counts)


def test_a_missed_week_is_caught_up_by_one_run_with_the_outcome_of_the_daily_runs(world):
    with transaction.atomic():
        for day in WEEK:
            run_day(day)
        daily, daily_latest = outcome(), latest_reminders()
        transaction.set_rollback(True)

    assert outcome() != daily  # the week's work is still to do
    run_day(WEEK[-1])  # nobody ran anything for a week; one run

    assert outcome() == daily
    # Each matter still open got the reminder most recently due. The "wage report due in 3 days" reminder of
    # 28 March is not sent late: the deadline has passed and the missing report is flagged (and told) instead.
    caught_up = latest_reminders()
    wage_due = {k for k in daily_latest if k[0] == "WAGE_REPORT_DUE"}
    assert {k: v for k, v in caught_up.items() if k not in wage_due} == {
        k: v for k, v in daily_latest.items() if k not in wage_due
    }
    assert {daily_latest[k] for k in wage_due} == {dt.date(2027, 3, 28)}
    assert {caught_up[k] for k in wage_due} == {dt.date(2027, 3, 17)}
    w = world
    by_number = {m.member_number: m for m in Membership.objects.all()}
    assert by_number[w["leaving"].member_number].withdrawn_on == dt.date(2027, 4, 1)
    assert by_number[w["unpaid"].member_number].lapsed_on == dt.date(2027, 4, 1)
    assert RenewalNotice.objects.filter(membership=w["late"], fiscal_year=2027).exists()
    assert WageReport.objects.get(membership=w["silent"]).flagged_missing_on == dt.date(2027, 4, 1)
    assert OutboxMessage.objects.filter(kind="lifecycle_wage_missing").count() == 1
    kinds = set(Reminder.objects.filter(created_at__date__gte=WEEK[0]).values_list("rule__kind", flat=True))
    assert {"RETURNED_APPLICATION", "IDENTITY_FOLLOW_UP", "DOCUMENT_EXPIRY"} <= kinds
    # … and only that one: no burst of the reminders missed during the week.
    week = Reminder.objects.filter(created_at__date__gte=WEEK[0])
    assert week.count() == len({(r.rule.kind, r.object_id) for r in week})


def test_a_job_that_fails_records_its_error_and_the_command_reports_it(world):
    from fees.models import FeeSchedule

    season(fiscal_year=2028, notice_on=dt.date(2028, 2, 1), answer_deadline=dt.date(2028, 2, 18))
    FeeSchedule.objects.filter(fiscal_year=2028).delete()
    with at(dt.date(2028, 2, 2)), pytest.raises(CommandError):
        call_command("renew_memberships")
    run = JobRun.objects.filter(job=services.RENEWAL_JOB).latest("id")
    assert run.finished_at is not None and not run.succeeded
    assert run.error and run.reference_date == dt.date(2028, 2, 2)


def test_each_job_is_a_command_that_takes_the_reference_date(world, capsys):
    for name, job in [
        ("complete_withdrawals", services.WITHDRAWALS_JOB),
        ("lapse_unpaid_memberships", services.LAPSE_JOB),
        ("renew_memberships", services.RENEWAL_JOB),
        ("flag_missing_wage_reports", services.WAGE_JOB),
        ("send_lifecycle_reminders", services.REMINDERS_JOB),
    ]:
        with at(dt.date(2027, 4, 2)):  # a --date after today is refused (tests/jaim/test_job_dates.py)
            call_command(name, "--date", "2027-04-02")
        run = JobRun.objects.filter(job=job).latest("id")
        assert run.reference_date == dt.date(2027, 4, 2) and run.succeeded
        assert job in capsys.readouterr().out
    assert Membership.objects.get(pk=world["leaving"].pk).status == Membership.Status.WITHDRAWN
