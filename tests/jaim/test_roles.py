"""The role matrix (jaim.roles) is the one source: every model is classified, the groups hold exactly what it
derives, and docs/roles.md is rendered from it."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from jaim import roles

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_every_model_with_permissions_is_classified_in_the_matrix():
    assert roles.unclassified_models() == set()


def test_the_matrix_names_only_existing_models():
    from django.apps import apps

    for area in roles.AREAS:
        for label in area.models:
            apps.get_model(label)  # LookupError: a model the matrix names does not exist


def test_each_group_holds_exactly_the_permissions_of_its_role():
    for role in roles.ROLES:
        held = {
            f"{app}.{codename}"
            for app, codename in Group.objects.get(name=role).permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        assert held == roles.permissions_of(role), role


def test_finance_works_the_lifecycle_and_cannot_touch_users_or_groups():
    finance = roles.permissions_of(roles.FINANCE)
    assert {
        "lifecycle.change_withdrawalrequest",
        "lifecycle.change_lapse",
        "lifecycle.change_renewalseason",
        "fees.add_payment",
    } <= finance
    assert not {p for p in finance if p.startswith(("members.change_user", "members.add_user", "auth."))}
    assert not {
        p for p in roles.permissions_of(roles.REVIEWER) if p.endswith("_user") or p.startswith("auth.")
    }


def test_reviewer_records_association_memberships_f4():
    assert {
        "members.add_associationmembership",
        "members.change_associationmembership",
    } <= roles.permissions_of(roles.REVIEWER)


def test_docs_roles_md_is_current():
    """Regenerate with `manage.py roles_table --write docs/roles.md` (DATABASE_URL unset)."""
    assert (ROOT / "docs" / "roles.md").read_text(encoding="utf-8") == roles.table_markdown()


def test_readme_links_the_role_table():
    assert "docs/roles.md" in (ROOT / "README.md").read_text(encoding="utf-8")
