"""URLs for the busy-page tests: the project's, plus views that meet a real outage (a connection to a port where
nothing listens: the database, the cache, the broker) or a real bug."""

import socket

from django.db import IntegrityError
from django.http import HttpResponse
from django.urls import path

from jaim.urls import urlpatterns as project_patterns


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_down(request):
    from django.db import connection
    from django.db.backends.postgresql.base import DatabaseWrapper

    dead = DatabaseWrapper(
        {**connection.settings_dict, "HOST": "127.0.0.1", "PORT": dead_port()}, alias="dead"
    )
    dead.ensure_connection()  # django.db.OperationalError: connection refused
    return HttpResponse("unreachable")


def cache_down(request):
    from django.core.cache.backends.redis import RedisCache

    RedisCache(f"redis://127.0.0.1:{dead_port()}/0", {}).get("x")  # redis ConnectionError
    return HttpResponse("unreachable")


def broker_down(request):
    from jaim.celery import app

    with app.connection_for_write(f"redis://127.0.0.1:{dead_port()}/0") as conn:
        conn.ensure_connection(max_retries=1, interval_start=0)  # kombu OperationalError
    return HttpResponse("unreachable")


def bug(request):
    raise ValueError("a plain bug")


def integrity(request):
    raise IntegrityError("duplicate key value violates unique constraint")


urlpatterns = [
    path("busy/database/", database_down),
    path("busy/cache/", cache_down),
    path("busy/broker/", broker_down),
    path("bug/", bug),
    path("bug/integrity/", integrity),
    *project_patterns,
]
handler500 = "jaim.views.server_error"
