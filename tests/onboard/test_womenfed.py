"""The women's federation, converted from adapter code to a definition file, gives the same
records as the code did, from the same drop — and quarantines the same bad rows."""

from __future__ import annotations

import shutil
from pathlib import Path

from gateway.adapters.files import FileDropAdapter
from gateway.adapters.partners import massorg
from gateway.onboard.build import build
from gateway.onboard.loader import load_file

DEFINITION = Path(__file__).resolve().parents[2] / "gateway/onboard/definitions/womenfed.yaml"


async def _feed(adapter: object, entity: str) -> tuple[list, list]:
    records, bad = [], []
    async for batch in adapter.changes(entity, None):  # type: ignore[attr-defined]
        records.extend(batch.records)
        bad.extend(batch.quarantined)
    return records, bad


def _comparable(r: object) -> tuple:
    return (r.entity, r.local_id, dict(r.data), dict(r.raw), r.subjects, r.live)  # type: ignore[attr-defined]


async def test_the_definition_reads_what_the_code_read(world_folder: Path, tmp_path: Path) -> None:
    drop = tmp_path / "massorg"
    shutil.copytree(world_folder / "massorg", drop)
    # A row that breaks the mapping, appended to the current drop: quarantined by both.
    month = sorted(p for p in drop.iterdir() if p.is_dir())[-1]
    current = sorted(month.glob("妇联_维权来访登记_*.csv"))[-1]
    with current.open("a", encoding="utf-8") as fh:
        fh.write(",2026-11-02,来访\n")  # no key, and cut short
    code = FileDropAdapter(massorg.INFO, drop, {"rights_case": massorg.RIGHTS_CASE})
    definition, _ = load_file(DEFINITION)
    declared = await build(definition, env={"MASSORG_FOLDER": str(drop)})
    try:
        expected, expected_bad = await _feed(code, "rights_case")
        got, got_bad = await _feed(declared, "rights_case")
    finally:
        await code.aclose()
        await declared.aclose()
    assert len(expected) > 5
    assert [_comparable(r) for r in got] == [_comparable(r) for r in expected]
    assert {r.partner for r in got} == {"womenfed"}
    assert [(q.origin, q.line, q.reason, q.raw) for q in got_bad] == \
        [(q.origin, q.line, q.reason, q.raw) for q in expected_bad]
    assert got_bad, "the broken row is quarantined, not dropped"
