"""node(id): every global id resolves through the same loaders as its field would."""

from __future__ import annotations

from dataclasses import replace

import strawberry

from gateway.auth.access import mask_name
from gateway.context import Context
from gateway.errors import MalformedId
from gateway.resolvers.fetch import body_of, record
from gateway.schema import from_records as build
from gateway.schema.node import Node, split_id
from gateway.schema.party import PartyMember
from gateway.schema.records import Resident

Info = strawberry.Info[Context, None]

_RECORD_TYPES = {"Resident": ("resident", build.resident), "PartyMember": ("member", build.party_member)}
_GROUP = {"Resident": "identity", "PartyMember": "party", "Dispute": "disputes"}


async def _scope(info: Info, partner: str, entity: str, local_id: str) -> tuple[str, str] | None:
    """(household key, community) of a visible household the record is linked to; for a
    record linked to none, the community it names (a linked one is where linkage put it, not
    where it says it is)."""
    rows = await info.context.store.fetch(
        """SELECT h.key, h.community_code FROM source_records s
           JOIN links l ON l.source_record_id = s.id AND l.status IN ('auto', 'confirmed')
           JOIN households h ON h.id = l.household_id
           WHERE s.partner = $1 AND s.entity = $2 AND s.local_id = $3
           UNION ALL
           SELECT '', s.attrs->>'community' FROM source_records s
           WHERE s.partner = $1 AND s.entity = $2 AND s.local_id = $3
             AND NOT EXISTS (SELECT 1 FROM source_records o
                             JOIN links l ON l.source_record_id = o.id
                                         AND l.status IN ('auto', 'confirmed')
                             WHERE o.partner = $1 AND o.entity = $2 AND o.local_id = $3)""",
        partner, entity, local_id)
    access = info.context.access
    for r in rows:
        if r["community_code"] and access.sees(r["community_code"]):
            return r["key"], r["community_code"]
    return None


async def resolve_node(info: Info, value: str) -> Node | None:
    from gateway.schema.community import Building, community_by_code
    from gateway.schema.household import Household

    kind = value.split(":", 1)[0]
    if kind not in {"Community", "Building"}:
        info.context.access.households_allowed()  # households and records of people
    if kind == "Household":
        _, key = split_id(value, parts=2)
        row = await info.context.loaders.household_by_key.load(key)
        return Household.of(row) if row and info.context.access.sees(row.community_code) else None
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
        if not rows or not info.context.access.sees(rows[0]["community_code"]):
            return None
        return Building.of(rows[0]["id"], rows[0]["number"], rows[0]["name"],
                           rows[0]["community_code"])
    if kind in _RECORD_TYPES or kind == "Dispute":
        _, partner, local_id = split_id(value, parts=3)
        entity, make = _RECORD_TYPES.get(kind, ("dispute", None))
        if partner not in info.context.services.adapters:
            return None
        # Where the record lives decides who may see it: outside the agency's communities it
        # is not found (whether it exists is not said), inside it needs its field group.
        scope = await _scope(info, partner, entity, local_id)
        if scope is None:
            return None
        shown = info.context.access.level(_GROUP[kind], *scope)
        found = await record(info, partner, entity, local_id)
        if found is None:
            return None
        body = body_of(info.context, partner)
        if make is None:
            item = build.dispute(found, body, [])
            if shown == "masked":
                item = replace(item, parties=[replace(p, name=mask_name(p.name))
                                              for p in item.parties])
            return item
        node = make(found, body)
        if isinstance(node, Resident):
            node = replace(node, scope=scope, identity_level=shown)
        if shown == "masked" and isinstance(node, Resident | PartyMember):
            node = replace(node, name=mask_name(node.name))
        return node
    raise MalformedId(f"malformed id {value!r}: unknown type {kind!r}", id=value)
