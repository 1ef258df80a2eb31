"""Job commands catch up, they never run ahead (design §5): every management command with a `--date` takes it
through jaim.dates.job_date, which refuses a day after today (Asia/Tokyo) with a clear message and writes nothing.
Found by walking the project's commands, so a new command with its own `--date` parser fails here."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command, get_commands, load_command_class

from jaim.dates import job_date
from jaim.models import JobRun
from lifecycle.services import LAPSE_JOB, REMINDERS_JOB, RENEWAL_JOB, WAGE_JOB, WITHDRAWALS_JOB
from tests.lifecycle.conftest import at

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 2)
DATED_COMMANDS = {
    "cancel_overdue_applications": "applications.cancel_overdue_returned",
    "build_roster_exports": None,  # records its exports, not a JobRun
    "complete_withdrawals": WITHDRAWALS_JOB,
    "flag_missing_wage_reports": WAGE_JOB,
    "lapse_unpaid_memberships": LAPSE_JOB,
    "renew_memberships": RENEWAL_JOB,
    "send_lifecycle_reminders": REMINDERS_JOB,
}


def _project_commands_with_a_date():
    found = {}
    for name, app in get_commands().items():
        if app.startswith("django") or "." in app:  # Django's own and third-party apps' commands
            continue
        parser = load_command_class(app, name).create_parser("manage.py", name)
        action = parser._option_string_actions.get("--date")
        if action is not None:
            found[name] = action
    return found


def test_every_command_with_a_date_uses_the_shared_job_date_check():
    found = _project_commands_with_a_date()
    assert set(found) == set(DATED_COMMANDS)
    assert all(action.type is job_date for action in found.values())


@pytest.mark.parametrize("command", sorted(DATED_COMMANDS))
def test_a_date_after_today_is_refused_and_nothing_runs(command):
    job = DATED_COMMANDS[command]
    with at(TODAY), pytest.raises(CommandError) as exc:
        call_command(command, "--date", "2026-12-03")
    message = str(exc.value)
    assert "2026年12月3日は今日（2026年12月2日）より後の日付です" in message
    assert "先の日付では実行できません" in message
    if job:
        assert not JobRun.objects.filter(job=job).exists()


@pytest.mark.parametrize("command", sorted(DATED_COMMANDS))
def test_today_and_earlier_days_are_accepted(command):
    job = DATED_COMMANDS[command]
    with at(TODAY):
        call_command(
            command,
            "--date",
            "2026-11-20",
            *(["--format", "csv"] if command == "build_roster_exports" else []),
        )
        call_command(
            command,
            "--date",
            TODAY.isoformat(),
            *(["--format", "csv"] if command == "build_roster_exports" else []),
        )
    if job:
        assert sorted(JobRun.objects.filter(job=job).values_list("reference_date", flat=True)) == [
            dt.date(2026, 11, 20),
            TODAY,
        ]


def test_a_date_that_is_not_a_day_is_refused_with_the_expected_form():
    with at(TODAY), pytest.raises(CommandError) as exc:
        call_command("complete_withdrawals", "--date", "2026/12/01")
    assert "YYYY-MM-DD" in str(exc.value)


def test_today_is_the_day_in_tokyo_not_in_utc():
    """At 08:00 in Tokyo on 2 December it is still 1 December in UTC: the 2nd is today, not the future."""
    with at(TODAY, hour=8):
        assert job_date("2026-12-02") == TODAY
        with pytest.raises(Exception, match="より後の日付"):
            job_date("2026-12-03")


def test_a_withdrawal_effective_in_march_is_not_completed_early_by_a_future_date_r11():
    """R11: a member stays a member (and listed) until its withdrawal day. Run on 2 December with --date 2027-03-31
    the job is refused and the membership stays WITHDRAWAL_REQUESTED; run after the day, the same date catches up."""
    from fees import services as fee_services
    from lifecycle import services
    from members.models import Membership
    from tests.factories import UserFactory
    from tests.lifecycle.factories import fee_schedules, member

    fee_schedules()
    user, m = member()
    invoice = fee_services.bill_new_membership(
        m, notice_date=dt.date(2026, 6, 10), application_date=dt.date(2026, 5, 1)
    )
    fee_services.record_payment([invoice], amount_yen=invoice.total_yen, received_on=dt.date(2026, 6, 20))
    with at(TODAY):
        request = services.request_withdrawal(
            Membership.objects.get(pk=m.pk),
            by=user,
            effective_on=dt.date(2027, 3, 31),
            reason="雇用を集約するため",
            contact_name="総務 花子",
            contact_phone="0521234567",
            no_ssw_confirmed=True,
            no_refund_acknowledged=True,
        )
        services.confirm_withdrawal(request, by=UserFactory(is_staff=True))
        with pytest.raises(CommandError, match="先の日付では実行できません"):
            call_command("complete_withdrawals", "--date", "2027-03-31")
    assert Membership.objects.get(pk=m.pk).status == Membership.Status.WITHDRAWAL_REQUESTED

    with at(dt.date(2027, 4, 3)):  # the run of the 31st was missed: catch it up
        call_command("complete_withdrawals", "--date", "2027-03-31")
    withdrawn = Membership.objects.get(pk=m.pk)
    assert withdrawn.status == Membership.Status.WITHDRAWN and withdrawn.withdrawn_on == dt.date(2027, 3, 31)
