"""The database (DATABASE_URL; SQLite on a laptop) and the cache (CACHE_URL; Redis in production)."""

from .core import BASE_DIR, env

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env("TEST_DATABASE_NAME", default=None)
    if not DATABASES["default"]["TEST"]["NAME"]:
        DATABASES["default"]["TEST"].pop("NAME")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USING_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
# Throwaway databases (CI, the bench) may trade durability for speed: commits return before the WAL is flushed.
if USING_POSTGRES and env("DB_SYNCHRONOUS_COMMIT", default="") == "off":
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"

CACHES = {
    "default": (
        env.cache("CACHE_URL")
        if env("CACHE_URL", default="")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "jaim"}
    )
}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "jaim.cache.RedisCache"  # one Redis client per pool (see jaim.cache)
