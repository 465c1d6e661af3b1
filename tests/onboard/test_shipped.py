"""The shipped definitions read the demo district's bodies completely: every record the world
generator gave the property SaaS, the owners' committees' workbooks and the women's
federation's drop comes out mapped (counted against the ground truth), each with its subjects."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from gateway.onboard.build import build
from gateway.onboard.loader import load_file

SHIPPED = Path(__file__).resolve().parents[2] / "gateway" / "onboard" / "definitions"


def env_of(district: Any) -> dict[str, str]:
    return {**district.definition_vars(), "MASSORG_FOLDER": str(district.massorg_folder)}


@pytest.mark.parametrize("slug", ["property", "owners", "womenfed"])
async def test_a_shipped_definition_reads_its_body_whole(
    slug: str, district: Any, truth: list[dict[str, Any]]
) -> None:
    definition, _ = load_file(SHIPPED / f"{slug}.yaml")
    adapter = await build(definition, env=env_of(district), timeout_ms=30_000)
    got: Counter[str] = Counter()
    bad: list[str] = []
    keys: dict[str, list[str]] = {}
    try:
        assert (await adapter.health()).ok
        for entity in definition.entities:
            async for batch in adapter.changes(entity, None):
                got[entity] += len(batch.records)
                bad += [f"{q.origin}:{q.line} {q.reason}" for q in batch.quarantined]
                keys.setdefault(entity, []).extend(r.local_id for r in batch.records)
                if definition.entities[entity].subjects:  # a project is about no person
                    assert all(r.subjects for r in batch.records)
        # The live batch read gives the same record as the feed (files: from the drop).
        entity = next(iter(definition.entities))
        sample = keys[entity][:3]
        slots = await adapter.fetch_many(entity, sample)
        assert [s.local_id for s in slots] == sample  # type: ignore[union-attr]
    finally:
        await adapter.aclose()
    expected = Counter(t["entity"] for t in truth
                       if t["partner"] == slug and t["entity"] in definition.entities)
    if slug == "womenfed":  # the drop's planted noise (docs/partners.md §4)
        assert bad and all("duplicate key" in b or "missing key" in b for b in bad), bad
    else:
        assert bad == []
    assert got == expected
