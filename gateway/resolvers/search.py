"""findHouseholds: normalize what the caller typed the way linkage normalizes partner data."""

from __future__ import annotations

import strawberry

from gateway.context import Context
from gateway.errors import BadRequest
from gateway.linkage.match import block_key
from gateway.linkage.normalize import address_key, parse_address, parse_id, parse_name, parse_phones

Info = strawberry.Info[Context, None]


async def find_households(
    info: Info, *, address: str | None, name: str | None, id_number: str | None, phone: str | None
) -> list[tuple[str, float, list[str]]]:
    if not any((address, name, id_number, phone)):
        raise BadRequest("give at least one of address, name, idNumber, phone")
    access = info.context.access
    ident = parse_id(id_number) if id_number else None
    if id_number and (ident is None or ident.value is None):
        raise BadRequest("idNumber is not a valid resident ID number", argument="idNumber")
    phones = [p.value for p in parse_phones(phone) if p.value] if phone else []
    full_name = parse_name(name).full if name else None
    key = part = entrance = None
    if address:
        compounds = [r["name"] for r in await info.context.store.fetch("SELECT name FROM compounds")]
        parsed = parse_address(address, known_compounds=compounds)
        key = address_key(parsed) if parsed.compound else None
        part = block_key(parsed)
        entrance = parsed.entrance
    rows = await info.context.store.find_households(
        id_number=ident.value if ident else None, phone=phones[0] if phones else None,
        name=full_name, address_key=key, partial=part, entrance=entrance,
        communities=access.communities,
    )
    if rows and (name or id_number or phone):
        # Finding a household by a person's name, ID number or phone reads their identity.
        households = await info.context.store.households_by_key([r["key"] for r in rows])
        for row in households.values():
            access.level("identity", row.key, row.community_code)
    return [(r["key"], float(r["score"]), sorted(r["matched"])) for r in rows]
