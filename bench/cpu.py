"""CPU time of the processes a load run keeps busy, read from /proc (Linux, local servers only).

Requests per second on a shared 2-core machine swing by a quarter from round to round; the CPU each request
cost the web workers, PostgreSQL and Redis is steadier, and says where the time goes. Every figure is the
difference of two readings around one wrk run, divided by the requests it answered."""

import os
import resource
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def process_seconds(pid: int) -> float | None:
    """utime + stime of one live process, or None when it is gone or not on this machine."""
    fields = _stat(pid)
    return None if fields is None else (int(fields[11]) + int(fields[12])) / _TICK


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def session_seconds(session: int) -> float:
    """utime + stime of every live process in a session (gunicorn started with start_new_session: its master
    and workers), plus what the session's leader reaped of exited workers."""
    total = 0.0
    for pid in _pids():
        fields = _stat(pid)
        if fields is None or int(fields[3]) != session:
            continue
        total += int(fields[11]) + int(fields[12])
        if pid == session:
            total += int(fields[13]) + int(fields[14])
    return total / _TICK


def server_seconds(leader: int | None) -> float | None:
    """utime + stime of a server and its children (PostgreSQL: the postmaster and its backends, with what it
    reaped of backends that exited); None when the server is not on this machine."""
    if leader is None:
        return None
    own = _stat(leader)
    if own is None:
        return None
    total = int(own[11]) + int(own[12]) + int(own[13]) + int(own[14])
    for pid in _pids():
        fields = _stat(pid)
        if fields is not None and int(fields[1]) == leader:
            total += int(fields[11]) + int(fields[12])
    return total / _TICK


def children_seconds() -> float:
    """CPU of this process's finished children (wrk)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def postgres_leader() -> int | None:
    """The local postmaster's pid (its data directory's postmaster.pid), or None."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW data_directory")
            directory = cursor.fetchone()[0]
        return int((Path(directory) / "postmaster.pid").read_text().split()[0])
    except Exception:  # noqa: BLE001 - not a superuser, or another machine: no PostgreSQL figure
        return None


def redis_pid(url: str) -> int | None:
    try:
        import redis

        return int(redis.Redis.from_url(url).info("server")["process_id"])
    except Exception:  # noqa: BLE001 - unreachable: no Redis figure
        return None


@dataclass
class Meter:
    """Readings around one run: `start()`, then `per_request(requests)` after it."""

    web_session: int | None
    postgres: int | None
    redis: int | None

    def _read(self) -> dict[str, float | None]:
        return {
            "web": session_seconds(self.web_session) if self.web_session else None,
            "postgres": server_seconds(self.postgres),
            "redis": server_seconds(self.redis),
            "wrk": children_seconds(),
        }

    def start(self) -> None:
        self._before = self._read()

    def per_request(self, requests: int) -> dict[str, float | None]:
        """ms of CPU per answered request, by process kind (None where it could not be read)."""
        after = self._read()
        out: dict[str, float | None] = {}
        for key, value in after.items():
            before = self._before.get(key)
            out[key] = (
                round((value - before) * 1000 / requests, 3)
                if value is not None and before is not None and requests
                else None
            )
        return out
