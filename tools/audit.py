"""`make audit`: bandit over the project's code and pip-audit over requirements.lock.

    python tools/audit.py bandit   # offline; also run by the test suite (tests/security/test_static_analysis.py)
    python tools/audit.py deps     # needs the PyPI / OSV advisory database over the network

A bandit finding is accepted only when justified on its line: `# nosec BNNN` or ruff's `# noqa: SNNN - reason`
(ruff's flake8-bandit codes are bandit's with S for B), so one comment serves both tools. A dependency advisory is
accepted only when listed in IGNORED_ADVISORIES below with the reason. When the advisory database cannot be reached,
`deps` says so and exits 2: "nothing found" is never reported for dependencies that were not checked.
"""

import json
import re
import subprocess  # noqa: S404 - runs bandit and pip-audit with fixed arguments
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["jaim", "members", "applications", "fees", "roster", "security", "demo", "tools"]

# bandit ids whose ruff (flake8-bandit) code is not simply S + the number
RUFF_ALIASES = {"B703": ("S308",)}

# advisory id -> why it does not apply (review each when requirements.lock changes)
IGNORED_ADVISORIES: dict[str, str] = {}


def _justified(path: Path, line_no: int, test_id: str) -> bool:
    try:
        line = path.read_text(encoding="utf-8").splitlines()[line_no - 1]
    except (OSError, IndexError):
        return False
    codes = ("S" + test_id[1:], *RUFF_ALIASES.get(test_id, ()))
    match = re.search(r"#\s*noqa:([^#]*)", line)
    if not match or not re.search(r"\s-\s*\S", match.group(1)):
        return False
    listed = set(re.findall(r"[A-Z]+\d+", match.group(1).split(" - ")[0]))
    return bool(listed & set(codes))


def run_bandit() -> int:
    targets = [p for p in PACKAGES if (ROOT / p).is_dir()]
    result = subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
        [
            sys.executable,
            "-m",
            "bandit",
            "-q",
            "-c",
            "pyproject.toml",
            "-r",
            *targets,
            "-x",
            "*/migrations/*",
            "-f",
            "json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(result.stdout, result.stderr, sep="\n")
        return 1
    unjustified = []
    for issue in report.get("results", []):
        path = ROOT / issue["filename"]
        if _justified(path, issue["line_number"], issue["test_id"]):
            continue
        unjustified.append(
            f"{issue['filename']}:{issue['line_number']}: {issue['test_id']} {issue['issue_text']} "
            f"(severity {issue['issue_severity']})"
        )
    scanned = report.get("metrics", {}).get("_totals", {}).get("loc", 0)
    if unjustified:
        print(
            "bandit: findings without a justification on their line (# nosec BNNN or # noqa: SNNN - reason):"
        )
        print("\n".join(f"  {u}" for u in unjustified))
        return 1
    print(f"bandit: clean ({scanned} lines of code in {', '.join(targets)}).")
    return 0


def run_pip_audit() -> int:
    cmd = [sys.executable, "-m", "pip_audit", "--disable-pip", "--no-deps", "-r", "requirements.lock"]
    cmd += ["--progress-spinner", "off", "-f", "json"]
    for advisory in IGNORED_ADVISORIES:
        cmd += ["--ignore-vuln", advisory]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603 - fixed
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print("pip-audit: NOT AUDITED - the advisory database could not be reached or pip-audit failed:")
        print((result.stderr or result.stdout).strip().splitlines()[-1:] or ["(no output)"])
        return 2
    deps = report.get("dependencies", [])
    skipped = [d for d in deps if d.get("skip_reason")]
    vulnerable = [d for d in deps if d.get("vulns")]
    if deps and len(skipped) == len(deps):
        print(
            f"pip-audit: NOT AUDITED - none of the {len(deps)} pinned packages could be looked up "
            f"({skipped[0]['skip_reason']}). The advisory database (PyPI JSON API / OSV) is not reachable from "
            "here; run `make audit` where it is (CI with network access)."
        )
        return 2
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            print(f"pip-audit: {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
    for dep in skipped:
        print(f"pip-audit: not checked: {dep['name']} {dep.get('version', '')}: {dep['skip_reason']}")
    if vulnerable:
        return 1
    print(f"pip-audit: no known vulnerabilities in {len(deps) - len(skipped)} packages of requirements.lock.")
    return 2 if skipped else 0


if __name__ == "__main__":
    which = sys.argv[1:] or ["bandit", "deps"]
    codes = [{"bandit": run_bandit, "deps": run_pip_audit}[w]() for w in which]
    sys.exit(max(codes))
