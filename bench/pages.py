"""Staff and member pages: the admin changelists (application queue, memberships, invoices) and the My Page of
the company with 50 establishments — queries per page (in process, Django's test client on the same production
settings) and milliseconds per page (over HTTP from the gunicorn server).

Staff must pass the second factor (security): the harness opens a session the way a verified login leaves it
(as tests/security/helpers.verified_login does) for the seeded administrator, who has a confirmed TOTP device."""

import statistics
import time
import urllib.error
import urllib.request

from bench.env import BenchError

PAGES = [
    (
        "application_queue",
        "admin: application queue (審査キュー)",
        "admin:applications_application_changelist",
        "admin",
    ),
    ("memberships", "admin: memberships", "admin:members_membership_changelist", "admin"),
    ("invoices", "admin: invoices", "admin:fees_invoice_changelist", "admin"),
    ("mypage", "My Page of the company with 50 establishments", "members:mypage", "member"),
]


def sessions() -> dict[str, str]:
    """Session keys for the seeded administrator (verified second factor) and the My Page company's user."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from bench.seeding import ADMIN_EMAIL, MY_PAGE_EMAIL
    from jaim.security import SECOND_FACTOR_SESSION_KEY
    from members.models import User

    keys = {}
    for role, email in (("admin", ADMIN_EMAIL), ("member", MY_PAGE_EMAIL)):
        user = User.objects.filter(email=email).first()
        if user is None:
            raise BenchError(f"{email} is missing: seed with seed_bench first")
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        if role == "admin":
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            store[DEVICE_ID_SESSION_KEY] = device.persistent_id
            store[SECOND_FACTOR_SESSION_KEY] = True
        store.create()
        keys[role] = store.session_key
    return keys


def cookie(session_key: str) -> str:
    from django.conf import settings

    return f"{settings.SESSION_COOKIE_NAME}={session_key}"


def count_queries(keys: dict[str, str]) -> dict[str, dict]:
    """Queries per page, after one warm-up request (process caches filled, as on a running server)."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    out = {}
    for key, label, name, role in PAGES:
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = keys[role]
        url = reverse(name)
        first = client.get(url, secure=True)
        if first.status_code != 200:
            raise BenchError(f"{url} answered {first.status_code} in process (expected 200)")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, secure=True)
        out[key] = {"label": label, "url": url, "queries": len(queries), "bytes": len(response.content)}
    return out


def time_pages(base: str, keys: dict[str, str], *, repeats: int, warmups: int = 2) -> dict[str, dict]:
    """Milliseconds per page over HTTP, one request at a time (`warmups` first, then `repeats`)."""
    from django.urls import reverse

    out = {}
    for key, _label, name, role in PAGES:
        url = base + reverse(name)
        headers = {"Cookie": cookie(keys[role])}
        samples = []
        for i in range(repeats + warmups):
            request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http://127.0.0.1 only
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - loopback
                    response.read()
                    status = response.status
                    final = response.url
            except urllib.error.HTTPError as exc:
                raise BenchError(f"{url} answered {exc.code}") from exc
            elapsed = (time.perf_counter() - started) * 1000
            if status != 200 or final != url:
                raise BenchError(f"{url} answered {status} at {final} (a login or 2FA redirect?)")
            if i >= warmups:
                samples.append(elapsed)
        out[key] = {
            "ms_median": round(statistics.median(samples), 1),
            "ms_max": round(max(samples), 1),
            "samples": len(samples),
        }
    return out
