"""What the query limits, trusted documents and rate limits cost per request.

    python bench/limits.py [--requests 3000] [--redis-url redis://127.0.0.1:6379/0]

On an embedded PostgreSQL of its own (or the server of `DATABASE_URL`, in a database
`juheli_limits_bench`):

1. each check alone, per documented query (gateway/examples.py, README, docs/): measuring the
   shape (depth, aliases, directives) and estimating the cost of a document not seen before
   (both are cached after), and finding its validation result in the cache (by its text;
   Strawberry's `ValidationCache` hashes the whole syntax tree instead, each request);
2. whole requests through the ASGI app, called directly (no HTTP client in the way), with
   `HOUSEHOLD_360` for a household that a stub loader does not find, so that parsing,
   validation, the limits and one resolver run and nothing else: the schema as it was before (Strawberry's
   token limiter, parser cache, depth and alias rules, validation cache) against the guard and
   `LimitsExtension` with no rate limit, with the store's or Redis's counters, and in production
   with the document sent by its id.
Figures are medians of per-request wall time in microseconds, on whatever else the machine runs.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import asyncpg
import orjson
import strawberry
from _common import fmt, table
from graphql import FragmentDefinitionNode, parse, specified_rules
from strawberry.asgi import GraphQL
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_limit
from strawberry.extensions.query_depth_limiter import create_validator as depth_limit
from strawberry.schema.schema import validate_document

from gateway import examples
from gateway.db.embedded import start_embedded, with_database
from gateway.db.migrate import ensure_database, upgrade_async
from gateway.limits import LimitedView, Limits, LimitsExtension, RequestGuard
from gateway.limits.cost import estimate
from gateway.limits.shape import measure, select_operation
from gateway.schema.community import Building, Community
from gateway.schema.household import Household
from gateway.schema.party import PartyMember
from gateway.schema.query import Query
from gateway.schema.records import Dispute, Resident
from gateway.schema.review import ReviewMutation as Mutation

DATABASE = "juheli_limits_bench"
ROOT = Path(__file__).resolve().parents[1]
TYPES = [Household, Community, Building, Resident, PartyMember, Dispute]
OLD_RULES = [depth_limit(10, None), alias_limit(30)]


def documented() -> dict[str, str]:
    found = {n: getattr(examples, n) for n in dir(examples) if n.isupper()}
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for i, block in enumerate(re.findall(r"```graphql\n(.*?)```", path.read_text(), re.S)):
            found[f"{path.name}#{i}"] = block
    return found


def best_us(work: Callable[[], object], n: int = 300) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def check_row(schema: strawberry.Schema, name: str, text: str) -> list[str]:
    document = parse(text)
    operation = select_operation(document, None)
    assert operation is not None
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    variables = {"id": "Household:1", "community": "Community:1", "after": None}
    rules = tuple(specified_rules)
    cache: dict[Any, Any] = {(text, rules): validate_document(schema._schema, document, rules)}
    return [
        name, fmt(best_us(lambda: measure(document)), 1),
        fmt(best_us(lambda: estimate(schema._schema, operation, fragments, variables,
                                     list_size=10, max_page=100)), 1),
        fmt(best_us(lambda: cache[(text, rules)]), 2),
        fmt(best_us(lambda: hash(document)), 1),
    ]


def checks(schema: strawberry.Schema) -> list[list[str]]:
    return [check_row(schema, name, text) for name, text in documented().items()]


class _NoHousehold:
    async def load(self, key: str) -> None:
        return None


class _AllowAll:
    """An access check that lets the household resolver through, without the store."""

    def households_allowed(self) -> None:
        return None

    def sees(self, community: str) -> bool:
        return True


def _context(request: Any) -> SimpleNamespace:
    """What the household resolver touches: its access check and a loader that finds nothing,
    without I/O."""
    return SimpleNamespace(request=request, access=_AllowAll(),
                           loaders=SimpleNamespace(household_by_key=_NoHousehold()))


class OldView(GraphQL[Any, None]):
    async def get_context(self, request: Any, response: Any) -> Any:
        return _context(request)


class NewView(LimitedView):
    async def get_context(self, request: Any, response: Any) -> Any:
        return _context(request)


class Driver:
    """Calls an ASGI app with one request and collects the response, no network between."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, method: str, body: bytes, query_string: bytes = b"") -> int:
        scope = {"type": "http", "method": method, "path": "/graphql", "raw_path": b"/graphql",
                 "query_string": query_string, "root_path": "", "scheme": "http",
                 "http_version": "1.1", "server": ("bench", 80), "client": ("10.0.0.9", 5),
                 "headers": [(b"content-type", b"application/json"),
                             (b"content-length", str(len(body)).encode())]}
        status = 0
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await self.app(scope, receive, send)
        return status


async def per_request_us(app: Any, body: bytes, n: int) -> float:
    drive = Driver(app)
    for _ in range(50):
        assert await drive("POST", body) == 200
    times = []
    for _ in range(n):
        start = time.perf_counter()
        await drive("POST", body)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


async def requests(uri: str, redis_url: str | None, n: int) -> list[list[str]]:
    old = strawberry.Schema(query=Query, mutation=Mutation, types=TYPES, extensions=[
        lambda: MaxTokensLimiter(max_token_count=2000), lambda: ParserCache(maxsize=1000),
        lambda: AddValidationRules(OLD_RULES), lambda: ValidationCache(maxsize=1000)])
    new = strawberry.Schema(query=Query, mutation=Mutation, types=TYPES,
                            extensions=[LimitsExtension])
    text = examples.HOUSEHOLD_360
    raw = orjson.dumps({"query": text, "variables": {"id": "Household:none"}})
    by_id = orjson.dumps({"documentId": "sha256:" + hashlib.sha256(text.encode()).hexdigest(),
                          "variables": {"id": "Household:none"}})
    pool = await asyncpg.create_pool(uri, min_size=2, max_size=4)
    await pool.execute("INSERT INTO trusted_documents (id, body) VALUES ($1, $2) "
                       "ON CONFLICT DO NOTHING", hashlib.sha256(text.encode()).hexdigest(), text)
    configs: list[tuple[str, Limits, str | None, bool, bytes]] = [
        ("guard, no rate limit", Limits(rate_limit=0), None, True, raw),
        ("guard, store counters", Limits(rate_limit=10**9), None, True, raw),
        *([("guard, Redis counters", Limits(rate_limit=10**9), redis_url, True, raw)]
          if redis_url else []),
        ("production, documentId, store", Limits(mode="production", rate_limit=10**9), None,
         True, by_id),
    ]
    base = await per_request_us(OldView(old, graphql_ide=None), raw, n)
    rows = [["before: Strawberry's limiters and caches", fmt(base, 0), "-"]]
    try:
        for name, limits, redis, _, body in configs:
            guard = RequestGuard(NewView(new, graphql_ide=None), limits, redis_url=redis)
            await guard.start(pool)
            try:
                took = await per_request_us(guard, body, n)
            finally:
                await guard.stop()
            rows.append([name, fmt(took, 0), f"{took - base:+,.0f}"])
    finally:
        await pool.close()
    return rows


async def main(args: argparse.Namespace) -> None:
    admin = os.environ.get("DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp:
        if admin is None:
            admin = await asyncio.to_thread(start_embedded, Path(tmp) / "pg", delete_on_exit=True)
        await ensure_database(admin, DATABASE)
        uri = with_database(admin, DATABASE)
        await upgrade_async(uri)
        new = strawberry.Schema(query=Query, mutation=Mutation, types=TYPES,
                                extensions=[LimitsExtension])
        print("each check alone, µs (median)")
        print(table(["document", "shape (uncached)", "cost", "validation lookup",
                     "tree hash (old lookup)"], checks(new)))
        print(f"\nwhole requests, HOUSEHOLD_360, {args.requests} each, µs (median)")
        print(table(["configuration", "µs / request", "vs before"],
                    await requests(uri, args.redis_url, args.requests)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    asyncio.run(main(parser.parse_args()))
