"""What the REST partner simulators share: storage, cursors, counters and faults.

A simulator serves one SQLite file built by `gateway.demo.materialize.load_rest_partners`: one
table per resource with columns `k` (the row's key), `upd` (its update time as a sortable
string) and `doc` (the native row as JSON). Rows go out as stored bytes (`orjson.Fragment`),
so a handler costs one indexed query and one serialization.

Each partner module supplies its routes and its error envelope; `Simulator` wraps every route
so that it is counted (`GET /_sim/stats`) and subject to injected faults (`POST /_sim/faults`,
described in `_faults`).
"""

from __future__ import annotations

import base64
import sqlite3
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gateway.demo.simulators import _faults

# Keeps a careless client from asking one request for a whole table.
MAX_PAGE = 10_000


@dataclass(frozen=True, slots=True)
class Resource:
    """A resource of a REST partner: its native key field and update-time field."""

    key: str
    updated: str


class ApiError(Exception):
    """A request the partner refuses; `kind` is mapped to the partner's own error code."""

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message


def json_response(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def rows_json(docs: Iterable[bytes]) -> list[orjson.Fragment]:
    """Stored rows, ready to embed in a response without re-parsing."""
    return [orjson.Fragment(doc) for doc in docs]


# --- cursors -----------------------------------------------------------------------------------


def encode_cursor(updated: str, key: str) -> str:
    """An opaque cursor for the position just after (updated, key)."""
    raw = orjson.dumps([updated, key])
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[str, str] | None:
    """The position a cursor stands for; None (from the beginning) when empty."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        updated, key = orjson.loads(raw)
    except (ValueError, TypeError) as exc:
        raise ApiError(400, "bad_request", f"invalid cursor {cursor!r}") from exc
    if not isinstance(updated, str) or not isinstance(key, str):
        raise ApiError(400, "bad_request", f"invalid cursor {cursor!r}")
    return updated, key


def int_param(
    request: Request, name: str, default: int, *, low: int = 1, high: int = MAX_PAGE
) -> int:
    """An integer query parameter, clamped to [low, high]; 400 when it is not a number."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "bad_request", f"{name} must be an integer") from None
    return max(low, min(high, value))


async def json_ids(request: Request, field: str) -> list[str]:
    """The list of string ids under `field` of a JSON request body."""
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise ApiError(400, "bad_request", "body is not JSON") from None
    ids = body.get(field) if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ApiError(400, "bad_request", f"body must be {{{field!r}: [string, ...]}}")
    return ids


# --- storage -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    key: str
    updated: str
    doc: bytes


class Store:
    """Read-only access to one simulator's SQLite file.

    Handlers run on the event loop and call this directly: every query is an indexed lookup
    of at most a page of rows, cheaper than a hop to a worker thread.
    """

    def __init__(self, path: Path, resources: Iterable[str]) -> None:
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such database; run materialize first")
        # immutable: the file is replaced by rename, never changed in place, so skip locking.
        uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
        self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self.resources = frozenset(resources)
        self._counts: dict[str, int] = {}
        present = {
            r for (r,) in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        missing = self.resources - present
        if missing:
            raise RuntimeError(f"{path}: no table for {sorted(missing)}; run materialize first")

    def count(self, resource: str) -> int:
        if resource not in self._counts:
            (n,) = self._db.execute(f"SELECT count(*) FROM {resource}").fetchone()
            self._counts[resource] = n
        return self._counts[resource]

    def page(self, resource: str, *, offset: int, limit: int) -> list[bytes]:
        """Rows in key order, for page-numbered listings."""
        sql = f"SELECT doc FROM {resource} ORDER BY k LIMIT ? OFFSET ?"
        return [doc for (doc,) in self._db.execute(sql, (limit, offset))]

    def changes(self, resource: str, after: tuple[str, str] | None, limit: int) -> list[Change]:
        """Up to `limit` rows strictly after the position `after`, in (update time, key) order."""
        start = after or ("", "")
        sql = f"SELECT k, upd, doc FROM {resource} WHERE (upd, k) > (?, ?) ORDER BY upd, k LIMIT ?"
        return [Change(k, u, d) for k, u, d in self._db.execute(sql, (*start, limit))]

    def get_many(self, resource: str, keys: Sequence[str]) -> dict[str, bytes]:
        if not keys:
            return {}
        marks = ",".join("?" * len(keys))
        sql = f"SELECT k, doc FROM {resource} WHERE k IN ({marks})"
        return dict(self._db.execute(sql, list(keys)))

    def scan(self, resource: str) -> Iterator[tuple[str, bytes]]:
        """Every (key, doc) of a resource, for a simulator that builds its own index."""
        yield from self._db.execute(f"SELECT k, doc FROM {resource} ORDER BY k")

    def close(self) -> None:
        self._db.close()


def feed(
    store: Store, resource: str, cursor: str | None, limit: int
) -> tuple[list[Change], str, bool]:
    """One page of a change feed: the rows, the cursor to resume from, and whether more follow.

    With no rows the given cursor comes back unchanged, so a client can always store `next`.
    """
    rows = store.changes(resource, decode_cursor(cursor), limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = encode_cursor(rows[-1].updated, rows[-1].key) if rows else (cursor or "")
    return rows, nxt, more


def lookup(store: Store, resource: str, ids: Sequence[str]) -> tuple[list[bytes], list[str]]:
    """The stored rows for `ids` (each once) and the ids that have none, in request order."""
    wanted = list(dict.fromkeys(ids))
    found = store.get_many(resource, wanted)
    return list(found.values()), [i for i in wanted if i not in found]


# --- faults and counters -----------------------------------------------------------------------


Handler = Callable[[Request], Awaitable[Response]]
ErrorBody = Callable[[str, str], Any]  # (kind, message) -> the partner's error envelope

# The partner's HTTP status for each kind of error it reports.
STATUS = {
    "bad_request": 400,
    "too_many": 400,
    "not_found": 404,
    "not_allowed": 405,
    "internal": 500,
    "throttled": 429,
}


class Simulator:
    """One partner's app: its store, its error envelope, request counters and faults."""

    def __init__(self, name: str, store: Store, error_body: ErrorBody) -> None:
        self.name = name
        self.store = store
        self.error_body = error_body
        self.stats: Counter[str] = Counter()
        self.faults = _faults.Faults()

    def error(self, kind: str, message: str, status: int | None = None) -> Response:
        return json_response(self.error_body(kind, message), status or STATUS.get(kind, 400))

    def route(
        self, path: str, op: str, handler: Handler, *, methods: Sequence[str] = ("GET",)
    ) -> Route:
        """A counted, fault-injectable route; `{res}` in the path must name a known resource."""

        async def endpoint(request: Request) -> Response:
            res = request.path_params.get("res")
            known = res is None or res in self.store.resources
            self.stats[(f"{res}.{op}" if res else op) if known else "unknown"] += 1
            fault = self.faults.next()
            failure = await _faults.before(fault, self.faults, request, self.error)
            if failure is not None:
                return failure
            if not known:
                return self.error("not_found", f"unknown resource {res!r}")
            try:
                return _faults.after(fault, await handler(request))
            except ApiError as exc:
                return self.error(exc.kind, exc.message, exc.status)

        return Route(path, endpoint, methods=list(methods), name=op)

    def app(self, routes: Sequence[BaseRoute]) -> Starlette:
        sim_routes = [
            Route("/_sim/stats", self._stats, methods=["GET"]),
            Route("/_sim/reset", self._reset, methods=["POST"]),
            Route("/_sim/faults", self._set_faults, methods=["GET", "POST"]),
        ]
        handlers = {404: self._unmatched, 405: self._unmatched}
        app = Starlette(routes=[*sim_routes, *routes], exception_handlers=handlers)
        app.state.simulator = self
        return app

    async def _unmatched(self, request: Request, exc: Exception) -> Response:
        self.stats["unknown"] += 1
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        kind = "not_allowed" if status == 405 else "not_found"
        return self.error(kind, f"no route {request.method} {request.url.path}", status)

    async def _stats(self, request: Request) -> Response:
        return json_response({"requests": dict(self.stats), "total": sum(self.stats.values())})

    async def _reset(self, request: Request) -> Response:
        # Counters only: a benchmark resets them after setting its faults.
        self.stats.clear()
        return json_response({"ok": True})

    async def _set_faults(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                self.faults = _faults.Faults.parse(orjson.loads(await request.body() or b"{}"))
            except (orjson.JSONDecodeError, _faults.FaultsInvalid) as exc:
                return json_response({"error": f"body must be a JSON object of faults: {exc}"},
                                     400)
        return json_response(self.faults.as_dict())
