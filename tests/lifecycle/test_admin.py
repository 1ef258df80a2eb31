"""Staff in the admin: dates, rules and targets are data; withdrawals are confirmed or cancelled and lapsed
memberships reinstated through the services; job runs are visible."""

import datetime as dt

import pytest
from django.urls import reverse

from fees import services as fee_services
from fees.models import Invoice
from jaim.models import JobRun
from lifecycle import services
from lifecycle.models import Lapse, ReminderRule, RenewalSeason, WithdrawalRequest
from members.models import Membership
from tests.factories import UserFactory
from tests.lifecycle.conftest import at
from tests.lifecycle.factories import DEBIT_ON, NOTICE_ON, fee_schedules, member, season
from tests.security.helpers import verified_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    verified_login(client, user)
    return client


def _request(m, user, day):
    return services.request_withdrawal(
        m, by=user, effective_on=day, reason="雇用を集約するため", contact_name="総務 花子",
        contact_phone="0521234567", no_ssw_confirmed=True, no_refund_acknowledged=True,
    )  # fmt: skip


def _action(client, model, action, ids):
    return client.post(
        reverse(f"admin:lifecycle_{model}_changelist"),
        {"action": action, "_selected_action": [str(i) for i in ids]},
        follow=True,
    )


def test_every_lifecycle_admin_page_opens(admin_client):
    fee_schedules()
    season()
    user, m = member()
    services.run_renewal(on=NOTICE_ON)
    for name in ("renewalseason", "reminderrule", "wagereportperiod", "renewalnotice", "reminder",
                 "withdrawalrequest", "lapse", "wagereport"):  # fmt: skip
        assert (
            admin_client.get(reverse(f"admin:lifecycle_{name}_changelist"), follow=True).status_code == 200
        ), name
    for name in ("renewalseason", "reminderrule", "wagereportperiod"):
        assert admin_client.get(reverse(f"admin:lifecycle_{name}_add")).status_code == 200, name
    html = admin_client.get(reverse("admin:jaim_jobrun_changelist")).content.decode()
    assert "lifecycle.renewal" in html


def test_staff_confirm_a_withdrawal_from_the_queue_of_waiting_requests(admin_client):
    user, m = member()
    with at(dt.date(2026, 11, 27)):
        req = _request(m, user, dt.date(2026, 11, 27))
        queue = admin_client.get(reverse("admin:lifecycle_withdrawalrequest_changelist"), follow=True)
        assert m.member_number in queue.content.decode()  # opens on the requests waiting for the secretariat
        r = _action(admin_client, "withdrawalrequest", "confirm", [req.pk])
    assert "1件の退会を確認しました。" in r.content.decode()
    assert Membership.objects.get(pk=m.pk).status == Membership.Status.WITHDRAWN
    with at(dt.date(2026, 11, 27)):
        again = _action(admin_client, "withdrawalrequest", "confirm", [req.pk])
    assert "確認できません" in again.content.decode()  # a second click is told, not applied twice


def test_staff_cancel_a_request_and_the_membership_continues(admin_client):
    user, m = member()
    with at(dt.date(2026, 11, 27)):
        req = _request(m, user, dt.date(2026, 12, 20))
        _action(admin_client, "withdrawalrequest", "cancel", [req.pk])
    assert WithdrawalRequest.objects.get(pk=req.pk).status == WithdrawalRequest.Status.CANCELLED
    assert Membership.objects.get(pk=m.pk).status == Membership.Status.ACTIVE


def test_finance_reinstates_a_lapsed_membership_only_once_the_fee_is_paid(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    fee_schedules()
    season()
    user, m = member()
    services.run_renewal(on=NOTICE_ON)
    services.lapse_unpaid_memberships(on=dt.date(2027, 4, 1))
    lapse = Lapse.objects.get(membership=m)
    with at(dt.date(2027, 4, 10)):
        verified_login(client, admin)
        refused = _action(client, "lapse", "reinstate", [lapse.pk])
    assert "未納の請求書があるため復活できません" in refused.content.decode()
    assert Membership.objects.get(pk=m.pk).status == Membership.Status.LAPSED
    inv = Invoice.objects.get(membership=m, fiscal_year=2027)
    fee_services.record_payment([inv], amount_yen=inv.total_yen, received_on=dt.date(2027, 4, 12))
    with at(dt.date(2027, 4, 12)):
        verified_login(client, admin)
        _action(client, "lapse", "reinstate", [lapse.pk])
    assert Membership.objects.get(pk=m.pk).status == Membership.Status.ACTIVE
    assert Lapse.objects.get(pk=lapse.pk).reinstated_on == dt.date(2027, 4, 12)


def test_staff_without_the_permission_cannot_confirm_or_reinstate(client):
    user, m = member()
    with at(dt.date(2026, 11, 27)):
        req = _request(m, user, dt.date(2026, 11, 27))
    viewer = UserFactory(is_staff=True)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_withdrawalrequest", "view_lapse"])
    )
    verified_login(client, viewer)
    r = _action(client, "withdrawalrequest", "confirm", [req.pk])
    assert WithdrawalRequest.objects.get(pk=req.pk).status == WithdrawalRequest.Status.PENDING
    assert r.status_code in (200, 403)


def test_renewal_dates_are_checked_against_the_fee_schedules_debit_date(admin_client):
    fee_schedules()
    r = admin_client.post(
        reverse("admin:lifecycle_renewalseason_add"),
        {
            "fiscal_year": "2027",
            "notice_on": "2027-02-01",
            "answer_deadline": DEBIT_ON.isoformat(),
            "grace_days": "30",
        },
    )
    assert r.status_code == 200 and "口座振替日" in r.content.decode()
    assert not RenewalSeason.objects.exists()


def test_default_reminder_rules_ship_as_data():
    kinds = set(ReminderRule.objects.values_list("kind", flat=True))
    assert kinds == set(ReminderRule.Kind.values)
    assert JobRun.objects.count() == 0
