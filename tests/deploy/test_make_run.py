"""`make run` as a newcomer runs it (README): no DATABASE_URL and no CELERY_BROKER_URL, so the embedded default —
SQLite and tasks in-process — migrates, loads the demo data and serves the portal. Nothing PostgreSQL-only may
slip into a migration or a query on the demo's path (DISTINCT ON, plpgsql triggers…): this run catches it."""

import os
import subprocess
import sys
from pathlib import Path

BASE = Path(__file__).resolve().parents[2]

CHECK = """
from django.test import Client
c = Client()
for path in ("/", "/roster/", "/accounts/login/"):
    r = c.get(path)
    assert r.status_code == 200, (path, r.status_code)
assert c.login(username="owner@demo.jaim.example", password=PASSWORD)
r = c.get("/mypage/")
assert r.status_code == 200 and "株式会社" in r.content.decode(), r.status_code
from jaim.models import MailTemplateVersion, OutboxMessage
assert OutboxMessage.objects.exists()
print("demo ok", MailTemplateVersion.objects.count())
"""


def test_make_run_migrates_seeds_and_serves_on_the_embedded_sqlite_default(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CELERY_", "CACHE_URL"))}
    env.pop("DJANGO_ENV", None)
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",  # the default's engine, in a file of the test's own
        JAIM_PRIVATE_ROOT=str(tmp_path / "private"),
        DJANGO_SETTINGS_MODULE="jaim.settings",
    )

    def manage(*args, timeout=420):
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    manage("migrate", "--noinput", "-v0")
    assert "Demo data ready" in manage("seed_demo")
    assert "Demo data ready" in manage("seed_demo")  # safe to run twice
    from demo.members import PASSWORD

    out = manage("shell", "-c", f"PASSWORD = {PASSWORD!r}\n{CHECK}", timeout=120)
    assert "demo ok" in out
