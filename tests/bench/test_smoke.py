"""`make bench` is not part of `make test`, but this smoke run is (scale), so the harness never rots: the
whole harness in quick mode at N = 1,000 on its own PostgreSQL database (copied from the test database, dropped
afterwards), gunicorn on a free loopback port, wrk runs of one second. It checks that every measurement was made
and is sane — not the timing targets (no timed tests): those are for the full run."""

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import REQUIRE_SERVICES

ROOT = Path(__file__).resolve().parents[2]
CACHE_URL = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/6")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_up() -> bool:
    from bench.env import redis_reachable

    return redis_reachable(CACHE_URL)


def _need(condition: bool, reason: str) -> None:
    if not condition:
        if REQUIRE_SERVICES:
            pytest.fail(f"JAIM_REQUIRE_SERVICES=1 but the bench smoke run {reason}")
        pytest.skip(reason)


@pytest.mark.postgres
def test_bench_smoke_run_at_1000_establishments(tmp_path, django_db_setup, django_db_blocker):
    _need(shutil.which("wrk") is not None, "needs wrk (Debian package)")
    _need(_redis_up(), f"needs Redis at {CACHE_URL}")
    from django.db import connections

    db = connections["default"].settings_dict
    template = db["NAME"]
    connections.close_all()  # the copy needs the test database free of connections
    name = f"jaim_bench_smoke_{os.getpid()}"
    auth = quote(db["USER"] or "postgres") + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
    url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    out = tmp_path / "results"
    command = [sys.executable, "-m", "bench.run", "--quick", "--n", "1000", "--out", str(out)]
    command += ["--port", str(_free_port()), "--template", template, "--drop-after", "--cache-url", CACHE_URL]
    done = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    results = json.loads((out / "results.json").read_text())

    assert results["n"] == 1000 and results["small_n"] == 100
    assert results["seed"]["small"]["added"] == 100 and results["seed"]["full"]["added"] == 900
    assert results["machine"]["nproc"] and results["machine"]["postgresql"]

    scenarios = results["http"]["scenarios"]
    assert set(scenarios) == {"trivial", "name", "corporate_number", "as_of", "filters", "name_cached"}
    for key, s in scenarios.items():
        assert s["requests"] > 0, key
        assert s["non200"] == 0 and s["errors"] == 0, key  # every answer a 200: no 429, no redirect, no 500
        # CPU per request read from /proc around each run: the web workers and wrk always work; PostgreSQL
        # answers every roster search (a cached answer or /livez needs none of it); Redis is read each search.
        cpu = s["cpu_ms"]
        assert cpu["web"] > 0 and cpu["wrk"] > 0, (key, cpu)
        assert cpu["postgres"] is not None and cpu["redis"] is not None, (key, cpu)
        if key not in ("trivial", "name_cached"):
            assert cpu["postgres"] > 0 and cpu["web"] > scenarios["trivial"]["cpu_ms"]["web"], (key, cpu)
            assert s["ratio"] > 0 and s["variants"] > 100
            # Cold by construction, on a fast machine as on a slow one: no run hands out more queries than it
            # has distinct ones (the cache is emptied before each run), and a run that used them all stopped and
            # says so, its rate taken over the time it really ran.
            assert s["repeats_possible"] == 0
            for run in s["runs"]:
                assert run["requests"] <= run["issued"] <= s["variants"], (key, run)
                assert run["ran_out"] == (run["threads_ran_out"] > 0)
                if run["ran_out"]:
                    assert f"round {run['round']} {key}: ran out of distinct queries" in done.stdout
                    assert run["seconds"] <= results["settings"]["duration_s"] + 1

    pages = results["pages"]
    assert set(pages) == {"application_queue", "memberships", "invoices", "mypage"}
    for page in pages.values():
        assert page["small"]["queries"] > 0 and page["full"]["queries"] > 0
        assert page["small"]["ms_median"] > 0 and page["full"]["ms_median"] > 0

    assert results["pdf"]["ja_ms"] > 0 and results["pdf"]["latin_ms"] > 0
    listed = {e["rows"] for e in results["exports"].values()}
    assert len(listed) == 1 and listed.pop() > 500  # the same roster in every format
    renewal = results["renewal"]
    assert renewal["full"]["memberships"] > renewal["small"]["memberships"] > 0
    assert renewal["full"]["queries_per_membership"] > 0
    assert renewal["full"]["reported"]["renewed"] == renewal["full"]["memberships"]  # every one renewed

    verdicts = {c["verdict"] for c in results["checks"]}
    assert verdicts <= {"PASS", "FAIL", "—"} and "PASS" in verdicts
    text = (out / "RESULTS.md").read_text()
    assert "Roster rate limits switched off for the benchmark" in text
    assert "| figure | value | target | result | target from |" in text
    assert "### CPU per request" in text and "| scenario | web workers | PostgreSQL | Redis | wrk |" in text
    assert "renewal job: queries per 1,000 memberships (N vs N/10)" in text
    assert "< 60 s at 100,000" in text
