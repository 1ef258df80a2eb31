"""Security: who changed whose group membership and permissions, and when — readable in the admin."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from jaim.models import AuditEvent
from tests.factories import UserFactory
from tests.security.helpers import staff_user, verified_login

pytestmark = pytest.mark.django_db


def _events(obj, action):
    return AuditEvent.objects.filter(
        content_type__model=obj._meta.model_name, object_id=str(obj.pk), action=action
    )


def test_putting_a_user_in_a_staff_group_through_the_admin_records_who_did_it(client):
    admin = staff_user(is_superuser=True)
    verified_login(client, admin)
    target = UserFactory(email="new.staff@example.jp")
    finance = Group.objects.get(name="finance")
    response = client.post(
        reverse("admin:members_user_change", args=[target.pk]),
        {
            "email": target.email,
            "full_name": target.full_name,
            "is_active": "on",
            "is_staff": "on",
            "groups": [finance.pk],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
            "email_verified_at_0": "2026-01-01",
            "email_verified_at_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = _events(target, "groups_added").get()
    assert event.actor == admin and event.note == "finance"
    # is_staff itself is in the user's field history (django-simple-history), with the same actor.
    latest = target.history.latest()
    assert latest.is_staff is True and latest.history_user == admin

    # Both are readable in the admin.
    history = client.get(reverse("admin:members_user_history", args=[target.pk]))
    assert history.status_code == 200
    log = client.get(reverse("admin:jaim_auditevent_changelist") + "?action=groups_added")
    assert log.status_code == 200 and "groups_added" in log.content.decode()


def test_removing_and_clearing_groups_and_permissions_is_recorded_too():
    user = UserFactory()
    reviewer, finance = Group.objects.get(name="reviewer"), Group.objects.get(name="finance")
    user.groups.add(reviewer, finance)
    user.groups.remove(reviewer)
    user.groups.clear()
    perm = Permission.objects.get(codename="view_membership")
    user.user_permissions.add(perm)
    reviewer.user_set.add(user)  # from the group's side

    assert _events(user, "groups_added").first().note == "reviewer"  # newest first: the reverse add
    assert [e.note for e in _events(user, "groups_removed").order_by("id")] == ["reviewer", "finance"]
    assert _events(user, "user_permissions_added").get().note == "members.view_membership"


def test_changing_a_groups_permissions_is_recorded():
    group = Group.objects.get(name="reviewer")
    perm = Permission.objects.get(codename="delete_membership")
    group.permissions.add(perm)
    group.permissions.remove(perm)
    assert _events(group, "permissions_added").latest("id").note == "members.delete_membership"
    assert _events(group, "permissions_removed").latest("id").note == "members.delete_membership"
