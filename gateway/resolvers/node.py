"""node(id): every global id resolves through the same loaders as its field would."""

from __future__ import annotations

import strawberry

from gateway.context import Context
from gateway.errors import MalformedId
from gateway.resolvers.fetch import body_of, record
from gateway.schema import from_records as build
from gateway.schema.node import Node, split_id

Info = strawberry.Info[Context, None]

_RECORD_TYPES = {"Resident": ("resident", build.resident), "PartyMember": ("member", build.party_member)}


async def resolve_node(info: Info, value: str) -> Node | None:
    from gateway.schema.community import Building, community_by_code
    from gateway.schema.household import Household

    kind = value.split(":", 1)[0]
    if kind == "Household":
        _, key = split_id(value, parts=2)
        row = await info.context.loaders.household_by_key.load(key)
        return Household.of(row) if row else None
    if kind == "Community":
        _, code = split_id(value, parts=2)
        return await community_by_code(info, code)
    if kind == "Building":
        _, number = split_id(value, parts=2)
        if not number.isdigit():
            raise MalformedId(f"malformed id {value!r}", id=value)
        rows = await info.context.store.fetch(
            "SELECT b.id, b.number, c.name, c.community_code FROM buildings b "
            "JOIN compounds c ON c.id = b.compound_id WHERE b.id = $1", int(number))
        return Building.of(rows[0]["id"], rows[0]["number"], rows[0]["name"],
                           rows[0]["community_code"]) if rows else None
    if kind in _RECORD_TYPES or kind == "Dispute":
        _, partner, local_id = split_id(value, parts=3)
        entity, make = _RECORD_TYPES.get(kind, ("dispute", None))
        if partner not in info.context.services.adapters:
            return None
        found = await record(info, partner, entity, local_id)
        if found is None:
            return None
        body = body_of(info.context, partner)
        return build.dispute(found, body, []) if make is None else make(found, body)
    raise MalformedId(f"malformed id {value!r}: unknown type {kind!r}", id=value)
