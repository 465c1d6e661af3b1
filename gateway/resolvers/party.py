"""Resolvers for Party members and the 包联 responsibility chain."""

from __future__ import annotations

import strawberry

from gateway.context import Context
from gateway.resolvers.fetch import body_of, record
from gateway.schema import from_records as build
from gateway.schema.party import PartyMember


async def member_by_local_id(
    info: strawberry.Info[Context, None], partner: str, local_id: str | None
) -> PartyMember | None:
    if not local_id:
        return None
    found = await record(info, partner, "member", local_id)
    return build.party_member(found, body_of(info.context, partner)) if found else None
