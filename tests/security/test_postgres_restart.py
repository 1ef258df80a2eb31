"""Security: PostgreSQL restarted during a burst of submissions. Every sign-up that got the success page exists
exactly once with its mail in the outbox, the others got the busy page (503 「ただいま混み合っています」 with
Retry-After, never a 500: the database was only restarting), and the running app recovers without
a restart. Runs against a private throwaway cluster (initdb under a temp dir, its own port and socket dir), started
and stopped here: the shared server on 5432 is never touched."""

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import REQUIRE_SERVICES

BASE = Path(settings.BASE_DIR)
SUCCESS = "確認メールを送信しました"
BUSY = "ただいま混み合っています"


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(*cmd, **kwargs):
    """initdb and pg_ctl refuse to run as root: run them as the postgres system user when we are root."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *map(str, cmd)], check=True, capture_output=True, text=True, **kwargs)


@pytest.fixture
def private_cluster():
    pg = _pg_bin()
    if pg is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        reason = "needs PostgreSQL server binaries (initdb, pg_ctl) to run a private cluster"
        if REQUIRE_SERVICES:
            pytest.fail(reason)
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="jaim-pg-restart-"))
    data, sockets = root / "data", root / "sock"
    data.mkdir()
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(data, "postgres")
        shutil.chown(sockets, "postgres")
    port = _free_port()
    _as_postgres(pg / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
    ctl = [pg / "pg_ctl", "-D", data, "-o", options, "-l", root / "server.log", "-w"]
    _as_postgres(*ctl, "start")
    try:
        subprocess.run(
            [pg / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "jaim_fault"],
            check=True,
            capture_output=True,
        )
        yield {"port": port, "restart": lambda: _as_postgres(*ctl, "-m", "fast", "restart")}
    finally:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *map(str, ctl), "-m", "immediate", "stop"]
            if os.geteuid() == 0
            else [*map(str, ctl), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def _post_signup(url: str, email: str) -> tuple[int, str, str | None]:
    data = urllib.parse.urlencode(
        {
            "email": email,
            "full_name": "負荷 太郎",
            "password1": "sufficiently-long-pw",
            "password2": "sufficiently-long-pw",
        }
    ).encode()
    request = urllib.request.Request(url, data=data, method="POST")  # noqa: S310 - our own loopback server
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own loopback server
            return response.status, response.read().decode(), response.headers.get("Retry-After")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), exc.headers.get("Retry-After")


@pytest.mark.postgres
def test_a_postgres_restart_during_a_burst_of_signups_loses_or_duplicates_nothing(private_cluster, tmp_path):
    import psycopg

    port = private_cluster["port"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/jaim_fault",
        "DB_CONN_MAX_AGE": "60",  # persistent connections: the restart breaks them under the running app
        "DJANGO_DEBUG": "false",
        "JAIM_AXES_ENABLED": "false",
        "JAIM_SIGNUP_RATE_LIMIT": "100000/3600",  # one client signs up hundreds of times: not the rule under test
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "CRITICAL",
    }
    env.pop("CELERY_BROKER_URL", None)  # tasks in-process: the database is the only service under test
    env.pop("DJANGO_ENV", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=BASE,
        env=env,
        check=True,
        capture_output=True,
    )
    # tests/security/fault_wsgi.py: the project with the sign-up exempt from CSRF (a plain HTTP client posts).
    http_port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "tests.security.fault_wsgi:application",
            "-b",
            f"127.0.0.1:{http_port}",
            "-w",
            "2",
            "--threads",
            "4",
            "--timeout",
            "60",
        ],
        cwd=BASE,
        env=env,
        stdout=open(tmp_path / "gunicorn.log", "w"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{http_port}/accounts/signup/"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{http_port}/healthz", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        results: list[tuple[str, int, str, str | None]] = []
        spans: list[tuple[float, float]] = []  # when each request was sent and answered
        stop = threading.Event()
        counter = iter(range(100000))
        lock = threading.Lock()

        def worker():
            while not stop.is_set():
                with lock:
                    n = next(counter)
                email = f"burst{n}@example.jp"
                began = time.monotonic()
                status, body, retry_after = _post_signup(url, email)
                with lock:
                    results.append((email, status, body, retry_after))
                    spans.append((began, time.monotonic()))

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        # Restart only once the burst is really under way (a loaded machine may need a while for the first
        # sign-up: password hashing is slow on purpose), bounded so the test cannot hang.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with lock:
                if any(status == 200 and SUCCESS in body for _e, status, body, _r in results):
                    break
            time.sleep(0.2)
        time.sleep(1.0)
        restart_began = time.monotonic()
        private_cluster["restart"]()
        restart_ended = time.monotonic()
        time.sleep(2.5)
        stop.set()
        for t in threads:
            t.join(timeout=60)

        # The app recovers without a restart: the next sign-up succeeds.
        after_status, after_body, _ = _post_signup(url, "after.restart@example.jp")
        assert after_status == 200 and SUCCESS in after_body
    finally:
        server.terminate()
        server.wait(timeout=30)

    succeeded = [e for e, status, body, _r in results if status == 200 and SUCCESS in body]
    failed = [
        (e, status, body, r) for e, status, body, r in results if not (status == 200 and SUCCESS in body)
    ]
    print(f"\nburst: {len(succeeded)} succeeded, {len(failed)} failed")
    assert succeeded, "no sign-up went through before or after the restart"
    # The burst overlapped the restart: requests were in flight while the server went down and came back. Whether
    # one of them then failed depends on timing (a broken connection is replaced by the health check); each that did
    # failed cleanly, and none lost or doubled anything.
    in_flight = [1 for sent, answered in spans if sent < restart_ended and answered > restart_began]
    assert in_flight, "the restart hit no request: the burst did not overlap it"
    print(f"in flight during the restart: {len(in_flight)}")
    for _email, status, body, retry_after in failed:
        assert status == 503 and BUSY in body and retry_after == "30" and "Traceback" not in body, status
        assert (
            "sufficiently-long-pw" not in body
        )  # the resend form keeps the typed fields, never the password
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/jaim_fault") as conn:
        users = dict(conn.execute("SELECT email, count(*) FROM members_user GROUP BY email").fetchall())
        mails = dict(
            conn.execute(
                'SELECT "to", count(*) FROM jaim_outboxmessage WHERE kind = \'verify_email\' GROUP BY "to"'
            )
        )
    for email in succeeded:
        assert users.get(email) == 1 and mails.get(email) == 1, email
    # Nothing half-written: every account that exists has exactly its one verification mail.
    assert {e: mails.get(e) for e in users} == {e: 1 for e in users}
