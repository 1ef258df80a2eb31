"""Recovery without waiting: every task has a hard time limit, the long batch jobs their own queue, and a worker's
visibility timeout is 2.5 times the longest hard limit it runs (a task lost with its worker is handed out again
soon, never while it may still be running). Mail queued while the broker was unreachable goes out within a minute
of its return: the outbox sweep runs every 20 s. Against a private redis-server on its own port (the shared one
on 6379 is never stopped)."""

import os
import time
import uuid

import pytest
from django.conf import settings
from django.db import transaction

from jaim import mail
from jaim.models import OutboxMessage
from jaim.settings import celery as celery_settings
from tests.deploy.procs import database_url, wait_for, worker_with_beat
from tests.faults.services import PrivateRedis
from tests.security.helpers import celery_broker
from tests.smtp import SMTPServer


def test_every_task_has_a_hard_time_limit_and_the_visibility_timeout_is_two_and_a_half_times_the_longest():
    from jaim.celery import app

    app.loader.import_default_modules()
    ours = [name for name in app.tasks if name.split(".")[0] in {"jaim", "fees", "lifecycle", "roster",
                                                               "applications", "backoffice", "members"}]  # fmt: skip
    assert len(ours) >= 15
    hard = {}
    for name in ours:
        task = app.tasks[name]
        soft_limit = task.soft_time_limit or app.conf.task_soft_time_limit
        hard_limit = task.time_limit or app.conf.task_time_limit
        assert soft_limit and hard_limit and soft_limit < hard_limit, name
        hard[name] = hard_limit
    long_queue = settings.CELERY_TASK_LONG_QUEUE

    def queue_of(name):
        return (app.amqp.router.route({}, name).get("queue") or app.amqp.default_queue).name

    default_hard = [h for n, h in hard.items() if queue_of(n) != long_queue]
    long_hard = [h for n, h in hard.items() if queue_of(n) == long_queue]
    # The batch jobs (renewal, the roster exports with the full PDF, a renewal chunk's PDFs) are on the long queue.
    for name in ("lifecycle.tasks.run_renewal", "roster.tasks.build_roster_exports",
                 "fees.tasks.render_invoice_documents"):  # fmt: skip
        assert queue_of(name) == long_queue
    # Per-record tasks (one mail, one PDF, the sweeps) stay on the default queue, with short limits.
    for name in (
        "jaim.tasks.send_outbox_message",
        "jaim.tasks.send_pending_mail",
        "fees.tasks.render_document",
    ):
        assert queue_of(name) == settings.CELERY_TASK_DEFAULT_QUEUE and hard[name] <= 120
    assert celery_settings.visibility_timeout("default") == 2.5 * max(default_hard) == 300
    assert celery_settings.visibility_timeout("long") == 2.5 * max(long_hard)
    assert celery_settings.visibility_timeout("all") == 2.5 * max(hard.values())
    # A forced re-render lost with its worker is handed out again within minutes, not after an hour.
    assert celery_settings.visibility_timeout("default") < 3600 / 10
    # The sweep that recovers queued-while-down mail runs every 20 s.
    assert settings.CELERY_BEAT_SCHEDULE["send-outbox"]["schedule"] == 20.0


def test_a_workers_visibility_timeout_follows_from_the_queues_it_consumes():
    """A default worker (5 min) must never hand out a batch job that a long worker is still running: the long
    worker keeps its unacknowledged messages under keys of its own."""
    default_queue, long_queue = settings.CELERY_TASK_DEFAULT_QUEUE, settings.CELERY_TASK_LONG_QUEUE
    default = celery_settings.worker_transport_options([default_queue])
    long = celery_settings.worker_transport_options([long_queue])
    both = celery_settings.worker_transport_options([default_queue, long_queue])
    assert (default["visibility_timeout"], long["visibility_timeout"], both["visibility_timeout"]) == (
        300,
        3000,
        3000,
    )
    assert default.get("unacked_key", "unacked") != long["unacked_key"]
    assert default.get("unacked_index_key", "unacked_index") != long["unacked_index_key"]
    assert both.get("unacked_key", "unacked") == default.get("unacked_key", "unacked")
    assert default["socket_connect_timeout"] == 2  # the publish settings stay


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_mail_queued_while_the_broker_is_down_is_sent_by_the_sweep_within_a_minute_of_its_return(tmp_path):
    queue = f"recovery-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    with SMTPServer() as smtp, PrivateRedis(tmp_path) as redis:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EMAIL_"))},
            "DJANGO_SETTINGS_MODULE": "jaim.settings",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": f"{redis.url}/0",
            "CELERY_QUEUE": queue,
            "EMAIL_URL": smtp.url,
            "JAIM_PRIVATE_ROOT": str(tmp_path / "private"),
        }
        env.pop("JAIM_OUTBOX_SWEEP_SECONDS", None)  # the production period (20 s), not a test's
        with worker_with_beat(env, tmp_path, log, "-Q", queue):
            wait_for(lambda: "ready." in log.read_text(errors="replace"), "the worker", log)
            # The real worker of the default queue only: a task lost with it comes back after 5 minutes.
            assert (
                f"queues {queue}: a task lost with this worker is handed out again after 300 s"
                in log.read_text()
            )
            redis.stop()  # the broker is gone
            with celery_broker(f"{redis.url}/0"):
                began = time.monotonic()
                with transaction.atomic():
                    msg = mail.queue_mail(
                        to="while.down@example.jp", template="verify_email", kind="verify_email",
                        context={"user": {"full_name": "障害 花子"}, "url": "https://jaim.example.jp/x"},
                    )  # fmt: skip
                assert time.monotonic() - began < 10  # the publish gave up quickly: the caller did not hang
            time.sleep(8)  # down a while: the worker notices, beat's sweeps cannot be published
            msg.refresh_from_db()
            assert msg.status == OutboxMessage.Status.PENDING and smtp.received == []
            redis.start()  # back, on the same port, empty: the task queued for the mail never reached it
            back = time.monotonic()
            wait_for(lambda: smtp.messages_to("while.down@example.jp"), "the sweep to send the mail", log, 90)
            delay = time.monotonic() - back
            print(f"\nmail sent {delay:.1f} s after the broker returned")
            assert delay < 60
            time.sleep(3)
    msg.refresh_from_db()
    assert msg.status == OutboxMessage.Status.SENT and msg.attempts == 1
    assert len(smtp.messages_to("while.down@example.jp")) == 1  # exactly once
    assert "Scheduler: Sending due task send-outbox" in log.read_text(errors="replace")
