"""The role matrix (jaim.roles) as a test: every admin URL — changelist, add, change, delete and history of every
registered model, every custom admin view (ModelAdmin.get_urls) and staff page found by the URL resolver — and
every admin action, asked by each role with a verified second factor, answers as the matrix says: allowed = the
same answer as the (break-glass) superuser's; refused = 403 (404 where a view hides the object), and a refused
POST changes nothing. A page or action added later fails here until it is classified in jaim.roles.

The superuser's answer is the control: it shows what the page does at all (a read-only list has no add page for
anybody), so a role's refusal is about the role."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from jaim import roles
from tests.factories import UserFactory
from tests.lifecycle.conftest import at
from tests.security.access_world import WORLD_DAY, build_world
from tests.security.helpers import verified_login

pytestmark = pytest.mark.django_db

GENERIC = ("changelist", "add", "change", "delete", "history")
# admin URLs that are not staff pages: the sign-in/out and the public redirect to an object's own page
NOT_STAFF_PAGES = {"admin:login", "admin:logout", "admin:view_on_site"}


@pytest.fixture
def world(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with at(WORLD_DAY):
        w = build_world()
        from backoffice.models import Announcement, ExportJob, ImportRun

        w.import_run = ImportRun.objects.create(kind=ImportRun.Kind.ASSOCIATION, file_name="団体名簿.csv")
        w.announcement = Announcement.objects.create(title="お知らせ", body="本文")
        w.export_job = ExportJob.objects.create(
            app_label="members", model_name="organisation", title="法人", format="csv"
        )
        yield w


@pytest.fixture
def clients(world):
    """A client per role (the world's staff, each only in its own group) and the superuser, all verified."""
    out = {}
    for role in roles.ROLES:
        user = world.people[f"staff ({role})"]
        assert set(user.groups.values_list("name", flat=True)) == {role}
        c = Client()
        verified_login(c, user)
        out[role] = c
    root = UserFactory(is_staff=True, is_superuser=True)
    c = Client()
    verified_login(c, root)
    out["superuser"] = c
    return out


PERMS = {}


def perms(role):
    if role not in PERMS:
        PERMS[role] = roles.permissions_of(role)
    return PERMS[role]


def _status(response):
    if response.status_code == 302 and response["Location"].startswith(reverse("admin:login")):
        return "login"
    return response.status_code


def _check(name, url, expected_allowed: dict, clients, *, refused=(403,)):
    control = _status(clients["superuser"].get(url))
    assert control not in (403, "login"), f"the superuser is refused {name} {url}: {control}"
    problems = []
    for role in roles.ROLES:
        got = _status(clients[role].get(url))
        if expected_allowed[role]:
            if got != control:
                problems.append(f"{role} GET {name} {url}: {got}, expected {control} (allowed)")
        elif got not in refused:
            problems.append(f"{role} GET {name} {url}: {got}, expected one of {refused} (refused)")
    return problems


# --- discovery ----------------------------------------------------------------------------------------------


def _walk(patterns, namespace=None, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace
            inner = (f"{namespace}:{ns}" if namespace else ns) if ns else namespace
            yield from _walk(p.url_patterns, inner, prefix + str(p.pattern))
        elif isinstance(p, URLPattern) and p.name:
            yield (f"{namespace}:{p.name}" if namespace else p.name), prefix + str(p.pattern)


def _generic_names():
    names = set()
    for model in admin.site._registry:
        base = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        names |= {base + s for s in (*GENERIC, "simple_history", "autocomplete")}
    return names


def discovered_staff_pages() -> set[str]:
    """Every named URL under the admin (the admin's own, ModelAdmin.get_urls, backoffice's admin/ops/…)."""
    found = {
        name for name, route in _walk(get_resolver().url_patterns) if route.lstrip("^").startswith("admin/")
    }
    return found - _generic_names() - NOT_STAFF_PAGES


def test_every_staff_page_is_classified_in_the_matrix():
    found = discovered_staff_pages()
    assert len(found) > 30
    assert found - set(roles.STAFF_PAGES) == set(), "staff pages missing from jaim.roles.STAFF_PAGES"
    portal = {n for n in roles.STAFF_PAGES if not n.startswith(("admin:", "backoffice:"))}
    assert set(roles.STAFF_PAGES) - found - portal == set(), (
        "jaim.roles.STAFF_PAGES names pages that do not exist"
    )


def _registered_actions():
    out = {}
    for model, model_admin in admin.site._registry.items():
        for func, name, _desc in model_admin._get_base_actions():
            out[f"{model._meta.label_lower}.{name}"] = (model_admin, func)
    return out


def test_every_admin_action_declares_its_permissions_and_is_in_the_matrix():
    actions = _registered_actions()
    undeclared = sorted(k for k, (_ma, f) in actions.items() if not getattr(f, "allowed_permissions", None))
    assert undeclared == [], "admin actions without @admin.action(permissions=[...])"
    assert set(actions) - set(roles.ADMIN_ACTIONS) == set(), (
        "admin actions missing from jaim.roles.ADMIN_ACTIONS"
    )
    assert set(roles.ADMIN_ACTIONS) - set(actions) == set(), "jaim.roles.ADMIN_ACTIONS names unknown actions"


def test_every_registered_model_is_in_the_matrix():
    for model in admin.site._registry:
        assert roles.area_of(model._meta.label_lower) is not None, model._meta.label_lower
