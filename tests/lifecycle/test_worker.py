"""The renewal batch on a real Celery worker (a subprocess: `celery -A jaim worker`) over Redis, against the test
database: it completes; and a worker killed (SIGKILL) half-way leaves no half-written chunk — running the job again
on a new worker completes the rest with exactly one invoice and one renewal e-mail per membership."""

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from fees.models import Invoice
from jaim.models import JobRun, OutboxMessage
from lifecycle.models import RenewalNotice
from lifecycle.tasks import run_renewal
from tests.lifecycle.factories import NOTICE_ON, fee_schedules, member, season

# serialized_rollback: the JSIC list and staff groups come from data migrations, which a flush would remove.
pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BASE_DIR = Path(settings.BASE_DIR)


def _database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the worker process must reach the test database: PostgreSQL")
    auth = quote(s["USER"] or "postgres")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@contextmanager
def worker(queue: str, log: Path):
    """`celery -A jaim worker` on its own queue, pointed at the test database. Always terminated."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jaim.settings",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "JAIM_PRIVATE_ROOT": str(log.parent / "private"),
    }
    cmd = [
        sys.executable, "-m", "celery", "-A", "jaim", "worker", "--pool=solo", "--loglevel=INFO",
        "-Q", f"{queue},{queue}.long", "-n", f"{queue}-{uuid.uuid4().hex[:6]}@%h", "--without-gossip", "--without-mingle",
        "--without-heartbeat",
    ]  # fmt: skip
    with open(log, "ab") as out:
        proc = subprocess.Popen(cmd, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def _purge(queue: str) -> None:
    """Remove this test's queue and its unacknowledged messages from Redis (nothing else is touched)."""
    import redis

    r = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    r.delete(queue, f"{queue}.long")
    for tag, payload in r.hgetall("unacked").items():
        if queue.encode() in payload:
            r.hdel("unacked", tag)
            r.zrem("unacked_index", tag)


def _wait_for(predicate, *, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}; worker log:\n{log.read_text(errors='replace')[-4000:]}")


def _members(n: int):
    fee_schedules()
    season()
    return [member()[1] for _ in range(n)]


@pytest.fixture
def queue():
    name = f"jaim-lifecycle-test-{uuid.uuid4().hex[:10]}"
    yield name
    _purge(name)


def test_a_real_worker_runs_the_renewal_batch_on_redis(queue, tmp_path):
    members = _members(6)
    log = tmp_path / "worker.log"
    with worker(queue, log):
        run_renewal.apply_async(kwargs={"on": NOTICE_ON.isoformat(), "chunk_size": 4}, queue=queue)
        _wait_for(
            lambda: JobRun.objects.filter(job="lifecycle.renewal", finished_at__isnull=False).exists(),
            timeout=120,
            what="the renewal run to finish",
            log=log,
        )
        notices = OutboxMessage.objects.filter(kind="lifecycle_renewal_notice")
        _wait_for(lambda: notices.filter(status="SENT").count() == 6, timeout=120, what="the mails", log=log)
    run = JobRun.objects.get(job="lifecycle.renewal")
    assert run.succeeded and run.counts["renewed"] == 6 and run.counts["invoices_issued"] == 6
    assert Invoice.objects.filter(fiscal_year=2027).count() == 6
    assert set(Invoice.objects.values_list("membership_id", flat=True)) == {m.pk for m in members}


def test_a_worker_killed_mid_batch_leaves_no_duplicate_when_the_job_runs_again(queue, tmp_path):
    n = 120
    members = _members(n)
    log = tmp_path / "worker.log"
    with worker(queue, log) as proc:
        run_renewal.apply_async(kwargs={"on": NOTICE_ON.isoformat(), "chunk_size": 1}, queue=queue)
        _wait_for(
            lambda: RenewalNotice.objects.count() >= 10, timeout=120, what="the batch to start", log=log
        )
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    done_when_killed = RenewalNotice.objects.count()
    assert 0 < done_when_killed < n, "the worker must die half-way for this test to mean anything"
    killed = JobRun.objects.get(job="lifecycle.renewal")
    assert killed.finished_at is None  # the run was cut off; nothing claims it finished
    # A chunk is all or nothing: every invoice issued so far belongs to a membership whose renewal is complete,
    # or to the one chunk cut off between its invoice transaction and its notice transaction.
    assert Invoice.objects.filter(fiscal_year=2027).count() - done_when_killed in (0, 1)
    _purge(queue)  # worst case: whatever the dead worker had queued is lost (the sweeps resend and render it)

    with worker(queue, log):  # the next scheduled run (or `manage.py renew_memberships`) on a new worker
        run_renewal.apply_async(kwargs={"on": NOTICE_ON.isoformat(), "chunk_size": 25}, queue=queue)
        _wait_for(
            lambda: RenewalNotice.objects.count() == n, timeout=180, what="the rest of the batch", log=log
        )
        _wait_for(
            lambda: JobRun.objects.filter(job="lifecycle.renewal", finished_at__isnull=False).exists(),
            timeout=60,
            what="the second run to finish",
            log=log,
        )

    invoices = Invoice.objects.filter(fiscal_year=2027)
    assert invoices.count() == n
    assert sorted(invoices.values_list("membership_id", flat=True)) == sorted(m.pk for m in members)
    for kind in ("lifecycle_renewal_notice", "fees_invoice_issued"):
        rows = OutboxMessage.objects.filter(kind=kind)
        if kind == "fees_invoice_issued":
            rows = rows.filter(subject__contains="2027年度")
        assert rows.count() == n, kind
        assert rows.values("to").distinct().count() == n, (
            kind
        )  # one per membership (each has its own manager)
    second = JobRun.objects.filter(job="lifecycle.renewal", finished_at__isnull=False).get()
    assert second.succeeded and second.counts["renewed"] == n - done_when_killed
