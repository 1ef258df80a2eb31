"""Security: personal data, passwords and tokens never appear in logs, error e-mails or task payloads.
Canary values go through sign-up, verification, failed logins, lockout and password reset; then every log line,
every error report and every Celery message is searched for them."""

import json
import re
import time

import pytest
from django.core import mail
from django.urls import reverse

from jaim.models import OutboxMessage
from jaim.security import redact
from members import services as member_services
from tests.factories import UserFactory
from tests.security.helpers import celery_broker, log_output

CANARY_EMAIL = "canary.kanari7731@example.jp"
CANARY_PASSWORD = "Canary-Passw0rd-7731-zz"
CANARY_NAME = "鳥籠 カナリア"


def _leaks(text: str, extra=()) -> list[str]:
    return [c for c in (CANARY_EMAIL, CANARY_PASSWORD, CANARY_NAME, *extra) if c and c in text]


def _link(body: str, marker: str) -> str:
    url = next(word for word in body.split() if marker in word)
    return "/" + url.split("/", 3)[3]


@pytest.mark.django_db(transaction=True)
def test_logs_never_carry_the_address_password_or_tokens_of_signup_login_and_password_reset(client):
    with log_output() as logs:
        client.post(
            reverse("signup"),
            {
                "email": CANARY_EMAIL,
                "full_name": CANARY_NAME,
                "password1": CANARY_PASSWORD,
                "password2": CANARY_PASSWORD,
            },
        )
        verify_link = _link(OutboxMessage.objects.get(to=CANARY_EMAIL).body, "/accounts/verify/")
        verify_token = verify_link.rstrip("/").rsplit("/", 1)[1]
        # A damaged link is logged as a bad request: the token in its path must not be.
        assert client.get(verify_link[:-2] + "x/").status_code == 400
        assert client.get(verify_link).status_code == 302
        for _ in range(6):  # failures, then the lockout (axes logs both)
            client.post(reverse("login"), {"username": CANARY_EMAIL, "password": CANARY_PASSWORD + "!"})
        client.post(reverse("password_reset"), {"email": CANARY_EMAIL})
        reset_link = _link(
            OutboxMessage.objects.filter(kind="password_reset").latest("pk").body, "/accounts/reset/"
        )
        reset_token = reset_link.rstrip("/").rsplit("/", 1)[1]
        client.get(reset_link[:-3] + "zz/")  # a damaged reset link
        client.get("/accounts/verify/" + verify_token + "/nope/")  # a 404 under a token path

    text = logs.getvalue()
    assert "AXES" in text and "Bad Request" in text  # the capture saw the log lines
    assert _leaks(text, extra=(verify_token, reset_token, verify_token[:20], reset_token[:10])) == []


def test_redact_removes_addresses_secret_paths_and_values_quoted_by_the_database():
    text = (
        "Bad Request: /accounts/verify/eyJ1Ijo.abc:def/ and /accounts/reset/MTA/cx3k-0123abcd/ "
        'for a.b+c@example.co.jp; DETAIL: Key (email)=(x@y.jp) already exists. Failing row contains (1, "山田").'
    )
    out = redact(text)
    for secret in ["eyJ1Ijo", "cx3k-0123abcd", "MTA", "a.b+c@example.co.jp", "x@y.jp", "山田"]:
        assert secret not in out
    assert "/accounts/verify/[redacted]/" in out and "Key (email)=([redacted])" in out


@pytest.mark.django_db
def test_error_emails_to_admins_show_no_posted_values_no_local_variables_and_no_token_urls(
    client, settings, monkeypatch, mailoutbox
):
    settings.ADMINS = [("ops", "ops@jaim.example.jp")]
    client.raise_request_exception = False

    def broken_register(*, email, password, full_name=""):
        secret = f"{email}:{password}"  # a local variable holding both canaries
        raise RuntimeError(f"duplicate key value: Key (email)=({email}) already exists {len(secret)}")

    monkeypatch.setattr(member_services, "register_user", broken_register)
    response = client.post(
        reverse("signup"),
        {
            "email": CANARY_EMAIL,
            "full_name": CANARY_NAME,
            "password1": CANARY_PASSWORD,
            "password2": CANARY_PASSWORD,
        },
    )
    assert response.status_code == 500

    user = UserFactory(email="other.canary@example.jp", is_active=False, email_verified_at=None)
    token = member_services.verification_token(user)

    def broken_verify(token):
        raise ValueError(f"cannot open {user.email}")

    monkeypatch.setattr(member_services, "verify_email", broken_verify)
    assert client.get(reverse("verify_email", args=[token])).status_code == 500

    reports = [m for m in mailoutbox if m.to == ["ops@jaim.example.jp"]]
    assert len(reports) == 2
    for report in reports:
        text = report.subject + report.body + "".join(str(a[1]) for a in report.alternatives)
        assert "Traceback" in text or "Error" in text
        assert _leaks(text, extra=(token, "other.canary@example.jp")) == [], report.subject
    assert "RuntimeError" in reports[0].body and "password1" in reports[0].body  # names stay, values go


@pytest.mark.django_db
def test_celery_messages_carry_ids_only(client, django_capture_on_commit_callbacks):
    from celery.signals import before_task_publish

    published = []

    def grab(sender=None, body=None, headers=None, **kwargs):
        published.append({"task": sender, "body": body, "headers": headers})

    before_task_publish.connect(grab, weak=False)
    try:
        with celery_broker("memory://"), django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("signup"),
                {
                    "email": CANARY_EMAIL,
                    "full_name": CANARY_NAME,
                    "password1": CANARY_PASSWORD,
                    "password2": CANARY_PASSWORD,
                },
            )
            client.post(reverse("password_reset"), {"email": "someone@example.jp"})
    finally:
        before_task_publish.disconnect(grab)

    assert [p["task"] for p in published] == ["jaim.tasks.send_outbox_message"]
    message = OutboxMessage.objects.get(to=CANARY_EMAIL)
    args, kwargs, _embed = published[0]["body"]
    assert list(args) == [message.pk] and kwargs == {}
    token = re.search(r"/accounts/verify/([^/]+)/", message.body).group(1)
    serialised = json.dumps(published, default=str, ensure_ascii=False)
    assert _leaks(serialised, extra=(token,)) == []
    assert mail.outbox == []  # nothing was sent in-process: it went to the broker


@pytest.mark.django_db
def test_staff_reading_the_outbox_in_the_admin_never_see_a_live_reset_or_verification_link(client):
    from tests.security.helpers import staff_user, verified_login

    UserFactory(email="reset.me@example.jp")
    client.post(reverse("password_reset"), {"email": "reset.me@example.jp"})
    message = OutboxMessage.objects.get(to="reset.me@example.jp")
    token_path = _link(message.body, "/accounts/reset/")
    verified_login(client, staff_user(group="reviewer"))
    html = client.get(reverse("admin:jaim_outboxmessage_change", args=[message.pk])).content.decode()
    assert "/accounts/reset/[redacted]/[redacted]/" in html
    assert token_path not in html and token_path.split("/")[-2] not in html


# Shapes that made the old patterns rescan the text from every position: long runs of address characters with
# no "@" (a long URL path), many "@" or "." among them, many openings of a database message and no closing.
# CPU seconds: linear redaction of these inputs takes ~0.2 s, the quadratic one took over 60 s.
CPU_BOUND_S = 10.0

ADVERSARIAL = {
    "long path": "/" + "a" * 200_000,
    "token paths": "/accounts/verify/" * 12_000,
    "at signs": "a@" * 100_000,
    "dotted": "x." * 100_000,
    "address characters": "a.b-c" * 40_000,
    "63 and an at": ("a" * 63 + "@") * 3_200,
    "one address, a huge domain": "a" * 64 + "@" + "b" * 200_000,
    "key openings": "Key (" * 40_000,
    "failing rows": "Failing row contains (" * 9_000,
}


@pytest.mark.parametrize("shape", ADVERSARIAL)
def test_redact_is_fast_on_a_long_hostile_message_and_still_redacts_its_end(shape):
    # Before: 20,000 characters took seconds and 100,000 over a minute (a log line for a 404 on a long URL): the
    # backtracking was quadratic. Linear redaction takes a fraction of a second of CPU. The bound is on this
    # process's CPU time (not the wall clock, which a loaded CI machine stretches) and far above linear, far below
    # quadratic, so it tells the two apart on any machine.
    text = ADVERSARIAL[shape] + " for kanari.7731@example.jp and /accounts/reset/MTA/cx3k-9999/"
    started = time.process_time()
    out = redact(text)
    elapsed = time.process_time() - started
    assert elapsed < CPU_BOUND_S, f"{shape}: {elapsed:.2f} s of CPU"
    # Nothing is cut off: the address and the token at the very end are found and removed.
    assert "kanari.7731@example.jp" not in out and "cx3k-9999" not in out
    assert out.endswith(" for [email] and /accounts/reset/[redacted]/[redacted]/")


def test_redact_removes_an_address_at_the_end_of_a_long_run_of_address_characters():
    out = redact("GET /search/" + "p" * 5_000 + "?q=kanari.7731@example.jp HTTP/1.1")
    assert "kanari" not in out and "@example.jp" not in out
    assert out.startswith("GET /search/ppp") and out.endswith("[email] HTTP/1.1")


def test_redact_database_values_line_by_line():
    text = (
        "Failing row contains (1, 山田, x) and more\n"
        "Failing row contains (no closing on this line\n"
        "Key (email)=(a.b@c.jp) already exists; Key (member_id, year)=(5, 2026) too"
    )
    assert redact(text).splitlines() == [
        "Failing row contains ([redacted]) and more",
        "Failing row contains (no closing on this line",
        "Key (email)=([redacted]) already exists; Key (member_id, year)=([redacted]) too",
    ]


def test_the_log_filter_handles_a_huge_request_path_quickly():
    import logging
    import time

    from jaim.security import RedactingLogFilter

    record = logging.LogRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "Not Found: %s",
        ("/" + "a/" * 100_000 + "x@y.jp",),
        None,
    )
    started = time.process_time()
    assert RedactingLogFilter().filter(record)
    assert time.process_time() - started < CPU_BOUND_S
    message = record.getMessage()
    assert message.startswith("Not Found: /a/a/") and message.endswith("[email]") and "y.jp" not in message


# Connection errors name the server that failed: the redaction keeps the host, the address and the port (the
# operator must see which one), and removes the password, tokens and e-mail addresses around them.
CELERY_REFUSED = (
    "consumer: Cannot connect to redis://:secret@cache.internal:6379/0: Error 111 connecting to "
    "cache.internal:6379. Connection refused.."
)
PSYCOPG_REFUSED = (
    'connection to server at "db.internal" (10.0.0.5), port 5432 failed: FATAL:  password authentication failed '
    'for user "jaim"'
)


def _through_the_log_filter(message: str) -> str:
    import logging

    from jaim.security import RedactingLogFilter

    record = logging.LogRecord("celery.worker.consumer", logging.ERROR, __file__, 1, "%s", (message,), None)
    assert RedactingLogFilter().filter(record)
    return record.getMessage()


def test_redaction_keeps_the_host_of_celerys_and_psycopgs_connection_errors_and_removes_the_secret():
    out = _through_the_log_filter(CELERY_REFUSED)
    assert out == (
        "consumer: Cannot connect to redis://[redacted]@cache.internal:6379/0: Error 111 connecting to "
        "cache.internal:6379. Connection refused.."
    )
    # Celery masks the password itself (`:**@`); the host after it stays too (it was eaten as an "address").
    masked = "Cannot connect to redis://:**@127.0.0.1:6391/0: Error 111 connecting to 127.0.0.1:6391."
    assert _through_the_log_filter(masked).startswith(
        "Cannot connect to redis://[redacted]@127.0.0.1:6391/0:"
    )
    assert _through_the_log_filter(PSYCOPG_REFUSED) == PSYCOPG_REFUSED  # nothing secret in it: all kept


def test_redaction_on_real_connection_errors_of_kombu_and_psycopg_keeps_hosts_and_drops_passwords():
    import socket

    import psycopg
    from kombu import Connection

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the socket is: connections are refused
    broker = Connection(f"redis://:hunter2-broker@127.0.0.1:{port}/0", connect_timeout=1)
    with pytest.raises(Exception) as broker_error:  # noqa: B017 - kombu's OperationalError
        broker.ensure_connection(max_retries=1, interval_start=0)
    celery_line = f"consumer: Cannot connect to {broker.as_uri(include_password=True)}: {broker_error.value}."
    with pytest.raises(psycopg.OperationalError) as db_error:
        psycopg.connect(f"postgresql://jaim:hunter2-db@127.0.0.1:{port}/jaim?connect_timeout=2")
    dsn_line = (
        f"database postgresql://jaim:hunter2-db@127.0.0.1:{port}/jaim password=hunter2-db: {db_error.value}"
    )
    for line in (celery_line, dsn_line):
        assert "hunter2" in line and "refused" in line.lower(), line  # the real messages, secret included
        out = _through_the_log_filter(line)
        assert "hunter2" not in out, out
        assert f"127.0.0.1:{port}" in out or f'"127.0.0.1", port {port}' in out, out
    assert str(db_error.value) in _through_the_log_filter(
        str(db_error.value)
    )  # psycopg's own text is kept whole


def test_redaction_removes_secrets_written_as_key_value_and_authorisation_headers_but_keeps_hosts():
    out = redact(
        "host=db.internal port=5432 user=jaim password=hunter2 GET /x?token=abc123def&page=2 "
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload smtp+tls://mailer%40jaim.example.jp:pw@smtp.example.jp:587 "
        "to hanako@example.jp"
    )
    for secret in ("hunter2", "abc123def", "eyJhbGciOiJIUzI1NiJ9", "mailer", ":pw@", "hanako@example.jp"):
        assert secret not in out, secret
    for kept in ("host=db.internal", "port=5432", "user=jaim", "page=2", "smtp.example.jp:587", "[email]"):
        assert kept in out, kept
