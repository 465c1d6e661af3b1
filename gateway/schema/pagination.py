"""What every Relay connection shares: its page info, and the generic edge and connection that
the lists which grow without bound are paged with (docs/pagination.md)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Generic, TypeVar

import orjson
import strawberry

from gateway.errors import BadRequest

T = TypeVar("T")

# The largest page a resolver serves; the guard refuses a larger `first` before any resolver
# runs (PAGE_TOO_LARGE, `max_page_size` in gateway/limits/config.py).
MAX_PAGE = 100
DEFAULT_PAGE = 20


@strawberry.type(description="Where a page ends, and whether another follows (Relay)")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str = strawberry.field(
        description="This item's sort key: the next page starts after it, wherever it stands")
    node: T


@strawberry.type(description="A page of a list that grows, in the stable order its field "
                 "names (Relay connection, keyset cursors)")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int


def keyset_cursor(tag: str, key: Sequence[str]) -> str:
    """An opaque cursor carrying the sort key (or identity) of a list's item; `tag` names the
    list, so a cursor of another list is refused."""
    return base64.urlsafe_b64encode(f"{tag}:".encode() + orjson.dumps(list(key))).decode()


def keyset_key(tag: str, cursor: str, width: int) -> tuple[str, ...]:
    """The key a cursor of list `tag` carries (`width` strings); BAD_REQUEST for anything else,
    another list's cursor included."""
    prefix = f"{tag}:".encode()
    try:
        raw = base64.urlsafe_b64decode(cursor.encode())
        key = orjson.loads(raw.removeprefix(prefix)) if raw.startswith(prefix) else None
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise BadRequest("malformed cursor", argument="after", cursor=cursor) from exc
    if not isinstance(key, list) or len(key) != width or not all(isinstance(v, str) for v in key):
        raise BadRequest("malformed cursor", argument="after", cursor=cursor)
    return tuple(key)
