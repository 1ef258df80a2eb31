"""The benchmark harness's own rules (scale): it refuses to run anywhere but a dedicated PostgreSQL database,
compares every figure with the target of the issue that owns it, and says PASS or FAIL in RESULTS.md."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import env, load, report

ROOT = Path(__file__).resolve().parents[2]


def _results(**overrides) -> dict:
    """A complete results dict as bench.run writes it, with figures that meet every target."""
    scenario = dict(rps=400.0, p50_ms=20.0, p99_ms=60.0, rps_min=390.0, rps_max=410.0, requests=4000, non200=0,
                    errors=0, variants=5000)  # fmt: skip
    results = {
        "n": 100_000,
        "small_n": 10_000,
        "mode": "full",
        "finished_at": "2026-11-27T12:00:00+09:00",
        "machine": {
            "nproc": 2,
            "memory_gib": 23.5,
            "cpu_model": "AMD EPYC",
            "postgresql": "15.20",
            "python": "3.11.7",
            "django": "5.2",
            "gunicorn": "23",
            "wrk": "wrk 4.1.0",
            "load_average_at_start": [1.0, 1.0, 1.0],
            "load_average_at_end": [1.0, 1.0, 1.0],
        },  # fmt: skip
        "settings": {
            "gunicorn_workers": 4,
            "connections": 16,
            "threads": 2,
            "duration_s": 10,
            "rounds": 3,
            "cache_url": "redis://127.0.0.1:6379/6",
        },  # fmt: skip
        "http": {
            "scenarios": {
                "trivial": {**scenario, "rps": 1000.0, "label": "trivial view /healthz"},
                "name": {**scenario, "ratio": 0.40, "label": "roster name search"},
                "corporate_number": {**scenario, "ratio": 0.55, "label": "法人番号 lookup"},
                "as_of": {**scenario, "ratio": 0.30, "label": "as-of-date lookup"},
                "filters": {**scenario, "ratio": 0.20, "label": "roster page with filters"},
            }
        },
        "pages": {
            "invoices": {
                "label": "admin: invoices",
                "url": "/admin/fees/invoice/",
                "small": {"queries": 13, "ms_median": 40.0},
                "full": {"queries": 13, "ms_median": 45.0},
            }
        },
        "pdf": {"ja_ms": 300.0, "latin_ms": 250.0, "ratio": 1.2},
        "exports": {
            "csv": {"rows": 90_000, "seconds": 3.0, "rows_per_second": 30_000.0},
            "xlsx": {"rows": 90_000, "seconds": 4.0, "rows_per_second": 22_500.0},
            "pdf": {"rows": 82_000, "seconds": 41.0, "rows_per_second": 2_000.0},
        },
        "renewal": {
            "small": {
                "source": "x",
                "memberships": 10_000,
                "seconds": 5.0,
                "ms_per_membership": 0.5,
                "queries": 300,
                "queries_per_membership": 0.03,
            },  # fmt: skip
            "full": {
                "source": "x",
                "memberships": 100_000,
                "seconds": 50.0,
                "ms_per_membership": 0.5,
                "queries": 3_000,
                "queries_per_membership": 0.03,
            },  # fmt: skip
        },
        "seed": {
            "small": {"n": 10_000, "added": 10_000, "seconds": {"total": 10.0, "roster_rebuild": 4.0}},
            "full": {"n": 100_000, "added": 90_000, "seconds": {"total": 90.0, "roster_rebuild": 40.0}},
        },
    }
    for path, value in overrides.items():
        target = results
        *parents, last = path.split(".")
        for key in parents:
            target = target[key]
        target[last] = value
    return results


def _verdicts(results) -> dict[str, str]:
    return {c["figure"]: c["verdict"] for c in report.checks(results)}


def test_every_figure_meeting_its_target_passes():
    verdicts = _verdicts(_results())
    assert "FAIL" not in verdicts.values()
    assert verdicts["roster name search: req/s ÷ trivial"] == "PASS"
    assert verdicts["法人番号 lookup: req/s ÷ trivial"] == "PASS"
    assert verdicts["invoice PDF: ms, ratio to the Latin layout"] == "PASS"
    assert verdicts["admin: invoices: queries per page (N vs N/10)"] == "PASS"


@pytest.mark.parametrize(
    ("path", "value", "figure"),
    [
        ("http.scenarios.name.ratio", 0.349, "roster name search: req/s ÷ trivial"),  # roster speed: ≥ 35 %
        ("http.scenarios.corporate_number.ratio", 0.499, "法人番号 lookup: req/s ÷ trivial"),  # ≥ 50 %
        ("http.scenarios.as_of.p99_ms", 100.0, "as-of-date lookup (法人番号 + date): p99"),  # < 100 ms
        ("pdf.ratio", 1.51, "invoice PDF: ms, ratio to the Latin layout"),  # invoice PDF speed: ≤ 1.5×
        ("pages.invoices.full.queries", 14, "admin: invoices: queries per page (N vs N/10)"),  # must not grow
        (
            "renewal.full.queries_per_membership",
            0.035,
            "renewal job: queries per 1,000 memberships (N vs N/10)",
        ),
        ("renewal.full.seconds", 60.0, "renewal job: wall time for 100,000 memberships"),  # < 60 s at 100,000
        ("exports.pdf.rows_per_second", 999.9, "full roster export PDF: rows/s"),  # issue 20: ≥ 1,000 rows/s
        ("exports.xlsx.rows_per_second", 19_999.0, "full roster export XLSX: rows/s"),  # issue 20: ≥ 20,000
        (
            "http.scenarios.filters.ratio",
            0.199,
            "roster page with filters (prefecture, JSIC, pages): req/s ÷ trivial",
        ),  # issue 20: ≥ 20 % of trivial
    ],
)
def test_a_missed_target_fails(path, value, figure):
    assert _verdicts(_results(**{path: value}))[figure] == "FAIL"


def test_renewal_queries_must_stay_at_most_50_per_1000_memberships_even_when_constant():
    over = {"renewal.full.queries_per_membership": 0.051, "renewal.small.queries_per_membership": 0.051}
    assert _verdicts(_results(**over))["renewal job: queries per 1,000 memberships (N vs N/10)"] == "FAIL"
    at = {"renewal.full.queries_per_membership": 0.05, "renewal.small.queries_per_membership": 0.05}
    assert _verdicts(_results(**at))["renewal job: queries per 1,000 memberships (N vs N/10)"] == "PASS"


def test_a_renewal_run_below_100000_is_reported_with_its_projection_not_judged():
    small = {"renewal.full.memberships": 10_000, "renewal.full.seconds": 30.0}
    checks = {c["figure"]: c for c in report.checks(_results(**small))}
    wall = checks["renewal job: wall time for 10,000 memberships"]
    assert wall["verdict"] == "—" and "≈ 300 s" in wall["value"]


def test_targets_are_inclusive_where_the_issue_says_at_least():
    at = {"http.scenarios.name.ratio": 0.35, "pdf.ratio": 1.5, "exports.pdf.rows_per_second": 1000.0}
    verdicts = _verdicts(_results(**at))
    assert verdicts["roster name search: req/s ÷ trivial"] == "PASS"
    assert verdicts["invoice PDF: ms, ratio to the Latin layout"] == "PASS"
    assert verdicts["full roster export PDF: rows/s"] == "PASS"


def test_the_pdf_export_below_100000_is_reported_not_judged():
    checks = {
        c["figure"]: c for c in report.checks(_results(n=10_000, **{"exports.pdf.rows_per_second": 500.0}))
    }
    pdf = checks["full roster export PDF: rows/s"]
    assert (
        pdf["verdict"] == "—"
        and "at N = 10,000" in pdf["value"]
        and pdf["target"] == "≥ 1,000 rows/s at 100,000"
    )


def test_answers_other_than_200_fail_the_scenario():
    results = _results(**{"http.scenarios.name.non200": 3})
    assert _verdicts(results)["roster name search: answers other than 200"] == "FAIL"


def test_figures_without_a_target_are_reported_not_judged():
    verdicts = _verdicts(_results())
    assert verdicts["as-of-date lookup (法人番号 + date): req/s ÷ trivial"] == "—"
    assert verdicts["full roster export CSV: rows/s"] == "—"


def test_results_markdown_states_conditions_and_verdicts():
    results = _results()
    results["checks"] = report.checks(results)
    text = report.markdown(results, notes="## Profiling\n\nbefore/after")
    assert "| nproc | memory | CPU | PostgreSQL" in text
    assert "Roster rate limits switched off for the benchmark" in text
    assert "**PASS**" in text and "Two cores, shared" in text
    assert "| roster name search | 400 | 40.0% |" in text
    assert text.rstrip().endswith("before/after")


def test_summarise_takes_the_median_of_rounds():
    runs = [
        {"rps": 100, "p50_ms": 10, "p99_ms": 50, "requests": 1000, "non200": 0, "errors": 0},
        {"rps": 300, "p50_ms": 30, "p99_ms": 90, "requests": 3000, "non200": 0, "errors": 0},
        {"rps": 200, "p50_ms": 20, "p99_ms": 70, "requests": 2000, "non200": 1, "errors": 0},
    ]
    s = load.summarise(runs)
    assert (s["rps"], s["p50_ms"], s["p99_ms"]) == (200, 20, 70)
    assert (s["rps_min"], s["rps_max"], s["requests"], s["non200"]) == (100, 300, 6000, 1)


def test_a_cold_wrk_run_never_asks_a_path_twice_and_stops_when_they_run_out(tmp_path):
    """The wrk script itself, against a loopback server that records every path: on a server far faster than
    the paths last (20 paths, 3 s), each path is asked once, and the run says it ran out."""
    import shutil
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from tests.conftest import REQUIRE_SERVICES

    if shutil.which("wrk") is None:
        if REQUIRE_SERVICES:
            pytest.fail("JAIM_REQUIRE_SERVICES=1 but wrk (Debian package) is not installed")
        pytest.skip("needs wrk (Debian package)")
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 - http.server's name
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        paths = load.Scenario("name", "name", [f"/roster/?q={i}" for i in range(20)])
        base = f"http://127.0.0.1:{server.server_address[1]}"
        once = load.run_wrk(base, paths.slice_file(tmp_path), duration=3, threads=2, connections=4, once=True)
        first = list(asked)
        cycle = load.run_wrk(base, paths.slice_file(tmp_path), duration=1, threads=2, connections=4)
    finally:
        server.shutdown()
    # Every path handed out once; the server saw each at most once (one still in flight when its thread
    # stopped may never reach it) and nothing else.
    assert once["issued"] == 20 and len(first) == len(set(first)) and set(first) <= set(paths.paths)
    assert len(first) >= 20 - 4  # at most one lost per connection
    assert once["ran_out"] and once["threads_ran_out"] == 2
    assert once["requests"] <= once["issued"] and once["seconds"] <= 3
    assert not cycle["ran_out"] and cycle["issued"] > 20  # the trivial view's mode goes round and round


def test_scenario_runs_continue_where_the_last_one_stopped(tmp_path):
    s = load.Scenario("name", "name", ["/a", "/b", "/c", "/d"])
    s.advance(3)
    assert s.slice_file(tmp_path).read_text().split() == ["/d", "/a", "/b", "/c"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "set DATABASE_URL"),
        ("sqlite:////tmp/x.sqlite3", "PostgreSQL only"),
        ("postgres://postgres@127.0.0.1:5432/jaim", "not named *bench*"),
    ],
)
def test_the_harness_refuses_anything_but_a_dedicated_postgresql_database(monkeypatch, url, message):
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(env.BenchError, match=message.replace("*", r"\*")):
        env.database_from_env()


def test_make_bench_without_database_url_exits_with_a_clear_message():
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--n", "10"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "make bench needs PostgreSQL: set DATABASE_URL" in done.stderr


def test_the_bench_environment_is_production_with_the_rate_limit_off():
    e = env.bench_environment(
        url="postgres://x/jaim_bench", port=8107, cache_url="redis://r/6", private_root="/tmp/p"
    )
    assert e["DJANGO_ENV"] == "production" and e["DJANGO_SECRET_KEY"]
    assert e["DJANGO_SECURE_SSL_REDIRECT"] == "false"  # plain HTTP on loopback
    assert e["JAIM_ROSTER_RATE_LIMIT"] == e["JAIM_ROSTER_API_RATE_LIMIT"] == "0/60"
    assert e["CACHE_URL"] == "redis://r/6" and e["DB_CONN_MAX_AGE"] == "60"


def test_carry_over_takes_only_skipped_sections_of_a_run_at_the_same_n_and_says_so(tmp_path):
    import argparse
    import json

    from bench import run
    from bench.env import BenchError

    earlier = _results()
    earlier["renewal"]["full"]["seconds"] = 999.0
    path = tmp_path / "earlier.json"
    path.write_text(json.dumps(earlier))
    now = _results()
    del now["renewal"]
    now["pdf"]["ratio"] = 1.1
    run.carry_over(now, argparse.Namespace(carry_over=path, n=100_000, skip=["renewal"]))
    assert now["renewal"]["full"]["seconds"] == 999.0 and now["pdf"]["ratio"] == 1.1  # pdf was measured now
    assert now["carried_over"] == {
        "sections": ["renewal"],
        "from": earlier["finished_at"],
        "file": "earlier.json",
    }
    now["checks"] = report.checks(now)
    assert "**Carried over** from the run of 2026-11-27T12:00:00+09:00" in report.markdown(now)
    with pytest.raises(BenchError, match="N=100000, not 1000"):
        run.carry_over(_results(), argparse.Namespace(carry_over=path, n=1000, skip=["renewal"]))
