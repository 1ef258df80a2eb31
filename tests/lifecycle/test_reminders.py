"""Reminder rules are data (offsets, repeats); each open matter gets at most one reminder per rule and day, sent to
the right people, and reminders stop once the matter is settled."""

import datetime as dt

import pytest

from applications import services as application_services
from applications.models import Application
from jaim.models import OutboxMessage
from lifecycle import services
from lifecycle.models import Reminder, ReminderRule
from members import services as member_services
from tests.lifecycle.conftest import at
from tests.lifecycle.factories import member, returned_application, textile_certificate, wage_period

pytestmark = pytest.mark.django_db

D = dt.date


def rule(**kw):
    return ReminderRule(kind="DOCUMENT_EXPIRY", name="t", **kw)


@pytest.mark.parametrize(
    "kw, on, expected",
    [
        ({"offset_days": -7}, D(2027, 2, 11), None),  # not yet
        ({"offset_days": -7}, D(2027, 2, 12), D(2027, 2, 12)),
        ({"offset_days": -7}, D(2027, 2, 18), D(2027, 2, 12)),  # a missed day is still due (catch-up)
        ({"offset_days": 0, "repeat_every_days": 14}, D(2027, 3, 20), D(2027, 3, 19)),  # until settled
        ({"offset_days": 0, "repeat_every_days": 14, "repeat_times": 1}, D(2027, 6, 1), D(2027, 3, 5)),
    ],
)
def test_a_rule_names_the_most_recent_day_it_called_for(kw, on, expected):
    assert rule(**kw).latest_due(D(2027, 2, 19), on) == expected


def test_a_rule_does_not_reach_back_before_the_matter_existed():
    assert rule(offset_days=-30).latest_due(D(2027, 2, 19), D(2027, 2, 15), since=D(2027, 2, 1)) is None


def test_a_returned_application_is_reminded_then_cancelled_by_the_applications_deadline_job():
    user, m = member()
    app = returned_application(m.establishment, user, deadline=D(2027, 2, 10), returned_on=D(2027, 1, 25))
    with at(D(2027, 2, 7)):  # 3 days before (default rule)
        assert services.send_reminders()["returned_application"] == 1
        assert services.send_reminders()["returned_application"] == 0
    mail = OutboxMessage.objects.get(kind="lifecycle_reminder_returned_application")
    assert mail.to == user.email and app.receipt_number in mail.subject and "2027年2月10日" in mail.body
    with at(D(2027, 2, 11)):
        application_services.run_deadline_job()
    assert Application.objects.get(pk=app.pk).status == Application.Status.CANCELLED


def test_follow_up_documents_are_asked_for_only_once_the_change_is_finished_then_reminded_until_filed_R13():
    user, m = member()
    with at(D(2027, 1, 5)):
        change = member_services.record_identity_change(
            m.establishment,
            kind="NAME_CHANGE",
            new_organisation_name="新会社株式会社",
            new_establishment_name="",
            accepted_on=D(2027, 1, 5),
        )
    with at(D(2027, 1, 10)):  # pending: nothing is due yet, so nothing is reminded
        assert services.send_reminders()["identity_follow_up"] == 0
        member_services.complete_identity_change(
            change, effective_on=D(2027, 1, 10), follow_up_due_on=D(2027, 2, 1)
        )
    for day in (D(2027, 1, 18), D(2027, 1, 18), D(2027, 2, 1), D(2027, 2, 8), D(2027, 2, 15)):
        with at(day):
            services.send_reminders()  # the 18th twice: safe to run twice
    sent = sorted(
        Reminder.objects.filter(rule__kind="IDENTITY_FOLLOW_UP").values_list("reference_date", flat=True)
    )
    assert sent == [D(2027, 1, 18), D(2027, 2, 1), D(2027, 2, 15)]  # 2 weeks before, then every 2 weeks
    reminders = OutboxMessage.objects.filter(kind="lifecycle_reminder_identity_follow_up", to=user.email)
    assert reminders.count() == 3
    assert "2027年2月1日" in reminders.first().body and "#identity-change" in reminders.first().body
    # Overdue since 2 February: flagged for staff once, however often the job runs.
    change.refresh_from_db()
    assert change.follow_up_overdue_on == D(2027, 2, 2)
    with at(D(2027, 2, 16)):
        assert services.send_reminders()["identity_follow_up_overdue"] == 0
    member_services.record_follow_up_done(change, on=D(2027, 2, 20))
    with at(D(2027, 3, 1)):
        assert services.send_reminders()["identity_follow_up"] == 0


def test_overdue_follow_ups_are_flagged_once_per_change_and_not_before_the_due_day_R14():
    _user, m = member()
    with at(D(2027, 1, 5)):
        change = member_services.record_identity_change(
            m.establishment, kind="RELOCATION", new_organisation_name="", new_establishment_name="新工場",
            accepted_on=D(2027, 1, 5),
        )  # fmt: skip
        member_services.complete_identity_change(
            change, effective_on=D(2027, 1, 5), follow_up_due_on=D(2027, 1, 31)
        )
    with at(D(2027, 1, 31)):  # the due day itself is not overdue
        assert services.send_reminders()["identity_follow_up_overdue"] == 0
    with at(D(2027, 2, 3)):  # a missed run: caught up, dated the first day past the due date
        assert services.send_reminders()["identity_follow_up_overdue"] == 1
        assert services.send_reminders()["identity_follow_up_overdue"] == 0
    change.refresh_from_db()
    assert change.follow_up_overdue_on == D(2027, 2, 1)
    from jaim.models import AuditEvent

    assert AuditEvent.objects.filter(object_id=str(change.pk), action="follow_up_overdue").count() == 1


def test_an_expiring_certificate_is_warned_about_before_expiry_until_a_newer_one_is_on_file():
    user, m = member()
    textile_certificate(m.establishment, user, valid_until=D(2027, 6, 30))
    with at(D(2027, 4, 1)):  # 90 days before
        assert services.send_reminders()["document_expiry"] == 1
    assert "2027年6月30日" in OutboxMessage.objects.get(kind="lifecycle_reminder_document_expiry").body
    textile_certificate(m.establishment, user, valid_until=D(2028, 6, 30), uploaded_on=D(2027, 5, 1))
    with at(D(2027, 5, 31)):  # the old one's 30-day warning is not sent: it was replaced
        assert services.send_reminders()["document_expiry"] == 0


def test_rules_are_data_switched_off_or_moved_by_staff():
    user, m = member()
    returned_application(m.establishment, user, deadline=D(2027, 2, 10), returned_on=D(2027, 1, 25))
    ReminderRule.objects.filter(kind="RETURNED_APPLICATION").update(is_active=False)
    with at(D(2027, 2, 7)):
        assert services.send_reminders().get("returned_application", 0) == 0
    ReminderRule.objects.create(kind="RETURNED_APPLICATION", name="前日", offset_days=-1)
    with at(D(2027, 2, 9)):
        assert services.send_reminders()["returned_application"] == 1
    assert Reminder.objects.get().reference_date == D(2027, 2, 9)


def test_the_wage_report_window_opening_notice_and_deadline_reminders_go_to_members_who_have_not_filed():
    period = wage_period()
    user, m = member()
    filer_user, filer = member()
    with at(D(2027, 1, 5)):
        assert services.send_reminders()["wage_report_opening"] == 2
    assert OutboxMessage.objects.filter(kind="lifecycle_wage_opening").count() == 2
    from tests.applications.factories import upload

    with at(D(2027, 1, 20)):
        services.submit_wage_report(
            filer,
            period=period,
            by=filer_user,
            workers=3,
            wage_before_yen=200_000,
            wage_after_yen=210_000,
            files=[upload()],
        )
    with at(D(2027, 2, 14)):  # two weeks before the deadline
        assert services.send_reminders()["wage_report_due"] == 1
    assert OutboxMessage.objects.get(kind="lifecycle_reminder_wage_report").to == user.email
