"""Security helpers shared by the project: the client address, the login name, and redaction of personal data,
passwords and tokens from logs and error reports. `jaim` imports no app; settings name these by dotted path."""

import logging
import re
from collections.abc import Callable

from django.conf import settings
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

log = logging.getLogger(__name__)

# Session flag: this signed-in user has a confirmed second factor and must pass it before anything else.
SECOND_FACTOR_SESSION_KEY = "jaim_2fa_required"


def staff_verified(user) -> bool:
    """The user passed a second factor in this session (django-otp's OTPMiddleware sets is_verified)."""
    verified = getattr(user, "is_verified", None)
    return bool(verified and verified())


# --- who is asking ----------------------------------------------------------------------------------------


def client_ip(request) -> str:
    """The client's address. REMOTE_ADDR, unless JAIM_TRUSTED_PROXY_COUNT proxies of ours sit in front: then the
    address our outermost proxy appended to X-Forwarded-For. Whatever the client itself put in the header is to
    the left of that and never read, so a forged X-Forwarded-For changes nothing."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = int(getattr(settings, "JAIM_TRUSTED_PROXY_COUNT", 0) or 0)
    if count <= 0:
        return remote
    chain = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(chain) < count:
        return remote  # not through all our proxies (misconfigured or direct): don't trust the header
    return chain[-count]


def login_username(request, credentials) -> str:
    """The login name as django-axes should count it: the e-mail address, trimmed and lower-cased, so that
    `A@Example.jp` and `a@example.jp ` are the same user for the lockout."""
    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")
    value = ""
    if credentials:
        value = credentials.get(field) or credentials.get("username") or credentials.get("email") or ""
    if not value and request is not None and hasattr(request, "POST"):
        value = request.POST.get(field, "")
    return str(value).strip().lower()


# --- redaction ---------------------------------------------------------------------------------------------

REDACTED = "[redacted]"
# Every pattern here runs on every log line, including ones quoting a request path of any length, so each one is
# linear in the text: no unbounded run followed by something that may fail and send the engine back through it.
# The local part is at most 64 characters (RFC 5321): in a longer run of address characters (a URL path, say)
# the 64 next to the "@" go, which is where the address is. Without the bound every start in such a run scanned
# to its end (20,000 characters took seconds, 100,000 over a minute). The runs are possessive (`++`): none of
# them can end in the middle of a match anyway ("@" and "." are not in the runs before them), so giving
# characters back could only fail again, slowly.
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]{1,64}+@[\w-]++(?:\.[\w-]++)+", re.UNICODE)
# URLs that carry a secret: the sign-up verification link and the password reset link.
_TOKEN_PATHS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"(/accounts/verify/)[^/\s?#\"']+"), r"\1" + REDACTED),
    (re.compile(r"(/accounts/reset/)[^/\s?#\"']+/[^/\s?#\"']+"), r"\1" + REDACTED + "/" + REDACTED),
]


# Credentials in a URL (`redis://:secret@cache.internal:6379/0`, `postgres://jaim:pw@db:5432/jaim`, Celery's own
# `redis://:**@host`): the user name and the password go, the scheme, host, port and path stay, so that an operator
# sees which server failed. Runs before the address pattern, which would otherwise take `secret@cache.internal`
# for an e-mail address and eat the host with it. Bounded runs: linear.
_URL_CREDENTIALS = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]{0,30}+://)[^\s/?#@\"'<>]{1,256}+@")
# Secrets written as key=value or key: value (a DSN `password=…`, a query `?token=…`, an `Authorization` header).
_KEY_SECRETS = re.compile(
    r"(?i)\b((?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|sessionid|csrftoken)"
    r"\s{0,3}+[=:]\s{0,3}+[\"']?+)[^\s&\"',;)]{1,512}+"
)
_BEARER = re.compile(r"(?i)\b((?:Bearer|Basic)\s{1,3}+)[A-Za-z0-9._~+/=-]{8,4096}+")


def _failing_row(match: re.Match) -> str:
    """`Failing row contains (…)`: everything up to the last ")" of the line. Matching the rest of the line and
    finding that ")" here, rather than with a greedy `.*` then ")", keeps a line with many openings and no ")"
    linear."""
    rest = match.group(2)
    end = rest.rfind(")")
    return match.group(0) if end < 0 else match.group(1) + REDACTED + rest[end:]


# Database errors quote the offending values: `Key (email)=(a@b.jp) already exists`, `Failing row contains (…)`.
# The column list stops at "(" as well as ")", so "Key (Key (Key (…" does not rescan the line from each opening.
_DB_VALUES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"(Key \([^()]*\)=\()(.*?)(\))"), r"\1" + REDACTED + r"\3"),
    (re.compile(r"(Failing row contains \()(.*)"), _failing_row),
]


def redact_secret_links(text: str) -> str:
    """Only the secret-bearing URL parts (verification and password reset links)."""
    for pattern, repl in _TOKEN_PATHS:
        text = pattern.sub(repl, text or "")
    return text


def redact(text: str) -> str:
    """Remove e-mail addresses, passwords and tokens (in URLs, key=value pairs, authorisation headers), secret-
    bearing URL parts and values quoted by database errors; host names, addresses and ports stay. Linear in the
    length of the text, and nothing is cut: error reports (whole debug pages) go through here too."""
    if not text:
        return text
    text = str(text)
    text = _URL_CREDENTIALS.sub(r"\1" + REDACTED + "@", text)
    text = _KEY_SECRETS.sub(r"\1" + REDACTED, text)
    text = _BEARER.sub(r"\1" + REDACTED, text)
    for pattern, repl in _TOKEN_PATHS + _DB_VALUES:
        text = pattern.sub(repl, text)
    return _EMAIL.sub("[email]", text)


class RedactingLogFilter(logging.Filter):
    """Applied to every log handler: the formatted message and traceback text go out redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not lose the record
            message = str(record.msg)
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class RedactingExceptionReporterFilter(SafeExceptionReporterFilter):
    """Error reports (the e-mails to ADMINS) show variable and parameter names but no values: any of them may
    hold a name, a phone number, a password or a token. Active whenever DEBUG is off."""

    def get_post_parameters(self, request):
        if request is None or not self.is_active(request):
            return super().get_post_parameters(request)
        cleansed = request.POST.copy()
        for key in cleansed:
            cleansed[key] = self.cleansed_substitute
        return cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        if not self.is_active(request):
            return super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]

    def get_safe_request_meta(self, request):
        meta = super().get_safe_request_meta(request)
        if not self.is_active(request):
            return meta
        return {k: (redact(v) if isinstance(v, str) else v) for k, v in meta.items()}


class RedactingExceptionReporter(ExceptionReporter):
    """The whole report text goes through redact(): URLs with tokens, exception messages quoting an address."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        if self.filter.is_active(self.request):
            data["request_GET_items"] = [(k, REDACTED) for k, _v in data.get("request_GET_items", [])]
            data["request_COOKIES_items"] = [(k, REDACTED) for k, _v in data.get("request_COOKIES_items", [])]
        return data

    def get_traceback_text(self):
        text = super().get_traceback_text()
        return redact(text) if self.filter.is_active(self.request) else text

    def get_traceback_html(self):
        html = super().get_traceback_html()
        return redact(html) if self.filter.is_active(self.request) else html
