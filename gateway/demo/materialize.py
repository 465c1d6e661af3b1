"""Turn a generated district folder into the partners' own storage.

The generator writes `<folder>/rows/<partner>/<table>.jsonl`. From them:

- `load_sql_partners` (re)creates the PostgreSQL databases `partner_rc` and `partner_party`
  with the tables of docs/partners.md §1–2 and bulk-loads them with COPY;
- `load_rest_partners` builds one SQLite file per REST partner under `<folder>/sim/`, served
  by `gateway.demo.simulators`.

Both load first and index afterwards, which is several times faster than maintaining keys row
by row.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from gateway.db.embedded import with_database
from gateway.demo.simulators import RESOURCES, Resource

__all__ = ["SQL_SCHEMAS", "load_rest_partners", "load_sql_partners", "sort_stamp"]

_SHANGHAI = timezone(timedelta(hours=8))

# Columns as in docs/partners.md; keys, references and indexes follow in _CONSTRAINTS.
SQL_SCHEMAS: dict[str, dict[str, str]] = {
    "rc": {
        "community": "sqbm text, sqmc text not null, jdbm text not null, jdmc text not null",
        "hu": (
            "hubh text, sqbm text not null, hzxm text, hb text, hklx text, xiaoqu text,"
            " loudong text, danyuan text, fanghao text, zhuzhi text, rhzt text, dh text,"
            " wg text, updated_at timestamp not null"
        ),
        "ren": (
            "rybh text, hubh text not null, xm text, xb text, mz text, sfzh text, csrq text,"
            " yhzgx text, zzmm text, rklx text, lxdh text, bq text, djrq text, zxrq text,"
            " updated_at timestamp not null"
        ),
        "huiyi": (
            "hybh text, sqbm text not null, hylx text not null, hyrq date not null, zt text,"
            " cyrs int, jy text, updated_at timestamp not null"
        ),
        "jiedai": (
            "jdbh text, sqbm text not null, jdfs text not null, jdrq date not null, fyr text,"
            " lxdh text, zz text, sxlb text, fysx text, blqk text not null, dfrq date,"
            " blsx date not null, updated_at timestamp not null"
        ),
    },
    "party": {
        "zuzhi": (
            "zzid text, zzmc text not null, zzlx text not null, zblx text, sjzzid text,"
            " sqbm text not null, shuji text, updated_at timestamp not null"
        ),
        "dangyuan": (
            "dyid text, xm text, xb text, mz text, sfzh text, csny text, rdsj text, rylb text,"
            " szzb text, dylx text, sfld text, lxdh text, jtzz text, gzdw text,"
            " updated_at timestamp not null"
        ),
        "baolian": (
            "blid text, dyid text not null, zw text, bljc text not null, bldx text not null,"
            " sqbm text not null, lxfs text, zjzfrq text, updated_at timestamp not null"
        ),
        "zoufang": (
            "zfid text, dyid text not null, lxh text not null, sqbm text not null,"
            " zfrq date not null, zfxs text, nr text, updated_at timestamp not null"
        ),
    },
}

_KEYS = {
    "community": "sqbm", "hu": "hubh", "ren": "rybh", "huiyi": "hybh", "jiedai": "jdbh",
    "zuzhi": "zzid", "dangyuan": "dyid", "baolian": "blid", "zoufang": "zfid",
}  # fmt: skip

# Applied after the load: the doc's keys and reference, the sync feed's keyset order
# (updated_at, key), and the lookups the adapters and linkage make.
_CONSTRAINTS: dict[str, list[str]] = {
    "rc": [
        "alter table ren add foreign key (hubh) references hu",
        "create index on hu (sqbm)",
        "create index on ren (hubh)",
        "create index on ren (sfzh)",
        "create index on huiyi (sqbm)",
        "create index on jiedai (sqbm, jdrq)",
    ],
    "party": [
        "create index on zuzhi (sqbm)",
        "create index on dangyuan (sfzh)",
        "create index on baolian (dyid)",
        "create index on baolian (sqbm)",
        "create index on zoufang (dyid)",
        "create index on zoufang (sqbm)",
    ],
}


# --- shared ------------------------------------------------------------------------------------


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with path.open("rb") as fh:
        for line in fh:
            if line.strip():
                yield orjson.loads(line)


def _parse_stamp(value: str) -> datetime:
    """A timestamp as Asia/Shanghai wall time without offset (how the partners keep them)."""
    stamp = datetime.fromisoformat(value)
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(_SHANGHAI).replace(tzinfo=None)
    return stamp


def sort_stamp(value: Any) -> str:
    """An update time as a string that sorts chronologically: Shanghai wall time, microseconds.

    Values that are not timestamps are kept as they are (they sort apart, never lost).
    """
    if not isinstance(value, str) or not value:
        return "" if value is None else str(value)
    try:
        return _parse_stamp(value).isoformat(sep=" ", timespec="microseconds")
    except ValueError:
        return value


# --- PostgreSQL --------------------------------------------------------------------------------


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _to_text(v: Any) -> Any:
    return v if v is None or isinstance(v, str) else str(v)


def _to_date(v: Any) -> Any:
    return date.fromisoformat(v[:10]) if isinstance(v, str) else v


def _to_timestamp(v: Any) -> Any:
    return _parse_stamp(v) if isinstance(v, str) else v


def _to_int(v: Any) -> Any:
    return int(v) if isinstance(v, str | float) else v


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "text": _to_text,
    "date": _to_date,
    "timestamp without time zone": _to_timestamp,
    "integer": _to_int,
}


async def _columns(conn: asyncpg.Connection, table: str) -> list[tuple[str, Callable[[Any], Any]]]:
    """The table's columns with a converter from the JSON value to the column's type."""
    rows = await conn.fetch(
        "select attname, format_type(atttypid, atttypmod) from pg_attribute"
        " where attrelid = $1::regclass and attnum > 0 and not attisdropped order by attnum",
        table,
    )
    return [(name, _CONVERTERS[kind]) for name, kind in rows]


def _records(
    path: Path, columns: list[tuple[str, Callable[[Any], Any]]]
) -> Iterator[tuple[Any, ...]]:
    for row in _jsonl(path):
        get = row.get
        yield tuple([conv(get(name)) for name, conv in columns])


async def _recreate_database(admin_uri: str, name: str) -> None:
    conn = await asyncpg.connect(admin_uri)
    try:
        await conn.execute(f"drop database if exists {_quote_ident(name)} with (force)")
        await conn.execute(f"create database {_quote_ident(name)}")
    finally:
        await conn.close()


async def _load_partner(folder: Path, dsn: str, partner: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("set synchronous_commit = off")
        for table, columns in SQL_SCHEMAS[partner].items():
            await conn.execute(f"create table {table} ({columns})")
            spec = await _columns(conn, table)
            records = _records(folder / "rows" / partner / f"{table}.jsonl", spec)
            await conn.copy_records_to_table(table, records=records, columns=[c for c, _ in spec])
        for table in SQL_SCHEMAS[partner]:
            key = _KEYS[table]
            await conn.execute(f"alter table {table} add primary key ({key})")
            if "updated_at" in SQL_SCHEMAS[partner][table]:
                await conn.execute(f"create index on {table} (updated_at, {key})")
        for statement in _CONSTRAINTS[partner]:
            await conn.execute(statement)
        await conn.execute("analyze")
    finally:
        await conn.close()


async def load_sql_partners(folder: Path, admin_uri: str, *, prefix: str = "") -> dict[str, str]:
    """(Re)create `{prefix}partner_rc` and `{prefix}partner_party` on the server of `admin_uri`
    from `folder/rows/{rc,party}/*.jsonl`; return {"rc": dsn, "party": dsn} (libpq URIs).

    Existing databases of those names are dropped, closing their connections.
    """
    dsns = {p: with_database(admin_uri, f"{prefix}partner_{p}") for p in SQL_SCHEMAS}
    for partner in SQL_SCHEMAS:
        await _recreate_database(admin_uri, f"{prefix}partner_{partner}")
    await asyncio.gather(*(_load_partner(folder, dsns[p], p) for p in SQL_SCHEMAS))
    return dsns


# --- SQLite for the REST simulators ------------------------------------------------------------


def _sqlite_rows(path: Path, spec: Resource) -> Iterator[tuple[str, str, bytes]]:
    for row in _jsonl(path):
        yield str(row[spec.key]), sort_stamp(row.get(spec.updated)), orjson.dumps(row)


def _build_sqlite(folder: Path, partner: str, target: Path) -> None:
    tmp = target.with_suffix(".sqlite.tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp, isolation_level=None)
    try:
        db.execute("pragma journal_mode = off")
        db.execute("pragma synchronous = off")
        db.execute("begin")
        for res, spec in RESOURCES[partner].items():
            db.execute(
                f"create table {res} (k text not null, upd text not null, doc blob not null)"
            )
            rows = _sqlite_rows(folder / "rows" / partner / f"{res}.jsonl", spec)
            db.executemany(f"insert into {res} values (?, ?, ?)", rows)
            db.execute(f"create unique index {res}_k on {res} (k)")
            db.execute(f"create index {res}_upd_k on {res} (upd, k)")
        db.execute("commit")
        db.execute("analyze")
    finally:
        db.close()
    # A rename, so a simulator serving the old file keeps reading a consistent one.
    os.replace(tmp, target)


def load_rest_partners(folder: Path) -> dict[str, Path]:
    """Build `folder/sim/<partner>.sqlite` for hall, hotline, mediation and property from the
    jsonl rows.

    Each resource becomes a table (k = key, upd = sortable update time, doc = row JSON) indexed
    on k and on (upd, k). Returns {partner: path}.
    """
    out = folder / "sim"
    out.mkdir(parents=True, exist_ok=True)
    paths = {partner: out / f"{partner}.sqlite" for partner in RESOURCES}
    for partner, path in paths.items():
        _build_sqlite(folder, partner, path)
    return paths
