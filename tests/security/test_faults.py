"""Security: faults against the real services. Redis (the broker) unreachable: the portal keeps working, mail
waits in the database outbox and goes out through a real worker once Redis is back. The shared Redis is never
stopped: the app is pointed at a closed port instead."""

import socket
import time

import pytest
from django.conf import settings
from django.urls import reverse

from jaim.models import OutboxMessage
from tests.factories import UserFactory
from tests.security.helpers import celery_broker


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens here once the socket is closed


def _wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_with_redis_down_signup_works_and_the_mail_waits_in_the_outbox_until_the_sweep_sends_it(
    client, mailoutbox
):
    from celery.contrib.testing.worker import start_worker

    from jaim.tasks import send_pending_mail

    dead_broker = f"redis://127.0.0.1:{_closed_port()}/4"
    with celery_broker(dead_broker):
        response = client.post(
            reverse("signup"),
            {
                "email": "while.redis.down@example.jp",
                "full_name": "障害 太郎",
                "password1": "sufficiently-long-pw",
                "password2": "sufficiently-long-pw",
            },
        )
        assert response.status_code == 200 and "確認メールを送信しました" in response.content.decode()
        # The rest of the portal keeps working too.
        client.force_login(UserFactory())
        assert client.get(reverse("members:mypage")).status_code == 200
        assert client.get(reverse("password_reset")).status_code == 200

    message = OutboxMessage.objects.get(to="while.redis.down@example.jp")
    assert message.status == OutboxMessage.Status.PENDING and mailoutbox == []

    # Redis is back (the real broker): beat's sweep runs, a real worker picks it up and sends the mail.
    with celery_broker(settings.CELERY_BROKER_URL) as app:
        app.control.purge()
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            send_pending_mail.delay()
            sent = _wait_for(lambda: OutboxMessage.objects.get(pk=message.pk).status == "SENT")
    assert sent, OutboxMessage.objects.get(pk=message.pk).last_error
    assert [m.to for m in mailoutbox] == [["while.redis.down@example.jp"]]
    assert "/accounts/verify/" in mailoutbox[0].body


@pytest.mark.django_db
def test_with_the_cache_redis_down_password_reset_still_answers_and_sends_the_mail(client, settings):
    """Rate limits count in the cache (Redis in production): when it is unreachable they fail open, the page works."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/1",
        }
    }
    from django.core.cache import caches

    assert type(caches["default"]).__name__ == "RedisCache"
    UserFactory(email="cache.down@example.jp")
    response = client.post(reverse("password_reset"), {"email": "cache.down@example.jp"})
    assert response.status_code == 302 and response.url == reverse("password_reset_done")
    assert OutboxMessage.objects.filter(to="cache.down@example.jp", kind="password_reset").exists()
