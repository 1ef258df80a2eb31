"""One day's work per staff role, over HTTP in the admin, each with its own group only (jaim.roles) and a verified
second factor: what the role matrix gives each role is enough to do its job (nobody needs the superuser).

- finance: records a payment, confirms a withdrawal, reinstates a lapsed member (after the fee is paid),
  exports the direct-debit file;
- reviewer: starts, returns and approves an application (the approval bills it: F1), records a late association
  membership (団体所属, F4);
- administrator: makes a new reviewer (audited), resets a lost second-factor device."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from applications import services as app_services
from applications.models import Application
from fees import services as fee_services
from fees.models import DebitRun, Invoice
from jaim.models import AuditEvent
from lifecycle import services as life_services
from lifecycle.models import Lapse, WithdrawalRequest
from members.models import AssociationMembership, Membership
from tests.applications.factories import add_doc, submitted
from tests.factories import AssociationFactory, UserFactory
from tests.fees.factories import FeeScheduleFactory, originator
from tests.lifecycle.conftest import at
from tests.lifecycle.factories import fee_schedules, member, season
from tests.security.helpers import staff_user, totp_device, verified_login

pytestmark = pytest.mark.django_db


def _action(client, model, action, ids):
    app_label, name = model.split(".")
    return client.post(
        reverse(f"admin:{app_label}_{name}_changelist"),
        {"action": action, "_selected_action": [str(i) for i in ids]},
        follow=True,
    )


def _only_group(user, role):
    assert not user.is_superuser and set(user.groups.values_list("name", flat=True)) == {role}
    assert not user.user_permissions.exists()


def test_finance_does_its_day_with_the_finance_group_only(client):
    fee_schedules()
    season()
    originator()
    finance = staff_user(group="finance")
    _only_group(finance, "finance")

    # 1. a withdrawal asked on My Page, confirmed by finance from the queue
    owner, leaving = member(name="株式会社退会予定")
    with at(dt.date(2026, 11, 27)):
        req = life_services.request_withdrawal(
            leaving, by=owner, effective_on=dt.date(2026, 11, 27), reason="雇用を集約するため",
            contact_name="総務 花子", contact_phone="0521234567", no_ssw_confirmed=True,
            no_refund_acknowledged=True,
        )  # fmt: skip
        verified_login(client, finance)
        queue = client.get(reverse("admin:lifecycle_withdrawalrequest_changelist"), follow=True)
        assert queue.status_code == 200 and leaving.member_number in queue.content.decode()
        done = _action(client, "lifecycle.withdrawalrequest", "confirm", [req.pk])
    assert "1件の退会を確認しました。" in done.content.decode()
    assert (
        WithdrawalRequest.objects.get(pk=req.pk).status == WithdrawalRequest.Status.COMPLETED
    )  # effective today: done at once
    assert Membership.objects.get(pk=leaving.pk).status == Membership.Status.WITHDRAWN

    # 2. the renewal run, a member with a mandate: the debit file for the collection day
    _owner, staying = member(name="株式会社継続")
    fee_services.register_debit_mandate(
        staying.establishment,
        data={"bank_code": "0001", "branch_code": "210", "account_type": "1", "account_number": "1234567",
              "holder_kana": "ｶ)ｹｲｿﾞｸ"},
        by=None,
    )  # fmt: skip
    _owner2, unpaid = member(name="株式会社未納")
    life_services.run_renewal(on=dt.date(2027, 2, 1))
    with at(dt.date(2027, 2, 10)):
        verified_login(client, finance)
        r = client.post(reverse("admin:fees_debitrun_export"), {"collection_date": "2027-02-26"})
        assert r.status_code == 302
        run = DebitRun.objects.get()
        file = client.get(reverse("admin:fees_debitrun_file", args=[run.pk, "request"]))
        data = b"".join(file.streaming_content)
    assert file.status_code == 200 and data.startswith(b"191") and len(data) % 122 == 0

    # 3. the unpaid member lapses; finance records the late transfer, then reinstates it
    life_services.lapse_unpaid_memberships(on=dt.date(2027, 4, 1))
    lapse = Lapse.objects.get(membership=unpaid)
    invoice = Invoice.objects.get(membership=unpaid, fiscal_year=2027)
    with at(dt.date(2027, 4, 12)):
        verified_login(client, finance)
        r = client.post(
            reverse("admin:fees_invoice_payment", args=[invoice.pk]),
            {"received_on": "2027-04-12", "amount_yen": str(invoice.total_yen), "payer_name": "ｶ)ﾐﾉｳ"},
        )
        assert r.status_code == 302, r.content.decode()[:1500]
        assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID
        _action(client, "lifecycle.lapse", "reinstate", [lapse.pk])
    assert Membership.objects.get(pk=unpaid.pk).status == Membership.Status.ACTIVE
    assert Lapse.objects.get(pk=lapse.pk).reinstated_on == dt.date(2027, 4, 12)


def test_the_reviewer_does_its_day_with_the_reviewer_group_only(client):
    FeeScheduleFactory(fiscal_year=2026)
    reviewer = staff_user(group="reviewer")
    _only_group(reviewer, "reviewer")
    app = submitted()
    verified_login(client, reviewer)

    def url(action):
        return reverse(f"admin:applications_application_{action}", args=[app.pk])

    queue = client.get(reverse("admin:applications_application_changelist"), follow=True)
    assert queue.status_code == 200 and app.establishment.name in queue.content.decode()
    assert client.post(url("start")).status_code == 302
    r = client.post(url("return"), {"message": "工場の写真が不鮮明です。", "deadline": "2099-01-01"})
    assert r.status_code == 302
    assert Application.objects.get(pk=app.pk).status == Application.Status.RETURNED
    add_doc(app, app.created_by, "factory_image")
    app_services.submit_application(app, by=app.created_by)
    client.post(url("start"))
    assert client.post(url("approve"), {}).status_code == 302
    app.refresh_from_db()
    assert app.status == Application.Status.APPROVED
    membership = Membership.objects.get(establishment=app.establishment)
    assert membership.status == Membership.Status.AWAITING_PAYMENT
    assert Invoice.objects.filter(membership=membership).count() == 1  # the approval billed it (F1)

    # a late association membership (団体所属), which decides the group discount (F4)
    association = AssociationFactory(name="一般社団法人日本検査工業会")
    org = app.establishment.organisation
    r = client.post(
        reverse("admin:members_associationmembership_add"),
        {"organisation": org.pk, "association": association.pk, "applied_on": "2026-04-01",
         "complete_on": "2026-04-15"},
    )  # fmt: skip
    assert r.status_code == 302, r.content.decode()[:1500]
    assert AssociationMembership.objects.get(organisation=org).complete_on == dt.date(2026, 4, 15)


def test_the_administrator_makes_a_reviewer_and_resets_a_lost_device(client):
    admin = staff_user(group="administrator")
    _only_group(admin, "administrator")
    verified_login(client, admin)

    # a new colleague: the account, then staff with the reviewer role
    r = client.post(
        reverse("admin:members_user_add"),
        {"email": "shinnin@jaim.example", "full_name": "新任 審査", "password1": "a-long-pass-2026!",
         "password2": "a-long-pass-2026!"},
    )  # fmt: skip
    assert r.status_code == 302, r.content.decode()[:1500]
    from members.models import User

    new = User.objects.get(email="shinnin@jaim.example")
    r = client.post(
        reverse("admin:members_user_change", args=[new.pk]),
        {"email": new.email, "full_name": new.full_name, "is_active": "on", "is_staff": "on",
         "groups": [Group.objects.get(name="reviewer").pk], "date_joined_0": "2026-12-02",
         "date_joined_1": "09:00:00"},
    )  # fmt: skip
    assert r.status_code == 302, r.content.decode()[:1500]
    new.refresh_from_db()
    assert new.is_staff and not new.is_superuser
    assert set(new.groups.values_list("name", flat=True)) == {"reviewer"}
    assert AuditEvent.objects.filter(object_id=str(new.pk), action="user:is_staff", actor=admin).exists()

    # a reviewer lost their phone: the administrator deletes the device, the reviewer must enrol again
    lost = UserFactory(is_staff=True)
    lost.groups.add(Group.objects.get(name="reviewer"))
    device = totp_device(lost)
    r = client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert r.status_code == 302
    assert not TOTPDevice.objects.filter(user=lost).exists()
    other = type(client)()
    other.force_login(lost)
    r = other.get(reverse("admin:index"))
    assert r.status_code == 302 and reverse("security:setup") in r["Location"]  # enrol before any staff page
