"""No 500 where a retry is possible: when the database, the broker or the cache is unavailable during a request the
user gets 503 「ただいま混み合っています」 with Retry-After, and what they typed is kept on the page to send again
(passwords and files left out). Any other error stays the plain 500 page. The outages are real connections to a
port where nothing listens."""

import re

import pytest
from django.db import IntegrityError

from jaim.views import is_busy_error

BUSY = "ただいま混み合っています"
CLEAN_ERROR = "ただいま処理できませんでした"
pytestmark = pytest.mark.django_db


@pytest.fixture
def app(client, settings):
    settings.ROOT_URLCONF = "tests.jaim.busy_urls"
    client.raise_request_exception = False
    return client


@pytest.mark.postgres
@pytest.mark.parametrize("outage", ["database", "cache", "broker"])
def test_an_outage_during_a_request_is_the_busy_page_with_retry_after_not_a_500(app, outage):
    response = app.get(f"/busy/{outage}/")
    html = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert BUSY in html and "30秒ほどおいてから" in html
    assert "Traceback" not in html and "127.0.0.1" not in html
    assert "<form" not in html  # a GET: nothing to send again, the page says to try again


@pytest.mark.postgres
def test_a_form_post_hit_by_an_outage_keeps_what_was_typed_to_send_again_but_no_password(app):
    response = app.post(
        "/busy/database/?step=2",
        {"name": "株式会社<試験>", "lines": ["一", "二"], "password": "Secret-pw-2026", "otp_code": "123456"},
    )
    html = response.content.decode()
    assert response.status_code == 503 and BUSY in html
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', html, re.S)
    assert form and form.group(1) == "/busy/database/?step=2"
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(2))
    assert ("name", "株式会社&lt;試験&gt;") in fields  # escaped, sent back as typed
    assert ("lines", "一") in fields and ("lines", "二") in fields
    assert "Secret-pw-2026" not in html and "123456" not in html
    assert "もう一度送信する" in html


@pytest.mark.postgres
def test_a_file_upload_hit_by_an_outage_says_the_file_must_be_chosen_again(app):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = app.post(
        "/busy/cache/", {"title": "賃金台帳", "file": SimpleUploadedFile("a.pdf", b"%PDF-1.4")}
    )
    html = response.content.decode()
    assert response.status_code == 503 and "添付ファイルとパスワードは保たれていません" in html
    assert 'value="賃金台帳"' in html and "%PDF" not in html


@pytest.mark.parametrize("path", ["/bug/", "/bug/integrity/"])
def test_any_other_error_stays_the_plain_500_page(app, path):
    response = app.get(path)
    html = response.content.decode()
    assert response.status_code == 500 and CLEAN_ERROR in html and BUSY not in html
    assert not response.has_header("Retry-After")


def test_busy_errors_are_outages_not_bugs_or_broken_rules():
    import psycopg

    with pytest.raises(psycopg.OperationalError) as refused:
        psycopg.connect("postgresql://jaim@127.0.0.1:1/jaim?connect_timeout=1")
    assert is_busy_error(refused.value)
    wrapped = RuntimeError("while saving")
    wrapped.__cause__ = refused.value
    assert is_busy_error(wrapped)  # raised from an outage
    assert not is_busy_error(IntegrityError("duplicate key"))
    assert not is_busy_error(ValueError("bug"))
    assert not is_busy_error(None)
