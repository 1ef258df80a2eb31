"""Staff reach nothing that shows members' data before a verified second factor (jaim.middleware): every URL of
the project, found from the URL resolver, sends an unverified staff member to enrol or verify — the portal's
document and wage-evidence downloads included — except signing in/out, the language switch, the health check
and the second-factor pages themselves. The download views check again (defence in depth)."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch

from applications import selectors as app_selectors
from tests.applications.factories import add_doc, draft
from tests.factories import EstablishmentFactory, head_office
from tests.security.helpers import PASSWORD, staff_user, totp_device, verified_login

pytestmark = pytest.mark.django_db

EXEMPT = {
    "login",
    "logout",
    "admin:login",
    "admin:logout",
    "set_language",
    "healthz",
    "livez",
    "security:verify",
    "security:setup",
}
DUMMY = {"int": 1, "str": "x", "slug": "x", "path": "x"}


def _names_and_urls():
    def walk(patterns, ns=None):
        for p in patterns:
            if isinstance(p, URLResolver):
                inner = f"{ns}:{p.namespace}" if ns and p.namespace else (p.namespace or ns)
                yield from walk(p.url_patterns, inner)
            elif isinstance(p, URLPattern) and p.name:
                name = f"{ns}:{p.name}" if ns else p.name
                converters = getattr(p.pattern, "converters", {})
                kwargs = {}
                for key, conv in converters.items():
                    kind = type(conv).__name__.replace("Converter", "").lower()
                    kwargs[key] = DUMMY.get(kind, "x")
                if not converters and p.pattern.regex.groupindex:
                    kwargs = {key: "members" for key in p.pattern.regex.groupindex}
                try:
                    yield name, reverse(name, kwargs=kwargs or None)
                except NoReverseMatch:
                    continue

    return dict(walk(get_resolver().url_patterns))


def _signed_in_with_password(client, user):
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize("has_device", [False, True], ids=["no device", "device not verified"])
def test_every_page_sends_unverified_staff_to_the_second_factor(client, has_device):
    staff = staff_user(group="administrator")
    if has_device:
        totp_device(staff)
    _signed_in_with_password(client, staff)
    target = reverse("security:verify" if has_device else "security:setup")
    urls = _names_and_urls()
    assert {
        "applications:document",
        "lifecycle:wage_evidence",
        "admin:index",
        "fees:invoice_document",
    } <= set(urls)
    assert len(urls) > 100
    for name, url in sorted(urls.items()):
        if name in EXEMPT:
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 302, f"{method} {name} {url} → {response.status_code}"
            assert response["Location"].startswith(target + "?next="), (
                f"{method} {name} → {response['Location']}"
            )


def test_an_unverified_reviewer_does_not_download_a_members_document(client):
    owner, org = head_office()
    doc = add_doc(draft(EstablishmentFactory(organisation=org), owner), owner, "product_image")
    reviewer = staff_user(group="reviewer")
    totp_device(reviewer)
    _signed_in_with_password(client, reviewer)
    for url in (
        reverse("applications:document", args=[doc.pk]),
        reverse("applications:document", args=[doc.pk]) + "?preview=1",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/2fa/" in response["Location"], url
    # the same reviewer after the second factor: the file (the control)
    verified_login(client, reviewer)
    response = client.get(reverse("applications:document", args=[doc.pk]))
    assert response.status_code == 200


def test_the_document_view_itself_refuses_staff_without_a_verified_factor():
    """Defence in depth: even if the middleware were bypassed, the selector does not treat them as reviewers."""
    reviewer = staff_user(group="reviewer")
    reviewer.is_verified = lambda: False
    assert app_selectors.is_reviewer(reviewer) is False
    reviewer.is_verified = lambda: True
    assert app_selectors.is_reviewer(reviewer) is True
