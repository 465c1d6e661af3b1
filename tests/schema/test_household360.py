"""The household-360 query end to end: real partner systems, real store, the ASGI app."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from gateway import examples
from tests.relay import nodes, whole

BODIES = {"rc": "社区居委会", "hall": "为民服务大厅/代办站", "mediation": "人民调解委员会",
          "hotline": "12345热线/信访", "party": "社区党委"}


async def _row(store_uri: str, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(store_uri)
    try:
        return await conn.fetchrow(sql, *args)
    finally:
        await conn.close()


async def _value(store_uri: str, sql: str, *args: Any) -> Any:
    row = await _row(store_uri, sql, *args)
    return row[0] if row else None


async def _household_with(store_uri: str, *, partners: int, entity: str | None = None) -> str:
    key = await _value(
        store_uri,
            """SELECT h.key FROM households h JOIN links l ON l.household_id = h.id
               JOIN source_records s ON s.id = l.source_record_id
               GROUP BY h.key HAVING count(DISTINCT s.partner) >= $1
                 AND ($2::text IS NULL OR bool_or(s.entity = $2))
               ORDER BY count(DISTINCT s.partner) DESC, h.key LIMIT 1""",
            partners, entity)
    assert key, f"no household linked to {partners} partners"
    return str(key)


async def test_one_household_across_six_bodies(gql: Any, synced: Any, store_uri: str) -> None:
    key = await _household_with(store_uri, partners=6)
    result = await gql(examples.HOUSEHOLD_360, {"id": f"Household:{key}"})
    assert "errors" not in result, result.get("errors")
    hh = result["data"]["household"]
    assert hh["id"] == f"Household:{key}"
    assert hh["residents"], "a registered household has residents"
    assert {r["source"]["body"] for r in hh["residents"]} == {BODIES["rc"]}
    for resident in hh["residents"]:
        masked = resident["residentIdMasked"]
        assert masked is None or "*" in masked  # never a full ID number without a grant
    linked = {(s["partner"], s["localId"]) for s in whole(hh["sourceRecordsConnection"])}
    assert len({p for p, _ in linked}) >= 6
    cases = [nodes(hh[f"{name}Connection"]) for name in ("services", "disputes", "appeals")]
    values = sum(cases, []) + nodes(hh["careCardsConnection"]) + nodes(hh["contactVisitsConnection"])
    bodies = {v["source"]["body"] for v in values}
    assert len(bodies) >= 3
    for v in sum(cases, []):
        assert (v["source"].get("localId") is None) or any(
            local == v["source"]["localId"] for _, local in linked)
        if "readAt" in v["source"]:
            assert v["source"]["readAt"].endswith("+00:00")
    assert result["extensions"]["sources"], "extensions.sources reports each partner"
    for slug, status in result["extensions"]["sources"].items():
        assert status["status"] == "OK", (slug, status)
        assert status["calls"] >= 1 and status["latencyMs"] >= 0
    assert hh["address"]["raw"], "raw spellings of the address are listed"


async def test_responsible_member_and_chain(gql: Any, synced: Any, store_uri: str) -> None:
    key = await _value(
        store_uri,
            """SELECT h.key FROM households h JOIN links l ON l.household_id = h.id
               JOIN source_records s ON s.id = l.source_record_id
               WHERE s.entity = 'responsibility' ORDER BY h.key LIMIT 1""")
    result = await gql(examples.HOUSEHOLD_360, {"id": f"Household:{key}"})
    hh = result["data"]["household"]
    assert hh["responsibleMember"] and hh["responsibleMember"]["name"]
    assert hh["responsibleMember"]["source"]["body"] == BODIES["party"]
    levels = [r["level"] for r in hh["responsibilityChain"]]
    assert levels[0] == "MEMBER_HOUSEHOLD"
    assert len(levels) >= 2, levels
    assert all(r["owner"] and r["owner"]["name"] for r in hh["responsibilityChain"])


async def test_dispute_reported_to_hotline_is_listed_once(gql: Any, synced: Any,
                                                          store_uri: str) -> None:
    key = await _value(
        store_uri,
            """SELECT h.key FROM households h
               JOIN links ld ON ld.household_id = h.id
               JOIN source_records d ON d.id = ld.source_record_id AND d.entity = 'dispute'
               JOIN links lt ON lt.household_id = h.id
               JOIN source_records t ON t.id = lt.source_record_id AND t.entity = 'ticket'
                 AND t.local_id = d.raw->>'relatedTicketNo'
               ORDER BY h.key LIMIT 1""")
    assert key, "the district has a dispute also reported as a 12345 work order"
    result = await gql(examples.HOUSEHOLD_360, {"id": f"Household:{key}"})
    disputes = whole(result["data"]["household"]["disputesConnection"])
    numbers = [d["number"] for d in disputes]
    assert len(numbers) == len(set(numbers))
    assert any(d["alsoReportedBy"] and d["alsoReportedBy"][0]["body"] == BODIES["hotline"]
               for d in disputes)


async def test_unknown_household_is_null_without_error(gql: Any, synced: Any) -> None:
    result = await gql("query($id: ID!) { household(id: $id) { id } }",
                       {"id": "Household:110105001009-99-9999"})
    assert result["data"] == {"household": None}
    assert "errors" not in result


@pytest.mark.parametrize("bad", ["42", "Household:", "Community:1:2", "Household:a:b"])
async def test_malformed_household_id_is_a_coded_error(gql: Any, synced: Any, bad: str) -> None:
    result = await gql("query($id: ID!) { household(id: $id) { id } }", {"id": bad})
    assert result["data"] == {"household": None}
    assert result["errors"][0]["extensions"]["code"] == "MALFORMED_ID"


async def test_node_resolves_every_kind(gql: Any, synced: Any, store_uri: str) -> None:
    key = await _household_with(store_uri, partners=4, entity="dispute")
    hh = (await gql(examples.HOUSEHOLD_360, {"id": f"Household:{key}"}))["data"]["household"]
    dispute_id = None
    q = """query($id: ID!) { household(id: $id) { disputes { id } residents { id } community { id }
             building { id } } }"""
    data = (await gql(q, {"id": hh["id"]}))["data"]["household"]
    dispute_id = data["disputes"][0]["id"]
    ids = [hh["id"], data["community"]["id"], data["building"]["id"], data["residents"][0]["id"],
           dispute_id]
    for node_id in ids:
        got = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": node_id})
        assert got["data"]["node"] == {"id": node_id}, (node_id, got)
    bad = await gql("query { node(id: \"Spaceship:1\") { id } }")
    assert bad["errors"][0]["extensions"]["code"] == "MALFORMED_ID"


async def test_depth_and_alias_limits_refuse_hostile_queries(gql: Any, synced: Any) -> None:
    deep = "{ households { edges { node { building { community { households { edges { node {" \
           " building { community { households { edges { node { id } } } } } } } } } } } } } }"
    result = await gql(deep)
    assert "data" not in result or result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "QUERY_TOO_DEEP"
    aliases = "{ " + " ".join(f"a{i}: communities {{ name }}" for i in range(31)) + " }"
    result = await gql(aliases)
    assert result["errors"][0]["extensions"]["code"] == "TOO_MANY_ALIASES"


async def test_find_households_by_address_id_number_and_phone(gql: Any, synced: Any,
                                                              store_uri: str) -> None:
    row = await _row(
        store_uri,
            """SELECT h.key, h.address_key, p.id_number, p.phones->>0 AS phone FROM households h
               JOIN persons p ON p.household_id = h.id
               WHERE p.id_number IS NOT NULL AND jsonb_array_length(p.phones) > 0
                 AND split_part(h.address_key, '|', 3) <> '' ORDER BY h.key LIMIT 1""")
    compound, building, entrance, room = row["address_key"].split("|")
    q = """query($a: String, $i: String, $p: String) {
      findHouseholds(address: $a, idNumber: $i, phone: $p) { score matched household { id } } }"""
    want = f"Household:{row['key']}"
    for variables, reason in [({"a": f"{compound}{building}栋{entrance}-{room}"}, "address"),
                              ({"i": row["id_number"].lower()}, "idNumber"),
                              ({"p": row["phone"]}, "phone")]:
        hits = (await gql(q, variables))["data"]["findHouseholds"]
        assert hits[0]["household"]["id"] == want, (variables, hits[:3])
        assert reason in hits[0]["matched"]
    bad = await gql(q, {"i": "110105199913320000"})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
