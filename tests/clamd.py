"""A real ClamAV daemon for the tests: Debian's clamd started on a private Unix socket with a tiny signature database
built here (no signature download is possible in CI): the EICAR test file's MD5 made by `sigtool --md5` (.hdb) and
the EICAR string anywhere in any file (.ndb), so that EICAR inside a PDF is found as a real infection would be."""

import base64
import os
import shutil
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

CLAMD = shutil.which("clamd") or "/usr/sbin/clamd"
SIGTOOL = shutil.which("sigtool") or "/usr/bin/sigtool"
# The EICAR anti-virus test file (harmless by definition), kept encoded so that this source is not itself flagged.
EICAR = base64.b64decode(
    b"WDVPIVAlQEFQWzRcUFpYNTQoUF4pN0NDKTd9JEVJQ0FSLVNUQU5EQVJELUFOVElWSVJVUy1URVNULUZJTEUhJEgrSCo="
)
FILE_SIGNATURE = "eicar.com.UNOFFICIAL"  # sigtool names an .hdb entry after the file; clamd adds .UNOFFICIAL
STRING_SIGNATURE = "Jaim.Test.EICAR-String.UNOFFICIAL"


def available() -> bool:
    return os.path.exists(CLAMD) and os.path.exists(SIGTOOL)


def build_database(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    sample = directory.parent / "eicar.com"
    sample.write_bytes(EICAR)
    md5 = subprocess.run([SIGTOOL, "--md5", str(sample)], check=True, capture_output=True, text=True).stdout
    (directory / "jaim-test.hdb").write_text(md5)
    (directory / "jaim-test.ndb").write_text(f"Jaim.Test.EICAR-String:0:*:{EICAR.hex()}\n")


@contextmanager
def running_clamd(workdir: Path):
    """Start clamd in the foreground on `workdir/clamd.sock`; yields the socket path; stops it afterwards."""
    database = workdir / "db"
    build_database(database)
    sock = workdir / "clamd.sock"
    conf = workdir / "clamd.conf"
    conf.write_text(
        "\n".join(
            [
                "Foreground yes",
                f"LocalSocket {sock}",
                f"DatabaseDirectory {database}",
                f"LogFile {workdir / 'clamd.log'}",
                "StreamMaxLength 30M",
                "SelfCheck 0",
                "",
            ]
        )
    )
    proc = subprocess.Popen(
        [CLAMD, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while not sock.exists():
            if proc.poll() is not None:
                raise RuntimeError(f"clamd did not start: {proc.stderr.read().decode(errors='replace')}")
            if time.monotonic() > deadline:
                raise RuntimeError("clamd did not open its socket within 60 s")
            time.sleep(0.05)
        yield str(sock)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
