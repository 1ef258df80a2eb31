"""Hostile input (security): Hypothesis drives every portal form of organisation A, the sign-up form, the
public roster page and its API with NUL bytes, 1 MB strings, full-width and combining characters, emoji, HTML and
SQL fragments. No answer is a 500, and markup that was stored is shown as text in the portal, the admin change page
and the PDFs — never executed."""

import io
import re

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from applications.selectors import steps_for
from tests.lifecycle.conftest import at
from tests.security.access_world import WORLD_DAY, build_world
from tests.security.helpers import verified_login

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
FRAGMENTS = [
    "\x00",
    "a\x00b",
    "x" * 1_000_000,  # 1 MB
    "ＡＢＣ１２３－株式会社",  # full width
    "e\u0301\u0301\u0301" * 40,  # combining marks
    "👨‍👩‍👧‍👦🏭💴",
    SCRIPT,
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE members_organisation; --",
    "' OR '1'='1",
    "%00%27%22",
    "\u202eRTL\u200b\ufeff",
    "\r\n\t",
    "{{ 7*7 }}{% debug %}",
]
hostile = st.one_of(
    st.sampled_from(FRAGMENTS),
    st.builds(lambda a, b: a + b, st.sampled_from(FRAGMENTS), st.text(max_size=30)),
    st.text(max_size=60),
)
HYPOTHESIS = hsettings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

_INPUT = re.compile(r"<(input|textarea|select)\b[^>]*>", re.S)


def form_fields(html: str) -> list[tuple[str, str]]:
    """(name, type) of the fields of the page's forms (csrf and buttons left out)."""
    fields = []
    for m in _INPUT.finditer(html):
        tag = m.group(0)
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) in ("csrfmiddlewaretoken", "language", "next"):
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        fields.append((name.group(1), kind.group(1) if kind else m.group(1)))
    return fields


def hostile_post(fields, value, *, chosen: int) -> dict:
    """Every text-like field gets the hostile value (a 1 MB value goes into one field only, by `chosen`)."""
    data = {}
    texty = [n for n, t in fields if t not in ("file", "checkbox", "radio", "hidden", "submit")]
    for i, name in enumerate(texty):
        if len(value) > 10_000 and i != chosen % max(len(texty), 1):
            continue
        data[name] = value
    for name, t in fields:
        if t in ("checkbox", "radio"):
            data.setdefault(name, value[:50] or "1")
    return data


@pytest.fixture
def world(settings):
    with at(WORLD_DAY):
        yield build_world()


def portal_form_urls(w) -> list[str]:
    urls = [
        reverse("members:organisation_create"),
        reverse("members:organisation_edit", args=[w.org.pk]),
        reverse("members:organisation_access", args=[w.org.pk]),
        reverse("members:establishment_create", args=[w.org.pk]),
        reverse("members:establishment_edit", args=[w.est.pk]),
        reverse("members:establishment_access", args=[w.est.pk]),
        reverse("members:establishment_support", args=[w.est.pk]),
        reverse("fees:billing_contact", args=[w.est.pk]),
        reverse("fees:debit_mandate", args=[w.est.pk]),
        reverse("lifecycle:withdraw", args=[w.est.pk]),
        reverse("lifecycle:wage_report", args=[w.est.pk]),
        reverse("lifecycle:wage_additional", args=[w.est.pk]),
        reverse("applications:start"),
    ]
    urls += [
        reverse("applications:step", args=[w.application.pk, s])
        for s in steps_for(w.application)
        if s != "review"
    ]
    return urls


def test_portal_forms_never_answer_500(client, world):
    """Members' forms, fees' billing contact and debit mandate, lifecycle's withdrawal and wage reports, every
    step of the application wizard."""
    client.force_login(world.owner)
    pages = []
    with at(WORLD_DAY):
        for url in portal_form_urls(world):
            response = client.get(url)
            assert response.status_code == 200, url
            fields = form_fields(response.content.decode())
            if fields:  # the add-on step has nothing to ask for a plain classification
                pages.append((url, fields))
    assert len(pages) >= len(portal_form_urls(world)) - 1

    @hsettings(HYPOTHESIS, max_examples=12)  # × 19 forms
    @given(value=hostile, chosen=st.integers(0, 20))
    def run(value, chosen):
        with at(WORLD_DAY):
            for url, fields in pages:
                response = client.post(url, hostile_post(fields, value, chosen=chosen))
                assert response.status_code < 500, url

    run()


def test_sign_up_never_answers_500(client, settings):
    url = reverse("signup")
    fields = form_fields(client.get(url).content.decode())
    assert {n for n, _ in fields} >= {"email"}

    @HYPOTHESIS
    @given(value=hostile, chosen=st.integers(0, 5))
    def run(value, chosen):
        response = client.post(url, hostile_post(fields, value, chosen=chosen))
        assert response.status_code < 500

    run()


def test_public_roster_page_and_api_never_answer_500(client, world, settings):
    settings.JAIM_ROSTER_RATE_LIMIT = settings.JAIM_ROSTER_API_RATE_LIMIT = "100000/60"
    token = world.roster_entry.token

    @HYPOTHESIS
    @given(
        value=hostile.filter(lambda v: len(v) < 10_000),
        param=st.sampled_from(["q", "prefecture", "jsic", "as_of"]),
    )
    def run(value, param):
        client.cookies.clear()
        for url in (reverse("roster:search"), reverse("roster:roster_api:search_entries")):
            response = client.get(url, {param: value}, REMOTE_ADDR="10.9.9.9")
            assert response.status_code < 500, (url, param)
            assert SCRIPT not in response.content.decode("utf-8", "replace")
        response = client.get(
            reverse("roster:roster_api:check_entry", kwargs={"token": token + value[:100].replace("/", "")}),
            REMOTE_ADDR="10.9.9.8",
        )
        assert response.status_code < 500

    run()


def test_long_queries_are_refused_cleanly(client):
    for url in (reverse("roster:search"), reverse("roster:roster_api:search_entries")):
        response = client.get(url, {"q": "x" * 1_000_000})
        assert response.status_code < 500


# --- stored markup is shown as text ----------------------------------------------------------------------


@pytest.fixture
def marked(world):
    """A's organisation and establishment renamed to markup (through the services, as a user would)."""
    from members import services

    services.update_organisation(world.org, by=world.owner, data={"name": f"甲{SCRIPT}株式会社"})
    services.update_establishment(world.est, by=world.owner, data={"name": f"工場{SCRIPT}"})
    world.org.refresh_from_db()
    world.est.refresh_from_db()
    assert SCRIPT in world.org.name
    return world


def assert_escaped(html: str, where: str):
    assert SCRIPT not in html, f"{where}: raw <script> rendered"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, f"{where}: the stored value is not shown escaped"


def test_stored_markup_is_escaped_in_the_portal(client, marked):
    client.force_login(marked.owner)
    with at(WORLD_DAY):
        for url in (
            reverse("members:mypage"),
            reverse("members:organisation_detail", args=[marked.org.pk]),
            reverse("members:establishment_detail", args=[marked.est.pk]),
        ):
            assert_escaped(client.get(url).content.decode(), url)


def test_stored_markup_is_escaped_in_the_admin(client, marked):
    from tests.security.helpers import staff_user

    verified_login(client, staff_user(group="administrator"))
    for url in (
        reverse("admin:members_organisation_change", args=[marked.org.pk]),
        reverse("admin:members_establishment_change", args=[marked.est.pk]),
        reverse("admin:members_organisation_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert SCRIPT not in html, url
        assert "&lt;script&gt;" in html, url


def test_stored_markup_is_text_in_the_roster_confirmation_pdf(client, marked):
    """The PDF shows the name literally (escaped in its HTML source, so WeasyPrint draws it as text)."""
    from pypdf import PdfReader

    client.force_login(marked.owner)
    with at(WORLD_DAY):
        response = client.post(reverse("roster:confirmation", args=[marked.est.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "<script>" in text.replace(" ", "")


@pytest.mark.parametrize("token", ["abc\x00def", "%00", "x" * 500, "トークン"])
def test_a_malformed_roster_token_is_a_plain_404(client, token):
    """Found by the fuzzing above: a NUL byte in the token reached PostgreSQL and answered 500."""
    assert client.get(reverse("roster:roster_api:check_entry", kwargs={"token": token})).status_code == 404
    assert client.get(reverse("roster:entry", kwargs={"token": token})).status_code == 404
