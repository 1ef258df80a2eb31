"""Django's Redis cache, keeping one client per connection pool; and counting hits in a time window.

django.core.cache.backends.redis builds a new redis.Redis object for every operation (get_client); with
redis-py 5 that costs about as much as the network round trip itself (~0.1 ms), on every cache read of every
page. redis.Redis is thread-safe and only borrows connections from its pool, so one per pool is enough."""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, servers, **options):
        super().__init__(servers, **options)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            if index not in self._pools:  # as RedisCacheClient._get_connection_pool, for this index
                self._pools[index] = self._pool_class.from_url(self._servers[index], **self._pool_options)
            client = self._clients[index] = self._client(connection_pool=self._pools[index])
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def count_hit(self, key: str, timeout: int) -> int:
        """Add one to the counter `key`, created for `timeout` seconds if missing; the new count. One round
        trip (SET NX EX and INCR in one MULTI), where add() + incr() took three (Django's incr checks EXISTS)."""
        key = self.make_and_validate_key(key)
        client = self._cache.get_client(key, write=True)
        with client.pipeline() as pipe:
            pipe.set(key, 0, ex=timeout, nx=True)
            pipe.incr(key)
            return int(pipe.execute()[1])


def count_hit(cache, key: str, timeout: int) -> int:
    """One more hit on `key` in a fixed window of `timeout` seconds (the key carries the window); returns the
    count so far. Redis: one round trip; other caches (tests, `make run`): add, then incr."""
    if hasattr(cache, "count_hit"):
        return cache.count_hit(key, timeout)
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=timeout)
        return 1
