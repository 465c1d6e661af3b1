"""First linkage, measured against the generator's ground truth (which the gateway never reads)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import asyncpg

# Records about a room rather than a person: each of their subjects (owner, tenant) is linked on
# its own, and the record is placed where one of them lives.
ROOM_ENTITIES = ("occupancy",)


def _placed(rows: list[Any]) -> dict[tuple[str, str, str], set[str]]:
    """Per record, the household keys its subjects were linked to (empty: none was)."""
    out: dict[tuple[str, str, str], set[str]] = {}
    for r in rows:
        keys = out.setdefault((r["partner"], r["entity"], r["local_id"]), set())
        if r["key"]:
            keys.add(r["key"])
    return out


async def test_records_link_to_the_right_household(synced: Any, store_uri: str,
                                                   truth: list[dict[str, Any]]) -> None:
    truth_household = {(t["partner"], t["entity"], t["local_id"]): t.get("household") for t in truth}
    registry = {t["local_id"]: t["household"] for t in truth
                if t["partner"] == "rc" and t["entity"] == "household"}
    conn = await asyncpg.connect(store_uri)
    try:
        rows = await conn.fetch(
            """SELECT s.partner, s.entity, s.local_id, s.subject, h.key
               FROM source_records s LEFT JOIN links l ON l.source_record_id = s.id
               LEFT JOIN households h ON h.id = l.household_id
                 AND l.status IN ('auto', 'confirmed')
               WHERE (s.partner <> 'rc' OR s.entity = 'reception')
                 AND (s.subject = 0 OR s.entity = ANY($1::text[]))
                 AND coalesce(s.attrs->>'targetLevel', 'household') = 'household'""",
            list(ROOM_ENTITIES))
    finally:
        await conn.close()
    ENTITY_TRUTH = {"organization"}
    right = wrong = missed = 0
    per_partner: Counter[str] = Counter()
    per_partner_total: Counter[str] = Counter()
    for (partner, entity, local_id), keys in _placed(rows).items():
        if entity in ENTITY_TRUTH:
            continue
        expected = truth_household.get((partner, entity, local_id))
        if expected is None:
            continue
        per_partner_total[partner] += 1
        # A room is the household's that lives in it: the owner's subject places an
        # owner-occupied room, the tenant's a rented one. Any other household is wrong.
        placed = {registry.get(k) for k in keys}
        if placed - {expected}:
            wrong += 1
        elif placed:
            right += 1
            per_partner[partner] += 1
        else:
            missed += 1
    total = right + wrong + missed
    assert total > 1000
    recall = right / total
    precision = right / max(1, right + wrong)
    print(f"\nlinkage: {right}/{total} right ({recall:.3f}), precision {precision:.4f}, "
          f"missed {missed}, wrong {wrong}; per partner "
          + ", ".join(f"{p} {per_partner[p]}/{n}" for p, n in sorted(per_partner_total.items())))
    # The property company writes no ID numbers and names the buyer on the contract, at times
    # a former owner who lives elsewhere: its rooms link by name, phone and room code only, and
    # fewer of them (measured: 96% at 600 households, the owner or the tenant placing a room,
    # its `A03` building codes resolved). The linkage issue's target is over the other bodies.
    rest = sum(n for p, n in per_partner_total.items() if p != "property")
    assert (right - per_partner["property"]) / rest >= 0.98  # the linkage issue's target
    assert per_partner["property"] / per_partner_total["property"] >= 0.93
    assert precision >= 0.995


async def test_receptions_link_to_the_visitors_household(synced: Any, store_uri: str,
                                                         truth: list[dict[str, Any]]) -> None:
    """The committee's own reception log is linked, not anchored: a visitor who left a phone
    (not noted masked) or an address is placed in their true household."""
    expected = {t["local_id"]: t["household"] for t in truth if t["entity"] == "reception"}
    registry = {t["local_id"]: t["household"] for t in truth
                if t["partner"] == "rc" and t["entity"] == "household"}
    conn = await asyncpg.connect(store_uri)
    try:
        rows = await conn.fetch(
            """SELECT s.local_id, s.raw->>'lxdh' AS phone, s.raw->>'zz' AS address, l.status,
                      l.method, h.key
               FROM source_records s LEFT JOIN links l ON l.source_record_id = s.id
               LEFT JOIN households h ON h.id = l.household_id
               WHERE s.partner = 'rc' AND s.entity = 'reception'""")
    finally:
        await conn.close()
    assert len(rows) == len(expected) == 90
    assert all(r["status"] is not None and r["method"] != "anchor" for r in rows)
    keyed = [r for r in rows if expected[r["local_id"]] is not None
             and ((r["phone"] and "*" not in r["phone"]) or r["address"])]
    right = sum(1 for r in keyed if r["status"] == "auto" and r["key"]
                and registry[r["key"]] == expected[r["local_id"]])
    wrong = sum(1 for r in keyed if r["status"] == "auto" and r["key"]
                and registry[r["key"]] != expected[r["local_id"]])
    print(f"\nreceptions: {right}/{len(keyed)} with a phone or address linked right, {wrong} wrong")
    assert len(keyed) >= 75
    assert right / len(keyed) >= 0.9 and wrong <= 1
