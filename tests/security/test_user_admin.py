"""User administration cannot be climbed (jaim.roles, members.admin.UserAdmin): only administrators open users;
nobody changes their own staff flag, superuser flag, groups or permissions; the superuser flag and single
permissions are never set from the admin; making staff is audited (who, whom, before/after)."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from jaim.models import AuditEvent
from tests.factories import UserFactory
from tests.security.helpers import staff_user, verified_login

pytestmark = pytest.mark.django_db


def _form(user, **overrides):
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "email_verified_at_0": "2026-01-01",
        "email_verified_at_1": "00:00:00",
    }
    data.update(overrides)
    return data


def _privileges(user):
    user.refresh_from_db()
    return (
        user.is_staff,
        user.is_superuser,
        set(user.groups.values_list("name", flat=True)),
        set(user.user_permissions.values_list("codename", flat=True)),
    )


@pytest.mark.parametrize("role", ["finance", "reviewer"])
def test_finance_and_reviewers_cannot_make_themselves_superuser(client, role):
    me = staff_user(group=role)
    verified_login(client, me)
    before = _privileges(me)
    url = reverse("admin:members_user_change", args=[me.pk])
    assert client.get(url).status_code == 403
    response = client.post(
        url, _form(me, is_superuser="on", is_staff="on", groups=[Group.objects.get(name="administrator").pk])
    )
    assert response.status_code == 403
    assert _privileges(me) == before
    assert client.get(reverse("admin:members_user_changelist")).status_code == 403


@pytest.mark.parametrize("role", ["finance", "reviewer"])
def test_finance_and_reviewers_cannot_open_the_administrators_password_form(client, role):
    admin = staff_user(group="administrator")
    verified_login(client, staff_user(group=role))
    url = reverse("admin:auth_user_password_change", args=[admin.pk])
    assert client.get(url).status_code == 403
    old = admin.password
    assert (
        client.post(url, {"password1": "x-new-pass-2026!", "password2": "x-new-pass-2026!"}).status_code
        == 403
    )
    admin.refresh_from_db()
    assert admin.password == old


def test_finance_does_not_see_the_user_admin_on_the_index(client):
    verified_login(client, staff_user(group="finance"))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert reverse("admin:members_user_changelist") not in response.content.decode()


def test_an_administrator_cannot_change_their_own_privileges(client):
    me = staff_user(group="administrator")
    verified_login(client, me)
    before = _privileges(me)
    response = client.post(
        reverse("admin:members_user_change", args=[me.pk]),
        _form(me, is_superuser="on", groups=[g.pk for g in Group.objects.all()]),
    )
    assert response.status_code == 302  # the other fields are saved; the privilege fields are read-only
    assert _privileges(me) == before


def test_an_administrator_makes_a_reviewer_but_never_a_superuser_and_it_is_audited(client):
    admin = staff_user(group="administrator")
    verified_login(client, admin)
    target = UserFactory(email="new.reviewer@example.jp")
    response = client.post(
        reverse("admin:members_user_change", args=[target.pk]),
        _form(target, is_staff="on", is_superuser="on", groups=[Group.objects.get(name="reviewer").pk]),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert _privileges(target) == (True, False, {"reviewer"}, set())
    staff_row = AuditEvent.objects.get(object_id=str(target.pk), action="user:is_staff")
    assert (staff_row.actor, staff_row.from_status, staff_row.to_status) == (admin, "False", "True")
    assert admin.email in staff_row.note and target.email in staff_row.note
    assert AuditEvent.objects.get(object_id=str(target.pk), action="groups_added").note == "reviewer"


def test_an_administrator_cannot_take_over_a_superuser(client):
    root = UserFactory(is_staff=True, is_superuser=True)
    verified_login(client, staff_user(group="administrator"))
    old = root.password
    assert client.get(reverse("admin:auth_user_password_change", args=[root.pk])).status_code == 403
    response = client.post(
        reverse("admin:members_user_change", args=[root.pk]), _form(root, email="mine@example.jp")
    )
    assert response.status_code == 403
    root.refresh_from_db()
    assert root.password == old and root.email != "mine@example.jp"
