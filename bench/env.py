"""The benchmark's environment: a production-like configuration for every process it starts, the database it
may drop and recreate, and the machine it ran on."""

import os
import platform
import secrets
import shutil
import subprocess  # noqa: S404 - runs manage.py and wrk with fixed arguments
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


class BenchError(Exception):
    """A precondition failed: the message says what to do."""


def database_from_env() -> tuple[str, str]:
    """(DATABASE_URL, database name). Refuses anything but PostgreSQL and a database not named *bench*: the
    harness drops and recreates it."""
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        raise BenchError(
            "make bench needs PostgreSQL: set DATABASE_URL, e.g. "
            "DATABASE_URL=postgres://postgres@127.0.0.1:5432/jaim_bench make bench"
        )
    parsed = urlparse(url)
    if parsed.scheme not in ("postgres", "postgresql", "pgsql"):
        raise BenchError(f"make bench runs against PostgreSQL only; DATABASE_URL is {parsed.scheme}://…")
    name = parsed.path.lstrip("/")
    if "bench" not in name:
        raise BenchError(
            f"make bench drops and recreates its database; '{name}' is not named *bench*. "
            "Use a dedicated database, e.g. …/jaim_bench."
        )
    return url, name


def admin_dsn(url: str) -> str:
    """The same server, database 'postgres' (to drop and create the benchmark database)."""
    parsed = urlparse(url)
    return urlunparse(parsed._replace(scheme="postgresql", path="/postgres"))


def libpq_dsn(url: str) -> str:
    return urlunparse(urlparse(url)._replace(scheme="postgresql"))


def recreate_database(url: str, name: str, *, template: str | None = None) -> str:
    """Drop and create the benchmark database; from `template` when given and free (else empty). Returns how."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_dsn(url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if template:
            try:
                conn.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(name), sql.Identifier(template)
                    )
                )
                return f"copied from {template}"
            except psycopg.Error:
                pass  # the template is in use: start empty and migrate
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return "created empty"


def has_reference_data(url: str) -> bool:
    """The data migrations' rows are there (JSIC list, staff groups): a test database a flush emptied is not."""
    import psycopg

    try:
        with psycopg.connect(libpq_dsn(url)) as conn:
            jsic = conn.execute("SELECT count(*) FROM members_jsiccode").fetchone()[0]
            groups = conn.execute("SELECT count(*) FROM auth_group").fetchone()[0]
    except psycopg.Error:
        return False
    return jsic > 0 and groups > 0


def drop_database(url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_dsn(url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def bench_environment(*, url: str, port: int, cache_url: str, private_root: str) -> dict[str, str]:
    """Production settings (DEBUG off) for loopback HTTP: the secrets production demands, no TLS redirect (plain
    http on 127.0.0.1), persistent connections as in .env.example, Redis as cache and broker, and the roster's
    per-client rate limits switched off — every wrk connection comes from 127.0.0.1, one client to the limiter."""
    return {
        "DJANGO_SETTINGS_MODULE": "jaim.settings",
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": url,
        "DB_CONN_MAX_AGE": "60",
        "CACHE_URL": cache_url,
        "CELERY_BROKER_URL": cache_url,
        "JAIM_ROSTER_RATE_LIMIT": "0/60",
        "JAIM_ROSTER_API_RATE_LIMIT": "0/60",
        "JAIM_TRUSTED_PROXY_COUNT": "0",
        "JAIM_SITE_URL": f"http://127.0.0.1:{port}",
        "JAIM_ALLOW_UNDELIVERED_MAIL": "true",  # the bench measures pages; its mails go nowhere
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "JAIM_PRIVATE_ROOT": private_root,
        "LOG_LEVEL": "WARNING",
        "DJANGO_ADMINS": "",
        "PYTHONPATH": str(ROOT),
    }


def manage(*args: str, env: dict, timeout: float = 3600) -> subprocess.CompletedProcess:
    """Run manage.py with the benchmark environment; raise with its output when it fails."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [PYTHON, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"manage.py {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def redis_flush(url: str) -> None:
    """Empty the benchmark's own Redis database (cache and broker), so every scenario starts with a cold cache."""
    import redis

    redis.Redis.from_url(url).flushdb()


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def machine(pg_version: str) -> dict:
    """What the numbers came from."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    import django
    import gunicorn

    wrk = shutil.which("wrk")
    wrk_version = ""
    if wrk:
        out = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)  # noqa: S603 - wrk --version
        text = (out.stdout or out.stderr or "").strip()
        wrk_version = " ".join(text.split()[:2]) if text else ""
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "cpu_model": cpu or platform.processor(),
        "postgresql": pg_version,
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
        "wrk": wrk_version,
        "kernel": platform.release(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def wait_until(predicate, *, timeout: float, interval: float = 0.2) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return False
