"""Codes and English names shown in Japanese on the admin: permissions, staff groups, audit log actions and
states. The stored values stay as they are; only what the page shows changes."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from applications.models import Application
from jaim.audit_labels import audit_action_label, state_label
from jaim.models import AuditEvent
from jaim.roles import REVIEWER
from tests.factories import UserFactory
from tests.security.helpers import verified_login

pytestmark = pytest.mark.django_db


def test_a_group_page_names_permissions_and_the_role_in_japanese(client):
    group, _ = Group.objects.get_or_create(name=REVIEWER)
    group.permissions.add(Permission.objects.get(codename="add_application"))
    verified_login(client, UserFactory(is_staff=True, is_superuser=True))

    page = client.get(reverse("admin:auth_group_change", args=[group.pk])).content.decode()
    assert "入会・変更申請 | 申請 | 申請の追加" in page
    assert "法人の履歴の閲覧" in page  # a django-simple-history table
    assert "Can add" not in page
    listing = client.get(reverse("admin:auth_group_changelist")).content.decode()
    assert "審査担当" in listing
    assert Group.objects.get(pk=group.pk).name == REVIEWER  # the stored name is unchanged


def test_an_audit_row_reads_its_state_move_and_action_in_japanese():
    app_type = ContentType.objects.get_for_model(Application)
    move = AuditEvent(
        content_type=app_type, action="status:SUBMITTED", from_status="DRAFT", to_status="SUBMITTED"
    )
    assert audit_action_label(move) == "状態を「受付済み（審査待ち）」に変更"
    assert state_label(move, move.from_status) == "下書き"
    assert str(move) == "状態を「受付済み（審査待ち）」に変更"
    upload = AuditEvent(content_type=app_type, action="document_uploaded")
    assert audit_action_label(upload) == "書類を提出"
    unknown = AuditEvent(content_type=app_type, action="something_new")
    assert audit_action_label(unknown) == "something_new"  # an unknown code is shown as it is, not hidden


def test_the_lockout_list_shows_each_attempts_state_in_japanese(client, settings):
    from axes.models import AccessAttempt

    AccessAttempt.objects.create(
        username="x@example.jp",
        ip_address="192.0.2.1",
        user_agent="b",
        failures_since_start=99,
        path_info="/",
    )
    verified_login(client, UserFactory(is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "ロック中" in page and "期限切れの記録を削除" in page
    assert "Locked Out" not in page and "Clean up" not in page
