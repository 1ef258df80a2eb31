"""Security: bandit is clean over the project's code (offline, so it runs with the suite); every accepted finding
is justified on its own line. pip-audit needs the advisory database over the network: `make audit` only."""

import importlib.util
import subprocess
import sys

from django.conf import settings

_spec = importlib.util.spec_from_file_location("jaim_audit_tool", settings.BASE_DIR / "tools" / "audit.py")
audit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(audit)


def test_bandit_finds_nothing_unjustified_in_the_project():
    result = subprocess.run(
        [sys.executable, "tools/audit.py", "bandit"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "bandit: clean" in result.stdout


def test_a_finding_counts_as_justified_only_with_the_matching_code_and_a_reason(tmp_path):
    source = tmp_path / "x.py"
    source.write_text(
        "a = 1  # noqa: S105 - printed demo login\n"
        "b = 1  # noqa: S105\n"
        "c = 1  # noqa: S110 - another rule\n"
        "d = 1\n"
        "e = mark_safe(x)  # noqa: S308 - escaped above\n",
        encoding="utf-8",
    )
    assert audit._justified(source, 1, "B105")
    assert not audit._justified(source, 2, "B105")  # no reason given
    assert not audit._justified(source, 3, "B105")  # another rule's justification
    assert not audit._justified(source, 4, "B105")
    assert audit._justified(source, 5, "B703")  # bandit's Django mark_safe check is ruff's S308
