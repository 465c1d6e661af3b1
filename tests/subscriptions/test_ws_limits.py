"""The limits of the websockets of /graphql (gateway/subscriptions/_limits.py): the rate limit at
`connection_init` and per `subscribe`, the cap per agency and per client address, the message
budget — each against a real app under uvicorn, spoken to by the Python `websockets` client
(and once by the npm graphql-ws client), over a store of this module's own: the rate counters
and the agencies here disturb no other test. Each test uses agencies of its own, so counters
and caps never carry over; each shows the other agency untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from gateway.subscriptions._limits import Budget
from tests.conftest import agency_key, migrated_store, uvicorn_serving

QUERY = "{ __typename }"  # an operation over the socket that answers at once
WAIT_S = 15


@pytest.fixture(scope="module")
async def ws_store(pg_admin: str) -> str:
    return await migrated_store(pg_admin, "wslimits")


@contextlib.contextmanager
def serving(folder: Path, uri: str, **settings: Any) -> Iterator[str]:
    """An app of its own under `settings`, served by uvicorn: its websocket URL."""
    from gateway.app import create_app
    from gateway.settings import Settings

    app = create_app(Settings(data_dir=folder, **settings), store_uri=uri, partners={})
    with uvicorn_serving(app) as base_url:
        yield base_url.replace("http://", "ws://") + "/graphql"


def params(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "X-Purpose": "case_handling",
            "X-Officer": "ws-officer"}


async def opened(stack: contextlib.AsyncExitStack, url: str) -> ClientConnection:
    return await stack.enter_async_context(connect(
        url, subprotocols=[Subprotocol("graphql-transport-ws")], proxy=None, open_timeout=WAIT_S))


async def receive(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), WAIT_S))
    return message


async def closed(ws: ClientConnection) -> tuple[int | None, str | None]:
    """The code and reason the server closed the socket with (nothing else may come first)."""
    with pytest.raises(ConnectionClosed):
        unexpected = await receive(ws)
        raise AssertionError(f"the socket stayed open: {unexpected}")
    await asyncio.wait_for(ws.wait_closed(), WAIT_S)
    return ws.close_code, ws.close_reason


async def init(ws: ClientConnection, key: str) -> int | None:
    """`connection_init` with the key: None once acknowledged, else the close code."""
    await ws.send(json.dumps({"type": "connection_init", "payload": params(key)}))
    try:
        message = await receive(ws)
    except ConnectionClosed:
        await asyncio.wait_for(ws.wait_closed(), WAIT_S)
        return ws.close_code
    assert message["type"] == "connection_ack", message
    return None


async def operation(ws: ClientConnection, op: str) -> dict[str, Any]:
    """Run QUERY as operation `op`: its `next` (read to its `complete`) or its `error`."""
    await ws.send(json.dumps({"id": op, "type": "subscribe", "payload": {"query": QUERY}}))
    first = await receive(ws)
    assert first.get("id") == op, first
    if first["type"] == "next":
        assert await receive(ws) == {"id": op, "type": "complete"}
    return first


async def answers_ping(ws: ClientConnection) -> bool:
    await ws.send(json.dumps({"type": "ping"}))
    return (await receive(ws))["type"] == "pong"


def websockets_of(agency: str) -> float:
    return REGISTRY.get_sample_value("juheli_websockets", {"agency": agency}) or 0.0


def refused(reason: str) -> float:
    return REGISTRY.get_sample_value("juheli_websockets_refused_total", {"reason": reason}) or 0.0


def test_a_message_budget_is_a_burst_refilled_at_its_rate() -> None:
    now = [100.0]
    budget = Budget(2, clock=lambda: now[0])
    assert [budget.spend() for _ in range(3)] == [True, True, False]
    now[0] += 0.5  # one message's worth
    assert [budget.spend(), budget.spend()] == [True, False]
    now[0] += 60  # never more than the burst
    assert [budget.spend() for _ in range(3)] == [True, True, False]
    assert all(Budget(0).spend() for _ in range(1000))  # 0: no budget


async def test_a_connection_init_past_the_rate_limit_is_closed_with_4429(
        ws_store: str, tmp_path: Path) -> None:
    limit = 2
    key = await agency_key(ws_store, "wsl-init", "residents_committee", ["*"])
    other = await agency_key(ws_store, "wsl-init-other", "residents_committee", ["*"])
    with serving(tmp_path, ws_store, rate_limit=limit, rate_window_s=3600) as url:
        async with contextlib.AsyncExitStack() as stack:
            codes = []  # a window may end between two; within the next one, limit + 1 is refused
            for _ in range(2 * limit + 1):
                codes.append(await init(await opened(stack, url), key))
                if codes[-1] is not None:
                    break
            assert codes[-1] == 4429, codes
            assert codes.count(None) >= limit
            assert await init(await opened(stack, url), other) is None  # its own count


async def test_a_subscribe_past_the_rate_limit_is_refused_and_the_socket_stays_open(
        ws_store: str, tmp_path: Path) -> None:
    limit = 3
    key = await agency_key(ws_store, "wsl-ops", "residents_committee", ["*"])
    other = await agency_key(ws_store, "wsl-ops-other", "residents_committee", ["*"])
    with serving(tmp_path, ws_store, rate_limit=limit, rate_window_s=2) as url:
        async with contextlib.AsyncExitStack() as stack:
            ws, bystander = await opened(stack, url), await opened(stack, url)
            assert await init(ws, key) is None
            assert await init(bystander, other) is None
            answers = []
            for n in range(2 * limit + 2):
                answers.append(await operation(ws, f"op{n}"))
                if answers[-1]["type"] == "error":
                    break
            refused = answers[-1]
            assert refused["type"] == "error", answers
            [error] = refused["payload"]
            assert error["extensions"]["code"] == "RATE_LIMITED"
            assert error["extensions"]["limit"] == limit
            assert 1 <= error["extensions"]["retryAfter"] <= 2
            assert await answers_ping(ws)  # the connection is still open
            allowed = await operation(bystander, "theirs")  # another agency: its own count
            assert allowed["payload"]["data"] == {"__typename": "Query"}

            await asyncio.sleep(error["extensions"]["retryAfter"])  # the next window
            again = await operation(ws, "later")
            assert again["type"] == "next", again
            assert again["payload"]["data"] == {"__typename": "Query"}


async def test_the_agency_cap_refuses_one_more_and_admits_again_once_one_closes(
        ws_store: str, tmp_path: Path) -> None:
    key = await agency_key(ws_store, "wsl-cap", "residents_committee", ["*"])
    other = await agency_key(ws_store, "wsl-cap-other", "residents_committee", ["*"])
    with serving(tmp_path, ws_store, max_connections_per_agency=2, rate_limit=0) as url:
        async with contextlib.AsyncExitStack() as stack:
            first, second = await opened(stack, url), await opened(stack, url)
            assert await init(first, key) is None
            assert await init(second, key) is None
            third = await opened(stack, url)
            assert await init(third, key) == 1013
            assert third.close_reason == "wsl-cap already holds 2 websockets here"
            assert websockets_of("wsl-cap") == 2
            assert await init(await opened(stack, url), other) is None  # not this agency's cap

            await first.close()
            deadline = time.monotonic() + WAIT_S
            while websockets_of("wsl-cap") != 1:  # the server has let the closed one go
                assert time.monotonic() < deadline, "the closed socket was never released"
                await asyncio.sleep(0.05)
            fourth = await opened(stack, url)
            assert await init(fourth, key) is None
            answer = await operation(fourth, "1")
            assert answer["type"] == "next" and answer["payload"]["data"] == {"__typename": "Query"}
            assert websockets_of("wsl-cap") == 2


async def test_a_flood_of_messages_closes_the_socket_with_1008(
        ws_store: str, tmp_path: Path) -> None:
    key = await agency_key(ws_store, "wsl-flood", "residents_committee", ["*"])
    other = await agency_key(ws_store, "wsl-flood-other", "residents_committee", ["*"])
    with serving(tmp_path, ws_store, max_ws_messages_per_s=5, rate_limit=0) as url:
        async with contextlib.AsyncExitStack() as stack:
            ws, bystander = await opened(stack, url), await opened(stack, url)
            assert await init(ws, key) is None
            assert await init(bystander, other) is None
            floods = refused("flood")
            deadline = time.monotonic() + WAIT_S
            with pytest.raises(ConnectionClosed):  # pongs: answered by nothing, read all the same
                while time.monotonic() < deadline:  # far faster than 5 a second
                    await ws.send(json.dumps({"type": "pong"}))
                    await asyncio.sleep(0.001)
            assert await closed(ws) == (1008, "More than 5 messages a second")
            assert refused("flood") == floods + 1
            assert await answers_ping(bystander)


async def test_sockets_awaiting_connection_init_are_capped_per_client_address(
        ws_store: str, tmp_path: Path) -> None:
    key = await agency_key(ws_store, "wsl-pending", "residents_committee", ["*"])
    with serving(tmp_path, ws_store, max_pending_connections=2, rate_limit=0) as url:
        async with contextlib.AsyncExitStack() as stack:
            waiting = [await opened(stack, url), await opened(stack, url)]
            with pytest.raises(InvalidStatus) as refused:
                await opened(stack, url)
            assert refused.value.response.status_code == 403
            assert await init(waiting[0], key) is None  # no longer waiting: its place is free
            assert await init(await opened(stack, url), key) is None


async def test_the_npm_client_sees_the_codes(ws_store: str, tmp_path: Path,
                                             subscribe: Any) -> None:
    key = await agency_key(ws_store, "wsl-npm", "residents_committee", ["*"])
    with serving(tmp_path, ws_store, rate_limit=2, rate_window_s=3600) as url:
        # connection_init counts 1, the first operation 2, the second is one too many
        client = subscribe(url, params(key), [{"query": QUERY}, {"query": QUERY}], count=3)
        client.wait_for(lambda line: line["event"] == "closed")  # both ended: it disposes
        seen = client.drain()
        errors = [line for line in seen if line["event"] == "error"]
        nexts = [line for line in seen if line["event"] == "next"]
        assert len(nexts) == 1 and nexts[0]["payload"]["data"] == {"__typename": "Query"}
        assert [e["extensions"]["code"] for e in errors[0]["errors"]] == ["RATE_LIMITED"]

        late = subscribe(url, params(key), [{"query": QUERY}])
        line = late.wait_for(lambda line: line["event"] == "closed")
        assert line["code"] == 4429
        assert line["reason"].startswith("Rate limit of 2 requests per 3600 s reached")
