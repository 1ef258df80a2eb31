"""The production smoke run (`make prod-smoke`, part of `make test`): on this machine, without docker, the project as
deployed — DJANGO_ENV=production, `collectstatic` into a fresh directory, gunicorn with jaim/gunicorn.py on a free
loopback port, a Celery worker with beat on Redis, a real SMTP server, a real S3-compatible server holding the
uploads in a private bucket — against the test PostgreSQL. Then, over HTTP as a browser behind the TLS proxy would
(X-Forwarded-Proto: https): the home page and its CSS and JS, the admin login page and its assets, the API docs page
and its assets, the health checks, the headers a deployment is graded on, a sign-up whose verification mail reaches
the SMTP server with a link to the served port that works; then, signed in as that member, an application document
uploaded through the portal is stored in the bucket (refused to an unsigned GET) and downloaded back, and an invoice
PDF rendered by the worker into the bucket is downloaded. Everything started is stopped."""

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

from applications.models import Document
from fees.models import Invoice
from members.models import User
from tests.deploy.procs import BASE_DIR, database_url, gunicorn, multipart, wait_for, worker_with_beat
from tests.deploy.s3 import CREDENTIALS, REGION, S3Server
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

    def post(self, path: str, fields: dict, files: dict | None = None):
        """A form post as the browser sends it: the CSRF token of the form page, Origin and Referer of the proxy's
        HTTPS address; multipart when there are files ({name: (filename, bytes, content type)})."""
        if files:
            boundary = f"----jaim{secrets.token_hex(8)}"
            body = multipart(boundary, fields, files)
            content_type = f"multipart/form-data; boundary={boundary}"
        else:
            from urllib.parse import urlencode

            body, content_type = urlencode(fields), "application/x-www-form-urlencoded"
        return self.request(
            "POST",
            path,
            body=body,
            headers={
                "Content-Type": content_type,
                "Referer": f"https://127.0.0.1:{self.port}{path}",
                "Origin": f"https://127.0.0.1:{self.port}",
            },
        )

    def csrf_token(self, path: str) -> str:
        response, body = self.get(path)
        assert response.status == 200, (path, response.status)
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body.decode()).group(1)


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html)


@pytest.fixture
def deployment(tmp_path):
    port = _free_port()
    queue = f"smoke-{uuid.uuid4().hex[:8]}"
    from jaim import signing

    pair = signing._make_demo_pair().decode()  # production's key and certificate, here as two files
    key_path, cert_path = tmp_path / "signing-key.pem", tmp_path / "signing-cert.pem"
    key_path.write_text(pair[: pair.index("-----BEGIN CERTIFICATE")])
    cert_path.write_text(pair[pair.index("-----BEGIN CERTIFICATE") :])
    with SMTPServer() as smtp, S3Server() as s3:
        bucket = s3.create_private_bucket()
        env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("DJANGO_", "EMAIL_", "GUNICORN_", "AWS_"))
            },
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
            "JAIM_PRIVATE_ROOT": str(tmp_path / "private"),  # the uploads go to the bucket, not here
            "AWS_STORAGE_BUCKET_NAME": bucket,
            "AWS_S3_ENDPOINT_URL": s3.endpoint_url,
            "AWS_S3_REGION_NAME": REGION,
            **CREDENTIALS,
            "JAIM_STATIC_ROOT": str(tmp_path / "static"),
            "JAIM_CLAMD_SOCKET": "",
            "JAIM_SIGNING_KEY": str(key_path),
            "JAIM_SIGNING_CERT": str(cert_path),
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
        with (
            gunicorn(env, web_log),
            worker_with_beat(env, tmp_path, worker_log, "-Q", f"{queue},{queue}.long"),
        ):
            browser = Browser(port)

            def up():
                try:
                    return browser.get("/livez")[0].status == 200
                except OSError:
                    return False

            wait_for(up, "gunicorn to answer", web_log)
            yield {
                "browser": browser,
                "smtp": smtp,
                "s3": s3,
                "bucket": bucket,
                "queue": queue,
                "port": port,
                "tmp": tmp_path,
                "worker_log": worker_log,
                "signing_cert": cert_path,
            }


def test_production_as_deployed_serves_styled_pages_graded_headers_delivers_working_links_and_keeps_files_private(
    deployment,
):
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
        ("/roster/?q=%E7%B2%BE%E5%B7%A5", "css/site"),  # a visitor's search: the short middleware path
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

    _uploads_and_pdfs_live_in_the_private_bucket(deployment, email="smoke@example.jp")

    # The access log has every request, but no verification token.
    access = (deployment["tmp"] / "access.log").read_text()
    assert "/accounts/verify/…/" in access
    assert urlparse(verify).path.split("/")[3] not in access


def _uploads_and_pdfs_live_in_the_private_bucket(deployment, *, email: str):
    """Signed in as the new member (with an establishment and a draft application made through the services):
    a document uploaded over HTTP is an object in the private bucket, refused to an unsigned GET, downloaded back
    through the access-checked view; an invoice PDF is rendered by the worker into the bucket and downloaded, its
    mail's link opens it without a session, and the paid member's roster confirmation carries a valid signature made
    with the key the deployment reads from its files (JAIM_SIGNING_KEY, JAIM_SIGNING_CERT)."""
    import datetime as dt

    from django.urls import reverse

    from fees import services as fees
    from jaim.celery import app as celery_app
    from tests.applications.factories import PDF, draft, dtype
    from tests.factories import EstablishmentFactory, head_office, membership_for
    from tests.fees.factories import FeeScheduleFactory

    browser, s3, bucket = deployment["browser"], deployment["s3"], deployment["bucket"]
    user = User.objects.get(email=email)
    _, org = head_office(user=user)
    est = EstablishmentFactory(organisation=org)
    application = draft(est, user)

    token = browser.csrf_token(reverse("login"))
    response, body = browser.post(
        reverse("login"),
        {"csrfmiddlewaretoken": token, "username": email, "password": "Smoke-test-password-2026"},
    )
    assert response.status == 302, body.decode()[:2000]

    before = set(s3.keys(bucket))
    step = reverse("applications:step", args=[application.pk, "shipment"])
    response, body = browser.post(
        reverse("applications:upload", args=[application.pk]),
        {
            "csrfmiddlewaretoken": browser.csrf_token(step),
            "step": "shipment",
            "document_type": dtype("shipment_evidence").pk,
            "evidence_template": "other",
        },
        files={"file": ("出荷実績.pdf", PDF, "application/pdf")},
    )
    assert response.status == 302, body.decode()[:2000]
    doc = Document.objects.get(application=application)
    assert sorted(set(s3.keys(bucket)) - before) == [doc.file.name]  # stored in the bucket, nowhere else
    assert s3.body(bucket, doc.file.name) == PDF
    assert not (deployment["tmp"] / "private" / doc.file.name).exists()
    assert s3.anonymous_get(bucket, doc.file.name) == 403  # the object's URL gives nothing to anyone

    download = reverse("applications:document", args=[doc.pk])
    response, body = browser.get(download)
    assert response.status == 200 and body == PDF
    assert response.headers["Content-Disposition"].startswith("attachment")
    response, _ = Browser(browser.port).get(download)  # no session: the login page, not the file
    assert response.status == 302 and "/accounts/login/" in response.headers["Location"]

    # An invoice: its PDFs are rendered by the worker (the task goes to the smoke run's queue) into the bucket.
    FeeScheduleFactory(fiscal_year=2026)
    membership = membership_for(est, fee_notice_date=dt.date(2026, 6, 10))
    default_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = deployment["queue"]
    try:
        invoice = fees.bill_new_membership(
            membership, notice_date=dt.date(2026, 6, 10), application_date=dt.date(2026, 5, 1)
        )
    finally:
        celery_app.conf.task_default_queue = default_queue
    invoice = wait_for(
        lambda: Invoice.objects.exclude(pdf="").filter(pk=invoice.pk).first(),
        "the worker to render the invoice PDF",
        deployment["worker_log"],
        timeout=120,
    )
    assert invoice.pdf.name in s3.keys(bucket)
    stored = s3.body(bucket, invoice.pdf.name)
    assert stored.startswith(b"%PDF")
    assert s3.anonymous_get(bucket, invoice.pdf.name) == 403
    response, body = browser.get(reverse("fees:invoice_document", args=[invoice.pk, "invoice"]))
    assert response.status == 200 and response.headers["Content-Type"] == "application/pdf"
    assert body == stored  # re-served from the bucket, not rendered again

    # The invoice mail, sent by the worker through SMTP, links to that one PDF: it opens without signing in.
    smtp = deployment["smtp"]
    [mail] = wait_for(
        lambda: [m for m in smtp.messages_to(email) if invoice.number in str(m["Subject"])],
        "the invoice mail at the SMTP server",
        deployment["worker_log"],
        timeout=60,
    )
    link = next(u for u in re.findall(r"https?://[^\s]+", mail.get_content()) if "/mypage/fees/l/" in u)
    response, body = Browser(browser.port).get(urlparse(link).path)
    assert response.status == 200 and response.headers["Content-Type"] == "application/pdf" and body == stored

    # Paid, so listed: the confirmation the member prints is signed (PAdES) with the deployment's key from its files.
    from pyhanko.keys import load_cert_from_pemder

    from jaim import signing

    celery_app.conf.task_default_queue = deployment["queue"]
    try:
        fees.record_payment([invoice], amount_yen=invoice.total_yen, received_on=dt.date(2026, 6, 20))
    finally:
        celery_app.conf.task_default_queue = default_queue
    page = reverse("members:establishment_detail", args=[est.pk])
    token = browser.csrf_token(page)  # the confirmation is a POST from the establishment page
    response, body = browser.post(
        reverse("roster:confirmation", args=[est.pk]), {"csrfmiddlewaretoken": token}
    )
    assert response.status == 200 and body.startswith(b"%PDF"), body[:500]
    status = signing.validate(body, trust_roots=[load_cert_from_pemder(str(deployment["signing_cert"]))])
    assert status.intact and status.valid and status.trusted
