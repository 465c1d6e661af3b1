"""物业纠纷 flow through the mediation platform into a household's `disputes` with the schema's
PROPERTY category, on the applicant's household as the ground truth knows it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import orjson

QUERY = """query($id: ID!) { household(id: $id) {
  disputes { number category categoryText source { localId } } } }"""


def _property_disputes(world_folder: Path) -> dict[str, dict[str, Any]]:
    path = world_folder / "rows" / "mediation" / "disputes.jsonl"
    rows = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    return {r["caseId"]: r for r in rows if r["category"] == "物业纠纷"}


async def _linked(store_uri: str, case_ids: list[str]) -> dict[str, str]:
    conn = await asyncpg.connect(store_uri)
    try:
        rows = await conn.fetch(
            """SELECT s.local_id, h.key FROM source_records s
               JOIN links l ON l.source_record_id = s.id AND l.status IN ('auto', 'confirmed')
               JOIN households h ON h.id = l.household_id
               WHERE s.entity = 'dispute' AND s.subject = 0 AND s.local_id = ANY($1)""",
            case_ids)
    finally:
        await conn.close()
    return {r["local_id"]: r["key"] for r in rows}


async def test_property_disputes_reach_the_applicants_household(
        gql: Any, synced: Any, store_uri: str, world_folder: Path,
        truth: list[dict[str, Any]]) -> None:
    disputes = _property_disputes(world_folder)
    assert len(disputes) >= 3, "the generator writes some 物业纠纷"
    hubh = {t["household"]: t["local_id"] for t in truth
            if t["partner"] == "rc" and t["entity"] == "household"}
    applicant = {t["local_id"]: t["household"] for t in truth
                 if t["partner"] == "mediation" and t["entity"] == "dispute"}
    linked = await _linked(store_uri, list(disputes))
    right = {case: key for case, key in linked.items() if hubh.get(applicant[case]) == key}
    assert len(right) >= 0.8 * len(disputes), (len(right), len(disputes))
    for case, key in sorted(right.items())[:12]:
        result = await gql(QUERY, {"id": f"Household:{key}"})
        assert "errors" not in result, result["errors"]
        mine = [d for d in result["data"]["household"]["disputes"]
                if d["source"]["localId"] == case]
        assert len(mine) == 1
        assert mine[0]["category"] == "PROPERTY" and mine[0]["categoryText"] == "物业纠纷"
        assert mine[0]["number"] == disputes[case]["caseNo"]
