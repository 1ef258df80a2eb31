"""mypy with django-stubs over the services, the selectors and jaim/ (the scope and the settings are in
pyproject.toml's [tool.mypy]): the suite, and so CI, fails on a type error there, as `make lint` does.

The incremental cache lives in the temporary directory, outside the tree: a warm run takes a few seconds, a cold one
about half a minute."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_services_selectors_and_jaim_type_check():
    cache = Path(tempfile.gettempdir()) / "jaim-mypy-cache" / ROOT.name
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(cache)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, f"mypy found type errors:\n{result.stdout}{result.stderr}"
