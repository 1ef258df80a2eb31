"""The demo data of `make run`: each staff login holds only its role's group (no superuser: break-glass only) and
finds its work waiting — finance a withdrawal to confirm, a lapse, the debit export; the reviewer a queue; the
administrator the users and the 2FA devices — and can act on it."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from applications.models import Application
from jaim import roles
from lifecycle.models import Lapse, WithdrawalRequest
from members.models import User
from tests.security.helpers import verified_login

pytestmark = pytest.mark.django_db

DEMO_STAFF = {
    "reviewer@demo.jaim.example": roles.REVIEWER,
    "finance@demo.jaim.example": roles.FINANCE,
    "admin@demo.jaim.example": roles.ADMINISTRATOR,
}


@pytest.fixture
def demo(settings):
    call_command("seed_demo", stdout=open("/dev/null", "w"))


def test_demo_staff_hold_their_role_only_and_nobody_is_a_superuser(demo):
    assert not User.objects.filter(is_superuser=True).exists()
    for email, role in DEMO_STAFF.items():
        user = User.objects.get(email=email)
        assert user.is_staff and not user.is_superuser and not user.user_permissions.exists(), email
        assert set(user.groups.values_list("name", flat=True)) == {role}, email
        granted = {
            f"{app}.{codename}"
            for app, codename in Group.objects.get(name=role).permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        assert granted and granted <= roles.permissions_of(role), (
            role
        )  # exactly from the matrix, nothing else


def test_demo_finance_confirms_the_waiting_withdrawal_and_finds_the_lapse_and_the_debit_export(client, demo):
    verified_login(client, User.objects.get(email="finance@demo.jaim.example"))
    pending = WithdrawalRequest.objects.get(status=WithdrawalRequest.Status.PENDING)
    queue = client.get(reverse("admin:lifecycle_withdrawalrequest_changelist"), follow=True)
    assert queue.status_code == 200 and pending.membership.member_number in queue.content.decode()
    r = client.post(
        reverse("admin:lifecycle_withdrawalrequest_changelist"),
        {"action": "confirm", "_selected_action": [str(pending.pk)]},
        follow=True,
    )
    assert r.status_code == 200
    assert WithdrawalRequest.objects.get(pk=pending.pk).status != WithdrawalRequest.Status.PENDING
    lapse = Lapse.objects.get()
    lapses = client.get(reverse("admin:lifecycle_lapse_changelist"), follow=True)
    assert lapses.status_code == 200 and lapse.membership.member_number in lapses.content.decode()
    assert 'value="reinstate"' in lapses.content.decode()  # the action is offered to finance
    assert client.get(reverse("admin:fees_debitrun_export")).status_code == 200
    assert client.get(reverse("admin:fees_invoice_changelist")).status_code == 200


def test_demo_reviewer_finds_the_queue_and_starts_a_review(client, demo):
    verified_login(client, User.objects.get(email="reviewer@demo.jaim.example"))
    waiting = Application.objects.filter(status=Application.Status.SUBMITTED).order_by("submitted_at").first()
    assert waiting is not None, "the demo has an application waiting for review"
    queue = client.get(reverse("admin:applications_application_changelist"), follow=True)
    assert queue.status_code == 200 and waiting.establishment.name in queue.content.decode()
    r = client.post(reverse("admin:applications_application_start", args=[waiting.pk]))
    assert r.status_code == 302
    assert Application.objects.get(pk=waiting.pk).status == Application.Status.IN_REVIEW
    assert client.get(reverse("admin:members_associationmembership_add")).status_code == 200


def test_demo_administrator_opens_users_and_devices_but_never_gets_superuser(client, demo):
    admin = User.objects.get(email="admin@demo.jaim.example")
    verified_login(client, admin)
    assert client.get(reverse("admin:members_user_changelist")).status_code == 200
    assert client.get(reverse("admin:otp_totp_totpdevice_changelist")).status_code == 200
    html = client.get(reverse("admin:members_user_change", args=[admin.pk])).content.decode()
    assert 'name="is_superuser"' not in html  # own privileges are read-only
