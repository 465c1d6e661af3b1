"""为民服务大厅 + 代办站 (slug `hall`): envelope `{"code": 0, "msg": "ok", "data": ...}`.

Routes (docs/partners.md §3.1): health, page-numbered listing, change feed (`since`/`next`/
`more`), and `POST .../batch` of at most 100 ids.
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
    json_ids,
    json_response,
    lookup,
    rows_json,
)

RESOURCES = {
    "banjian": Resource(key="bjbh", updated="gxsj"),
    "wuka": Resource(key="kh", updated="gxsj"),
    "daiban": Resource(key="dbdh", updated="gxsj"),
}
MAX_BATCH = 100

_CODES = {
    "bad_request": 40000,
    "too_many": 40001,
    "not_found": 40400,
    "not_allowed": 40500,
    "internal": 50000,
    "throttled": 42900,
}


def _error_body(kind: str, message: str) -> dict[str, Any]:
    return {"code": _CODES.get(kind, 40000), "msg": message}


def _ok(data: Any) -> Response:
    return json_response({"code": 0, "msg": "ok", "data": data})


def build_app(db: Path) -> Starlette:
    sim = Simulator("hall", Store(db, RESOURCES), _error_body)
    store = sim.store

    async def health(request: Request) -> Response:
        return _ok({"status": "UP"})

    async def listing(request: Request) -> Response:
        res = request.path_params["res"]
        page = int_param(request, "page", 1, high=10**9)
        size = int_param(request, "size", 100)
        rows = store.page(res, offset=(page - 1) * size, limit=size)
        return _ok({"total": store.count(res), "page": page, "size": size, "rows": rows_json(rows)})

    async def changes(request: Request) -> Response:
        res = request.path_params["res"]
        limit = int_param(request, "limit", 500)
        rows, nxt, more = feed(store, res, request.query_params.get("since"), limit)
        return _ok({"rows": rows_json(r.doc for r in rows), "next": nxt, "more": more})

    async def batch(request: Request) -> Response:
        ids = await json_ids(request, "ids")
        if len(ids) > MAX_BATCH:
            raise ApiError(400, "too_many", f"at most {MAX_BATCH} ids per batch, got {len(ids)}")
        rows, missing = lookup(store, request.path_params["res"], ids)
        return _ok({"rows": rows_json(rows), "missing": missing})

    return sim.app(
        [
            sim.route("/api/v1/health", "health", health),
            sim.route("/api/v1/{res}", "list", listing),
            sim.route("/api/v1/{res}/changes", "changes", changes),
            sim.route("/api/v1/{res}/batch", "batch", batch, methods=("POST",)),
        ]
    )
