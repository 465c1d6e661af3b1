"""`gateway partner add | list | show | disable | schema`: the logic behind the commands.

`add` validates the file (an error names its line and key), dry-runs it against the live
source (a sample of mapped records and their link candidates) and registers it as the slug's
next version; every running gateway picks it up within `JUHELI_DEFINITIONS_POLL_S`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import asyncpg
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gateway.onboard import store
from gateway.onboard.dryrun import DryRun, dry_run
from gateway.onboard.loader import read
from gateway.onboard.model import Definition

SCHEMA_FILE = Path("docs/partner-definition.schema.json")


def json_schema() -> str:
    """The format's JSON Schema, as checked in at docs/partner-definition.schema.json."""
    schema = Definition.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Juheli partner definition"
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


async def add(pool: asyncpg.Pool, path: Path, *, partners: Mapping[str, Mapping[str, Any]],
              check_only: bool = False, sample: int = 5,
              env: Mapping[str, str] | None = None) -> tuple[Definition, DryRun, int | None]:
    """Validate, dry-run and (unless `check_only`) register: the definition, what the dry run
    saw, and the version registered."""
    text = path.read_text(encoding="utf-8")
    definition, lines = read(text, file=path.name)
    slug = definition.body.slug
    async with pool.acquire() as conn:
        seen = await dry_run(definition, lines, override=partners.get(slug, {}), env=env,
                             size=sample, conn=conn)
        if check_only:
            return definition, seen, None
        version = await store.register(conn, slug, definition.body.name_zh, text)
    return definition, seen, version


def show_dry_run(console: Console, definition: Definition, seen: DryRun) -> None:
    console.print(f"[bold]{escape(definition.body.slug)}[/bold] {escape(definition.body.name_zh)}"
                  f": source answered in {seen.latency_ms:.0f} ms")
    for sample in seen.samples:
        table = Table(title=f"{sample.entity}: {sample.read} rows read, "
                            f"{len(sample.quarantined)} would be quarantined")
        for column in ("key", "data", "link candidates"):
            table.add_column(column, overflow="fold")
        for i, record in enumerate(sample.records):
            cands = sample.candidates[i] if i < len(sample.candidates) else []
            links = "; ".join(f"{c.role}: {c.status} {c.household or '-'} ({c.confidence})"
                              for c in cands) or "-"
            data = json.dumps(dict(record.data), ensure_ascii=False, default=str)
            table.add_row(escape(record.local_id), escape(data), escape(links))
        console.print(table)
        for q in sample.quarantined[:5]:
            console.print(f"  [yellow]quarantined[/yellow] {escape(q.origin)}"
                          f"{f' line {q.line}' if q.line else ''}: {escape(q.reason)}")


async def listing(pool: asyncpg.Pool) -> list[store.Stored]:
    return await store.latest(pool)


def show_listing(console: Console, rows: list[store.Stored]) -> None:
    table = Table(title="Partner definitions")
    for column in ("slug", "body", "version", "enabled", "added"):
        table.add_column(column)
    for r in rows:
        table.add_row(r.slug, r.body, str(r.version), "yes" if r.enabled else "no",
                      r.added_at.isoformat(timespec="seconds"))
    console.print(table)
