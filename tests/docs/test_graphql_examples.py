"""Every GraphQL example of the docs runs, as its marker says, on the real gateway over the
synced test district: valid against the schema, answered without an error it does not declare,
with every error it declares, and with the data it promises. Python blocks marked as examples
run on the data of the GraphQL example before them. Subscriptions are opened over
graphql-transport-ws on a gateway served by uvicorn and must be accepted (or refused with the
codes they declare)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from graphql import OperationDefinitionNode, OperationType, parse, validate

from gateway.schema import schema
from tests.conftest import uvicorn_serving
from tests.docs import _markdown as md
from tests.docs.conftest import Agencies, fill, headers

REQUEST_ERRORS = {"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED"}
PAGES = [p for p in md.pages() if any(b.marker is not None and b.lang in ("graphql", "python")
                                      for b in md.blocks(p))]


def ids(path: Any) -> str:
    return str(path.relative_to(md.ROOT))


@pytest.fixture(scope="module")
def ws_url(docs_store: str, district: Any, settings: Any) -> Iterator[str]:
    """The docs' gateway as a second process would serve it: uvicorn on 127.0.0.1."""
    from gateway.app import create_app

    app = create_app(settings, store_uri=docs_store, partners=district.partners_config())
    with uvicorn_serving(app) as base:
        yield base.replace("http://", "ws://") + "/graphql"


def operation_type(text: str) -> OperationType:
    ops = [d for d in parse(text).definitions if isinstance(d, OperationDefinitionNode)]
    return ops[0].operation


def subset(expected: Any, actual: Any) -> bool:
    """Every key and item of `expected` is in `actual` (lists item by item, same length)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and subset(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return (isinstance(actual, list) and len(actual) == len(expected)
                and all(subset(e, a) for e, a in zip(expected, actual, strict=True)))
    return bool(expected == actual)


def dig(data: Any, path: str) -> str:
    for part in path.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    assert isinstance(data, str), f"{path} is not a string: {data!r}"
    return data


async def over_http(client: httpx.AsyncClient, block: md.Block, marker: dict[str, Any],
                    key: str, variables: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = await client.post("/graphql", headers=headers(key, marker),
                                 json={"query": block.text, "variables": variables})
    return response.status_code, orjson.loads(response.content)


async def over_ws(url: str, block: md.Block, marker: dict[str, Any], key: str,
                  variables: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Subscribe, and answer what came within two seconds: an `error` message as errors, a
    `next` as its payload, silence as accepted (the subscription waits for events)."""
    from websockets.asyncio.client import connect

    async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": headers(key, marker)}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert ack["type"] == "connection_ack", ack
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": block.text, "variables": variables}}))
        with contextlib.suppress(TimeoutError):
            message = json.loads(await asyncio.wait_for(ws.recv(), 2))
            if message["type"] == "error":
                return 200, {"errors": message["payload"]}
            if message["type"] == "next":
                return 200, dict(message["payload"])
        await ws.send(json.dumps({"id": "1", "type": "complete"}))
        return 200, {"data": None}


def check(block: md.Block, marker: dict[str, Any], status: int, body: dict[str, Any],
          known: dict[str, str]) -> list[str]:
    problems = []
    expected = set(marker.get("expect", []))
    codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}
    if status != marker.get("status", 200):
        problems.append(f"HTTP {status}, expected {marker.get('status', 200)}")
    if codes - expected:
        problems.append(f"unexpected errors {sorted(map(str, codes - expected))}: "
                        f"{body.get('errors')}")
    if expected - codes:
        problems.append(f"expected codes {sorted(expected - codes)} did not come: {body}")
    if "data" in marker and not subset(fill(marker["data"], known), body.get("data")):
        problems.append(f"data {body.get('data')} does not hold {marker['data']}")
    if not expected and not marker.get("data") and operation_type(block.text) != (
            OperationType.SUBSCRIPTION):
        nulls = [k for k, v in (body.get("data") or {}).items() if v is None]
        if body.get("data") is None or nulls:
            problems.append(f"no data at {nulls or 'all'}")
    return problems


async def run_page(page: Any, client: httpx.AsyncClient, agencies: Agencies,
                   places: dict[str, str], ws: Any) -> list[str]:
    known = dict(places)
    last: dict[str, Any] | None = None
    problems: list[str] = []
    for block in md.blocks(page):
        marker = block.marker
        if marker is None or block.lang not in ("graphql", "python"):
            continue
        assert set(marker) <= md.KEYS, f"{block.where}: unknown keys {set(marker) - md.KEYS}"
        if block.lang == "python":
            try:
                exec(compile(block.text, block.where, "exec"), {"data": last})  # noqa: S102
            except Exception as exc:  # noqa: BLE001 — reported with the block's place
                problems.append(f"{block.where}: {type(exc).__name__}: {exc}")
            continue
        expected = set(marker.get("expect", []))
        if not expected & REQUEST_ERRORS:
            invalid = validate(schema._schema, parse(block.text))
            if invalid:
                problems.append(f"{block.where}: not valid: {[e.message for e in invalid]}")
                continue
        key = await agencies.key(marker.get("role", "residents_committee"),
                                 fill(marker.get("communities", ["<community-code>"]), known))
        variables = fill(marker.get("variables", {}), known)
        if not expected & REQUEST_ERRORS and operation_type(block.text) == (
                OperationType.SUBSCRIPTION):
            status, body = await over_ws(ws(), block, marker, key, variables)
        else:
            status, body = await over_http(client, block, marker, key, variables)
        problems += [f"{block.where}: {p}" for p in check(block, marker, status, body, known)]
        last = body.get("data")
        for name, path in marker.get("save", {}).items():
            known[name] = dig(last, path)
    return problems


@pytest.mark.parametrize("page", PAGES, ids=ids)
async def test_every_example_of_the_page_runs(page: Any, docs_client: httpx.AsyncClient,
                                              docs_agencies: Agencies, places: dict[str, str],
                                              request: pytest.FixtureRequest) -> None:
    def ws() -> str:
        return str(request.getfixturevalue("ws_url"))

    problems = await run_page(page, docs_client, docs_agencies, places, ws)
    assert problems == []
