"""What every Relay connection shares: its page info, and the generic edge and connection that
the lists which grow without bound are paged with (docs/pagination.md)."""

from __future__ import annotations

from typing import Generic, TypeVar

import strawberry

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
