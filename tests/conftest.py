"""Test set-up shared by every app.

Tests marked `postgres`, `redis`, `browser`, `clamav` or `java` need the real service. Without it they are skipped with a reason,
except when JAIM_REQUIRE_SERVICES=1 (CI): then a missing service is a failure, never a silent skip."""

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings

REQUIRE_SERVICES = os.environ.get("JAIM_REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("JAIM_CHROMIUM", "/usr/bin/chromium")


def _redis_reachable() -> bool:
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis"):
        return False
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def _missing(marker: str) -> str | None:
    if marker == "postgres" and not settings.USING_POSTGRES:
        return "needs PostgreSQL (set DATABASE_URL=postgres://…)"
    if marker == "redis" and not _redis_reachable():
        return "needs Redis as the Celery broker (set CELERY_BROKER_URL=redis://…)"
    if marker == "browser" and not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        return "needs Debian's Chromium at /usr/bin/chromium"
    if marker == "clamav":
        from tests import clamd

        if not clamd.available():
            return "needs ClamAV's daemon and sigtool (Debian: clamav-daemon, clamav)"
    if marker == "java" and not shutil.which("java"):
        return "needs a Java runtime for the Nu HTML validator (Debian: default-jre-headless)"
    return None


@pytest.fixture(autouse=True)
def _require_services(request):
    for marker in ("postgres", "redis", "browser", "clamav", "java"):
        if request.node.get_closest_marker(marker):
            reason = _missing(marker)
            if reason:
                if REQUIRE_SERVICES:
                    pytest.fail(f"JAIM_REQUIRE_SERVICES=1 but this test {reason}")
                pytest.skip(reason)


@pytest.fixture(autouse=True)
def _eager_tasks_unless_real_worker(request, settings, tmp_path, tmp_path_factory):
    """Unit tests run tasks in-process; tests marked `redis` talk to a real worker. Files go to a temp dir."""
    from jaim.celery import app

    eager = not request.node.get_closest_marker("redis")
    old = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }
    settings.MEDIA_ROOT = str(tmp_path / "private")
    settings.PRIVATE_ROOT = (
        tmp_path_factory.getbasetemp() / "private-root"
    )  # the demo signing pair, once a session
    yield
    app.conf.task_always_eager = old


@pytest.fixture(scope="session")
def clamd_socket(tmp_path_factory):
    """A real clamd on a private socket for this test session (tests.clamd); the test needs the `clamav` mark."""
    from tests import clamd

    with clamd.running_clamd(tmp_path_factory.mktemp("clamd")) as sock:
        yield sock


@pytest.fixture
def virus_scanner(settings, clamd_socket):
    """Uploads scanned by the real clamd (settings.JAIM_CLAMD_SOCKET) for this test."""
    settings.JAIM_CLAMD_SOCKET = clamd_socket
    return clamd_socket


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    from roster.selectors import forget_answers, forget_estimates

    cache.clear()
    forget_answers()  # the roster's answers kept in this process, under versions the cleared cache forgot
    forget_estimates()  # and its line counts that choose plans
    yield


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the site's default language (Japanese): a test that rendered a page in English
    must not leave English active for the next one in the same worker (labels built with gettext)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def staff_client(client, db):
    """A client logged in as an administrator who passed the second factor (the admin requires it)."""
    from tests.security.helpers import staff_user, verified_login

    user = staff_user(group="administrator")
    verified_login(client, user)
    client.user = user
    return client


def pytest_collection_modifyitems(config, items):
    """Every transactional test restores the migrated data (JSIC list, staff groups, requirement rules…) by
    serialized rollback. Mixing flush-with-post_migrate tests and serialized ones makes the second kind collide
    with rows the first re-created (e.g. auth_group names), depending on order; one rule for all avoids it."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker and marker.kwargs.get("transaction") and not marker.kwargs.get("serialized_rollback"):
            item.add_marker(
                pytest.mark.django_db(*marker.args, **{**marker.kwargs, "serialized_rollback": True}),
                append=False,
            )
