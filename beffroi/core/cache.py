"""The Redis cache of a deployment with ``REDIS_URL``: Django's, with one client per server.

Django's ``RedisCacheClient`` builds a new ``redis.Redis`` for every cache call, and each
build fills a table of about 150 response callbacks: some 60 µs, three times in a request
that reads its session, its organisation and a ballot box. A ``redis.Redis`` is safe to share
between threads (its connection pool lends each command a connection, and starts again
after a fork), so one per server serves every call of the process.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        # Django's private helpers (not in its type stubs): the pool of the server to use.
        base: Any = self
        pool = base._get_connection_pool(write)
        # A pool lives as long as this object (Django keeps each one): its id is stable.
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = base._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
