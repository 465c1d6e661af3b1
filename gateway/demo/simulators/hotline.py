"""12345 热线 + 信访 (slug `hotline`): envelope `{"success": true, "result": ...}`.

Routes (docs/partners.md §3.2): health, `pageNo`/`pageSize` listing, change feed
(`after`/`cursor`/`hasMore`), and `GET .../byIds?ids=a,b` of at most 50 ids (absent ids are
simply left out).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

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
    "workorders": Resource(key="gdbh", updated="gxsj"),
    "petitions": Resource(key="xfjbh", updated="gxsj"),
}
MAX_BATCH = 50

_CODES = {
    "bad_request": "INVALID_PARAMETER",
    "too_many": "TOO_MANY_IDS",
    "not_found": "RESOURCE_NOT_FOUND",
    "not_allowed": "METHOD_NOT_ALLOWED",
    "internal": "INTERNAL_ERROR",
    "throttled": "RATE_LIMITED",
}


def _error_body(kind: str, message: str) -> dict[str, Any]:
    return {
        "success": False,
        "errorCode": _CODES.get(kind, "INVALID_PARAMETER"),
        "errorMsg": message,
    }


def _ok(result: Any) -> Response:
    return json_response({"success": True, "result": result})


def build_app(db: Path) -> Starlette:
    sim = Simulator("hotline", Store(db, RESOURCES), _error_body)
    store = sim.store

    async def health(request: Request) -> Response:
        return _ok("ok")

    async def listing(request: Request) -> Response:
        res = request.path_params["res"]
        page = int_param(request, "pageNo", 1, high=10**9)
        size = int_param(request, "pageSize", 100)
        rows = store.page(res, offset=(page - 1) * size, limit=size)
        return _ok({"totalCount": store.count(res), "list": rows_json(rows)})

    async def increment(request: Request) -> Response:
        res = request.path_params["res"]
        size = int_param(request, "size", 500)
        rows, nxt, more = feed(store, res, request.query_params.get("after"), size)
        return _ok({"list": rows_json(r.doc for r in rows), "cursor": nxt, "hasMore": more})

    async def by_ids(request: Request) -> Response:
        raw = request.query_params.get("ids", "")
        ids = [i.strip() for i in raw.split(",") if i.strip()]
        if len(ids) > MAX_BATCH:
            raise ApiError(400, "too_many", f"at most {MAX_BATCH} ids, got {len(ids)}")
        rows, _missing = lookup(store, request.path_params["res"], ids)
        return _ok({"list": rows_json(rows)})

    return sim.app(
        [
            sim.route("/open/health", "health", health),
            sim.route("/open/{res}", "list", listing),
            sim.route("/open/{res}/increment", "increment", increment),
            sim.route("/open/{res}/byIds", "byIds", by_ids),
        ]
    )
