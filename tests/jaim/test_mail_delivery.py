"""Mail over a real SMTP server on loopback (tests.smtp, aiosmtpd): delivery with the Japanese subject and body as a
mail client decodes them; a server that was down → the attempt is recorded, retried after a back-off, then delivered;
a temporary refusal (451) is retried, a permanent one (550) is not; the SMTP conversation holds no row lock; and
production refuses to start without a real mail transport."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from jaim import mail
from jaim.mail import deliver, queue_mail
from jaim.models import OutboxAttempt, OutboxMessage
from jaim.tasks import send_pending_mail
from tests.smtp import SMTPServer

BASE = Path(settings.BASE_DIR)


@pytest.fixture
def smtp(settings):
    with SMTPServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5
        yield server


def _verify_mail(to="taro@example.jp"):
    return queue_mail(
        to=to,
        template="verify_email",
        context={"url": "http://127.0.0.1:8123/accounts/verify/t/"},
        kind="verify",
    )


@pytest.mark.django_db
def test_a_mail_reaches_the_smtp_server_with_its_japanese_subject_and_body_decoded(
    smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # after commit: the task (in-process) sends it
        msg = _verify_mail()
    assert deliver(msg.pk) is False  # queue_mail's task (eager) already sent it: nothing twice
    [received] = smtp.messages_to("taro@example.jp")
    assert received["Subject"] == msg.subject and any("\u3040" <= c <= "\u30ff" for c in msg.subject)
    body = received.get_content()
    assert (
        body.replace("\r\n", "\n").strip() == msg.body.strip()
        and "http://127.0.0.1:8123/accounts/verify/t/" in body
    )
    assert "noreply@jaim.example.jp" in received["From"]
    msg.refresh_from_db()
    assert msg.status == OutboxMessage.Status.SENT and msg.attempts == 1
    [attempt] = OutboxAttempt.objects.filter(message=msg)
    assert attempt.succeeded and attempt.error == ""


@pytest.mark.django_db
def test_a_server_that_was_down_gets_the_mail_after_the_back_off(smtp, django_capture_on_commit_callbacks):
    smtp.stop()
    with django_capture_on_commit_callbacks(execute=False):  # the sweep, not the task, does the retry here
        msg = _verify_mail()
    with pytest.raises(ConnectionRefusedError):
        deliver(msg.pk)
    msg.refresh_from_db()
    assert msg.status == OutboxMessage.Status.PENDING and msg.attempts == 1
    assert "ConnectionRefusedError" in msg.last_error
    assert msg.next_attempt_at >= timezone.now() + dt.timedelta(seconds=mail.BACKOFF_SECONDS[0] - 5)
    smtp.start()  # back, on the same port
    assert send_pending_mail() == 0  # the back-off is not over: the sweep leaves it
    OutboxMessage.objects.filter(pk=msg.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    assert send_pending_mail() == 1
    assert len(smtp.messages_to("taro@example.jp")) == 1
    msg.refresh_from_db()
    assert msg.status == OutboxMessage.Status.SENT and msg.attempts == 2 and msg.next_attempt_at is None
    attempts = list(OutboxAttempt.objects.filter(message=msg).values_list("number", "succeeded"))
    assert attempts == [(1, False), (2, True)]


@pytest.mark.django_db
def test_a_temporary_refusal_is_retried_and_a_permanent_one_is_given_up(
    smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        temporary, permanent = _verify_mail("a@example.jp"), _verify_mail("b@example.jp")
    smtp.refuse_with = "451 4.3.0 Try again later"
    with pytest.raises(Exception, match="451"):
        deliver(temporary.pk)
    temporary.refresh_from_db()
    assert temporary.status == OutboxMessage.Status.PENDING and "451" in temporary.last_error
    smtp.refuse_with = "550 5.1.1 No such user"
    assert deliver(permanent.pk) is False
    permanent.refresh_from_db()
    assert permanent.status == OutboxMessage.Status.FAILED and "550" in permanent.last_error
    smtp.refuse_with = None
    assert deliver(temporary.pk) is True and deliver(permanent.pk) is False
    assert [m["To"] for _, m in smtp.received] == ["a@example.jp"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_smtp_conversation_holds_no_lock_on_the_outbox_row(smtp):
    """Claim (committed), send, record: while the server is receiving, another connection can lock the row."""
    msg = OutboxMessage.objects.create(
        kind="verify", to="taro@example.jp", subject="【JAIM】確認", body="本文\n"
    )
    s = connection.settings_dict
    seen = {}

    def during_send(envelope):
        with psycopg.connect(
            host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"], dbname=s["NAME"],
            password=s["PASSWORD"] or None, autocommit=False,
        ) as other:  # fmt: skip
            row = other.execute(
                "SELECT status, attempts FROM jaim_outboxmessage WHERE id = %s FOR UPDATE NOWAIT", [msg.pk]
            ).fetchone()
            seen["row"] = row
            other.rollback()

    smtp.on_data = during_send
    assert deliver(msg.pk) is True
    assert seen["row"] == (
        "SENDING",
        1,
    )  # claimed and committed before the conversation; not locked during it


def _manage_check(extra: dict) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "members.jaim.example.jp",
        "JAIM_SITE_URL": "https://members.jaim.example.jp",
        **extra,
    }
    for name in ("EMAIL_URL", "EMAIL_BACKEND", "JAIM_ALLOW_UNDELIVERED_MAIL"):
        if name not in extra:
            env.pop(name, None)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BASE, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_a_real_mail_transport():
    missing = _manage_check({})
    assert (
        missing.returncode != 0 and "ImproperlyConfigured" in missing.stderr and "EMAIL_URL" in missing.stderr
    )
    console = _manage_check(
        {"EMAIL_URL": "", "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    )
    assert console.returncode != 0 and "ImproperlyConfigured" in console.stderr
    assert _manage_check({"EMAIL_URL": "smtp+tls://u:p@smtp.example.jp:587"}).returncode == 0
    explicit = _manage_check(
        {
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "JAIM_ALLOW_UNDELIVERED_MAIL": "true",
        }
    )
    assert explicit.returncode == 0, explicit.stderr
