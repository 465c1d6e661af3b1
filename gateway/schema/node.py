"""The `Node` interface: every object with a global id, fetchable through `node(id)`.

Ids are readable, not opaque: `Household:<户编号>`, `Community:<code>`, `Building:<n>`, and for
records held by a body `<Type>:<partner>:<local id>` (e.g. `Dispute:mediation:M000123`).
"""

from __future__ import annotations

import strawberry

from gateway.errors import MalformedId


@strawberry.interface(description="An object with a global id")
class Node:
    id: strawberry.ID


def split_id(value: str, *, parts: int) -> list[str]:
    pieces = value.split(":", parts - 1)
    if len(pieces) != parts or not all(pieces):
        raise MalformedId(f"malformed id {value!r}", id=value)
    return pieces
