"""Scheduled jobs in every mode: `make run` without Redis starts a Celery worker with beat on kombu's filesystem://
transport (`make -s run-env` prints the environment it serves with). That worker's beat really runs the schedule:
a pending mail nobody queued is sent by the outbox sweep to a real SMTP server, with no Redis anywhere."""

import os
import subprocess

import pytest

from jaim.models import OutboxMessage
from tests.deploy.procs import BASE_DIR, database_url, wait_for, worker_with_beat
from tests.smtp import SMTPServer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def make_run_env(**make_vars) -> dict:
    env = {
        k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "JAIM_SITE_URL", "MAKEFLAGS")
    }
    out = subprocess.run(
        ["make", "-s", "run-env", *(f"{k}={v}" for k, v in make_vars.items())],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def test_make_run_serves_links_on_its_own_port_and_uses_the_filesystem_broker_without_redis():
    env = make_run_env(PORT="8123")
    assert env["JAIM_SITE_URL"] == "http://127.0.0.1:8123"
    assert env["CELERY_BROKER_URL"] == "filesystem://"


def test_without_redis_the_beat_schedule_runs_the_outbox_sweep(tmp_path):
    run_env = make_run_env(PORT="8123")
    msg = OutboxMessage.objects.create(
        kind="test", to="hanako@example.jp", subject="【JAIM】予定", body="本文\n"
    )
    log = tmp_path / "worker.log"
    with SMTPServer() as smtp:
        env = {
            **{k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"},
            **run_env,
            "DJANGO_SETTINGS_MODULE": "jaim.settings",
            "DATABASE_URL": database_url(),
            "JAIM_CELERY_FS_DIR": str(tmp_path / "broker"),
            "JAIM_OUTBOX_SWEEP_SECONDS": "1",  # the sweep's interval, shortened for the test (300 s by default)
            "EMAIL_URL": smtp.url,
            "JAIM_PRIVATE_ROOT": str(tmp_path / "private"),
        }
        with worker_with_beat(env, tmp_path, log):
            wait_for(
                lambda: smtp.messages_to("hanako@example.jp"), "the sweep to send the mail", log, timeout=90
            )
    msg.refresh_from_db()
    assert msg.status == OutboxMessage.Status.SENT
    text = log.read_text(errors="replace")
    assert "Scheduler: Sending due task send-outbox" in text
    assert "redis" not in text.lower().split("transport:")[-1].split("\n")[0]
