"""One rule for which compound a property record counts in (gateway/db/compounds.py), on a store
of its own with two communities that both have a 翠湖花园: the brief's 四位一体 figures and
`records_in_compounds` (Community.property) place every record alike — by the community it
states, by its name or a former name, by its household — and a name nothing settles counts in
neither community and is listed by both."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import pytest

from gateway.adapters.base import Record
from gateway.db.compounds import name_key, name_key_sql, stem_sql
from gateway.db.places import records_in_compounds
from gateway.db.store import Store
from gateway.linkage.places import compound_key
from gateway.views import drill
from gateway.views.brief_property import property_figures
from gateway.views.scope import Scope
from gateway.views.snapshots import upsert_facts
from tests.conftest import migrated_store

A, B = "110105001001", "110105001002"
READ = datetime(2026, 6, 1, tzinfo=UTC)
# (community, compound) of the registry; both communities have a 翠湖花园.
COMPOUNDS = ((A, "翠湖花园"), (A, "碧水苑"), (B, "翠湖花园"), (B, "阳光花园"))
# household key → (community, compound)
HOUSEHOLDS = {"HA1": (A, "碧水苑"), "HB1": (B, "翠湖花园")}

# local id → (entity, the compound as written, extra data, household key or None); what the
# record says, and where the rule must count it.
RECORDS: dict[str, tuple[str, str, dict[str, Any], str | None]] = {
    "stated": ("occupancy", "翠湖花园一期", {"community": A}, None),  # A: it says so
    "stated-by-name": ("occupancy", "翠湖花园", {"community": "东区社区"}, None),  # B, by name
    "household": ("occupancy", "翠湖花园", {}, "HB1"),  # B: its household is there
    "contested": ("occupancy", "翠湖花园", {}, None),  # A or B: neither
    "elsewhere": ("occupancy", "翠湖花园", {}, "HA1"),  # owner lives in A's 碧水苑: neither
    "former": ("repair_order", "金域华府", {"status": "REPORTED"}, None),  # A 碧水苑, alias
    "suffix": ("owner_vote", "碧水苑小区", {"matter": "加装电梯", "choice": "FOR"}, None),
    "blank": ("occupancy", " 碧 水 苑 ", {}, None),  # A 碧水苑: blanks do not count
    "stem": ("occupancy", "阳光小区", {}, None),  # B 阳光花园: generic suffix aside
    "unknown": ("occupancy", "无名大院", {}, "HA1"),  # A 碧水苑: its household's
    "owner": ("owner", "翠湖花园", {"community": B}, None),  # B (the roster: not in the brief)
}
WHERE = {"stated": (A, "翠湖花园"), "stated-by-name": (B, "翠湖花园"),
         "household": (B, "翠湖花园"), "former": (A, "碧水苑"), "suffix": (A, "碧水苑"),
         "blank": (A, "碧水苑"), "stem": (B, "阳光花园"), "unknown": (A, "碧水苑"),
         "owner": (B, "翠湖花园")}
CONTESTED = {"contested", "elsewhere"}
KINDS = {"occupancy": "rooms", "repair_order": "repairsOpened", "owner_vote": "ballots"}
FIGURE = {"rooms": "rooms", "repairsOpened": "repairs_opened", "ballots": "ballots"}


async def _build(conn: asyncpg.Connection) -> None:
    await conn.execute("INSERT INTO streets VALUES ('110105001', '光明街道')")
    await conn.executemany("INSERT INTO communities VALUES ($1, $2, '110105001')",
                           [(A, "西区社区"), (B, "东区社区")])
    await conn.executemany("INSERT INTO compounds (community_code, name) VALUES ($1, $2)",
                           COMPOUNDS)
    await conn.executemany(
        """INSERT INTO households (key, community_code, compound_id)
           SELECT $1, $2, id FROM compounds WHERE community_code = $2 AND name = $3""",
        [(key, c, n) for key, (c, n) in HOUSEHOLDS.items()])
    await conn.executemany(
        "INSERT INTO partners (slug, name, name_zh, kind) VALUES ($1, $1, $1, 'rest')",
        [("property",), ("owners",)])
    records = [_record(local_id, *spec[:3]) for local_id, spec in RECORDS.items()]
    # The property company's project: 碧水苑, which its ledgers still call 金域华府.
    records.append(Record("property", "project", "P01",
                          {"code": "P01", "compound": "碧水苑（原金域华府）",
                           "aliases": "金域华府"}, {}, READ))
    for r in records:
        await conn.execute(
            """INSERT INTO source_records (partner, entity, local_id, subject, attrs, raw,
                                           read_at) VALUES ($1, $2, $3, 0, '{}', '{}', $4)""",
            r.partner, r.entity, r.local_id, READ)
    await conn.executemany(
        """INSERT INTO links (source_record_id, household_id, method, confidence, status)
           SELECT s.id, h.id, 'phone', 0.9, 'auto' FROM source_records s, households h
           WHERE s.local_id = $1 AND h.key = $2""",
        [(local_id, spec[3]) for local_id, spec in RECORDS.items() if spec[3]])
    await upsert_facts(conn, records)


def _record(local_id: str, entity: str, compound: str, extra: dict[str, Any]) -> Record:
    partner = "owners" if entity in ("owner", "owner_vote") else "property"
    data = {"compound": compound, "reportedAt": "2026-05-02 09:00:00",
            "votedOn": "2026-05-03", "occupancy": "VACANT", **extra}
    return Record(partner, entity, local_id, data, {}, READ)


@pytest.fixture(scope="module")
async def store(pg_admin: str) -> AsyncIterator[Store]:
    uri = await migrated_store(pg_admin, "compound_attribution")
    conn = await asyncpg.connect(uri)
    try:
        if not await conn.fetchval("SELECT count(*) FROM compounds"):
            await _build(conn)
    finally:
        await conn.close()
    opened = await Store.open(uri)
    yield opened
    await opened.close()


def _scope(community: str) -> Scope:
    return Scope(community, date(2026, 1, 1), date(2026, 6, 30), date(2026, 6, 30))


async def _brief(store: Store, community: str) -> dict[str | None, Counter[str]]:
    async with store.pool.acquire() as conn:
        figures = await property_figures(conn, _scope(community))
    out: dict[str | None, Counter[str]] = {}
    for row in [figures.total, *figures.by_compound]:
        out[row.compound] = Counter({k: getattr(row, v) for k, v in FIGURE.items()})
    return out


async def _listed(store: Store, community: str, figure: str) -> set[str]:
    async with store.pool.acquire() as conn:
        page = await drill.items(conn, _scope(community), figure, None, first=100, after=None)
    return {e.node.local_id for e in page.edges if e.node.local_id}


async def test_each_record_counts_in_one_compound_by_the_one_rule(store: Store) -> None:
    placed = {c: {p.link.local_id: p.compound for p in
                  await records_in_compounds(store, list(KINDS) + ["owner"], community=c)}
              for c in (A, B)}
    for local_id, (community, compound) in WHERE.items():
        assert placed[community].get(local_id) == compound, local_id
        other = B if community == A else A
        assert local_id not in placed[other], local_id
    for local_id in CONTESTED:
        assert local_id not in placed[A] and local_id not in placed[B], local_id


async def test_the_brief_counts_what_community_property_places(store: Store) -> None:
    for community in (A, B):
        placed = await records_in_compounds(store, list(KINDS), community=community)
        want: dict[str | None, Counter[str]] = {}
        for p in placed:
            figure = KINDS[p.link.entity]
            want.setdefault(p.compound, Counter())[figure] += 1
            want.setdefault(None, Counter())[figure] += 1
        got = await _brief(store, community)
        for compound, counts in got.items():
            assert +counts == want.get(compound, Counter()), (community, compound)
    # The shared name counts once in each community, where the rule put it.
    assert (await _brief(store, A))["翠湖花园"]["rooms"] == 1  # `stated`
    assert (await _brief(store, B))["翠湖花园"]["rooms"] == 2  # `stated-by-name`, `household`
    assert +(await _brief(store, A))["碧水苑"] == Counter(rooms=2, repairsOpened=1, ballots=1)


async def test_a_contested_record_is_listed_by_both_communities(
        store: Store, caplog: pytest.LogCaptureFixture) -> None:
    for community in (A, B):
        assert await _listed(store, community, "property.unattributed") == CONTESTED
        assert await _listed(store, community, "property.rooms") & CONTESTED == set()
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="gateway.views.brief_property"):
            await _brief(store, community)
        assert [r.getMessage() for r in caplog.records] == [
            f"community {community}: 2 property records name a compound another community has "
            "too and count in neither (briefItems figure property.unattributed)"]


async def test_sql_keys_equal_the_python_keys(store: Store) -> None:
    names = ["翠湖花园", "翠湖花园一期", "翠湖花园 二期", "翠湖花园十一期", "翠湖花园3期",
             "翠湖花园小区", "建设里小区", "建设里", "小区", "碧水苑（原金域华府）",
             "碧水苑(原金域华府)", "ＡＢＣ小区", "　阳光\t花园\n", "铁路大院", "铁路宿舍", "铁路院",
             "金色名苑", "和平里住宅小区", "星河雅居", "东湖新村", "安贞公寓", "御景府", "园",
             "花园小区", "翠湖家园小区一期", ""]
    keys = await store.fetch(f"""SELECT n, k, {stem_sql('k')} AS stem
                                 FROM (SELECT n, {name_key_sql('n')} AS k
                                       FROM unnest($1::text[]) AS n) x""", names)
    for row in keys:
        assert row["k"] == name_key(row["n"]), row["n"]
        if row["k"] is not None:
            assert row["stem"] == compound_key(row["k"]), row["n"]
    assert name_key("碧水苑（原金域华府）") == "碧水苑"
    assert name_key("翠湖花园 一期") == name_key("翠湖花园小区") == "翠湖花园"
