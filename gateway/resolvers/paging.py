"""Keyset pages over a list a resolver already holds (a household's appeals, a compound's
tallies): newest first, ties by the item's identity at its source.

A cursor is the sort key of the last item of a page — its date and identity, opaque base64 —
never a position: the next page is every item that sorts after that key, so an item added
before it (a new appeal, newest first) neither repeats nor pushes one out, and an item that
has gone since leaves the cursor valid. The whole list is counted for `totalCount`; its records
were fetched through the request's loaders, so a page of households still batches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from gateway.errors import BadRequest
from gateway.schema.pagination import (
    DEFAULT_PAGE,
    MAX_PAGE,
    Connection,
    Edge,
    PageInfo,
    keyset_cursor,
    keyset_key,
)

T = TypeVar("T")

# (date or "", identity...): dates compare as the bodies write them (ISO), newest first; the
# identity (partner, entity, local id…) breaks ties, ascending.
SortKey = tuple[str, ...]


def page_size(first: int | None) -> int:
    size = DEFAULT_PAGE if first is None else first
    if size < 0 or size > MAX_PAGE:
        raise BadRequest(f"first must be between 0 and {MAX_PAGE}", argument="first")
    return size


# A cursor carries the last item's sort key (gateway/schema/pagination.py).
encode, decode = keyset_cursor, keyset_key


def _after(key: SortKey, anchor: SortKey) -> bool:
    """Whether `key` sorts after `anchor`: older, or as old and later by identity."""
    return key[0] < anchor[0] or (key[0] == anchor[0] and key[1:] > anchor[1:])


def ordered(items: Sequence[T], key: Callable[[T], SortKey]) -> list[T]:
    by_identity = sorted(items, key=lambda i: key(i)[1:])
    return sorted(by_identity, key=lambda i: key(i)[0], reverse=True)  # stable: ties keep identity


def connection(items: Sequence[T], key: Callable[[T], SortKey], *, tag: str, width: int,
               first: int | None, after: str | None) -> Connection[T]:
    """A page of `items` after the cursor `after`; `tag` names the list, `width` its key's."""
    size = page_size(first)
    rest = ordered(items, key)
    if after:
        anchor = decode(tag, after, width)
        rest = [i for i in rest if _after(key(i), anchor)]
    edges = [Edge(cursor=encode(tag, key(i)), node=i) for i in rest[:size]]
    return Connection(edges=edges, total_count=len(items), page_info=PageInfo(
        has_next_page=len(rest) > size, end_cursor=edges[-1].cursor if edges else None))
