"""`make bench`: measure the roster, the renewal job, PDFs and the admin on PostgreSQL at N establishments.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jaim_bench make bench
    .venv/bin/python -m bench.run --n 100000            # the same
    .venv/bin/python -m bench.run --quick --n 1000 --out /tmp/x   # the smoke run the test suite makes

Steps: recreate the benchmark database (its name must contain 'bench'), migrate, start gunicorn (production
settings, several workers, 127.0.0.1), seed N/10 establishments and measure the staff and member pages, top up
to N and measure everything: roster load with wrk against the trivial view, the pages again, invoice PDF vs
Latin layout, full roster exports, the renewal job at N/10 and N. Writes results.json and RESULTS.md."""

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.env import ROOT, BenchError

HERE = Path(__file__).resolve().parent


def parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=100_000, help="establishments (default 100,000)")
    p.add_argument("--quick", action="store_true", help="smoke run: tiny load durations, one round")
    p.add_argument(
        "--out", type=Path, default=HERE, help="where results.json and RESULTS.md go (default bench/)"
    )
    p.add_argument("--port", type=int, default=8107)
    p.add_argument("--workers", type=int, default=0, help="gunicorn workers (default 2 × nproc)")
    p.add_argument("--duration", type=float, default=0, help="seconds per wrk run (default 10; quick 1)")
    p.add_argument("--rounds", type=int, default=0, help="rounds of the load scenarios (default 3; quick 1)")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--cache-url", default=os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/6"))
    p.add_argument("--template", default="", help="copy the empty database from this (migrated) one if free")
    p.add_argument("--drop-after", action="store_true", help="drop the benchmark database at the end")
    p.add_argument(
        "--skip", action="append", default=[], choices=["load", "pages", "pdf", "exports", "renewal"]
    )
    p.add_argument(
        "--carry-over",
        type=Path,
        default=None,
        help="results.json of an earlier full run: skipped sections are taken from it, marked as such",
    )
    args = p.parse_args(argv)
    args.duration = args.duration or (1 if args.quick else 10)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.workers = args.workers or (2 if args.quick else 2 * (os.cpu_count() or 1))
    return args


_STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[bench +{time.monotonic() - _STARTED:7.1f}s] {message}", flush=True)


def main(argv=None) -> int:
    args = parse(argv)
    try:
        results = run(args)
    except BenchError as exc:
        print(f"make bench: {exc}", file=sys.stderr)
        return 2
    failed = [c for c in results["checks"] if c["verdict"] == "FAIL"]
    log(f"wrote {args.out / 'results.json'} and {args.out / 'RESULTS.md'}; {len(failed)} target(s) missed")
    return 0


def run(args) -> dict:
    from bench import env as benv
    from bench import load, report

    url, name = benv.database_from_env()
    if not load.wrk_available() and "load" not in args.skip:
        raise BenchError("wrk is not installed (apt-get install wrk)")
    if not benv.redis_reachable(args.cache_url):
        raise BenchError(f"Redis is not reachable at {args.cache_url} (cache and broker of the benchmark)")
    small_n = max(1, args.n // 10)
    work = Path(tempfile.mkdtemp(prefix="jaim-bench-"))
    environment = benv.bench_environment(
        url=url, port=args.port, cache_url=args.cache_url, private_root=str(work / "private")
    )
    environment["JAIM_STATIC_ROOT"] = str(
        work / "static"
    )  # production serves hashed files from collectstatic
    os.environ.update(environment)  # this process measures in process too: the same production settings
    results: dict = {
        "started_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "n": args.n,
        "small_n": small_n,
        "settings": {
            "gunicorn_workers": args.workers,
            "connections": args.connections,
            "threads": args.threads,
            "duration_s": args.duration,
            "rounds": args.rounds,
            "cache_url": args.cache_url,
            "roster_rate_limit": "0/60 (off)",
            "db_conn_max_age": 60,
            "django_env": "production",
        },
    }
    how = benv.recreate_database(url, name, template=args.template or None)
    if args.template and how.startswith("copied") and not benv.has_reference_data(url):
        how = benv.recreate_database(url, name) + f" ({args.template} had no reference data)"
    log(f"database {name}: {how}")
    if not how.startswith("copied"):  # a copy of a migrated test database needs no migrate
        t = time.perf_counter()
        benv.manage("migrate", "--noinput", env=environment)
        results["migrate_seconds"] = round(time.perf_counter() - t, 1)
    import django

    django.setup()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    results["machine"] = benv.machine(pg_version)
    results["machine"]["note"] = (
        "2 cores shared by wrk, gunicorn, PostgreSQL and Redis (load averages recorded)"
    )
    server = None
    try:
        from bench.server import Gunicorn

        benv.manage("collectstatic", "--noinput", env=environment)

        server = Gunicorn(
            port=args.port, workers=args.workers, env=environment, log_path=work / "gunicorn.log"
        )
        server.start()
        log(f"gunicorn: {args.workers} workers on {server.base}")
        results["seed"] = {}
        results["pages"] = {}
        # --- N/10 --------------------------------------------------------------------------------------
        results["seed"]["small"] = seed(small_n, environment, in_process=args.quick)
        vacuum()
        if "pages" not in args.skip:
            measure_pages(results, server.base, "small", repeats=1 if args.quick else 10)
        # --- N -----------------------------------------------------------------------------------------
        results["seed"]["full"] = seed(args.n, environment, in_process=args.quick)
        vacuum()
        if "load" not in args.skip:
            results["http"] = roster_load(
                args, server.base, work, web_session=server.process.pid if server.process else None
            )
        if "pages" not in args.skip:
            measure_pages(results, server.base, "full", repeats=1 if args.quick else 10)
    finally:
        if server:
            server.stop()
    from bench import inprocess

    if "pdf" not in args.skip:
        log("invoice PDF vs Latin layout")
        results["pdf"] = inprocess.pdf(runs=1 if args.quick else 5)
    if "exports" not in args.skip:
        log("full roster exports (CSV, xlsx, PDF)")
        results["exports"] = inprocess.exports()
    if "renewal" not in args.skip:
        results["renewal"] = {}
        sizes = (max(10, args.n // 50), max(20, args.n // 10)) if args.quick else (small_n, args.n)
        for size, n in zip(("small", "full"), sizes, strict=True):
            log(f"renewal job for {n:,} memberships")
            results["renewal"][size] = inprocess.renewal(n)
    if args.carry_over:
        carry_over(results, args)
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["finished_at"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    results["checks"] = report.checks(results)
    report.write(results, args.out, notes_path=HERE / "NOTES.md" if args.out == HERE else None)
    if args.drop_after:
        from django.db import connections

        connections.close_all()
        benv.drop_database(url, name)
    benv.redis_flush(args.cache_url)
    return results


def carry_over(results: dict, args) -> None:
    """Sections skipped in this run, from an earlier run at the same N (code they measure unchanged since):
    recorded under results["carried_over"] with that run's date, and said in RESULTS.md."""
    earlier = json.loads(args.carry_over.read_text())
    if earlier.get("n") != args.n:
        raise BenchError(f"{args.carry_over} was run at N={earlier.get('n')}, not {args.n}")
    taken = [key for key in ("pdf", "exports", "renewal") if key in args.skip and key in earlier]
    for key in taken:
        results[key] = earlier[key]
    results["carried_over"] = {
        "sections": taken,
        "from": earlier.get("finished_at"),
        "file": args.carry_over.name,
    }
    log(f"carried over from {args.carry_over}: {', '.join(taken) or 'nothing'}")


def seed(n: int, environment: dict, *, in_process: bool = False) -> dict:
    """`manage.py seed_bench --n n` as a user runs it (quick mode: the same function in this process)."""
    from bench.env import manage

    log(f"seed_bench --n {n:,}")
    if in_process:
        from bench.seeding import seed as seed_data

        stats = seed_data(n, log=lambda _m: None)
    else:
        done = manage("seed_bench", "--n", str(n), "--json", env=environment, timeout=7200)
        stats = json.loads(done.stdout.strip().splitlines()[-1])
    log(f"seeded: {stats['seconds']}")
    return stats


def vacuum() -> None:
    """Steady state before measuring: what autovacuum would have done by then (visibility map, statistics)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def measure_pages(results: dict, base: str, size: str, *, repeats: int) -> None:
    from bench import pages

    log(f"pages at {size}")
    keys = pages.sessions()
    counted = pages.count_queries(keys)
    timed = pages.time_pages(base, keys, repeats=repeats, warmups=1 if repeats == 1 else 2)
    for key, page in counted.items():
        entry = results["pages"].setdefault(key, {"label": page["label"], "url": page["url"]})
        entry[size] = {**page, **timed[key]}
        entry[size].pop("label", None)
        entry[size].pop("url", None)


CACHED_QUERIES = 20
COLD = (
    "name",
    "corporate_number",
    "as_of",
    "filters",
)  # scenarios that must never ask a query twice in a run


def roster_load(args, base: str, work: Path, *, web_session: int | None = None) -> dict:
    from bench import cpu, load
    from bench import env as benv
    from bench.report import ROSTER_TARGETS

    # Enough distinct queries for 1,500 req/s without repeats (a cold 法人番号 lookup ran at 1,060 req/s on this
    # machine on 2026-12-04 and used up the 10,313 drawn for 400 req/s: a wrk thread that runs out stops, and its
    # open connections held gunicorn's sync workers, so the other thread's p99 read 0.4–1.6 s).
    expected = 1500 * args.duration * args.rounds
    variants = load.roster_variants(limit=int(max(2000, expected)))
    for key in COLD:
        if len(set(variants[key])) != len(variants[key]):
            raise BenchError(f"the {key} queries are not distinct: a repeat would be answered by the cache")
    labels = {key: label for key, label, _m in ROSTER_TARGETS}
    scenarios = [load.Scenario("trivial", "trivial view /livez", ["/livez"])]
    scenarios += [
        load.Scenario(key, labels[key], variants[key])
        for key in ("name", "corporate_number", "as_of", "filters")
    ]
    # For comparison only: a few popular names asked again and again, answered by the response cache.
    cached = load.Scenario("name_cached", labels["name_cached"], variants["name"][:CACHED_QUERIES])
    scenarios.append(cached)
    for s in scenarios:
        load.preflight(base, s.paths)
    # Warm every worker (imports, per-process caches) with paths the measured runs will not reach first.
    for s in scenarios if not args.quick else []:
        warm = load.Scenario(s.key, s.label, list(reversed(s.paths)))
        load.run_wrk(
            base, warm.slice_file(work), duration=2, threads=args.threads, connections=args.connections
        )
    meter = cpu.Meter(web_session, cpu.postgres_leader(), cpu.redis_pid(args.cache_url))
    for r in range(args.rounds):
        for s in scenarios:
            benv.redis_flush(args.cache_url)
            if s is cached:  # every query answered in every worker (each keeps its own): the run is all hits
                load.preflight(base, s.paths * 3 * args.workers, count=len(s.paths) * 3 * args.workers)
            cold = s.key in COLD
            meter.start()
            run = load.run_wrk(
                base,
                s.slice_file(work),
                duration=args.duration,
                threads=args.threads,
                connections=args.connections,
                once=cold,
            )
            run["cpu_ms"] = meter.per_request(run["requests"])
            run["round"] = r + 1
            run["load_average"] = round(os.getloadavg()[0], 2)
            # No path twice in one run (the cache is emptied before each run): structural for the cold runs.
            run["repeats_possible"] = max(0, run["issued"] - len(s.paths)) if cold else None
            s.runs.append(run)
            s.advance(run["issued"])
            log(f"round {r + 1} {s.key}: {run['rps']} req/s p50 {run['p50_ms']} ms p99 {run['p99_ms']} ms")
            if run["ran_out"]:
                log(f"round {r + 1} {s.key}: ran out of distinct queries ({len(s.paths):,}) after "
                    f"{run['seconds']} s of {args.duration} s; measured over that time")  # fmt: skip
    out = {}
    trivial_by_round = {run["round"]: run["rps"] for run in scenarios[0].runs}
    for s in scenarios:
        summary = load.summarise(s.runs)
        summary["label"] = s.label
        summary["variants"] = len(s.paths) if s.key != "trivial" else 1
        summary["runs"] = s.runs
        if s.key != "trivial":
            ratios = [
                run["rps"] / trivial_by_round[run["round"]]
                for run in s.runs
                if trivial_by_round.get(run["round"])
            ]
            import statistics

            summary["ratio"] = round(statistics.median(ratios), 4) if ratios else None
            if s.key in COLD:
                summary["repeats_possible"] = sum(run["repeats_possible"] for run in s.runs)
            else:  # repeats by design: the same few queries, answered from the cache
                summary["repeats_possible"] = summary["requests"]
        out[s.key] = summary
    return {
        "connections": args.connections,
        "threads": args.threads,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "scenarios": out,
    }


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
