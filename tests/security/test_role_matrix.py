"""The role matrix (jaim.roles) as a test: every admin URL — changelist, add, change, delete and history of every
registered model, every custom admin view (ModelAdmin.get_urls) and staff page found by the URL resolver — and
every admin action, asked by each role with a verified second factor, answers as the matrix says: allowed = the
same answer as the (break-glass) superuser's; refused = 403 (404 where a view hides the object), and a refused
POST changes nothing. A page or action added later fails here until it is classified in jaim.roles.

The superuser's answer is the control: it shows what the page does at all (a read-only list has no add page for
anybody), so a role's refusal is about the role."""

import hashlib

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.forms.models import model_to_dict
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


# --- the generic admin URLs -----------------------------------------------------------------------------------


def _allowed(model, level):
    app, name = model._meta.app_label, model._meta.model_name
    wanted = {
        "changelist": (f"{app}.view_{name}", f"{app}.change_{name}"),
        "history": (f"{app}.view_{name}", f"{app}.change_{name}"),
        "change": (f"{app}.view_{name}", f"{app}.change_{name}"),
        "add": (f"{app}.add_{name}",),
        "delete": (f"{app}.delete_{name}",),
    }[level]
    return {role: any(p in perms(role) for p in wanted) for role in roles.ROLES}


def test_every_admin_model_url_answers_each_role_as_the_matrix_says(world, clients):
    problems, covered = [], set()
    with at(WORLD_DAY):
        for model in sorted(admin.site._registry, key=lambda m: m._meta.label):
            base = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
            obj = model._default_manager.order_by("pk").first()
            for level in GENERIC:
                if level in ("change", "delete", "history"):
                    if obj is None:
                        continue
                    url = reverse(base + level, args=[obj.pk])
                else:
                    url = reverse(base + level)
                control = _status(clients["superuser"].get(url))
                expected = _allowed(model, level)
                if control == 403:  # the page does not exist for anybody (a read-only list has no add page)
                    expected = dict.fromkeys(roles.ROLES, False)
                for role in roles.ROLES:
                    got = _status(clients[role].get(url))
                    if expected[role] and got != control:
                        problems.append(f"{role} {base}{level}: {got}, expected {control}")
                    if not expected[role] and got != 403:
                        problems.append(f"{role} {base}{level}: {got}, expected 403")
                covered.add((model, level))
    assert problems == []
    assert len({m for m, _l in covered}) == len(admin.site._registry)


def _fingerprint():
    """Row counts of every project model and a hash of the world's rows: a refused POST must leave both alone."""
    counts = {}
    for app in ("members", "applications", "fees", "lifecycle", "roster", "backoffice", "jaim"):
        for m in apps.get_app_config(app).get_models():
            counts[m._meta.label] = m._default_manager.count()
    return counts


def _row_hash(obj):
    fresh = type(obj)._default_manager.filter(pk=obj.pk).first()
    if fresh is None:
        return None
    return hashlib.sha256(repr(sorted(model_to_dict(fresh).items(), key=str)).encode()).hexdigest()


def test_a_refused_post_to_an_admin_model_url_changes_nothing(world, clients):
    """Change and delete pages, posted by each role the matrix refuses: 403 and the row unchanged."""
    problems = []
    with at(WORLD_DAY):
        before = _fingerprint()
        for model in sorted(admin.site._registry, key=lambda m: m._meta.label):
            obj = model._default_manager.order_by("pk").first()
            if obj is None:
                continue
            base = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
            app, name = model._meta.app_label, model._meta.model_name
            for level, perm, data in (
                ("change", f"{app}.change_{name}", {}),
                ("delete", f"{app}.delete_{name}", {"post": "yes"}),
            ):
                url = reverse(base + level, args=[obj.pk])
                for role in roles.ROLES:
                    if perm in perms(role):
                        continue
                    h = _row_hash(obj)
                    got = _status(clients[role].post(url, data))
                    if got != 403:
                        problems.append(f"{role} POST {base}{level}: {got}")
                    if _row_hash(obj) != h:
                        problems.append(f"{role} POST {base}{level} changed the row")
        assert _fingerprint() == before
    assert problems == []


# --- actions --------------------------------------------------------------------------------------------------


def _offered_actions(client, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = client.get(url, follow=True)
    if response.status_code != 200 or response.context is None or "action_form" not in response.context:
        return set()
    form = response.context["action_form"]
    return {value for value, _label in form.fields["action"].choices if value}


def test_each_role_is_offered_exactly_the_actions_the_matrix_gives_it(world, clients):
    actions = _registered_actions()
    by_model = {}
    for key, (model_admin, _f) in actions.items():
        by_model.setdefault(model_admin.model, set()).add(key.rsplit(".", 1)[1])
    problems = []
    with at(WORLD_DAY):
        for model, names in sorted(by_model.items(), key=lambda kv: kv[0]._meta.label):
            label = model._meta.label_lower
            control = _offered_actions(clients["superuser"], model)
            for role in roles.ROLES:
                offered = _offered_actions(clients[role], model)
                expected = {n for n in names & control if roles.ADMIN_ACTIONS[f"{label}.{n}"] in perms(role)}
                if offered != expected:
                    problems.append(f"{role} {label}: offered {sorted(offered)}, expected {sorted(expected)}")
    assert problems == []


def test_a_refused_action_posted_anyway_changes_nothing(world, clients):
    """Each action, POSTed by each role the matrix refuses it to, with a real selected row: nothing written."""
    problems = []
    with at(WORLD_DAY):
        for key, (model_admin, _f) in sorted(_registered_actions().items()):
            model = model_admin.model
            obj = model._default_manager.order_by("pk").first()
            if obj is None:
                continue
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            data = {"action": key.rsplit(".", 1)[1], "_selected_action": [obj.pk], "post": "yes", "index": 0}
            for role in roles.ROLES:
                if roles.ADMIN_ACTIONS[key] in perms(role):
                    continue
                before, h = _fingerprint(), _row_hash(obj)
                got = _status(clients[role].post(url, data))
                if got not in (200, 302, 403):
                    problems.append(f"{role} {key}: {got}")
                if _fingerprint() != before or _row_hash(obj) != h:
                    problems.append(f"{role} {key}: a refused action wrote something")
    assert problems == []


# --- custom admin views and staff pages -----------------------------------------------------------------------


def _page_kwargs(world):
    """How to build each staff page's URL from the world. Pages whose object the world has not (debit runs,
    statement lines, identity changes) are built with a missing pk: refused roles then get 403 or 404."""
    finance_device = world.people["staff (finance)"].totpdevice_set.first()
    return {
        "admin:app_list": {"app_label": "fees"},
        "admin:auth_user_password_change": {"id": world.people["staff (administrator)"].pk},
        "admin:otp_totp_totpdevice_config": {"pk": finance_device.pk},
        "admin:otp_totp_totpdevice_qrcode": {"pk": finance_device.pk},
        "admin:fees_invoice_pdf": {"pk": world.invoice.pk, "kind": "invoice"},
        "admin:fees_invoice_payment": {"pk": world.invoice.pk},
        "admin:fees_invoice_credit": {"pk": world.invoice.pk},
        "admin:fees_creditnote_pdf": {"pk": world.credit_note.pk},
        "admin:fees_statementline_review": {"pk": 999_999},
        "admin:fees_debitrun_file": {"pk": 999_999, "which": "request"},
        "admin:fees_debitrun_result": {"pk": 999_999},
        "admin:applications_application_start": {"pk": world.application.pk},
        "admin:applications_application_return": {"pk": world.application.pk},
        "admin:applications_application_approve": {"pk": world.application.pk},
        "admin:applications_application_reject": {"pk": world.application.pk},
        "admin:applications_application_confirm_change": {"pk": world.application.pk},
        "admin:applications_application_accept_follow_up": {"pk": world.application.pk},
        "admin:members_identitychange_confirm": {"pk": 999_999},
        "backoffice:import_template": {"kind": "ASSOCIATION"},
        "backoffice:import_preview": {"pk": world.import_run.pk},
        "backoffice:import_commit": {"pk": world.import_run.pk},
        "backoffice:import_discard": {"pk": world.import_run.pk},
        "backoffice:import_report": {"pk": world.import_run.pk},
        "backoffice:export": {"app_label": "members", "model_name": "user", "fmt": "csv"},
        "backoffice:export_download": {"pk": world.export_job.pk},
        "backoffice:report": {"slug": "revenue"},
        "backoffice:announcement_send": {"pk": world.announcement.pk},
        "applications:document": {"pk": world.document.pk},
        "lifecycle:wage_evidence": {"pk": world.wage_evidence.pk},
    }


def test_every_staff_page_answers_each_role_as_the_matrix_says(world, clients):
    kwargs = _page_kwargs(world)
    problems = []
    with at(WORLD_DAY):
        for name, perm in sorted(roles.STAFF_PAGES.items()):
            url = reverse(name, kwargs=kwargs.get(name))
            expected = {role: perm is None or perm in perms(role) for role in roles.ROLES}
            control = _status(clients["superuser"].get(url))
            if control == 405:  # POST-only: the GET is refused for everybody before any check; see below
                continue
            missing_object = control == 404
            refused = (403, 404)
            for role in roles.ROLES:
                got = _status(clients[role].get(url))
                if missing_object and expected[role]:
                    ok = got == 404
                else:
                    ok = got == control if expected[role] else got in refused
                if not ok:
                    problems.append(
                        f"{role} GET {name}: {got} (superuser {control}, allowed={expected[role]})"
                    )
    assert problems == []


def test_a_refused_post_to_a_staff_page_changes_nothing(world, clients):
    kwargs = _page_kwargs(world)
    problems = []
    with at(WORLD_DAY):
        before = _fingerprint()
        for name, perm in sorted(roles.STAFF_PAGES.items()):
            if perm is None:
                continue
            url = reverse(name, kwargs=kwargs.get(name))
            for role in roles.ROLES:
                if perm in perms(role):
                    continue
                got = _status(clients[role].post(url, {"confirm": "1", "note": "x", "amount_yen": "1"}))
                if got not in (403, 404):
                    problems.append(f"{role} POST {name}: {got}")
        assert _fingerprint() == before
    assert problems == []


def test_the_groups_of_the_world_are_the_matrix_roles():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLES)
