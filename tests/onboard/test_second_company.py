"""A second property company, onboarded in a test from a new definition file and no code: its
own REST service (a wire format unlike the demo SaaS's), `partner add` (validate, dry-run,
register), a sync, and its rooms read through the schema on the households they link to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.onboard import commands, store
from gateway.settings import Settings
from tests.conftest import (
    agency_headers,
    agency_key,
    app_client,
    synced_store,
    uvicorn_serving,
)

KEY = "k-estate2"
STATES = {"OWNER_OCCUPIED": "ZZ", "RENTED": "CZ", "VACANT": "KZ"}

DEFINITION = """\
format: 1
body:
  slug: estate2
  name: Second property company
  name_zh: 第二物业服务有限公司
  kind: property_company
  org_code: 91110000802100433B
source:
  kind: rest
  base_url: {url}
  auth: {{kind: header, header: X-Api-Key, token: "${{ESTATE2_KEY}}"}}
  health_path: /api/ping
  max_batch: 2
  envelope: {{code: errcode, ok: [0], message: errmsg}}
  feed:
    batch_rows: result.rooms
    rows: result.rooms
    next_cursor: result.cursor
    has_more: result.more
    since_param: since
    page_size_param: limit
    page_size: 3
entities:
  occupancy:
    key: id
    updated: gengxin
    rest:
      batch_path: /api/rooms
      batch_method: GET
      batch_param: ids
      changes_path: /api/rooms/sync
    fields:
      roomCode:  {{from: fangjian, required: true, group: property}}
      ownerName: {{from: yezhu.xingming, group: contact}}
      ownerPhone: {{from: yezhu.dianhua, group: contact}}
      occupancy: {{from: zhuangtai, map: zhuangtai, required: true, group: property}}
      area:      {{from: mianji, type: number, group: property}}
      arrearsMonths: {{from: qianfei, type: integer, group: property}}
      compound:  {{from: xiaoqu, group: public}}
    subjects:
      - role: owner
        name: yezhu.xingming
        phone: yezhu.dianhua
        address: {{template: "{{xiaoqu}}{{fangjian}}"}}
value_maps:
  zhuangtai:
    values: {{ZZ: OWNER_OCCUPIED, CZ: RENTED, KZ: VACANT}}
    unmapped: quarantine
"""


def company(rooms: list[dict[str, Any]]) -> Starlette:
    """The second company's system: keyed rooms, nested owner, `errcode` envelope."""

    def answer(result: Any, status: int = 200, errcode: int = 0) -> JSONResponse:
        return JSONResponse({"errcode": errcode, "errmsg": "ok" if not errcode else "denied",
                             "result": result}, status_code=status)

    def authorized(request: Request) -> bool:
        return request.headers.get("x-api-key") == KEY

    async def ping(request: Request) -> JSONResponse:
        return answer({"pong": True})

    async def by_ids(request: Request) -> JSONResponse:
        if not authorized(request):
            return answer(None, 401, 4001)
        wanted = request.query_params.get("ids", "").split(",")
        if len(wanted) > 2:
            return answer(None, 400, 4002)
        return answer({"rooms": [r for r in rooms if r["id"] in wanted]})

    async def sync(request: Request) -> JSONResponse:
        if not authorized(request):
            return answer(None, 401, 4001)
        start = int(request.query_params.get("since") or 0)
        limit = int(request.query_params["limit"])
        page = rooms[start:start + limit]
        end = start + len(page)
        return answer({"rooms": page, "cursor": str(end), "more": end < len(rooms)})

    return Starlette(routes=[Route("/api/ping", ping), Route("/api/rooms", by_ids),
                             Route("/api/rooms/sync", sync)])


async def homes(uri: str, n: int) -> list[asyncpg.Record]:
    """Households of the synced district with a full address and a member with a phone."""
    conn = await asyncpg.connect(uri)
    try:
        return await conn.fetch(
            """SELECT DISTINCT ON (h.id) h.key, h.address_key, cp.name AS compound,
                      p.name, p.phones->>0 AS phone
                 FROM households h JOIN compounds cp ON cp.id = h.compound_id
                 JOIN persons p ON p.household_id = h.id
                WHERE h.address_key IS NOT NULL AND jsonb_array_length(p.phones) > 0
                  AND split_part(h.address_key, '|', 3) <> ''
                ORDER BY h.id, p.id LIMIT $1""", n)
    finally:
        await conn.close()


def rooms_of(found: list[asyncpg.Record]) -> list[dict[str, Any]]:
    rooms = []
    for i, h in enumerate(found):
        _, building, entrance, room = h["address_key"].split("|")
        state = ("OWNER_OCCUPIED", "RENTED", "VACANT")[i % 3]
        rooms.append({"id": f"R{i:03d}", "xiaoqu": h["compound"],
                      "fangjian": f"{building}#{entrance}-{room}", "zhuangtai": STATES[state],
                      "yezhu": {"xingming": h["name"], "dianhua": h["phone"]},
                      "mianji": f"{80 + i}.5㎡", "qianfei": i % 4, "gengxin": f"2026-11-0{i + 1}"})
    bad = dict(rooms[0], id="R999", zhuangtai="装修中")  # a status the company added later
    return [*rooms, bad]


async def test_a_second_property_company_from_a_definition_file_only(
    pg_admin: str, district: Any, settings: Settings, tmp_path: Path,
    monkeypatch: Any,
) -> None:
    from gateway.app import create_app
    from gateway.ops import run_sync

    # A store of its own: a new body's rooms and quarantined row would change what every later
    # test of the shared store counts.
    store_uri = await synced_store(pg_admin, "onboard_estate2", district, settings)
    found = await homes(store_uri, 6)
    assert len(found) == 6
    rooms = rooms_of(found)
    monkeypatch.setenv("ESTATE2_KEY", KEY)  # the deployment's secret, not in the file
    with uvicorn_serving(company(rooms)) as url:
        path = tmp_path / "estate2.yaml"
        path.write_text(DEFINITION.format(url=url), encoding="utf-8")
        pool = await asyncpg.create_pool(store_uri, min_size=1, max_size=2)
        try:
            definition, seen, version = await commands.add(pool, path, partners={})
            stored = await store.one(pool, "estate2")
        finally:
            await pool.close()
        assert version == 1 and stored is not None and stored.enabled
        # The dry run read the first page (3 rows), mapped it, and found the households.
        sample = seen.samples[0]
        assert [r.local_id for r in sample.records] == ["R000", "R001", "R002"]
        assert sample.records[0].data["area"] == 80.5
        linked = [c[0].household for c in sample.candidates]
        assert linked == [h["key"] for h in found[:3]]

        report = await run_sync(settings, store_uri=store_uri)
        assert report.records.get("estate2.occupancy") == 6, report
        assert report.quarantined.get("estate2.occupancy") == 1  # R999, held with its reason
        conn = await asyncpg.connect(store_uri)
        try:
            reason = await conn.fetchval(
                "SELECT reason FROM quarantine WHERE partner = 'estate2' AND local_id = 'R999'")
        finally:
            await conn.close()
        assert "'装修中' has no entry in value map 'zhuangtai'" in reason

        key = await agency_key(store_uri, "test-onboard", "residents_committee", ["*"])
        app = create_app(settings, store_uri=store_uri, partners={})
        async with app_client(app, agency_headers(key)) as client:
            for i, h in enumerate(found):
                body = orjson.loads((await client.post("/graphql", json={
                    "query": """query($id: ID!) { household(id: $id) { property {
                        occupancy { roomCode compound occupancy area
                                    source { partner live } } } } }""",
                    "variables": {"id": f"Household:{h['key']}"}})).content)
                assert "errors" not in body, body
                mine = [o for o in body["data"]["household"]["property"]["occupancy"]
                        if o["source"]["partner"] == "estate2"]
                assert mine == [{"roomCode": rooms[i]["fangjian"], "compound": h["compound"],
                                 "occupancy": ("OWNER_OCCUPIED", "RENTED", "VACANT")[i % 3],
                                 "area": 80.5 + i, "source": {"partner": "estate2",
                                                              "live": True}}]
            partners = orjson.loads((await client.post("/graphql", json={
                "query": "{ partners { slug nameZh kind entities records quarantined } }"})).content)
        mine = [p for p in partners["data"]["partners"] if p["slug"] == "estate2"]
        assert mine == [{"slug": "estate2", "nameZh": "第二物业服务有限公司", "kind": "rest",
                         "entities": ["occupancy"], "records": 6, "quarantined": 1}]

        # The definition governs its fields: it puts the owner's name in `contact` (the demo
        # company's definition says `identity`), so a role granted property and identity but
        # not contact gets the name refused at its path, while residents' committee sees it.
        conn = await asyncpg.connect(store_uri)
        try:
            await conn.execute(
                "INSERT INTO grants (role, field_group, purpose, level) VALUES "
                "('estate_reader', 'property', 'case_handling', 'full'), "
                "('estate_reader', 'identity', 'case_handling', 'full')")
        finally:
            await conn.close()
        reader = await agency_key(store_uri, "test-estate-reader", "estate_reader", ["*"])
        query = """query($id: ID!) { household(id: $id) { property {
            owners { name source { partner } } } } }"""
        home = {"id": f"Household:{found[0]['key']}"}
        async with app_client(app, agency_headers(reader)) as client:
            body = orjson.loads((await client.post(
                "/graphql", json={"query": query, "variables": home})).content)
        owners = body["data"]["household"]["property"]["owners"]
        theirs = [o for o in owners if o["source"]["partner"] == "estate2"]
        assert theirs and all(o["name"] is None for o in theirs), owners
        refused = [e for e in body["errors"] if e["path"][-1] == "name"]
        assert refused and {(e["extensions"]["code"], e["extensions"]["group"])
                            for e in refused} == {("FORBIDDEN_FIELD", "contact")}
        others = [o["name"] for o in owners if o["source"]["partner"] != "estate2"]
        assert all(others), "the demo company's names (identity) are shown"
        async with app_client(app, agency_headers(key)) as client:
            full = orjson.loads((await client.post(
                "/graphql", json={"query": query, "variables": home})).content)
        assert "errors" not in full, full["errors"]
        assert found[0]["name"] in [o["name"] for o in full["data"]["household"]["property"][
            "owners"] if o["source"]["partner"] == "estate2"]
