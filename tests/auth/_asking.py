"""What the privacy tests share: asking GraphQL as one of a test's agencies, and reading the
coded errors of an answer by where they stand."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx
import orjson

from tests.conftest import agency_headers

Ask = Callable[..., Awaitable[dict[str, Any]]]


def asker(client: httpx.AsyncClient, keys: Mapping[str, str]) -> Ask:
    """`await ask(who, query, variables, purpose=…)`: the answer, as `keys[who]` asks it."""
    async def run(who: str, query: str, variables: dict[str, Any] | None = None,
                  purpose: str = "case_handling") -> dict[str, Any]:
        response = await client.post("/graphql", json={"query": query, "variables": variables or {}},
                                     headers=agency_headers(keys[who], purpose))
        assert response.status_code == 200, response.text
        return dict(orjson.loads(response.content))

    return run


def codes(body: dict[str, Any]) -> dict[str, str]:
    """Error code by the last element of its path."""
    return {str(e["path"][-1]) if e.get("path") else "": e["extensions"]["code"]
            for e in body.get("errors") or []}
