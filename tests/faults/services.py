"""Private services for fault tests: a redis-server and a PostgreSQL cluster started here on free loopback ports
(temp directories, no persistence), stopped and started again at will. The machine's shared PostgreSQL (5432) and
Redis (6379) are never touched."""

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _missing(reason: str):
    if REQUIRE_SERVICES:
        pytest.fail(reason)
    pytest.skip(reason)


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class PrivateRedis:
    """`redis-server` on its own port: `stop()` kills it (a broker that is gone), `start()` brings it back on the
    same port, empty (nothing persisted: what it held while down is lost, as with a crashed broker)."""

    def __init__(self, root: Path):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            _missing("needs redis-server (Debian: redis-server) to run a private Redis")
        self.root = root
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self):
        self.proc = subprocess.Popen(  # noqa: S603 - Debian's redis-server, our arguments
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.root), "--logfile", str(self.root / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while not _listening(self.port):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                pytest.fail(f"private redis-server did not start on port {self.port}")
            time.sleep(0.05)
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_postgres(*cmd):
    """initdb and pg_ctl refuse to run as root: run them as the postgres system user when we are root."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*prefix, *map(str, cmd)], check=True, capture_output=True, text=True)


class PrivatePostgres:
    """A throwaway PostgreSQL cluster (Debian's binaries, initdb into a temp dir, fsync off) with one database."""

    def __init__(self, dbname: str = "jaim_fault"):
        self.bin = _pg_bin()
        if self.bin is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
            _missing("needs PostgreSQL server binaries (initdb, pg_ctl) to run a private cluster")
        self.dbname = dbname
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="jaim-pg-fault-"))
        self.data, self.sockets = self.root / "data", self.root / "sock"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.dbname}"

    def _ctl(self, *args):
        options = f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        return _as_postgres(
            self.bin / "pg_ctl", "-D", self.data, "-o", options, "-l", self.root / "server.log", "-w", *args
        )

    def start(self):
        for d in (self.data, self.sockets):
            d.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            for d in (self.root, self.data, self.sockets):
                shutil.chown(d, "postgres")
        _as_postgres(self.bin / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                     "--no-sync")  # fmt: skip
        self._ctl("start")
        subprocess.run(
            [self.bin / "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", self.dbname],
            check=True, capture_output=True,
        )  # fmt: skip
        return self

    def restart(self):
        self._ctl("-m", "fast", "restart")

    def stop(self):
        try:
            self._ctl("-m", "immediate", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
