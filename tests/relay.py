"""Reading Relay connections in tests: a page's nodes, as the plain lists gave them."""

from __future__ import annotations

from typing import Any


def nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    """The nodes of one page, in its order (a null connection is a failure, not an empty page)."""
    assert connection is not None, "the connection is null"
    return [edge["node"] for edge in connection["edges"]]


def whole(connection: dict[str, Any]) -> list[dict[str, Any]]:
    """The nodes of a page that must hold the whole list (its totalCount)."""
    items = nodes(connection)
    assert len(items) == connection["totalCount"], "the list runs past this page"
    return items
