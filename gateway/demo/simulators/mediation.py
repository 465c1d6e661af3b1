"""调委会 mediation platform (slug `mediation`): plain JSON, errors `{"error": {code, message}}`.

Routes (docs/partners.md §3.3): health, `GET /v2/disputes?cursor=&limit=` ordered by
(updatedAt, caseId) — the listing is also the change feed — and `POST /v2/disputes:batchGet` of
at most 200 case ids.

`nextCursor` is the position after the last item returned; it is null only when a page has no
items (nothing after the given cursor), so a client that keeps the last non-null cursor resumes
with neither loss nor duplicates.
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

RESOURCES = {"disputes": Resource(key="caseId", updated="updatedAt")}
MAX_BATCH = 200

_CODES = {
    "bad_request": "INVALID_ARGUMENT",
    "too_many": "INVALID_ARGUMENT",
    "not_found": "NOT_FOUND",
    "not_allowed": "METHOD_NOT_ALLOWED",
    "internal": "INTERNAL",
    "throttled": "RESOURCE_EXHAUSTED",
}


def _error_body(kind: str, message: str) -> dict[str, Any]:
    return {"error": {"code": _CODES.get(kind, "INVALID_ARGUMENT"), "message": message}}


def build_app(db: Path) -> Starlette:
    sim = Simulator("mediation", Store(db, RESOURCES), _error_body)
    store = sim.store

    async def health(request: Request) -> Response:
        return json_response({"status": "ok"})

    async def disputes(request: Request) -> Response:
        limit = int_param(request, "limit", 100)
        rows, nxt, _more = feed(store, "disputes", request.query_params.get("cursor"), limit)
        items = rows_json(r.doc for r in rows)
        return json_response({"items": items, "nextCursor": nxt if rows else None})

    async def batch_get(request: Request) -> Response:
        ids = await json_ids(request, "caseIds")
        if len(ids) > MAX_BATCH:
            raise ApiError(400, "too_many", f"at most {MAX_BATCH} caseIds, got {len(ids)}")
        rows, missing = lookup(store, "disputes", ids)
        return json_response({"items": rows_json(rows), "notFound": missing})

    return sim.app(
        [
            sim.route("/v2/health", "health", health),
            sim.route("/v2/disputes", "disputes.list", disputes),
            sim.route("/v2/disputes:batchGet", "disputes.batchGet", batch_get, methods=("POST",)),
        ]
    )
