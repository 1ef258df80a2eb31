"""Security: production settings, CSP and the other headers on every response, no-store for signed-in pages."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import UserFactory
from tests.security.helpers import staff_user, verified_login

BASE = Path(settings.BASE_DIR)


def signing_env() -> dict:
    """JAIM_SIGNING_KEY / JAIM_SIGNING_CERT as PEM text, as a deployment passes them."""
    from jaim.signing import _make_demo_pair

    pem = _make_demo_pair().decode()
    cut = pem.index("-----BEGIN CERTIFICATE")
    return {"JAIM_SIGNING_KEY": pem[:cut], "JAIM_SIGNING_CERT": pem[cut:]}


def test_production_settings_pass_the_deploy_check_with_no_warning_and_nothing_silenced():
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "members.jaim.example.jp",
        "JAIM_SITE_URL": "https://members.jaim.example.jp",
        "EMAIL_URL": "smtp+tls://user:password@smtp.example.jp:587",
        **signing_env(),  # without JAIM's signing key the deploy check warns (jaim.W001)
    }
    env.pop("DJANGO_DEBUG", None)
    env.pop(
        "DJANGO_ALLOW_ASYNC_UNSAFE", None
    )  # a browser test of this run may have set it; never in deployment
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    for module in BASE.joinpath("jaim/settings").glob("*.py"):
        assert "SILENCED_SYSTEM_CHECKS" not in module.read_text(), module


def test_production_refuses_to_start_without_a_secret_key():
    env = {**os.environ, "DJANGO_ENV": "production", "DJANGO_ALLOWED_HOSTS": "x.example"}
    env.pop("DJANGO_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BASE, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def _csp(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (part.strip() for part in header.split(";")) if d}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/accounts/login/",
        "/accounts/password/reset/",
        "/admin/login/",
        "/accounts/signup/",
        "/healthz",
        "/livez",
        "/no-such-page/",
    ],
)
def test_every_response_carries_csp_nosniff_referrer_policy_and_refuses_framing(client, settings, url):
    settings.DEBUG = False  # django-csp leaves DEBUG error pages alone; production never has them
    response = client.get(url)
    csp = _csp(response)
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    policy = dict(item.split("=", 1) for item in response.headers["Permissions-Policy"].split(", "))
    assert policy["camera"] == policy["microphone"] == policy["geolocation"] == policy["payment"] == "()"
    assert all(allow == "()" for allow in policy.values())  # the site uses none of these features


@pytest.mark.django_db
def test_pages_for_a_signed_in_user_are_never_stored_but_public_pages_may_be(client):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    client.force_login(UserFactory())
    for url in ["/", reverse("members:mypage"), reverse("security:overview")]:
        cache_control = client.get(url).headers["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, url


@pytest.mark.django_db
def test_admin_pages_are_never_stored(client):
    verified_login(client, staff_user())
    response = client.get(reverse("admin:members_user_changelist"))
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTR = re.compile(r"<[^>]+\sstyle\s*=", re.I)
STYLE_BLOCK = re.compile(r"<style\b", re.I)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


def _project_templates():
    roots = [BASE / "templates", *BASE.glob("*/templates")]
    for root in roots:
        if ".venv" in root.parts:
            continue
        for path in root.rglob("*"):
            # PDF templates are rendered by WeasyPrint on the server and never served as a page.
            if path.suffix in {".html", ".svg"} and not any(part.startswith("pdf") for part in path.parts):
                yield path


def test_no_template_has_inline_script_style_or_event_handlers_so_the_csp_needs_no_unsafe_inline():
    offenders = []
    for path in _project_templates():
        text = path.read_text(encoding="utf-8")
        for name, pattern in [
            ("inline <script>", INLINE_SCRIPT),
            ("on*= handler", EVENT_HANDLER),
            ("style= attribute", STYLE_ATTR),
            ("<style> block", STYLE_BLOCK),
            ("javascript: URL", JS_URL),
        ]:
            if pattern.search(text):
                offenders.append(f"{path.relative_to(BASE)}: {name}")
    assert offenders == [], "move these to static/js or static/css:\n" + "\n".join(offenders)


@pytest.mark.django_db
def test_healthz_checks_the_database_and_the_cache_and_livez_checks_nothing(client, settings):
    assert client.get("/healthz").content == b"ok"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    }  # stores nothing
    response = client.get("/healthz")
    assert response.status_code == 503 and b"cache" in response.content
    assert client.get("/livez").status_code == 200
