"""Staff groups get their permissions from the role matrix (jaim.roles) after every migrate, backoffice's included
(backoffice has no post_migrate handler of its own any more)."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from jaim.roles import sync_staff_groups

pytestmark = pytest.mark.django_db

# staff notes on the timeline: every role reads, writes and strikes through; nobody deletes one
NOTES = {"view_staffnote", "add_staffnote", "change_staffnote", "view_historicalstaffnote"}
BACKOFFICE = {
    "reviewer": {
        "view_importrun",
        "view_councilrecord",
        "view_historicalcouncilrecord",
        "view_exportjob",
        "view_reports",
        *NOTES,
    },
    "finance": {
        "view_importrun",
        "import_association",
        "view_councilrecord",
        "view_historicalcouncilrecord",
        "view_exportjob",
        "view_reports",
        *NOTES,
    },
}


def _backoffice_codenames(group: str) -> set[str]:
    return set(
        Group.objects.get(name=group)
        .permissions.filter(content_type__app_label="backoffice")
        .values_list("codename", flat=True)
    )


def _check_backoffice_permissions():
    every = set(
        Permission.objects.filter(content_type__app_label="backoffice").values_list("codename", flat=True)
    )
    assert {"import_council", "import_association", "send_announcement", "view_reports"} <= every
    # history tables follow their model with "view" only (jaim.roles)
    every = {c for c in every if "historical" not in c or c.startswith("view_")}
    assert _backoffice_codenames("administrator") == every - {"delete_staffnote"}
    for group, codenames in BACKOFFICE.items():
        assert _backoffice_codenames(group) == codenames, group
    assert "import_council" not in _backoffice_codenames("finance")  # council records: administrators only


def test_the_test_database_was_migrated_with_the_backoffice_permissions_in_the_groups():
    _check_backoffice_permissions()


def test_migrate_restores_the_backoffice_permissions_and_takes_away_extra_ones():
    for group in Group.objects.filter(name__in=["administrator", "finance", "reviewer"]):
        group.permissions.remove(*group.permissions.filter(content_type__app_label="backoffice"))
    Group.objects.get(name="reviewer").permissions.add(
        Permission.objects.get(content_type__app_label="backoffice", codename="import_council")
    )
    call_command("migrate", verbosity=0)  # nothing to apply: post_migrate runs all the same
    _check_backoffice_permissions()


def test_sync_keeps_the_other_apps_permissions_by_action():
    sync_staff_groups()
    finance = Group.objects.get(name="finance").permissions
    assert finance.filter(content_type__app_label="fees", codename="add_payment").exists()
    assert not finance.filter(content_type__app_label="fees", codename__startswith="delete_").exists()
    _check_backoffice_permissions()
