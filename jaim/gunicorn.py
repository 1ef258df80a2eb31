"""gunicorn's configuration (`gunicorn -c python:jaim.gunicorn jaim.wsgi`). Every value from the environment.

The access log (GUNICORN_ACCESS_LOG, "-" for stdout; off when unset) never records a secret link: sign-up
verification, password-reset, subscription and invoice-PDF link tokens in the path are replaced, query strings and the referrer's are
dropped. No Server version banner."""

import os
import re

import gunicorn.http.wsgi
from gunicorn.glogging import Logger

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))  # a PDF is rendered by the worker, never in a request
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms'
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
logger_class = "jaim.gunicorn.TokenFreeLogger"

gunicorn.http.wsgi.SERVER = "jaim"  # the Server header: no product version

# Paths that carry a secret token; each secret segment becomes "…" (the language prefix /en/ included).
_SECRET_PATHS = [
    (re.compile(r"^((?:/en)?/accounts/verify/)[^/]+"), r"\1…"),
    (re.compile(r"^((?:/en)?/accounts/reset/)[^/]+/[^/]+"), r"\1…/…"),
    (re.compile(r"^((?:/en)?/info/(?:subscribe/confirm|unsubscribe)/)[^/]+"), r"\1…"),
    (re.compile(r"^((?:/en)?/roster/e/)[^/]+"), r"\1…"),
    (re.compile(r"^((?:/en)?/mypage/fees/[ls]/)[^/]+"), r"\1…"),  # invoice and statement PDF links
]


def redact_path(path: str) -> str:
    """The path without its query string and with every secret segment replaced (for the access log)."""
    path = path.split("?", 1)[0]
    for pattern, replacement in _SECRET_PATHS:
        path = pattern.sub(replacement, path)
    return path


class TokenFreeLogger(Logger):
    """gunicorn's logger, with the request line, path, query and referrer of the access log redacted."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = redact_path(environ.get("RAW_URI") or environ.get("PATH_INFO", ""))
        atoms["r"] = f"{environ.get('REQUEST_METHOD', '-')} {path} {environ.get('SERVER_PROTOCOL', '-')}"
        atoms["U"] = path
        atoms["q"] = ""
        atoms["f"] = "-"
        for key in [k for k in atoms if k.startswith("{")]:
            del atoms[key]  # request/response headers and environ: cookies, referrers
        return atoms
