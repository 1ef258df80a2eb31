"""Targets from the issues that own each figure, the PASS/FAIL verdicts, and bench/RESULTS.md."""

from pathlib import Path

PASS, FAIL, INFO = "PASS", "FAIL", "—"

# (scenario key, label, minimum ratio of the trivial view's requests per second or None) — roster speed
ROSTER_TARGETS = [
    ("name", "roster name search", 0.35),
    ("corporate_number", "法人番号 lookup", 0.50),
    ("as_of", "as-of-date lookup (法人番号 + date)", None),
    ("filters", "roster page with filters (prefecture, JSIC, pages)", 0.20),  # issue 20: ≥ 20 % of trivial
    ("name_cached", "roster name search, 20 repeated queries (response cache hits; for comparison)", None),
]
P99_LIMIT_MS = 100.0  # roster speed: p99 under 100 ms
PDF_RATIO_LIMIT = 1.5  # invoice PDF speed: one invoice PDF at most 1.5× the same layout in Latin script
SEED_LIMIT_S = 120.0  # scale: seed N establishments in under two minutes
# renewal speed: the renewal job at 100,000 in under a minute
RENEWAL_TARGET_N, RENEWAL_LIMIT_S = 100_000, 60.0
RENEWAL_QUERIES_PER_1000 = 50  # renewal speed: and at most 50 queries per 1,000 memberships
# issue 20: the full roster PDF export at ≥ 1,000 rows/s at 100,000 establishments (≈ 82,000 roster lines)
PDF_EXPORT_TARGET_N, PDF_EXPORT_MIN_ROWS_PER_S = 100_000, 1000.0
XLSX_EXPORT_MIN_ROWS_PER_S = 20_000.0  # issue 20: the full roster xlsx at ≥ 20,000 rows/s (same N)


def checks(results: dict) -> list[dict]:
    """Every figure with its target and verdict (INFO where the owning issue sets no target)."""
    rows: list[dict] = []

    def add(figure, value, target, verdict, source):
        rows.append(
            {"figure": figure, "value": value, "target": target, "verdict": verdict, "source": source}
        )

    http = results.get("http", {}).get("scenarios", {})
    trivial = http.get("trivial", {})
    if trivial:
        add("trivial view /livez (baseline)", f"{trivial['rps']:.0f} req/s, p99 {trivial['p99_ms']} ms",
            "baseline", INFO, "scale")  # fmt: skip
    for key, label, minimum in ROSTER_TARGETS:
        s = http.get(key)
        if not s:
            continue
        ratio = s.get("ratio")
        if minimum is not None:
            add(f"{label}: req/s ÷ trivial", f"{ratio:.1%} ({s['rps']:.0f} req/s)", f"≥ {minimum:.0%}",
                PASS if ratio is not None and ratio >= minimum else FAIL, "roster speed")  # fmt: skip
        else:
            add(
                f"{label}: req/s ÷ trivial",
                f"{ratio:.1%} ({s['rps']:.0f} req/s)",
                "no target",
                INFO,
                "roster speed",
            )
        if key == "name_cached":  # a comparison, not one of the searches
            add(
                f"{label}: p99", f"{s['p99_ms']} ms (p50 {s['p50_ms']} ms)", "no target", INFO, "roster speed"
            )
        else:
            add(f"{label}: p99", f"{s['p99_ms']} ms (p50 {s['p50_ms']} ms)", f"< {P99_LIMIT_MS:.0f} ms",
                PASS if s["p99_ms"] < P99_LIMIT_MS else FAIL, "roster speed")  # fmt: skip
        if s.get("non200") or s.get("errors"):
            add(
                f"{label}: answers other than 200",
                f"{s['non200']} (+{s['errors']} errors)",
                "0",
                FAIL,
                "harness",
            )
    renewal = results.get("renewal", {})
    if renewal.get("full") and renewal.get("small"):
        full, small = renewal["full"], renewal["small"]
        at_target = full["memberships"] >= RENEWAL_TARGET_N
        projected = full["seconds"] * RENEWAL_TARGET_N / max(1, full["memberships"])
        value = f"{full['seconds']} s ({full['ms_per_membership']} ms each)"
        if not at_target:
            value += f"; × {RENEWAL_TARGET_N:,} / {full['memberships']:,} ≈ {projected:.0f} s"
        add(f"renewal job: wall time for {full['memberships']:,} memberships", value,
            f"< {RENEWAL_LIMIT_S:.0f} s at {RENEWAL_TARGET_N:,}",
            (PASS if full["seconds"] < RENEWAL_LIMIT_S else FAIL) if at_target else INFO, "renewal speed")  # fmt: skip
        per_1000 = [round(r["queries_per_membership"] * 1000, 1) for r in (full, small)]
        ok = full["queries_per_membership"] <= small["queries_per_membership"] * 1.05 + 1e-9
        add("renewal job: queries per 1,000 memberships (N vs N/10)", f"{per_1000[0]} vs {per_1000[1]}",
            f"not growing with N, ≤ {RENEWAL_QUERIES_PER_1000}",
            PASS if ok and per_1000[0] <= RENEWAL_QUERIES_PER_1000 else FAIL, "issues 6, 20")  # fmt: skip
    pdf = results.get("pdf")
    if pdf:
        add("invoice PDF: ms, ratio to the Latin layout",
            f"{pdf['ja_ms']} ms vs {pdf['latin_ms']} ms = {pdf['ratio']}×", f"≤ {PDF_RATIO_LIMIT}×",
            PASS if pdf["ratio"] <= PDF_RATIO_LIMIT else FAIL, "invoice PDF speed")  # fmt: skip
    for fmt, e in results.get("exports", {}).items():
        value = f"{e['rows_per_second']:,.0f} rows/s ({e['rows']:,} rows in {e['seconds']} s)"
        minimum = {"pdf": PDF_EXPORT_MIN_ROWS_PER_S, "xlsx": XLSX_EXPORT_MIN_ROWS_PER_S}.get(fmt)
        if minimum is not None:
            at_target = results.get("n", 0) >= PDF_EXPORT_TARGET_N
            if not at_target:
                value += f"; at N = {results.get('n', 0):,}"
            add(f"full roster export {fmt.upper()}: rows/s", value,
                f"≥ {minimum:,.0f} rows/s at {PDF_EXPORT_TARGET_N:,}",
                (PASS if e["rows_per_second"] >= minimum else FAIL) if at_target else INFO,
                "issue 20")  # fmt: skip
        else:
            add(
                f"full roster export {fmt.upper()}: rows/s", value, "report (no target)", INFO, "roster speed"
            )
    for page in results.get("pages", {}).values():
        small, full = page.get("small"), page.get("full")
        if not (small and full):
            continue
        add(f"{page['label']}: queries per page (N vs N/10)", f"{full['queries']} vs {small['queries']}",
            "not growing", PASS if full["queries"] <= small["queries"] else FAIL, "scale")  # fmt: skip
        add(f"{page['label']}: ms (N vs N/10)", f"{full['ms_median']} ms vs {small['ms_median']} ms", "report",
            INFO, "scale")  # fmt: skip
    seed = results.get("seed", {})
    if seed.get("full"):
        total = sum(s["seconds"]["total"] for s in (seed.get("small"), seed["full"]) if s)
        without = sum(
            s["seconds"]["total"] - s["seconds"].get("roster_rebuild", 0)
            for s in (seed.get("small"), seed["full"])
            if s
        )
        add(f"seed_bench {results['n']:,} establishments (N/10, then topped up to N)",
            f"{total:.0f} s wall incl. roster rebuild; {without:.0f} s without", f"< {SEED_LIMIT_S:.0f} s",
            PASS if total < SEED_LIMIT_S else FAIL, "scale")  # fmt: skip
    return rows


def _table(headers: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def markdown(results: dict, notes: str = "", before: dict | None = None) -> str:
    m = results["machine"]
    settings = results["settings"]
    lines = [
        "# `make bench` — results",
        "",
        f"Generated by `python -m bench.run` on {results['finished_at']} ({results['mode']} run), "
        f"N = {results['n']:,} establishments (N/10 = {results['small_n']:,}). Numbers in `results.json`.",
        "",
        "## Machine",
        "",
        _table(
            [
                "nproc",
                "memory",
                "CPU",
                "PostgreSQL",
                "Python / Django / gunicorn",
                "wrk",
                "load average start → end",
            ],
            [
                [
                    m["nproc"],
                    f"{m['memory_gib']} GiB",
                    m["cpu_model"],
                    m["postgresql"],
                    f"{m['python']} / {m['django']} / {m['gunicorn']}",
                    m["wrk"],
                    f"{m['load_average_at_start']} → {m.get('load_average_at_end', '')}",
                ]
            ],
        ),  # fmt: skip
        "",
        "**Two cores, shared.** wrk, gunicorn, PostgreSQL and Redis share the machine's 2 cores, and other work "
        "on the machine may run beside the benchmark (load averages are recorded at the start, the end and for "
        "every load run: above 2, processes were waiting for a CPU). Wall times and requests per second are "
        "noisy; ratios measured in the same round (roster vs trivial view) and query counts are the robust "
        "figures.",
        "",
        "## Conditions",
        "",
        *(
            [
                f"- **Carried over** from the run of {results['carried_over']['from']} "
                f"(`{results['carried_over']['file']}`, same machine and N; the code they measure did not change "
                f"in between): {', '.join(results['carried_over']['sections'])}.",
            ]
            if results.get("carried_over", {}).get("sections")
            else []
        ),
        f"- Server: gunicorn {settings['gunicorn_workers']} sync workers on 127.0.0.1, `DJANGO_ENV=production` "
        "(DEBUG off), `DJANGO_SECURE_SSL_REDIRECT=false` (plain HTTP on loopback), `DB_CONN_MAX_AGE=60` "
        "(as in .env.example), cache and broker on Redis "
        f"(`{settings['cache_url']}`).",
        "- **Roster rate limits switched off for the benchmark** (`JAIM_ROSTER_RATE_LIMIT=0/60`, "
        "`JAIM_ROSTER_API_RATE_LIMIT=0/60`): every wrk connection comes from 127.0.0.1, which the per-client "
        "limiter (60 requests/60 s) would count as one client. Production keeps them on.",
        f"- Load: wrk, {settings['connections']} concurrent connections, {settings['threads']} threads, "
        f"{settings['duration_s']} s per run, {settings['rounds']} rounds (scenarios interleaved with the trivial "
        "view; medians reported). The cache is emptied before every run and no run asks a query twice "
        "(thousands of distinct names, 法人番号, dates and filters taken from the seeded roster; each wrk thread "
        "takes its own share and stops when it has used it, however fast the machine), so the roster's "
        "per-query response cache never answers: these are cold searches. A run that ran out of queries before "
        'its time is measured over the time it ran and counted under "ran out".',
        "- Queries per page are counted in process (Django test client, same settings and database); "
        "milliseconds per page are measured over HTTP on the gunicorn server, one request at a time.",
        "",
        "## Summary",
        "",
        _table(
            ["figure", "value", "target", "result", "target from"],
            [
                [
                    c["figure"],
                    c["value"],
                    c["target"],
                    f"**{c['verdict']}**" if c["verdict"] != INFO else INFO,
                    c["source"],
                ]
                for c in results["checks"]
            ],
        ),  # fmt: skip
        "",
    ]
    http = results.get("http", {}).get("scenarios", {})
    if http:
        rows = []
        for s in http.values():
            rows.append([s["label"], f"{s['rps']:.0f}", f"{s['ratio']:.1%}" if s.get("ratio") is not None else "—",
                         s["p50_ms"], s["p99_ms"], f"{s['rps_min']:.0f}–{s['rps_max']:.0f}", s["requests"],
                         s.get("variants", "—"), s.get("runs_ran_out", 0), s["non200"] + s["errors"]])  # fmt: skip
        lines += [
            "## Roster under load",
            "",
            _table(
                [
                    "scenario",
                    "req/s (median)",
                    "÷ trivial",
                    "p50 ms",
                    "p99 ms",
                    "req/s range",
                    "requests",
                    "distinct queries",
                    "runs that ran out",
                    "non-200/errors",
                ],
                rows,
            ),  # fmt: skip
            "",
        ]
        lines += _cpu_table(http)
    pages = results.get("pages", {})
    if pages:
        rows = [[p["label"], p["url"], p.get("small", {}).get("queries", "—"), p.get("full", {}).get("queries", "—"),
                 p.get("small", {}).get("ms_median", "—"), p.get("full", {}).get("ms_median", "—")]
                for p in pages.values()]  # fmt: skip
        lines += [
            "## Staff and member pages",
            "",
            _table(
                [
                    "page",
                    "URL",
                    f"queries at {results['small_n']:,}",
                    f"queries at {results['n']:,}",
                    f"ms at {results['small_n']:,}",
                    f"ms at {results['n']:,}",
                ],
                rows,
            ),  # fmt: skip
            "",
        ]
    renewal = results.get("renewal", {})
    if renewal:
        rows = [[size, r["source"], f"{r['memberships']:,}", r["seconds"], r["ms_per_membership"], r["queries"],
                 r["queries_per_membership"]] for size, r in renewal.items() if isinstance(r, dict)]  # fmt: skip
        lines += [
            "## Renewal job",
            "",
            _table(
                [
                    "size",
                    "function",
                    "memberships",
                    "seconds",
                    "ms per membership",
                    "queries",
                    "queries per membership",
                ],
                rows,
            ),  # fmt: skip
            "",
        ]
    seed = results.get("seed", {})
    if seed:
        rows = []
        for phase, s in seed.items():
            sec = s["seconds"]
            rows.append([phase, f"{s['n']:,}", f"{s['added']:,}", f"{sum(s.get('rows', {}).values()):,}",
                         sec.get("plan", ""), sec.get("write", ""), sec.get("roster_rebuild", ""),
                         s.get("roster", {}).get("workers", ""), sec.get("analyze", ""), sec["total"],
                         s.get("python_cpu_seconds", ""), s.get("postgres_cpu_seconds", ""),
                         s.get("load_average", "")])  # fmt: skip
        lines += [
            "## Seeding (`manage.py seed_bench`)",
            "",
            _table(
                [
                    "phase",
                    "establishments",
                    "added",
                    "rows written",
                    "plan s",
                    "COPY s",
                    "roster rebuild s",
                    "rebuild processes",
                    "ANALYZE s",
                    "total s",
                    "Python CPU s",
                    "PostgreSQL CPU s",
                    "load average",
                ],
                rows,
            ),  # fmt: skip
            "",
        ]
    if before:
        lines += before_after(results, before)
    if notes.strip():
        lines += [notes.strip(), ""]
    return "\n".join(lines)


def _same_machine(results: dict, before: dict) -> str:
    """「same machine」 only when the CPU model and core count agree; else what each run ran on (req/s then
    compare machines as much as code: the ratios to the trivial view are the figures to read)."""
    now, then = results.get("machine", {}), before.get("machine", {})
    key = ("cpu_model", "nproc")
    if all(now.get(k) == then.get(k) for k in key):
        return "same machine"
    return (
        f"another machine: {then.get('nproc', '?')} × {then.get('cpu_model', '?')} then, "
        f"{now.get('nproc', '?')} × {now.get('cpu_model', '?')} now — compare the ratios, not req/s"
    )


def before_after(results: dict, before: dict) -> list[str]:
    """The same figures from an earlier run (bench/results-before.json: the run before a fix) beside these."""
    rows = []
    old_http = before.get("http", {}).get("scenarios", {})
    for key, s in results.get("http", {}).get("scenarios", {}).items():
        o = old_http.get(key)
        if not o:
            continue
        ratio = (
            f"{o['ratio']:.1%} → {s['ratio']:.1%}"
            if o.get("ratio") is not None and s.get("ratio") is not None
            else "—"
        )
        rows.append([s["label"], f"{o['rps']:.0f} → {s['rps']:.0f}", ratio, f"{o['p50_ms']} → {s['p50_ms']}",
                     f"{o['p99_ms']} → {s['p99_ms']}"])  # fmt: skip
    old_pages = before.get("pages", {})
    for key, page in results.get("pages", {}).items():
        o, s = old_pages.get(key, {}).get("full"), page.get("full")
        if o and s:
            rows.append([f"{page['label']} at {results['n']:,}", "—", "—", f"{o['ms_median']} → {s['ms_median']} ms",
                         f"{o['queries']} → {s['queries']} queries"])  # fmt: skip
    if not rows:
        return []
    return [
        "## Before → after",
        "",
        f"The run before the fixes described below ({before.get('finished_at', '?')}, {_same_machine(results, before)}, "
        "same N; `results-before.json`) against this one.",
        "",
        _table(["figure", "req/s", "÷ trivial", "p50 ms", "p99 ms / queries"], rows),
        "",
    ]


_CPU_KINDS = (("web", "web workers"), ("postgres", "PostgreSQL"), ("redis", "Redis"), ("wrk", "wrk"))


def _cpu_table(http: dict) -> list[str]:
    """CPU per request by process kind (bench.cpu; medians of the rounds): steadier than req/s on a shared
    machine. Empty when no run could read it (results of an older harness)."""
    if not any((s.get("cpu_ms") or {}).get("web") is not None for s in http.values()):
        return []
    trivial = http.get("trivial", {}).get("cpu_ms") or {}
    trivial_total = sum(v for v in trivial.values() if v is not None)
    rows = []
    for s in http.values():
        cpu = s.get("cpu_ms") or {}
        total = sum(v for v in cpu.values() if v is not None)
        ratio = (
            f"{trivial_total / total:.1%}"
            if total and trivial_total and s is not http.get("trivial")
            else "—"
        )
        rows.append([s["label"], *(_ms(cpu.get(k)) for k, _l in _CPU_KINDS), _ms(total), ratio])
    return [
        "### CPU per request",
        "",
        "ms of CPU per answered request, read from /proc around each run (`bench/cpu.py`; medians of the rounds): "
        "the gunicorn workers, the PostgreSQL server (postmaster and backends), the Redis server and wrk itself. "
        'On two shared cores the rate follows the total; "trivial ÷ this" is what the req/s ratio would be if '
        "nothing but this CPU counted.",
        "",
        _table(["scenario", *(label for _k, label in _CPU_KINDS), "total", "trivial ÷ this"], rows),
        "",
    ]


def _ms(value) -> str:
    return f"{value:.3f}" if isinstance(value, int | float) else "—"


def write(results: dict, out_dir: Path, notes_path: Path | None = None) -> None:
    import json

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=2, default=str) + "\n"
    )
    notes = notes_path.read_text() if notes_path and notes_path.exists() else ""
    before_path = out_dir / "results-before.json"
    before = json.loads(before_path.read_text()) if before_path.exists() else None
    (out_dir / "RESULTS.md").write_text(markdown(results, notes, before))


def rerender(results_path: Path, notes_path: Path | None = None) -> None:
    """Write RESULTS.md again from results.json (e.g. after editing the notes), verdicts recomputed."""
    import json

    results = json.loads(results_path.read_text())
    results["checks"] = checks(results)
    write(results, results_path.parent, notes_path)


if __name__ == "__main__":  # python -m bench.report [bench/results.json]
    import sys

    here = Path(__file__).resolve().parent
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else here / "results.json"
    rerender(target, here / "NOTES.md")
