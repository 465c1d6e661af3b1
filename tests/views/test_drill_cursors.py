"""Keyset cursors of `briefItems`: a cursor names the last item of a page, so the next page
starts after that item even when items were added before it, and a cursor whose item left the
list is refused, never silently restarted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest

from gateway.demo.names import TODAY
from gateway.errors import BadRequest
from gateway.views.drill import StaleCursor, items
from gateway.views.scope import Scope

FIGURE = "disputes.opened"


@pytest.fixture
async def conn(synced: Any, store_uri: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection inside a transaction that is rolled back: the shared store stays as is."""
    conn = await asyncpg.connect(store_uri)
    tx = conn.transaction()
    await tx.start()
    try:
        yield conn
    finally:
        await tx.rollback()
        await conn.close()


async def _scope(conn: asyncpg.Connection) -> Scope:
    community = await conn.fetchval(
        """SELECT community_code FROM facts WHERE kind = 'dispute' AND community_code IS NOT NULL
           GROUP BY community_code ORDER BY count(*) DESC LIMIT 1""")
    start = TODAY - timedelta(days=364)
    return Scope(community, start, TODAY, max(TODAY, date.today()))


async def _all(conn: asyncpg.Connection, scope: Scope) -> list[str]:
    page = await items(conn, scope, FIGURE, None, first=200, after=None)
    assert not page.page_info.has_next_page
    return [e.node.local_id or "" for e in page.edges]


async def test_a_page_follows_its_cursors_item_when_items_are_added_before_it(
        conn: asyncpg.Connection) -> None:
    scope = await _scope(conn)
    first = await items(conn, scope, FIGURE, None, first=5, after=None)
    assert len(first.edges) == 5 and first.total_count > 10
    anchor = first.edges[-1].node.local_id
    # A dispute opened on the period's last day sorts first (newest first): an offset cursor
    # would now repeat the first page's last item.
    await conn.execute(
        """INSERT INTO facts (partner, entity, local_id, kind, body, is_open, is_dispute,
                              opened_on, community_code, stated_community, category, status, read_at)
           VALUES ('mediation', 'dispute', 'ZZ-NEW', 'dispute', 'MEDIATION', true, true, $2,
                   $1, $1, 'NEIGHBOR', 'REGISTERED', now())""", scope.community, scope.end)
    listed = await _all(conn, scope)
    assert listed[0] == "ZZ-NEW" and len(listed) == first.total_count + 1
    second = await items(conn, scope, FIGURE, None, first=5,
                         after=first.page_info.end_cursor)
    at = listed.index(anchor or "")
    assert [e.node.local_id for e in second.edges] == listed[at + 1:at + 6]
    assert second.total_count == first.total_count + 1


async def test_a_cursor_whose_item_left_the_list_is_refused(conn: asyncpg.Connection) -> None:
    scope = await _scope(conn)
    first = await items(conn, scope, FIGURE, None, first=3, after=None)
    gone = first.edges[-1].node
    await conn.execute("DELETE FROM facts WHERE partner = $1 AND local_id = $2",
                       gone.partner, gone.local_id)
    with pytest.raises(StaleCursor) as caught:
        await items(conn, scope, FIGURE, None, first=3, after=first.page_info.end_cursor)
    assert caught.value.code == "CURSOR_STALE"


@pytest.mark.parametrize("cursor", ["bm90IGEgY3Vyc29y", "bjo1", "bi:[1,2]", "!!"])
async def test_a_malformed_cursor_is_a_bad_request(conn: asyncpg.Connection,
                                                   cursor: str) -> None:
    scope = await _scope(conn)
    with pytest.raises(BadRequest) as caught:
        await items(conn, scope, FIGURE, None, first=3, after=cursor)
    assert caught.value.code == "BAD_REQUEST"
