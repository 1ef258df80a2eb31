"""Processes of a deployment, started by the suite on loopback against the test database: gunicorn, a Celery
worker with beat. Each is a context manager that always stops what it started."""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)


def database_url() -> str:
    """The test database, for a process of its own."""
    s = connection.settings_dict
    if s["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail(
            "a deployment's processes need the test database on PostgreSQL (DATABASE_URL=postgres://…)"
        )
    auth = quote(s["USER"] or "postgres")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def wait_for(predicate, what: str, log: Path | None = None, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
    pytest.fail(f"timed out waiting for {what}\n{tail}")


@contextmanager
def process(cmd: list[str], env: dict, log: Path):
    with open(log, "ab") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            cmd, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


CELERY = [sys.executable, "-m", "celery", "-A", "jaim", "worker", "--beat", "--pool=solo", "--loglevel=INFO"]
QUIET = ["--without-gossip", "--without-mingle", "--without-heartbeat"]


def worker_with_beat(env: dict, tmp: Path, log: Path, *extra: str):
    """`celery -A jaim worker --beat` (the scheduler inside the worker, as `make run` starts it)."""
    return process([*CELERY, f"--schedule={tmp / 'beat-schedule'}", *QUIET, *extra], env, log)


def gunicorn(env: dict, log: Path):
    """gunicorn with the project's configuration module (jaim/gunicorn.py), as the image runs it."""
    return process([sys.executable, "-m", "gunicorn", "-c", "python:jaim.gunicorn", "jaim.wsgi"], env, log)


def multipart(boundary: str, fields: dict, files: dict) -> bytes:
    """A multipart/form-data body as a browser sends it (the smoke run and the fault run post uploads)."""
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for name, (filename, content, content_type) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        )
        parts.append(head.encode() + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode()
