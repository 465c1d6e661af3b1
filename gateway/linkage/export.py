"""Write a synced store's records, and a generated district's truth, as interchange files.

One records row per source record subject that is about a person or a household (place-level
responsibilities and records without a subject are left out), spelled as the partner wrote it
(`attrs.raw`); `record_id` is `entity:local_id#subject`. The register's rows carry what anchors
them: `household_ref` (the registry's 户编号), `target_level` household for the household's own
row, person for a resident, and the resident's birth date and gender. The registry body's other
records (its reception log) carry no `household_ref`: they are linked like any other source's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from gateway.linkage.interchange import RecordRow, TruthRow, write_records, write_truth
from gateway.linkage.registry import is_register

RECORD_LEVELS = frozenset({None, "household", "person"})


@dataclass(frozen=True, slots=True)
class Exported:
    records: int
    with_truth: int
    records_path: Path
    truth_path: Path


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def record_id(entity: str, local_id: str, subject: int) -> str:
    return f"{entity}:{local_id}#{subject}"


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def record_row(rec: Mapping[str, Any], communities: Mapping[str, str]) -> RecordRow | None:
    """The interchange row of one `source_records` row, None when it is not exported."""
    attrs = _json(rec["attrs"]) or {}
    said = attrs.get("raw")
    if not said or attrs.get("targetLevel") not in RECORD_LEVELS:
        return None
    free = bool(attrs.get("addressIsFreeText"))
    row = RecordRow(
        rec["partner"], record_id(rec["entity"], rec["local_id"], rec["subject"]),
        name=said.get("name"), id_number=said.get("idNumber"), phone=said.get("phone"),
        address=None if free else said.get("address"),
        free_text=said.get("address") if free else None,
        community=attrs.get("community"), target_level=attrs.get("targetLevel"),
        affinity=attrs.get("affinity"))
    if not is_register(rec["partner"], rec["entity"]):
        return row  # without a household_ref: linked, not an anchor (docs/linkage.md)
    raw = _json(rec["raw"])
    if rec["entity"] == "household":
        return replace(row, household_ref=rec["local_id"], target_level="household",
                        community_name=communities.get(attrs.get("community") or ""))
    if rec["entity"] == "resident":
        return replace(row, household_ref=_text(raw.get("hubh")), target_level="person",
                        birth_date=_text(raw.get("csrq")), gender=_text(raw.get("xb")))
    return row


def truth_rows(rows: Iterable[RecordRow], truth: Iterable[Mapping[str, Any]]) -> list[TruthRow]:
    """One truth row per records row, from the generator's truth lines (`truth.jsonl`)."""
    lines = {(t["partner"], t["entity"], t["local_id"]): t for t in truth}
    out = []
    for r in rows:
        entity, rest = r.record_id.split(":", 1)
        local_id, subject = rest.rsplit("#", 1)
        line = lines.get((r.source, entity, local_id)) or {}
        if "parties" in line:  # one truth per subject (a dispute's parties)
            parties = line["parties"]
            line = parties[int(subject)] if int(subject) < len(parties) else {}
        elif subject != "0":
            line = {}
        out.append(TruthRow(r.source, r.record_id, line.get("person"), line.get("household")))
    return out


def district_folders(data_dir: Path) -> list[Path]:
    """The generated districts (`gateway demo` writes `district-<households>-<seed>`) in a data
    folder that hold a truth file."""
    return sorted(p for p in data_dir.glob("district-*") if (p / "truth.jsonl").is_file())


async def export_store(store_uri: str, truth_path: Path, out: Path) -> Exported:
    """Write `records.csv` and `truth.csv` into `out` from the store and a truth.jsonl file."""
    conn = await asyncpg.connect(store_uri)
    try:
        communities = {r["code"]: r["name"]
                       for r in await conn.fetch("SELECT code, name FROM communities")}
        records = await conn.fetch(
            "SELECT partner, entity, local_id, subject, attrs, raw FROM source_records "
            "ORDER BY partner, entity, local_id, subject")
    finally:
        await conn.close()
    rows = [row for rec in records if (row := record_row(rec, communities)) is not None]
    with truth_path.open("rb") as fh:
        truth = truth_rows(rows, (orjson.loads(line) for line in fh if line.strip()))
    out.mkdir(parents=True, exist_ok=True)
    write_records(out / "records.csv", rows)
    write_truth(out / "truth.csv", truth)
    known = sum(1 for t in truth if t.person or t.household)
    return Exported(len(rows), known, out / "records.csv", out / "truth.csv")


__all__ = ["Exported", "district_folders", "export_store", "record_id", "record_row", "truth_rows"]
