"""What every Relay connection shares: its page info."""

from __future__ import annotations

import strawberry


@strawberry.type(description="Where a page ends, and whether another follows (Relay)")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None
