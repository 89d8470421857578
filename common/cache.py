"""Cache access that degrades: a cache that is down is skipped, never a failed request."""

from __future__ import annotations

import logging
import pickle
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.core.signals import setting_changed
from django.dispatch import receiver
from redis import ConnectionPool, Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

CACHE_ERRORS = (RedisError, OSError)
LOCAL_CACHE_MAX_ENTRIES = 10_000

# key -> (monotonic expiry, pickled value). Plain dict operations are atomic under the GIL, so the server's threads
# share it without a lock; values are pickled so that every caller gets its own copy, as from Redis.
_local: dict[str, tuple[float, bytes]] = {}


def cache_get(key: str) -> Any | None:
    """The cached value, or None when absent or when the cache is unavailable."""
    try:
        return cache.get(key)
    except CACHE_ERRORS as exc:
        logger.warning("cache unavailable on get: %s", exc)
        return None


def cache_get_many(keys: list[str]) -> dict[str, Any]:
    try:
        return cache.get_many(keys)
    except CACHE_ERRORS as exc:
        logger.warning("cache unavailable on get_many: %s", exc)
        return {}


def cache_set(key: str, value: Any, timeout: float) -> None:
    """Store a value; a cache that is down is logged and skipped."""
    if timeout <= 0:
        return
    try:
        cache.set(key, value, timeout)
    except CACHE_ERRORS as exc:
        logger.warning("cache unavailable on set: %s", exc)


def cache_set_many(values: dict[str, Any], timeout: float) -> None:
    if timeout <= 0 or not values:
        return
    try:
        cache.set_many(values, timeout)
    except CACHE_ERRORS as exc:
        logger.warning("cache unavailable on set_many: %s", exc)


def counter_add(key: str, amount: int, timeout: float) -> int:
    """Add to a shared counter that expires `timeout` seconds after it was created; returns the new total.

    Raises CACHE_ERRORS when the cache is down: the caller decides what an unknown count means.
    """
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return backend.counter_add(key, amount, timeout)
    if backend.add(key, amount, timeout):
        return amount
    try:
        return backend.incr(key, amount)
    except ValueError:  # expired between add and incr
        backend.set(key, amount, timeout)
        return amount


def local_get(key: str) -> Any | None:
    """The value this process stored under `key` less than its timeout ago, or None."""
    entry = _local.get(key)
    if entry is None:
        return None
    expires, pickled = entry
    if expires < time.monotonic():
        _local.pop(key, None)
        return None
    return pickle.loads(pickled)  # noqa: S301 (only what this process stored itself)


def local_set(key: str, value: Any, timeout: float) -> None:
    """Keep a value in this process's memory for `timeout` seconds (a few: it is not shared, nor invalidated)."""
    if timeout <= 0:
        return
    if len(_local) >= LOCAL_CACHE_MAX_ENTRIES:
        _local.clear()
    _local[key] = (time.monotonic() + timeout, pickle.dumps(value, pickle.HIGHEST_PROTOCOL))


def local_clear() -> None:
    _local.clear()


@receiver(setting_changed)
def _clear_local_on_settings_change(*, setting: str, **kwargs: Any) -> None:
    if setting in {"CACHES", "SESSION_CACHE_TTL", "SESSION_LOCAL_CACHE_TTL"}:
        local_clear()


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's Redis client, keeping one redis.Redis per connection pool.

    Django builds a new redis.Redis (and its table of response callbacks) for every operation, a cost paid again by
    every request the cache answers. redis.Redis is thread-safe and holds no state of its own beyond its pool, so
    one per pool is enough.
    """

    # Django's own members, which django-stubs leaves out.
    _client: type[Redis]
    _get_connection_pool: Callable[[bool], ConnectionPool]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Redis] = {}

    def get_client(self, key: str | bytes | memoryview | None = None, *, write: bool = False) -> Redis:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    """django.core.cache.backends.redis.RedisCache with ReusedClientRedisCacheClient (settings.CACHES)."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient

    def counter_add(self, key: str, amount: int, timeout: float) -> int:
        """counter_add() in one round trip: SET NX starts the counter with its expiry, INCRBY keeps the expiry.

        Django's add() then incr() is three (incr checks that the key exists first); on this kind of machine
        each round trip costs more CPU in system calls than the rest of a cached validation.
        """
        key = self.make_and_validate_key(key)
        client = self._cache.get_client(key, write=True)
        total: int
        with client.pipeline(transaction=False) as pipeline:
            pipeline.set(key, 0, ex=max(1, int(timeout)), nx=True)
            pipeline.incrby(key, amount)
            _, total = pipeline.execute()
        return total
