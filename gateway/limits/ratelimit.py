"""Rate limits per agency, counted where every gateway process sees the same count.

`RateLimiter` is the capability: `check(key)` counts one request for the key and raises
`RateLimited` (429, Retry-After) past `limit` requests in a fixed window of `window_s` seconds.
Two implementations share it:
- `StoreRateLimiter`: one atomic UPSERT per request on `rate_counters` in the store (an UNLOGGED
  table: counters need no crash safety), windows aligned on the database's clock, so processes
  on hosts whose clocks disagree still share a window;
- `RedisRateLimiter` (when `REDIS_URL` is set): INCR and PEXPIRE in one Lua script, the window
  starting at a key's first request.
A counter store that fails lets the request through and logs it: an outage of the limiter must
not become an outage of the gateway. Each implementation translates its driver's exceptions.
"""

from __future__ import annotations

import logging
import math
import time
from abc import ABC, abstractmethod
from typing import Any

import asyncpg

from gateway.db.store import reaching_store
from gateway.errors import RateLimited, StoreUnavailable

log = logging.getLogger(__name__)


class RateLimiter(ABC):
    def __init__(self, *, limit: int, window_s: int) -> None:
        self.limit, self.window_s = limit, window_s

    @abstractmethod
    async def hit(self, key: str) -> tuple[int, float] | None:
        """Count one request; its count in the current window and the seconds left of that
        window, or None when the counters cannot be reached."""

    async def close(self) -> None:  # noqa: B027 - nothing to close by default
        pass

    async def check(self, key: str) -> None:
        if self.limit <= 0:
            return
        counted = await self.hit(key)
        if counted is None:
            return
        count, remaining = counted
        if count > self.limit:
            retry = max(1, math.ceil(remaining))
            raise RateLimited(f"Rate limit of {self.limit} requests per {self.window_s} s "
                              f"reached; retry in {retry} s", retry_after=retry,
                              limit=self.limit, windowSeconds=self.window_s)


_HIT_SQL = """
WITH w AS (
    SELECT to_timestamp(floor(extract(epoch FROM clock_timestamp()) / $2) * $2) AS start
)
INSERT INTO rate_counters AS c (key, window_start, hits)
SELECT $1, w.start, 1 FROM w
ON CONFLICT (key, window_start) DO UPDATE SET hits = c.hits + 1
RETURNING c.hits,
          extract(epoch FROM c.window_start - clock_timestamp())::float8 + $2 AS remaining
"""
_PURGE_SQL = "DELETE FROM rate_counters WHERE window_start < clock_timestamp() - make_interval(secs => $1)"


class StoreRateLimiter(RateLimiter):
    def __init__(self, pool: asyncpg.Pool, *, limit: int, window_s: int) -> None:
        super().__init__(limit=limit, window_s=window_s)
        self.pool = pool
        self._next_purge = 0.0

    async def hit(self, key: str) -> tuple[int, float] | None:
        try:
            with reaching_store():
                async with self.pool.acquire() as conn:
                    row = await conn.fetchrow(_HIT_SQL, key, float(self.window_s))
                    if time.monotonic() >= self._next_purge:
                        # Windows past are dead rows; one process a window clears them for all.
                        self._next_purge = time.monotonic() + self.window_s
                        await conn.execute(_PURGE_SQL, float(self.window_s))
        except (StoreUnavailable, asyncpg.PostgresError) as exc:
            log.warning("rate limit counters unreachable in the store: %s", exc)
            return None
        assert row is not None
        return int(row["hits"]), float(row["remaining"])


_REDIS_HIT = """
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
    ttl = tonumber(ARGV[1])
end
return {n, ttl}
"""


class RedisRateLimiter(RateLimiter):
    def __init__(self, client: Any, *, limit: int, window_s: int,
                 prefix: str = "juheli:rate:") -> None:
        super().__init__(limit=limit, window_s=window_s)
        self.client, self.prefix = client, prefix
        self._script = client.register_script(_REDIS_HIT)

    @classmethod
    def connect(cls, url: str, *, limit: int, window_s: int) -> RedisRateLimiter:
        import redis.asyncio as redis

        client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return cls(client, limit=limit, window_s=window_s)

    async def hit(self, key: str) -> tuple[int, float] | None:
        from redis.exceptions import RedisError

        try:
            count, ttl_ms = await self._script(keys=[self.prefix + key],
                                               args=[self.window_s * 1000])
        except (RedisError, OSError) as exc:
            log.warning("rate limit counters unreachable in Redis: %s", exc)
            return None
        return int(count), int(ttl_ms) / 1000

    async def close(self) -> None:
        await self.client.aclose()


def open_rate_limiter(pool: asyncpg.Pool, *, redis_url: str | None, limit: int,
                      window_s: int) -> RateLimiter:
    """Redis when a URL is given, else the store."""
    if redis_url:
        return RedisRateLimiter.connect(redis_url, limit=limit, window_s=window_s)
    return StoreRateLimiter(pool, limit=limit, window_s=window_s)
