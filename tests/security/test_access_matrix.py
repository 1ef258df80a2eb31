"""The access matrix (security): every URL pattern of the project, requested with the objects of organisation
A by everyone who must not act for A — a user of organisation B, the site-only user of A's OTHER establishment, a
support organisation without a grant, an anonymous visitor and staff of each group (staff work in the admin; the
portal pages of A are for the people acting for A). Every refusal is a 404/403 (anonymous: the login page), shows
none of A's data and writes nothing.

URL_TABLE must name every URL of the project: a pattern added without an entry here fails
`test_every_url_pattern_is_in_the_table`. The admin's generic model URLs (changelist/add/change/delete/history)
are covered by walking the admin registry instead."""

import hashlib
import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.forms.models import model_to_dict
from django.urls import URLResolver, get_resolver, reverse

from tests.lifecycle.conftest import at
from tests.security.access_world import WORLD_DAY, build_world
from tests.security.helpers import verified_login

pytestmark = pytest.mark.django_db


def portal(**kwargs):
    """A portal page that takes an object of A: kwargs built from the world."""
    return ("portal", kwargs)


def public(reason):
    return ("public", reason)


def own(reason):
    """Pages about the signed-in user's own account or lists of their own objects: no object id in the URL."""
    return ("own", reason)


def staff_only(**kwargs):
    """A view behind the admin site's admin_view: non-staff and anonymous visitors go to the admin login."""
    return ("staff", kwargs)


def _mail_template():
    from jaim.models import MailTemplate

    return MailTemplate.objects.get_or_create(kind="lifecycle_renewal_notice")[0]


URL_TABLE = {
    "home": public("the landing page"),
    "healthz": public("health check, no data"),
    "livez": public("liveness check, no data"),
    "set_language": public("language switch"),
    "signup": public("sign-up form"),
    "verify_email": public("signed token; a wrong token is refused (tests/members)"),
    "login": public("login form"),
    "logout": public("logs out the requester"),
    "password_change": own("the requester's own password"),
    "password_change_done": own("static page"),
    "password_reset": public("reset form (same answer for any address: test_brute_force)"),
    "password_reset_done": public("static page"),
    "password_reset_confirm": public("signed token per user"),
    "password_reset_complete": public("static page"),
    "security:overview": own("the requester's own second factor"),
    "security:verify": own("the requester's own second factor"),
    "security:setup": own("the requester's own second factor"),
    "security:recovery_codes": own("the requester's own second factor"),
    "security:disable": own("the requester's own second factor"),
    "members:mypage": own("lists only the requester's own organisations (tests/members)"),
    "members:organisation_create": own("creates a new organisation for the requester"),
    "members:organisation_detail": portal(pk=lambda w: w.org.pk),
    "members:organisation_edit": portal(pk=lambda w: w.org.pk),
    "members:organisation_access": portal(pk=lambda w: w.org.pk),
    "members:establishment_create": portal(org_pk=lambda w: w.org.pk),
    "members:establishment_detail": portal(pk=lambda w: w.est.pk),
    "members:establishment_edit": portal(pk=lambda w: w.est.pk),
    "members:establishment_access": portal(pk=lambda w: w.est.pk),
    "members:establishment_support": portal(pk=lambda w: w.est.pk),
    "members:access_revoke": portal(pk=lambda w: w.org_access.pk),
    "members:support_revoke": portal(pk=lambda w: w.support_grant.pk),
    "members:postal_lookup": public("postal-code lookup, no member data"),
    "applications:index": own("lists the requester's own applications"),
    "applications:start": own("starts an application for an establishment chosen among the requester's own"),
    "applications:detail": portal(pk=lambda w: w.application.pk),
    "applications:step": portal(pk=lambda w: w.application.pk, step=lambda w: "establishment"),
    "applications:upload": portal(pk=lambda w: w.application.pk),
    "applications:review": portal(pk=lambda w: w.application.pk),
    "applications:cancel": portal(pk=lambda w: w.application.pk),
    "applications:document": portal(pk=lambda w: w.document.pk),
    "applications:document_delete": portal(pk=lambda w: w.document.pk),
    # R13/R14 after approval: the member's report of the new company / site operating, and follow-up documents
    "applications:change_report": portal(pk=lambda w: w.application.pk),
    "applications:follow_up_upload": portal(pk=lambda w: w.application.pk),
    "fees:invoice_document": portal(pk=lambda w: w.invoice.pk, kind=lambda w: "invoice"),
    "fees:invoice_link": public(
        "token-guarded: a signed, expiring, revocable token opens one invoice's PDF (tests/fees/test_pdf_link.py)"
    ),
    "fees:statement_link": public(
        "token-guarded: a signed, expiring, revocable token opens one 請求明細書's PDF (tests/fees/test_statements.py)"
    ),
    "fees:billing_preference": portal(pk=lambda w: w.est.pk),
    "fees:receipt_request": portal(pk=lambda w: w.invoice.pk),
    "fees:credit_note_pdf": portal(pk=lambda w: w.credit_note.pk),
    "fees:billing_contact": portal(pk=lambda w: w.est.pk),
    "fees:debit_mandate": portal(pk=lambda w: w.est.pk),
    "lifecycle:renewal_continue": portal(pk=lambda w: w.est.pk),
    "lifecycle:withdraw": portal(pk=lambda w: w.est.pk),
    "lifecycle:withdraw_cancel": portal(pk=lambda w: w.est.pk),
    "lifecycle:wage_report": portal(pk=lambda w: w.est.pk),
    "lifecycle:wage_additional": portal(pk=lambda w: w.est.pk),
    "lifecycle:wage_evidence": portal(pk=lambda w: w.wage_evidence.pk),
    "lifecycle:wage_evidence_delete": portal(pk=lambda w: w.wage_evidence.pk),
    "roster:search": public("the public roster"),
    "roster:entry": public("an entry's public page (listed data only)"),
    "roster:download": public("public roster exports"),
    "roster:confirmation": portal(establishment_pk=lambda w: w.est.pk),
    "roster:roster_api:openapi-json": public("API schema"),
    "roster:roster_api:openapi-view": public("API docs"),
    "roster:roster_api:search_entries": public("public roster API"),
    "roster:roster_api:check_entry": public("public roster API"),
    "roster:roster_api:api-root": public("public roster API"),
    "roster:verify": public("bulk verification of the public roster on a date (listed data only)"),
    "roster:roster_api:verify_identifiers": public("bulk verification API (listed data only)"),
    "backoffice:archive": public("published announcements"),
    "backoffice:announcement_detail": public("a published announcement"),
    "backoffice:subscribe": public("newsletter sign-up"),
    "backoffice:subscribe_me": own("subscribes the requester"),
    "backoffice:subscribe_sent": public("static page"),
    "backoffice:subscribe_confirm": public("signed token"),
    "backoffice:unsubscribe": public("signed token"),
    "backoffice:resources": own("resources for every member, not per organisation (tests/backoffice)"),
    "backoffice:resource_detail": own("resources for every member, not per organisation (tests/backoffice)"),
    "backoffice:resource_download": own(
        "resources for every member, not per organisation (tests/backoffice)"
    ),
    # admin_view-wrapped staff pages (project's own and admin custom views)
    "backoffice:import_upload": staff_only(),
    "backoffice:import_template": staff_only(kind=lambda w: "council"),
    "backoffice:import_preview": staff_only(pk=lambda w: 1),
    "backoffice:import_commit": staff_only(pk=lambda w: 1),
    "backoffice:import_discard": staff_only(pk=lambda w: 1),
    "backoffice:import_report": staff_only(pk=lambda w: 1),
    "backoffice:export": staff_only(
        app_label=lambda w: "members", model_name=lambda w: "organisation", fmt=lambda w: "csv"
    ),
    "backoffice:exports": staff_only(),
    "backoffice:export_download": staff_only(pk=lambda w: 1),
    "backoffice:reports": staff_only(),
    "backoffice:report": staff_only(slug=lambda w: "revenue"),
    "backoffice:announcement_send": staff_only(pk=lambda w: 1),
    "admin:index": staff_only(),
    "admin:login": public("the admin login"),
    "admin:logout": public("logs out the requester"),
    "admin:password_change": staff_only(),
    "admin:password_change_done": staff_only(),
    "admin:autocomplete": staff_only(),
    "admin:jsi18n": staff_only(),
    "admin:view_on_site": public("redirects to the object's public URL; the target page checks access"),
    "admin:app_list": staff_only(app_label=lambda w: "members"),
    "admin:otp_totp_totpdevice_config": staff_only(pk=lambda w: 1),
    "admin:otp_totp_totpdevice_qrcode": staff_only(pk=lambda w: 1),
    "admin:auth_user_password_change": staff_only(id=lambda w: w.owner.pk),
    "admin:jaim_mailtemplate_diff": staff_only(pk=lambda w: _mail_template().pk, number=lambda w: 1),
    "admin:jaim_mailtemplate_preview": staff_only(pk=lambda w: _mail_template().pk),
    "admin:jaim_mailtemplate_test_send": staff_only(pk=lambda w: _mail_template().pk),
    "admin:fees_invoice_pdf": staff_only(pk=lambda w: w.invoice.pk, kind=lambda w: "invoice"),
    "admin:fees_invoice_payment": staff_only(pk=lambda w: w.invoice.pk),
    "admin:fees_invoice_credit": staff_only(pk=lambda w: w.invoice.pk),
    "admin:fees_creditnote_pdf": staff_only(pk=lambda w: w.credit_note.pk),
    "admin:fees_statement_upload": staff_only(),
    "admin:fees_statementline_review": staff_only(pk=lambda w: 1),
    "admin:fees_debitrun_export": staff_only(),
    "admin:fees_debitrun_file": staff_only(pk=lambda w: 1, which=lambda w: "request"),
    "admin:fees_debitrun_result": staff_only(pk=lambda w: 1),
    "admin:applications_application_start": staff_only(pk=lambda w: w.application.pk),
    "admin:applications_application_return": staff_only(pk=lambda w: w.application.pk),
    "admin:applications_application_approve": staff_only(pk=lambda w: w.application.pk),
    "admin:applications_application_reject": staff_only(pk=lambda w: w.application.pk),
    # 「新会社の事業開始を確認」/「新事業所の稼働を確認」 (members.complete_identitychange: reviewer, administrator)
    "admin:applications_application_confirm_change": staff_only(pk=lambda w: w.application.pk),
    "admin:applications_application_accept_follow_up": staff_only(pk=lambda w: w.application.pk),
    "admin:members_identitychange_confirm": staff_only(pk=lambda w: 1),
    "backoffice:timeline_establishment": staff_only(pk=lambda w: w.est.pk),
    "backoffice:timeline_organisation": staff_only(pk=lambda w: w.est.organisation_id),
    "backoffice:note_edit": staff_only(pk=lambda w: 1),
    "backoffice:note_strike": staff_only(pk=lambda w: 1),
    "backoffice:note_attachment": staff_only(pk=lambda w: 1),
}

# Acts that bind A's establishment or its money: only its managers (docs/decisions.md, "Who may withdraw…").
# Everyone else acting for it gets 403 with the explanation, and nothing is written.
MANAGERS_ONLY = {
    "lifecycle:withdraw",
    "lifecycle:withdraw_cancel",
    "fees:debit_mandate",
    "fees:billing_contact",
    "fees:billing_preference",  # and of those, the head office's only (tests/fees/test_statements.py)
}

# Portal pages of A that staff may open on purpose (the project's documented choice), with the permission.
STAFF_MAY_READ = {
    # lifecycle/views.py _evidence_for: staff holding lifecycle.view_wagereport see the evidence from the portal URL
    ("lifecycle:wage_evidence", "GET"): "lifecycle.view_wagereport",
    # applications.selectors.get_document_for: reviewers (applications.view_application) read the documents
    ("applications:document", "GET"): "applications.view_application",
    # the two download views answer any method with the file: still read-only (the snapshot proves no write)
    ("applications:document", "POST"): "applications.view_application",
    ("lifecycle:wage_evidence", "POST"): "lifecycle.view_wagereport",
}


def _walk(patterns, namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace
            yield from _walk(p.url_patterns, (f"{namespace}:{ns}" if namespace else ns) if ns else namespace)
        elif p.name:
            yield f"{namespace}:{p.name}" if namespace else p.name


def _generic_admin_names():
    names = set()
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        names |= {prefix + s for s in ("changelist", "add", "change", "delete", "history", "simple_history")}
    return names


def all_url_names() -> set[str]:
    return set(_walk(get_resolver().url_patterns)) - _generic_admin_names()


def test_every_url_pattern_is_in_the_table():
    """A new URL must be classified here (with how to build it from A's objects, or why it has no object of A)."""
    names = all_url_names()
    assert names - set(URL_TABLE) == set(), "URL patterns missing from the access matrix"
    assert set(URL_TABLE) - names == set(), "the access matrix names URLs that no longer exist"


# --- snapshot: nothing written ------------------------------------------------------------------------------

WATCHED_APPS = ("members", "applications", "fees", "lifecycle", "roster")


def snapshot(world) -> dict:
    counts = {
        m._meta.label: m._default_manager.count()
        for app in WATCHED_APPS
        for m in apps.get_app_config(app).get_models()
    }
    rows = {}
    for name in (
        "org",
        "est",
        "other_est",
        "membership",
        "application",
        "document",
        "invoice",
        "receipt",
        "credit_note",
        "wage_report",
        "wage_evidence",
        "org_access",
        "support_grant",
    ):
        obj = getattr(world, name)
        fresh = type(obj)._default_manager.get(pk=obj.pk)
        rows[name] = hashlib.sha256(repr(sorted(model_to_dict(fresh).items(), key=str)).encode()).hexdigest()
    return {"counts": counts, "rows": rows}


@pytest.fixture
def world(settings):
    with at(WORLD_DAY):
        yield build_world()


def _url(name, spec_kwargs, world):
    return reverse(name, kwargs={k: f(world) for k, f in spec_kwargs.items()})


def _portal_urls(world):
    return [
        (name, _url(name, spec[1], world)) for name, spec in sorted(URL_TABLE.items()) if spec[0] == "portal"
    ]


def _login(client, user):
    if user.is_staff:
        verified_login(client, user)
    else:
        client.force_login(user)


def _assert_refused(response, world, *, who, name, method):
    body = b"".join(response) if response.streaming else response.content
    where = f"{who} {method} {name}"
    if who == "anonymous":
        assert response.status_code in (302, 403, 404, 405), where
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("login")), where
        return
    allowed = (403, 404, 405) if method == "GET" else (403, 404)  # 405: POST-only, refused before any lookup
    assert response.status_code in allowed, f"{where} → {response.status_code}"
    text = body.decode("utf-8", "replace")
    for marker in world.markers():
        assert marker not in text, f"{where} shows {marker!r}"


def test_portal_pages_of_a_open_for_its_owner(client, world):
    """The control: the same URLs work for A's own manager, so the refusals below are about the person."""
    client.force_login(world.owner)
    with at(WORLD_DAY):
        for name, url in _portal_urls(world):
            response = client.get(url)
            # 405: a POST-only action (the refusal tests POST it too)
            assert response.status_code in (200, 302, 405), f"{name} {url} → {response.status_code}"
            if response.status_code == 302:
                assert not response["Location"].startswith(reverse("login")), name


PEOPLE = [
    "organisation B",
    "site user of A's other establishment",
    "support organisation without a grant",
    "staff (reviewer)",
    "staff (finance)",
    "staff (administrator)",
    "anonymous",
]


@pytest.mark.parametrize("who", PEOPLE)
def test_nobody_else_reaches_the_portal_pages_of_a(client, world, who):
    """R-access: another tenant's object is a 404 (members.selectors); no data shown, nothing written."""
    if who != "anonymous":
        user = world.people[who]
        _login(client, user)
    before = snapshot(world)
    with at(WORLD_DAY):
        for name, url in _portal_urls(world):
            for method in ("GET", "POST"):
                allowed = STAFF_MAY_READ.get((name, method))
                if allowed and who.startswith("staff"):
                    if user.has_perm(allowed):
                        continue
                response = client.get(url) if method == "GET" else client.post(url, {"confirm": "1"})
                _assert_refused(response, world, who=who, name=name, method=method)
    assert snapshot(world) == before


@pytest.mark.parametrize("who", ["organisation B", "anonymous"])
def test_staff_pages_send_everyone_else_to_the_admin_login(client, world, who):
    if who != "anonymous":
        client.force_login(world.people[who])
    before = snapshot(world)
    admin_login = reverse("admin:login")
    for name, spec in sorted(URL_TABLE.items()):
        if spec[0] != "staff":
            continue
        url = _url(name, spec[1], world)
        for method in ("GET", "POST"):
            response = client.get(url) if method == "GET" else client.post(url, {"confirm": "1"})
            assert response.status_code == 302, f"{who} {method} {name} → {response.status_code}"
            assert response["Location"].startswith(admin_login), f"{who} {method} {name}"
    assert snapshot(world) == before


def _a_objects(world):
    """(model, pk) of A's objects, for the admin's generic URLs."""
    objs = [
        world.owner,
        world.org,
        world.est,
        world.membership,
        world.application,
        world.invoice,
        world.receipt,
        world.credit_note,
        world.wage_report,
        world.org_access,
        world.support_grant,
    ]
    return [(type(o), o.pk) for o in objs if type(o) in admin.site._registry]


@pytest.mark.parametrize("who", ["organisation B", "anonymous"])
def test_admin_pages_of_a_send_non_staff_to_the_admin_login(client, world, who):
    if who != "anonymous":
        client.force_login(world.people[who])
    before = snapshot(world)
    admin_login = reverse("admin:login")
    covered = set()
    for model, pk in _a_objects(world):
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        urls = [reverse(prefix + "changelist"), reverse(prefix + "add")]
        urls += [reverse(prefix + s, args=[pk]) for s in ("change", "delete", "history")]
        for url in urls:
            for method in ("GET", "POST"):
                response = client.get(url) if method == "GET" else client.post(url, {"post": "yes"})
                assert response.status_code == 302, f"{who} {method} {url} → {response.status_code}"
                assert response["Location"].startswith(admin_login), url
        covered.add(model)
    assert len(covered) >= 8
    assert snapshot(world) == before


def test_every_admin_model_sends_non_staff_to_the_admin_login(client, world):
    """The whole registry, not only A's models: list and add pages."""
    client.force_login(world.people["organisation B"])
    admin_login = reverse("admin:login")
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        for s in ("changelist", "add"):
            response = client.get(reverse(prefix + s))
            assert response.status_code == 302 and response["Location"].startswith(admin_login), prefix + s


def test_table_kinds_are_known():
    assert {spec[0] for spec in URL_TABLE.values()} <= {"portal", "public", "own", "staff"}
    assert all(re.match(r"^[\w:-]+$", n) for n in URL_TABLE)


def test_managers_only_names_portal_pages():
    assert MANAGERS_ONLY <= {n for n, spec in URL_TABLE.items() if spec[0] == "portal"}


HELPERS = [
    "head-office user without the manage right",
    "site user of the establishment without the manage right",
    "support organisation with a grant",
]


@pytest.mark.parametrize("who", HELPERS)
def test_people_acting_without_the_manage_right_cannot_withdraw_or_change_the_account_or_contact(
    client, world, who
):
    """They reach the establishment (its page, its applications), but withdrawing it, its direct-debit account and
    its billing contact answer 403 with the reason, on GET and POST, and write nothing; the page hides the buttons."""
    user = world.helpers[who]
    client.force_login(user)
    before = snapshot(world)
    with at(WORLD_DAY):
        page = client.get(reverse("members:establishment_detail", args=[world.est.pk]))
        assert page.status_code == 200, "the control: they do act for the establishment"
        html = page.content.decode()
        for name in sorted(MANAGERS_ONLY):
            url = _url(name, URL_TABLE[name][1], world)
            assert f'href="{url}' not in html and f'action="{url}"' not in html, (
                f"{who} sees a link to {name}"
            )
            for method in ("GET", "POST"):
                data = {
                    "confirm": "1",
                    "reason": "検査",
                    "contact_name": "検査",
                    "contact_phone": "052-000-0000",
                    "no_ssw_confirmed": "on",
                    "no_refund_acknowledged": "on",
                    "addressee": "乗っ取り先",
                }
                response = client.get(url) if method == "GET" else client.post(url, data)
                if method == "GET" and name == "lifecycle:withdraw_cancel":
                    assert response.status_code == 405  # POST-only: refused before any lookup
                    continue
                assert response.status_code == 403, f"{who} {method} {name} → {response.status_code}"
                assert "権限管理者" in response.content.decode(), f"{who} {method} {name}: no reason given"
    assert snapshot(world) == before


def test_the_managers_of_the_establishment_open_those_pages(client, world):
    """The control for the test above: A's head-office manager and a site manager of the establishment."""
    from members.models import Access

    site_manager = world.helpers["site user of the establishment without the manage right"]
    Access.objects.filter(user=site_manager).update(can_manage=True)
    for user in (world.owner, site_manager):
        client.force_login(user)
        with at(WORLD_DAY):
            html = client.get(reverse("members:establishment_detail", args=[world.est.pk])).content.decode()
            for name in ("lifecycle:withdraw", "fees:debit_mandate", "fees:billing_contact"):
                url = _url(name, URL_TABLE[name][1], world)
                assert f'href="{url}' in html, name
                assert client.get(url).status_code == 200, name
