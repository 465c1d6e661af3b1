"""Rate limits per agency, shared by every process: in the store, or in Redis."""

from __future__ import annotations

import asyncio
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import httpx
import pytest

from gateway.errors import RateLimited
from gateway.limits import RateLimiter, RedisRateLimiter, StoreRateLimiter
from gateway.limits.guard import rate_key
from tests.conftest import agency_key
from tests.limits.conftest import AppFactory, code

QUERY = {"query": "{ communities { code } }"}


def _redis_running() -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", 6379)) == 0


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """The Redis on 127.0.0.1:6379 when one runs (CI has one); on a machine without a Redis
    server, fakeredis serving the Redis protocol on a local port — the gateway's client and
    Lua script run unchanged against it."""
    if _redis_running():
        yield "redis://127.0.0.1:6379/0"
        return
    from fakeredis import TcpFakeServer

    class Server(TcpFakeServer):
        request_queue_size = 128  # the tests open dozens of connections at once

    server = Server(("127.0.0.1", 0), server_type="redis")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{server.server_address[1]}/0"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
async def pool(store_uri: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(store_uri, min_size=2, max_size=10)
    yield pool
    await pool.close()


async def counts_under_contention(limiter: RateLimiter, n: int = 40) -> list[int]:
    key = f"test:{uuid.uuid4()}"
    hits = await asyncio.gather(*(limiter.hit(key) for _ in range(n)))
    return sorted(hit[0] for hit in hits if hit is not None)


async def test_store_counts_atomically(pool: asyncpg.Pool) -> None:
    assert await counts_under_contention(StoreRateLimiter(pool, limit=10, window_s=60)) == \
        list(range(1, 41))


async def test_redis_counts_atomically(redis_url: str) -> None:
    limiter = RedisRateLimiter.connect(redis_url, limit=10, window_s=60)
    try:
        assert await counts_under_contention(limiter) == list(range(1, 41))
    finally:
        await limiter.close()


@pytest.mark.parametrize("backend", ["store", "redis"])
async def test_two_limiters_share_one_count_and_say_when_to_retry(
        pool: asyncpg.Pool, backend: str, redis_url: str) -> None:
    def make() -> RateLimiter:  # as two gateway processes would
        if backend == "redis":
            return RedisRateLimiter.connect(redis_url, limit=3, window_s=30)
        return StoreRateLimiter(pool, limit=3, window_s=30)

    one, two, key = make(), make(), f"agency:{uuid.uuid4()}"
    try:
        await one.check(key)
        await two.check(key)
        await one.check(key)
        with pytest.raises(RateLimited) as refused:
            await two.check(key)
        assert 1 <= refused.value.retry_after <= 30
        assert refused.value.headers() == {"Retry-After": str(refused.value.retry_after)}
        await one.check(f"agency:{uuid.uuid4()}")  # another agency has its own count
    finally:
        await one.close()
        await two.close()


async def test_a_limiter_that_cannot_count_lets_requests_through() -> None:
    limiter = RedisRateLimiter.connect("redis://127.0.0.1:1/0", limit=1, window_s=60)
    try:
        for _ in range(3):
            await limiter.check("agency:any")
    finally:
        await limiter.close()


async def test_a_store_limiter_that_cannot_count_lets_requests_through() -> None:
    # Nothing listens on port 9: every acquire is refused (the store down, or restarting).
    pool = await asyncpg.create_pool("postgresql://nobody@127.0.0.1:9/none", min_size=0)
    limiter = StoreRateLimiter(pool, limit=1, window_s=60)
    try:
        assert await limiter.hit("agency:any") is None
        for _ in range(3):
            await limiter.check("agency:any")
    finally:
        await pool.close()


async def test_two_gateways_on_one_store_share_the_agency_limit(
        make_client: AppFactory, store_uri: str) -> None:
    key = await agency_key(store_uri, "limits-shared", "hotline", ["*"])
    async with make_client(key=key, rate_limit=3) as a, make_client(key=key, rate_limit=3) as b:
        answers = [await c.post("/graphql", json=QUERY) for c in (a, b, a, b)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert code(answers[-1]) == "RATE_LIMITED" and int(answers[-1].headers["retry-after"]) >= 1


async def test_with_redis_url_the_counts_live_in_redis(make_client: AppFactory,
                                                        store_uri: str, redis_url: str) -> None:
    import redis.asyncio as redis

    slug = f"limits-redis-{uuid.uuid4().hex[:8]}"
    key = await agency_key(store_uri, slug, "hotline", ["*"])
    async with make_client(key=key, rate_limit=2, redis_url=redis_url) as a, \
            make_client(key=key, rate_limit=2, redis_url=redis_url) as b:
        answers = [await c.post("/graphql", json=QUERY) for c in (a, b, a)]
    assert [r.status_code for r in answers] == [200, 200, 429]
    client = redis.Redis.from_url(redis_url)
    try:
        assert int(await client.get(f"juheli:rate:agency:{slug}") or 0) == 3
    finally:
        await client.aclose()
    conn = await asyncpg.connect(store_uri)
    try:
        assert await conn.fetchval("SELECT count(*) FROM rate_counters WHERE key = $1",
                                   f"agency:{slug}") == 0
    finally:
        await conn.close()


async def test_zero_turns_the_limit_off(make_client: AppFactory, store_uri: str) -> None:
    key = await agency_key(store_uri, "limits-unlimited", "hotline", ["*"])
    async with make_client(key=key, rate_limit=0) as client:
        answers = [await client.post("/graphql", json=QUERY) for _ in range(5)]
    assert {r.status_code for r in answers} == {200}


def test_without_an_agency_the_client_address_is_counted() -> None:
    class Agency:
        slug = "rc-1"

    class Principal:
        agency = Agency()

    assert rate_key({"juheli.principal": Principal(), "client": ("10.0.0.9", 5)}) == "agency:rc-1"
    assert rate_key({"client": ("10.0.0.9", 5)}) == "client:10.0.0.9"
    assert rate_key({}) == "client:unknown"


async def test_a_refusal_is_a_coded_429(make_client: AppFactory, store_uri: str) -> None:
    key = await agency_key(store_uri, "limits-429", "hotline", ["*"])
    async with make_client(key=key, rate_limit=1, rate_window_s=3600) as client:
        await client.post("/graphql", json=QUERY)
        refused: httpx.Response = await client.post("/graphql", json=QUERY)
    assert refused.status_code == 429
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["limit"] == 1 and error["extensions"]["windowSeconds"] == 3600
    assert 1 <= int(refused.headers["retry-after"]) <= 3600
