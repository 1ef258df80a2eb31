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
            app_label="members",
            model_name="organisation",
            title="法人",
            format="csv",
            requested_by=w.people["staff (administrator)"],
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


# --- the walk: every role × every admin URL × every action ------------------------------------------------------


def _first_pk(model):
    return model._default_manager.order_by("pk").values_list("pk", flat=True).first()


def _generic_expectations(model):
    """(kind, url, permissions of which one allows the page) for the model's generic admin URLs."""
    app, name = model._meta.app_label, model._meta.model_name
    base = f"admin:{app}_{name}_"
    view_or_change = {f"{app}.view_{name}", f"{app}.change_{name}"}
    out = [
        ("changelist", reverse(base + "changelist"), view_or_change),
        ("add", reverse(base + "add"), {f"{app}.add_{name}"}),
    ]
    pk = _first_pk(model)
    if pk is not None:
        out += [
            ("change", reverse(base + "change", args=[pk]), view_or_change),
            ("history", reverse(base + "history", args=[pk]), view_or_change),
            ("delete", reverse(base + "delete", args=[pk]), {f"{app}.delete_{name}"}),
        ]
    return out


def _row_digest(model, pk):
    import hashlib

    from django.forms.models import model_to_dict

    obj = model._default_manager.filter(pk=pk).first()
    if obj is None:
        return None
    return hashlib.sha256(repr(sorted(model_to_dict(obj).items(), key=str)).encode()).hexdigest()


def _watch(model, pk):
    from jaim.models import AuditEvent, OutboxMessage

    return (
        model._default_manager.count(),
        _row_digest(model, pk) if pk is not None else None,
        OutboxMessage.objects.count(),
        AuditEvent.objects.count(),
    )


APPS = sorted({m._meta.app_label for m in admin.site._registry})


@pytest.mark.parametrize("app_label", APPS)
def test_generic_admin_urls_answer_each_role_as_the_matrix_says(world, clients, app_label):
    """changelist/add/change/history/delete of every registered model: a role with the permission gets the
    superuser's answer, one without gets 403; its refused POST to change and delete writes nothing."""
    problems = []
    models = [m for m in admin.site._registry if m._meta.app_label == app_label]
    with at(WORLD_DAY):
        for model in models:
            pk = _first_pk(model)
            for kind, url, allowing in _generic_expectations(model):
                control = _status(clients["superuser"].get(url))
                assert control != "login", url
                for role in roles.ROLES:
                    allowed = bool(allowing & perms(role))
                    got = _status(clients[role].get(url))
                    if (
                        control == 403
                    ):  # nobody may (a read-only list has no add page): refused for every role
                        ok = got == 403
                    elif allowed:
                        ok = got == control
                    else:
                        ok = got == 403
                    if not ok:
                        want = control if allowed and control != 403 else 403
                        problems.append(f"{role} GET {kind} {url}: {got}, expected {want}")
                    if not allowed and kind in ("change", "delete"):
                        before = _watch(model, pk)
                        response = clients[role].post(url, {"post": "yes"})
                        if response.status_code != 403 or _watch(model, pk) != before:
                            problems.append(f"{role} POST {kind} {url}: {response.status_code}, or it wrote")
    assert problems == []


def _request_as(user, path="/admin/"):
    from django.test import RequestFactory

    request = RequestFactory().get(path)
    request.user = user
    return request


def test_every_admin_action_is_offered_to_exactly_the_roles_the_matrix_allows(world):
    """The actions menu of every changelist: a role sees an action iff it holds the permission jaim.roles names
    for it (and the superuser sees it at all)."""
    root = UserFactory(is_staff=True, is_superuser=True)
    problems = []
    for model, model_admin in admin.site._registry.items():
        offered_root = set(model_admin.get_actions(_request_as(root)))
        for role in roles.ROLES:
            user = world.people[f"staff ({role})"]
            request = _request_as(user)
            can_list = model_admin.has_view_or_change_permission(request)
            offered = set(model_admin.get_actions(request)) if can_list else set()
            label = model._meta.label_lower
            expected = {
                name
                for name in offered_root
                if roles.ADMIN_ACTIONS.get(f"{label}.{name}") in perms(role) and can_list
            }
            if offered != expected:
                problems.append(f"{role} {label}: offered {sorted(offered)}, matrix {sorted(expected)}")
    assert problems == []


@pytest.mark.parametrize("role", roles.ROLES)
def test_a_refused_admin_action_posted_anyway_changes_nothing(world, clients, role):
    """POSTing an action the role may not run (as a crafted form would) runs nothing: 403, or the changelist
    without the action; the selected row, the model's rows, the outbox and the audit log stay as they were."""
    problems = []
    with at(WORLD_DAY):
        for key, perm in sorted(roles.ADMIN_ACTIONS.items()):
            if perm in perms(role):
                continue
            label, action = key.rsplit(".", 1)
            app, name = label.split(".")
            from django.apps import apps

            model = apps.get_model(app, name)
            pk = _first_pk(model)
            if pk is None:
                continue
            url = reverse(f"admin:{app}_{name}_changelist")
            before = _watch(model, pk)
            response = clients[role].post(
                url, {"action": action, "_selected_action": [pk], "index": "0", "post": "yes"}
            )
            if response.status_code not in (200, 302, 403) or _watch(model, pk) != before:
                problems.append(f"{role} {key}: {response.status_code}, or it wrote")
    assert problems == []


def _staff_page_url(name, world):
    from tests.security.test_access_matrix import URL_TABLE

    kind, spec = URL_TABLE[name]
    # the world's own objects rather than the access matrix's placeholder ids, so allowed roles reach a real page
    own = {
        "backoffice:import_preview": lambda w: w.import_run.pk,
        "backoffice:import_commit": lambda w: w.import_run.pk,
        "backoffice:import_discard": lambda w: w.import_run.pk,
        "backoffice:import_report": lambda w: w.import_run.pk,
        "backoffice:export_download": lambda w: w.export_job.pk,
        "backoffice:announcement_send": lambda w: w.announcement.pk,
    }
    if name in own:
        spec = {**spec, "pk": own[name]}
    if kind == "portal":
        spec = {
            "pk": (lambda w: w.document.pk)
            if name == "applications:document"
            else (lambda w: w.wage_evidence.pk)
        }
    return reverse(name, kwargs={k: f(world) for k, f in spec.items()})


def test_every_staff_page_answers_each_role_as_the_matrix_says(world, clients):
    """The custom admin views, backoffice's staff pages and the portal file views staff may open: allowed = the
    superuser's answer, refused = 403 or 404."""
    problems = []
    with at(WORLD_DAY):
        for name, perm in sorted(roles.STAFF_PAGES.items()):
            if name == "admin:autocomplete":
                continue  # its permission is the target model's view permission: below
            url = _staff_page_url(name, world)
            if perm == roles.NOBODY:
                for who in ("superuser", *roles.ROLES):
                    if _status(clients[who].get(url)) != 403:
                        problems.append(f"{who} GET {name}: not refused (the page must be closed to all)")
                continue
            allowed = {role: perm is None or perm in perms(role) for role in roles.ROLES}
            if _status(clients["superuser"].get(url)) == 405:
                # POST-only (commit/discard an import): a refused role's POST is refused and writes nothing
                for role in roles.ROLES:
                    if not allowed[role]:
                        before = _watch(type(world.import_run), world.import_run.pk)
                        got = clients[role].post(url, {"confirm": "1"}).status_code
                        if (
                            got not in (403, 404)
                            or _watch(type(world.import_run), world.import_run.pk) != before
                        ):
                            problems.append(f"{role} POST {name} {url}: {got}, or it wrote (refused)")
                continue
            problems += _check(name, url, allowed, clients, refused=(403, 404))
    assert problems == []


def test_autocomplete_and_list_export_answer_by_the_listed_models_view_permission(world, clients):
    """Django's autocomplete (and backoffice's list export) asks the view permission of the model it lists: organisations for every role (they
    all view members), users for administrators only — a reviewer cannot list e-mail addresses through it."""
    base = reverse("admin:autocomplete")
    cases = {
        "members.organisation": f"{base}?app_label=members&model_name=establishment&field_name=organisation",
        "members.user": f"{base}?app_label=members&model_name=access&field_name=user",
        # the list export asks the same: the list's own view permission
        "members.user ": reverse("backoffice:export", args=["members", "user", "csv"]),
        "members.organisation ": reverse("backoffice:export", args=["members", "organisation", "csv"]),
    }
    problems = []
    for target, url in cases.items():
        app, name = target.strip().split(".")
        allowed = {role: f"{app}.view_{name}" in perms(role) for role in roles.ROLES}
        problems += _check(target, url, allowed, clients)
    assert problems == []
    assert not perms(roles.REVIEWER) >= {"members.view_user"}  # so the second case does refuse someone


def test_every_admin_with_field_history_is_read_only_history():
    from simple_history.admin import SimpleHistoryAdmin

    from jaim.admin import HistoryAdmin

    with_history = [ma for ma in admin.site._registry.values() if isinstance(ma, SimpleHistoryAdmin)]
    assert len(with_history) >= 10
    assert [type(ma).__name__ for ma in with_history if not isinstance(ma, HistoryAdmin)] == []


@pytest.mark.parametrize("who", ["superuser", roles.FINANCE, roles.ADMINISTRATOR])
def test_an_old_version_posted_back_from_the_history_page_restores_nothing(world, clients, who):
    """simple_history's version page would save the old version on POST (a "revert"): a membership's status moved
    back behind lifecycle's rules. The page shows; a POST is 403 and the row stays as it is."""
    from members.models import Membership

    membership = world.membership
    versions = list(membership.history.order_by("history_id"))
    assert (
        len(versions) >= 2 and versions[0].status != membership.status
    )  # there is an older status to restore
    url = reverse("admin:members_membership_simple_history", args=[membership.pk, versions[0].history_id])
    assert clients[who].get(url).status_code == 200  # the old version is shown
    before = _row_digest(Membership, membership.pk)
    response = clients[who].post(url, {"_save": "1"})
    assert response.status_code == 403
    assert _row_digest(Membership, membership.pk) == before
    assert Membership.objects.get(pk=membership.pk).status == membership.status
