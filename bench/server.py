"""The production-like server the load runs against: gunicorn with several sync workers on 127.0.0.1."""

import os
import signal
import subprocess  # noqa: S404 - starts gunicorn from our own venv
import urllib.request
from pathlib import Path

from bench.env import ROOT, BenchError, wait_until


class Gunicorn:
    def __init__(self, *, port: int, workers: int, env: dict, log_path: Path):
        self.port, self.workers, self.env, self.log_path = port, workers, env, log_path
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def command(self) -> list[str]:
        gunicorn = str(Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "gunicorn")
        if not Path(gunicorn).exists():
            gunicorn = str(ROOT / ".venv" / "bin" / "gunicorn")
        return [
            gunicorn,
            "jaim.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--worker-class",
            "sync",
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ]

    def start(self) -> None:
        self.log = self.log_path.open("a")
        self.process = subprocess.Popen(  # noqa: S603 - gunicorn from our venv
            self.command,
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if not wait_until(self._healthy, timeout=60):
            self.stop()
            raise BenchError(f"gunicorn did not answer on {self.base}/healthz; see {self.log_path}")

    def _healthy(self) -> bool:
        if self.process and self.process.poll() is not None:
            raise BenchError(f"gunicorn exited ({self.process.returncode}); see {self.log_path}")
        try:
            with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as response:  # noqa: S310 - loopback
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # our own session: the master and its workers
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if getattr(self, "log", None):
            self.log.close()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
