"""HTTP load with wrk (Debian package) on loopback: the trivial view and the roster searches.

Every roster scenario draws from thousands of distinct real queries (names, 法人番号, dates, filters taken
from the seeded roster), each run starting where the last one stopped, and the cache is emptied before each
run: the roster caches a page per query, so repeating queries would measure the cache instead of the search."""

import datetime as dt
import json
import random
import re
import shutil
import statistics
import subprocess  # noqa: S404 - runs wrk with fixed arguments
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench.env import BenchError

LUA = Path(__file__).with_name("wrk_paths.lua")
_LEGAL = re.compile(r"株式会社|有限会社|合同会社|合資会社|合名会社|一般社団法人|協同組合")
_GENERIC_SITES = re.compile(r"^(本社工場|第.(工場|製作所|事業所|プラント|加工センター))$")


@dataclass
class Scenario:
    key: str
    label: str
    paths: list[str]
    cursor: int = 0
    runs: list = field(default_factory=list)

    def slice_file(self, directory: Path) -> Path:
        """The paths from the cursor on (wrapping), written for wrk."""
        ordered = self.paths[self.cursor :] + self.paths[: self.cursor]
        path = directory / f"paths-{self.key}.txt"
        path.write_text("\n".join(ordered) + "\n")
        return path

    def advance(self, issued: int) -> None:
        """The next run starts after the paths this one handed out (the cache is emptied between runs)."""
        self.cursor = (self.cursor + issued) % max(1, len(self.paths))


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    base: str,
    paths_file: Path,
    *,
    duration: float,
    threads: int,
    connections: int,
    cookie: str = "",
    once: bool = False,
) -> dict:
    """One bounded wrk run; returns requests, rps, latency percentiles (ms), non-200 answers and errors.

    once: no path is asked twice in the run (the cold searches): each wrk thread takes its own share of the
    paths and stops when it has used it, whatever the machine's speed. Such a run says how many paths it
    handed out (`issued`, never more than the file holds) and whether it ran out before its duration
    (`ran_out`); its rate is then taken over the time it really ran, not over the duration asked for."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError("wrk is not installed (Debian package 'wrk')")
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        base,
        "--",
        str(paths_file),
        str(threads),
        cookie,
        "once" if once else "cycle",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=False)  # noqa: S603 - wrk, fixed arguments
    line = next((x for x in reversed(done.stdout.splitlines()) if x.startswith("{")), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stdout[-1500:]} {done.stderr[-1500:]}")
    raw = json.loads(line)
    ran_out = raw["threads_ran_out"] > 0
    seconds = (raw["active_us"] if ran_out else raw["duration_us"]) / 1e6
    latency = raw["latency_us"]
    errors = sum(raw["errors"].values())
    return {
        "requests": raw["requests"],
        "seconds": round(seconds, 2),
        "rps": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": round(latency["p50"] / 1000, 2),
        "p90_ms": round(latency["p90"] / 1000, 2),
        "p99_ms": round(latency["p99"] / 1000, 2),
        "max_ms": round(latency["max"] / 1000, 2),
        "non200": raw["non200"],
        "errors": errors,
        "issued": raw["issued"],
        "ran_out": ran_out,
        "threads_ran_out": raw["threads_ran_out"],
    }


def summarise(runs: list[dict]) -> dict:
    """Median over rounds (the machine is shared: one round can be unlucky); min and max kept."""
    if not runs:
        return {}
    return {
        "rps": round(statistics.median(r["rps"] for r in runs), 1),
        "p50_ms": round(statistics.median(r["p50_ms"] for r in runs), 2),
        "p99_ms": round(statistics.median(r["p99_ms"] for r in runs), 2),
        "rps_min": min(r["rps"] for r in runs),
        "rps_max": max(r["rps"] for r in runs),
        "p99_ms_max": max(r["p99_ms"] for r in runs),
        "requests": sum(r["requests"] for r in runs),
        "non200": sum(r["non200"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
        "runs_ran_out": sum(1 for r in runs if r.get("ran_out")),
        "cpu_ms": _median_cpu(runs),
    }


def _median_cpu(runs: list[dict]) -> dict[str, float | None]:
    """ms of CPU per request by process kind (bench.cpu), median over the rounds that could read it."""
    keys = sorted({k for r in runs for k in (r.get("cpu_ms") or {})})
    out: dict[str, float | None] = {}
    for key in keys:
        values = [r["cpu_ms"][key] for r in runs if (r.get("cpu_ms") or {}).get(key) is not None]
        out[key] = round(statistics.median(values), 3) if values else None
    return out


def preflight(base: str, paths: list[str], *, cookie: str = "", count: int = 3) -> None:
    """The first paths answer 200 (not a redirect, a 429 or an error page), so wrk measures the real page."""
    for path in paths[:count]:
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            base + path, headers={"Cookie": cookie} if cookie else {}
        )
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        if status != 200:
            raise BenchError(f"{path} answered {status}, not 200: the load would not measure the page")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


# --- query variants from the seeded roster ----------------------------------------------------------------


def roster_variants(*, limit: int, seed: int = 7) -> dict[str, list[str]]:
    """Paths for each roster scenario, distinct within a scenario, from the roster as it stands today."""
    from jaim.dates import today
    from roster.selectors import lines_on

    rng = random.Random(seed)  # noqa: S311 - picks benchmark queries, not secrets
    on = today()
    current = lines_on(on)
    rows = list(
        current.order_by("?").values_list(
            "organisation_name", "establishment_name", "corporate_number", "prefecture", "jsic_codes"
        )[: max(limit, 2000)]
    )
    if not rows:
        raise BenchError("the roster is empty: seed first (manage.py seed_bench)")
    names = _name_queries(rows, rng, limit)
    numbers = [r[2] for r in rows if r[2]]
    numbers += _absent_numbers(max(1, len(numbers) // 20))
    rng.shuffle(numbers)
    numbers = list(dict.fromkeys(numbers))[:limit]
    first = dt.date(2025, 9, 1)
    span = (on - first).days
    as_of = list(
        dict.fromkeys(
            (n, (first + dt.timedelta(days=rng.randint(0, max(0, span - 1)))).isoformat()) for n in numbers
        )
    )
    filters = _filter_queries(rows, names, rng, limit)
    return {
        "name": [f"/roster/?{urlencode({'q': q})}" for q in names],
        "corporate_number": [f"/roster/?{urlencode({'q': n})}" for n in numbers],
        "as_of": [f"/roster/?{urlencode({'q': n, 'as_of': d})}" for n, d in as_of],
        "filters": [f"/roster/?{urlencode(params)}" for params in filters],
    }


def _name_queries(rows, rng: random.Random, limit: int) -> list[str]:
    """What officers type: a company's name without its legal form, a part of it (3+ characters), a site's
    name, in other spellings (hiragana for katakana names, half-width katakana, (株) for 株式会社)."""
    import jaconv

    out: list[str] = []
    for org, est, *_rest in rows:
        core = _LEGAL.sub("", org).strip()
        if len(core) >= 3:
            out.append(core)
            if len(core) > 4:
                start = rng.randint(0, len(core) - 3)
                out.append(core[start : start + rng.randint(3, min(5, len(core) - start))])
            if "株式会社" in org and rng.random() < 0.3:
                out.append("(株)" + core)
            if re.fullmatch(r"[ァ-ヶー]+.*", core) and rng.random() < 0.5:
                out.append(jaconv.kata2hira(core) if rng.random() < 0.5 else jaconv.z2h(core, kana=True))
        if est and not _GENERIC_SITES.match(est) and len(est) >= 3:
            out.append(est)
    out = [q for q in dict.fromkeys(out) if len(q) >= 3]
    rng.shuffle(out)
    return out[:limit]


def _absent_numbers(count: int) -> list[str]:
    """Valid 法人番号 that belong to no member (an officer checking a company that is not on the roster)."""
    from bench.names import corporate_number

    return [corporate_number(90_000_000 + i) for i in range(count)]


def _filter_queries(rows, names: list[str], rng: random.Random, limit: int) -> list[dict]:
    prefectures = sorted({r[3] for r in rows})
    codes = sorted({c for r in rows for c in (r[4] or "").strip("|").split("|") if c})
    jsic = sorted({c[:2] for c in codes} | {c[:3] for c in codes})
    combos: list[dict] = []
    for pref in prefectures:
        for code in jsic:
            combos.append({"prefecture": pref, "jsic": code})
    combos += [{"prefecture": p} for p in prefectures] + [{"jsic": c} for c in jsic]
    rng.shuffle(combos)
    out = []
    for params in combos:
        out.append(params)
        out.append({**params, "page": rng.choice([2, 3])})
        if names and rng.random() < 0.3:
            out.append({"q": rng.choice(names), **params})
    return out[:limit]
