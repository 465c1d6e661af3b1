"""node(id): every global id resolves through the same loaders as its field would, under the
same grants and scope.

A record's id (`Resident:`, `PartyMember:`, `Dispute:`, `LinkReview:`) first needs its field
group granted somewhere the agency sees: without that, the refusal comes before the id is looked
up, the same for an id that exists and one that does not. Then the record is looked for where
it lives (gateway/resolvers/record_scope.py): outside the agency's communities it is not found.
"""

from __future__ import annotations

from dataclasses import replace

import strawberry

from gateway.auth.access import mask_name
from gateway.context import Context
from gateway.errors import MalformedId
from gateway.resolvers.fetch import body_of, record
from gateway.resolvers.record_scope import granted_somewhere, placement
from gateway.schema import from_records as build
from gateway.schema.node import Node, split_id
from gateway.schema.party import PartyMember
from gateway.schema.records import Resident

Info = strawberry.Info[Context, None]

_RECORD_TYPES = {"Resident": ("resident", build.resident), "PartyMember": ("member", build.party_member)}
_GROUP = {"Resident": "identity", "PartyMember": "party", "Dispute": "disputes"}


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
    if kind == "LinkReview":
        return await _review(info, value)
    if kind in _RECORD_TYPES or kind == "Dispute":
        _, partner, local_id = split_id(value, parts=3)
        entity, make = _RECORD_TYPES.get(kind, ("dispute", None))
        await granted_somewhere(info, _GROUP[kind])  # before anything is looked up
        if partner not in info.context.services.adapters:
            return None
        # Where the record lives decides who may see it: outside the agency's communities it
        # is not found (whether it exists is not said), inside it needs its field group.
        scope = (await placement(info, partner, entity, local_id)).visible(info)
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


async def _review(info: Info, value: str) -> Node | None:
    """A proposed link, for an agency that may review links (the identity group in full
    somewhere it sees) — refused to any other before the id is looked up — and only where its
    review queue would show it."""
    from gateway.linkage.review import RecordKey
    from gateway.schema.review import review_by_key

    key = RecordKey.parse(value)
    communities = await granted_somewhere(info, "identity", full=True)
    return await review_by_key(info, key, communities)
