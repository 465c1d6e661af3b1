"""Where a body's record lives, and whether a request may ask for records of a field group at
all — the two questions asked before a record reached by its id (`node(id)`, a repair order's
12345 work order) is shown.

A record linked to households lives where they are, whatever community it names itself; a
record linked to none lives in the community it names. A request whose role has no grant for a
group anywhere it sees is refused before any id is looked up, so the refusal is the same for an
id that exists, one in another community and one never issued.
"""

from __future__ import annotations

from dataclasses import dataclass

import strawberry

from gateway.context import Context
from gateway.errors import ForbiddenField, GatewayError

Info = strawberry.Info[Context, None]


@dataclass(frozen=True, slots=True)
class Placement:
    """`linked`: (household key, community) of every household the record is linked to (auto or
    confirmed); `named`: the community the record names, for one linked to none."""

    linked: tuple[tuple[str, str], ...]
    named: str | None

    def visible(self, info: Info) -> tuple[str, str] | None:
        """(household key, community) where this request may see the record — a visible linked
        household, or ('', the community it names) for one linked to none; None: nowhere."""
        access = info.context.access
        if self.linked:
            return next(((key, code) for key, code in self.linked if access.sees(code)), None)
        return ("", self.named) if self.named and access.sees(self.named) else None


async def placement(info: Info, partner: str, entity: str, local_id: str) -> Placement:
    rows = await info.context.store.fetch(
        """SELECT h.key, h.community_code, s.attrs->>'community' AS named FROM source_records s
           LEFT JOIN links l ON l.source_record_id = s.id AND l.status IN ('auto', 'confirmed')
           LEFT JOIN households h ON h.id = l.household_id
           WHERE s.partner = $1 AND s.entity = $2 AND s.local_id = $3
           ORDER BY h.key NULLS LAST""",
        partner, entity, local_id)
    linked = tuple((r["key"], r["community_code"]) for r in rows if r["key"] is not None)
    named = next((r["named"] for r in rows if r["named"]), None)
    return Placement(linked=linked, named=named)


async def seen_communities(info: Info) -> list[str]:
    """The codes of the communities this request's agency sees (read once a request)."""
    codes = info.context.access.communities
    if codes is not None:
        return codes
    if "seen_communities" not in info.context.extra:
        rows = await info.context.store.fetch("SELECT code FROM communities ORDER BY code")
        info.context.extra["seen_communities"] = [r["code"] for r in rows]
    return list(info.context.extra["seen_communities"])


async def granted_somewhere(info: Info, group: str, *, full: bool = False) -> list[str]:
    """The communities the agency sees where `group` is granted for the request's purpose (in
    full, with `full`); when there is none, the coded refusal `Access.check` gives (purpose,
    officer, grant), or `FORBIDDEN_FIELD` — decided without looking at any record."""
    access = info.context.access
    granted: list[str] = []
    refusal: GatewayError | None = None
    for code in await seen_communities(info):
        try:
            level = access.check(group, code)
        except GatewayError as exc:
            refusal = refusal or exc
            continue
        if level == "full" or not full:
            granted.append(code)
    if granted:
        return granted
    if refusal is not None:
        raise refusal
    needs = f"{group} in full" if full else group
    raise ForbiddenField(f"no grant for {needs}", group=group)
