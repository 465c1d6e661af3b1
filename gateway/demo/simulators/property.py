"""物业 property-management SaaS (slug `property`): envelope `{"code": 200, "message",
"data"}`, bearer-token auth, every property company of the street on one platform.

Routes (docs/partners.md §5.1): health, `pageNum`/`pageSize` listing, the `updatedAfter` change
feed and `POST .../batchQuery` by keys (`{"ids": [...]}`) or, for houses, by a project's room
codes (`{"projectCode", "roomCodes"}`), at most 100 either way.
"""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from gateway.demo.simulators import property_openapi
from gateway.demo.simulators._common import (
    ApiError,
    Resource,
    Simulator,
    Store,
    feed,
    int_param,
    json_response,
    lookup,
    rows_json,
)

RESOURCES = {
    "projects": Resource(key="projectCode", updated="updateTime"),
    "houses": Resource(key="houseId", updated="updateTime"),
    "repairs": Resource(key="orderNo", updated="updateTime"),
}
MAX_BATCH = 100
MAX_PAGE = 1000
# The street's integration account on the demo platform (docs/partners.md §5.1).
DEMO_TOKEN = "wy-openapi-demo-3f9c1e7a"

_CODES = {
    "bad_request": 40001,
    "too_many": 40001,
    "unauthorized": 40100,
    "not_found": 40400,
    "not_allowed": 40500,
    "throttled": 42900,
    "internal": 50000,
}


def _error_body(kind: str, message: str) -> dict[str, Any]:
    return {"code": _CODES.get(kind, 40001), "message": message, "data": None}


def _ok(data: Any) -> Response:
    return json_response({"code": 200, "message": "success", "data": data})


def _authorize(request: Request, token: str) -> None:
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip(), token):
        raise ApiError(401, "unauthorized", "token invalid or expired")


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise ApiError(400, "bad_request", "body is not JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "body must be a JSON object")
    return body


def _strings(body: dict[str, Any], field: str) -> list[str]:
    values = body.get(field)
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ApiError(400, "bad_request", f"{field} must be a list of strings")
    if len(values) > MAX_BATCH:
        raise ApiError(400, "too_many", f"at most {MAX_BATCH} {field}, got {len(values)}")
    return values


class _RoomIndex:
    """(projectCode, roomCode) → houseId, built on first use from the houses table."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._index: dict[tuple[str, str], str] | None = None

    def ids(self, project: str, rooms: list[str]) -> list[str]:
        if self._index is None:
            self._index = {}
            for key, doc in self._store.scan("houses"):
                row = orjson.loads(doc)
                self._index[(row["projectCode"], row["roomCode"])] = key
        return [self._index.get((project, room), f"?{room}") for room in rooms]


def build_app(db: Path, token: str = DEMO_TOKEN) -> Starlette:
    sim = Simulator("property", Store(db, RESOURCES), _error_body)
    store = sim.store
    rooms = _RoomIndex(store)

    async def health(request: Request) -> Response:
        return _ok({"status": "UP"})

    async def listing(request: Request) -> Response:
        _authorize(request, token)
        res = request.path_params["res"]
        page = int_param(request, "pageNum", 1, high=10**9)
        size = int_param(request, "pageSize", 100, high=MAX_PAGE)
        total = store.count(res)
        rows = store.page(res, offset=(page - 1) * size, limit=size)
        return _ok({"total": total, "pageNum": page, "pageSize": size,
                    "pages": -(-total // size), "list": rows_json(rows)})

    async def changes(request: Request) -> Response:
        _authorize(request, token)
        size = int_param(request, "pageSize", 500, high=MAX_PAGE)
        rows, nxt, more = feed(store, request.path_params["res"],
                               request.query_params.get("updatedAfter"), size)
        return _ok({"list": rows_json(r.doc for r in rows), "nextUpdatedAfter": nxt,
                    "hasMore": more})

    async def batch_query(request: Request) -> Response:
        _authorize(request, token)
        res, body = request.path_params["res"], await _body(request)
        if res == "houses" and "roomCodes" in body:
            project = body.get("projectCode")
            if not isinstance(project, str):
                raise ApiError(400, "bad_request", "projectCode is required with roomCodes")
            wanted = _strings(body, "roomCodes")
            found, _ = lookup(store, res, rooms.ids(project, wanted))
            codes = {orjson.loads(doc)["roomCode"] for doc in found}
            return _ok({"list": rows_json(found),
                        "notFound": [r for r in dict.fromkeys(wanted) if r not in codes]})
        found, missing = lookup(store, res, _strings(body, "ids"))
        return _ok({"list": rows_json(found), "notFound": missing})

    return sim.app(
        [
            sim.route("/openapi/v1/health", "health", health),
            sim.route("/openapi/v1/openapi.json", "openapi", property_openapi.openapi),
            sim.route("/openapi/v1/{res}", "list", listing),
            sim.route("/openapi/v1/{res}/changes", "changes", changes),
            sim.route("/openapi/v1/{res}/batchQuery", "batchQuery", batch_query,
                      methods=("POST",)),
        ]
    )
