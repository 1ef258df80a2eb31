"""The production smoke run (`make prod-smoke`, part of `make test`): on this machine, without docker, the project as
deployed — DJANGO_ENV=production, `collectstatic` into a fresh directory, gunicorn with jaim/gunicorn.py on a free
loopback port, a Celery worker with beat on Redis, a real SMTP server — against the test PostgreSQL. Then, over HTTP
as a browser behind the TLS proxy would (X-Forwarded-Proto: https): the home page and its CSS and JS, the admin
login page and its assets, the API docs page and its assets, the health checks, the headers a deployment is graded
on, and a sign-up whose verification mail reaches the SMTP server with a link to the served port that works.
Everything started is stopped."""

import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import uuid
from http.cookies import SimpleCookie
from urllib.parse import urlparse

import pytest
from django.conf import settings

from members.models import User
from tests.deploy.procs import BASE_DIR, database_url, gunicorn, wait_for, worker_with_beat
from tests.smtp import SMTPServer

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """HTTP over loopback with the proxy's X-Forwarded-Proto and a cookie jar that keeps Secure cookies (the
    browser talks HTTPS to the proxy; the proxy talks HTTP to gunicorn)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        hdrs = {"Host": f"127.0.0.1:{self.port}", "X-Forwarded-Proto": "https", **(headers or {})}
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=hdrs)
        response = conn.getresponse()
        data = response.read()
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        conn.close()
        return response, data

    def get(self, path: str):
        return self.request("GET", path)


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html)


@pytest.fixture
def deployment(tmp_path):
    port = _free_port()
    queue = f"smoke-{uuid.uuid4().hex[:8]}"
    with SMTPServer() as smtp:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EMAIL_", "GUNICORN_"))},
            "DJANGO_SETTINGS_MODULE": "jaim.settings",
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "JAIM_SITE_URL": f"http://127.0.0.1:{port}",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_QUEUE": queue,
            "CACHE_URL": os.environ.get("BENCH_CACHE_URL") or settings.CELERY_BROKER_URL,
            "EMAIL_URL": smtp.url,
            "JAIM_PRIVATE_ROOT": str(tmp_path / "private"),
            "JAIM_STATIC_ROOT": str(tmp_path / "static"),
            "JAIM_CLAMD_SOCKET": "",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_ACCESS_LOG": str(tmp_path / "access.log"),
            "LOG_LEVEL": "WARNING",
        }
        collect = subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput"],
            cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert collect.returncode == 0, collect.stderr
        assert (tmp_path / "static" / "staticfiles.json").exists()  # the manifest of hashed names
        web_log, worker_log = tmp_path / "gunicorn.log", tmp_path / "worker.log"
        with gunicorn(env, web_log), worker_with_beat(env, tmp_path, worker_log, "-Q", queue):
            browser = Browser(port)

            def up():
                try:
                    return browser.get("/livez")[0].status == 200
                except OSError:
                    return False

            wait_for(up, "gunicorn to answer", web_log)
            yield {"browser": browser, "smtp": smtp, "port": port, "tmp": tmp_path, "worker_log": worker_log}


def test_production_as_deployed_serves_styled_pages_graded_headers_and_delivers_working_links(deployment):
    browser, smtp, port = deployment["browser"], deployment["smtp"], deployment["port"]

    # Health: the readiness check reaches PostgreSQL and Redis.
    response, body = browser.get("/healthz")
    assert response.status == 200 and body == b"ok"

    # Pages and every CSS/JS file they reference, under hashed names (cached for a year).
    seen_assets = set()
    for path, must_have in (
        ("/", "css/site"),
        ("/admin/login/", "admin/css/base"),
        ("/roster/api/v1/docs", "ninja/"),
        ("/accounts/signup/", "css/site"),
    ):
        response, body = browser.get(path)
        assert response.status == 200, (path, response.status)
        html = body.decode()
        assets = _assets(html)
        assert any(must_have in a for a in assets), (path, assets)
        for asset in assets:
            assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", asset), asset  # ManifestStaticFilesStorage names
            seen_assets.add(asset)
        # Headers a deployment is graded on.
        h = response.headers
        assert h["Strict-Transport-Security"].startswith("max-age=31536000")
        assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
        assert "camera=()" in h["Permissions-Policy"]
        assert h["Cross-Origin-Resource-Policy"] == "same-origin"
        assert h["Server"] == "jaim" and "gunicorn" not in h["Server"]
    for asset in sorted(seen_assets):
        response, body = browser.get(asset)
        assert response.status == 200 and body, asset
        assert "immutable" in response.headers["Cache-Control"], asset
        assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    for plain in ("/static/css/site.css", "/static/admin/css/base.css"):
        response, body = browser.get(plain)
        assert response.status == 200 and body, plain
    response, _ = browser.request("GET", "/static/css/site.css", headers={"Accept-Encoding": "gzip"})
    assert response.headers.get("Content-Encoding") == "gzip"  # compressed at collectstatic

    # Sign-up: the verification mail goes through the worker to the SMTP server and links to the served port.
    response, body = browser.get("/accounts/signup/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body.decode()).group(1)
    form = {
        "csrfmiddlewaretoken": token,
        "email": "smoke@example.jp",
        "full_name": "試験 太郎",
        "password1": "Smoke-test-password-2026",
        "password2": "Smoke-test-password-2026",
    }
    from urllib.parse import urlencode

    response, body = browser.request(
        "POST",
        "/accounts/signup/",
        body=urlencode(form),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"https://127.0.0.1:{port}/accounts/signup/",
            "Origin": f"https://127.0.0.1:{port}",
        },
    )
    assert response.status == 200, body.decode()[:2000]
    [mail] = wait_for(
        lambda: smtp.messages_to("smoke@example.jp"),
        "the verification mail at the SMTP server",
        deployment["worker_log"],
        timeout=60,
    )
    text = mail.get_content()
    links = re.findall(r"https?://[^\s]+", text)
    verify = next(link for link in links if "/accounts/verify/" in link)
    assert all(urlparse(link).port == port for link in links if "127.0.0.1" in link), links
    assert urlparse(verify).netloc == f"127.0.0.1:{port}"
    response, _ = browser.get(urlparse(verify).path)
    assert response.status == 302 and response.headers["Location"].endswith("/accounts/login/")
    assert User.objects.get(email="smoke@example.jp").email_verified_at is not None

    # The access log has every request, but no verification token.
    access = (deployment["tmp"] / "access.log").read_text()
    assert "/accounts/verify/…/" in access
    assert urlparse(verify).path.split("/")[3] not in access
