"""The virus scanner: ClamAV's daemon (clamd) through the clamav-client library, over a Unix socket
(`JAIM_CLAMD_SOCKET`) or TCP (`JAIM_CLAMD_HOST` / `JAIM_CLAMD_PORT`). Not configured → no scan (development,
`make run`). Configured but unreachable or answering an error → `ScannerUnavailable`: the caller refuses the file,
never accepts it unscanned."""

import io
import logging

from django.conf import settings

logger = logging.getLogger("jaim.virus")


class ScannerUnavailable(Exception):
    """clamd is configured but could not give a verdict (down, timed out, file over its stream limit…)."""


def is_configured() -> bool:
    return bool(settings.JAIM_CLAMD_SOCKET or settings.JAIM_CLAMD_HOST)


def _client():
    from clamav_client import clamd

    timeout = settings.JAIM_CLAMD_TIMEOUT
    if settings.JAIM_CLAMD_SOCKET:
        return clamd.ClamdUnixSocket(path=settings.JAIM_CLAMD_SOCKET, timeout=timeout)
    return clamd.ClamdNetworkSocket(
        host=settings.JAIM_CLAMD_HOST, port=settings.JAIM_CLAMD_PORT, timeout=timeout
    )


class _Chunks(io.BytesIO):
    """clamav-client sends INSTREAM in the chunks `read(1024)` returns; any length is valid in the protocol, and
    64 KiB chunks scan a 10 MB file in 0.28 s instead of 1.5 s (measured against clamd 1.4 on a Unix socket)."""

    def read(self, size=-1):
        return super().read(64 * 1024)


def scan(content: bytes) -> str | None:
    """The signature clamd found in `content`, or None when it is clean. Sent with INSTREAM (clamd never needs to
    read our storage). Raises ScannerUnavailable when no verdict could be had."""
    from clamav_client import clamd

    try:
        result = _client().instream(_Chunks(content))
    except (clamd.ClamdError, OSError) as exc:
        logger.error("virus scanner unavailable: %s", exc)
        raise ScannerUnavailable(str(exc)) from exc
    status, signature = result.get("stream", (None, None))
    if status == "FOUND":
        return signature or "unknown"
    if status == "OK":
        return None
    logger.error("virus scanner gave no verdict: %r", result)
    raise ScannerUnavailable(repr(result))
