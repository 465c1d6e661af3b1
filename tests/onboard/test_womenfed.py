"""The women's federation, a body of its own reached by its definition file alone: it reads
every row of its ledger in the shared mass-organization drop, maps each as the 维权来访登记
columns say (docs/partners.md §4), and quarantines a row that breaks the mapping."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

from gateway.adapters.partners import massorg
from gateway.onboard.build import build
from gateway.onboard.loader import load_file

DEFINITION = Path(__file__).resolve().parents[2] / "gateway/onboard/definitions/womenfed.yaml"


async def _feed(adapter: Any, entity: str) -> tuple[list[Any], list[Any]]:
    records, bad = [], []
    async for batch in adapter.changes(entity, None):
        records.extend(batch.records)
        bad.extend(batch.quarantined)
    return records, bad


def _ledger(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return {row["编号"]: row for row in csv.DictReader(fh) if row["编号"]}


async def test_the_definition_reads_the_ledger_whole(world_folder: Path, tmp_path: Path) -> None:
    drop = tmp_path / "massorg"
    shutil.copytree(world_folder / "massorg", drop)
    month = sorted(p for p in drop.iterdir() if p.is_dir())[-1]
    current = sorted(month.glob("妇联_维权来访登记_*.csv"))[-1]
    ledger = _ledger(current)
    with current.open("a", encoding="utf-8") as fh:
        fh.write(",2026-11-02,来访\n")  # no key, and cut short
    definition, _ = load_file(DEFINITION)
    adapter = await build(definition, env={"MASSORG_FOLDER": str(drop)})
    try:
        got, bad = await _feed(adapter, "rights_case")
    finally:
        await adapter.aclose()
    assert len(got) > 5 and {r.partner for r in got} == {"womenfed"}
    assert {r.local_id for r in got} == set(ledger)
    for record in got:
        row = ledger[record.local_id]
        assert record.data["number"] == record.local_id and record.data["body"] == "妇联"
        assert record.data["category"] == (row["问题类别"].strip() or None)
        assert record.data["name"] == (row["来访人"].strip() or None)
        [subject] = record.subjects
        assert (subject.role, subject.name) == ("visitor", row["来访人"])
    assert any(q.line == len(ledger) + 2 or "missing key" in q.reason for q in bad)
    assert bad, "the broken row is quarantined, not dropped"


def test_the_massorg_module_no_longer_reads_rights_cases() -> None:
    assert set(massorg.ENTITIES) == {"hardship_file", "volunteer", "pairing"}
