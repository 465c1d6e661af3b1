"""An adversarial review of the newest surfaces against the rule "personal data is masked unless
granted, every read of it is audited, and no agency sees outside its grant — also through
node(id)": the property domain, the brief's drill-down and frozen briefs, Relay connections,
node(id) and the dashboard's exports, each tried with real requests against the synced district.

Every agency here is its own (`privrev-*`), and the roles that need grants no default role has
(`privrev_*`) are granted here, before this module's app first reads the policy.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager

from gateway.demo.names import TODAY
from gateway.settings import Settings
from tests.auth._asking import Ask, asker, codes
from tests.conftest import agency_headers, agency_key

YEAR = {"from": (TODAY - timedelta(days=364)).isoformat(), "to": TODAY.isoformat()}

# role → (field group, purpose, level): grants no default role has.
GRANTS = [
    ("privrev_party_masked", "party", "case_handling", "masked"),
    ("privrev_stats", "property", "statistics", "full"),
    ("privrev_stats", "identity", "statistics", "full"),
    ("privrev_prop_masked", "property", "case_handling", "masked"),
    ("privrev_prop_masked", "contact", "case_handling", "masked"),
    ("privrev_prop_masked", "identity", "case_handling", "full"),  # names: property masks them
    ("privrev_meeting_masked", "welfare", "joint_meeting", "full"),
    ("privrev_meeting_masked", "party", "joint_meeting", "masked"),
]
# agency slug suffix → role
AGENCIES = {"rc": "residents_committee", "property": "property", "hotline": "hotline",
            "mediation": "mediation", "statistics": "statistics",
            **{role.removeprefix("privrev_"): role for role, *_ in GRANTS}}

COMMUNITY_PROPERTY = """query($c: ID!) { community(id: $c) { property {
  compounds { compound committeeMembers { name } } } } }"""
FREEZE = """mutation($c: ID!, $p: PeriodInput!) { freezeBrief(community: $c, period: $p) {
  id brief { needs { households { householdId } } visits { shortOfTarget { name } } } } }"""
FROZEN = """query($id: ID!) { frozenBrief(id: $id) { id sha256
  brief { needs { households { householdId } } visits { shortOfTarget { name } } } } }"""
ITEMS = """query($c: ID!, $p: PeriodInput!, $f: String!, $first: Int) {
  briefItems(community: $c, period: $p, figure: $f, first: $first) {
    totalCount edges { node { kind label householdId } } } }"""
NODE = "query($id: ID!) { node(id: $id) { id } }"


@pytest.fixture(scope="module")
async def world(synced: Any, store_uri: str) -> dict[str, Any]:
    """The community under review, a household of it with rooms, owners, tenants and repair
    orders, one of another community, and the grants this module needs."""
    conn = await asyncpg.connect(store_uri)
    try:
        for role, group, purpose, level in GRANTS:
            await conn.execute(
                "INSERT INTO grants (role, field_group, purpose, level) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT DO NOTHING", role, group, purpose, level)
        home = await conn.fetchrow(
            """SELECT h.key, h.community_code FROM households h
               JOIN links l ON l.household_id = h.id AND l.status IN ('auto', 'confirmed')
               JOIN source_records s ON s.id = l.source_record_id
               WHERE s.entity = 'occupancy' AND s.raw->>'tenantName' <> ''
                 AND s.raw->>'tenantPhone' <> '' AND s.raw->>'ownerPhone' <> ''
                 AND EXISTS (SELECT 1 FROM links l2 JOIN source_records s2
                             ON s2.id = l2.source_record_id
                             WHERE l2.household_id = h.id AND s2.entity = 'repair_order'
                               AND l2.status IN ('auto', 'confirmed'))
               ORDER BY h.key LIMIT 1""")
        assert home is not None, "no household with a rented room and a repair order"
        referred = await conn.fetchval(
            """SELECT h.key FROM households h
               JOIN links l ON l.household_id = h.id AND l.status IN ('auto', 'confirmed')
               JOIN source_records s ON s.id = l.source_record_id
               WHERE s.entity = 'repair_order' AND s.raw->>'hotlineNo' <> ''
                 AND h.community_code = $1
               ORDER BY h.key LIMIT 1""", home["community_code"])
        assert referred is not None, "no repair order opened from a 12345 work order"
        other = await conn.fetchrow(
            "SELECT key, community_code FROM households WHERE community_code <> $1 "
            "ORDER BY key LIMIT 1", home["community_code"])
        building = await conn.fetchval(
            "SELECT b.id FROM buildings b JOIN compounds c ON c.id = b.compound_id "
            "WHERE c.community_code = $1 ORDER BY b.id LIMIT 1", other["community_code"])
        dispute = await conn.fetchval(
            """SELECT s.local_id FROM source_records s
               JOIN links l ON l.source_record_id = s.id AND l.status IN ('auto', 'confirmed')
               JOIN households h ON h.id = l.household_id
               WHERE s.entity = 'dispute' AND h.community_code = $1
               AND NOT EXISTS (SELECT 1 FROM source_records s2
                 JOIN links l2 ON l2.source_record_id = s2.id
                 JOIN households h2 ON h2.id = l2.household_id
                 WHERE (s2.partner, s2.entity, s2.local_id) = (s.partner, s.entity, s.local_id)
                   AND h2.community_code = $2)
               ORDER BY s.local_id LIMIT 1""", other["community_code"], home["community_code"])
        visited = await conn.fetchval(
            """SELECT h.key FROM households h
               JOIN links l ON l.household_id = h.id AND l.status IN ('auto', 'confirmed')
               JOIN source_records s ON s.id = l.source_record_id
               WHERE s.entity = 'contact_visit' AND h.community_code = $1
               ORDER BY h.key LIMIT 1""", home["community_code"])
        repair = await conn.fetchval(
            "SELECT local_id FROM source_records WHERE entity = 'repair_order' ORDER BY 1 LIMIT 1")
    finally:
        await conn.close()
    assert building and dispute and visited and repair, "the district lacks what is tried here"
    return {"community": home["community_code"], "home": home["key"], "other": other["key"],
            "other_community": other["community_code"], "building": building,
            "dispute": dispute, "repair": repair, "referred": referred,
            "visited": visited}


@pytest.fixture(scope="module")
async def keys(world: dict[str, Any], store_uri: str) -> dict[str, str]:
    return {name: await agency_key(store_uri, f"privrev-{name}", role, [world["community"]])
            for name, role in AGENCIES.items()}


@pytest.fixture(scope="module")
async def app(keys: dict[str, str], district: Any, store_uri: str,
              settings: Settings) -> AsyncIterator[Any]:
    """The gateway over the shared store, started once the grants above are in."""
    from gateway.app import create_app

    gateway = create_app(settings, store_uri=store_uri, partners=district.partners_config())
    async with LifespanManager(gateway) as manager:
        yield manager.app


@pytest.fixture
async def http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://juheli.test") as client:
        yield client


@pytest.fixture
def ask(http: httpx.AsyncClient, keys: dict[str, str]) -> Ask:
    return asker(http, keys)


async def audit_rows(uri: str, who: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(uri)
    try:
        return list(await conn.fetch(
            "SELECT households, field_groups, purpose FROM audit_log WHERE agency = $1 "
            "ORDER BY seq", f"privrev-{who}"))
    finally:
        await conn.close()


async def committee_households(uri: str) -> set[str]:
    """The households of the owners who sit on an owners' committee (业委会职务), where linked."""
    conn = await asyncpg.connect(uri)
    try:
        rows = await conn.fetch(
            """SELECT DISTINCT h.key FROM source_records s
               JOIN links l ON l.source_record_id = s.id AND l.status IN ('auto', 'confirmed')
               JOIN households h ON h.id = l.household_id
               WHERE s.entity = 'owner' AND s.subject = 0
                 AND coalesce(s.raw->>'业委会职务', '') <> ''""")
        return {r["key"] for r in rows}
    finally:
        await conn.close()


# --- holes found, and fixed --------------------------------------------------------------------


async def test_a_compounds_committee_read_is_audited(
        ask: Any, world: dict[str, Any], store_uri: str) -> None:
    """Community.property names the committees' owners: that read is audited like any other,
    with the property group and the households of the members who live in the community."""
    before = len(await audit_rows(store_uri, "property"))
    body = await ask("property", COMMUNITY_PROPERTY, {"c": f"Community:{world['community']}"})
    assert "errors" not in body, body["errors"]
    names = [m["name"] for c in body["data"]["community"]["property"]["compounds"]
             for m in c["committeeMembers"]]
    assert names, "the community has committee members to name"
    rows = (await audit_rows(store_uri, "property"))[before:]
    # property, and identity: the names the body's definition declares in that group
    assert len(rows) == 1 and set(rows[0]["field_groups"]) == {"property", "identity"}
    audited = set(rows[0]["households"])
    assert audited and audited <= await committee_households(store_uri)


async def test_a_statistics_purpose_gets_no_names_whatever_the_grants_say(
        ask: Any, world: dict[str, Any], store_uri: str) -> None:
    """Statistics is aggregates only, even for a role granted property data for it."""
    body = await ask("stats", COMMUNITY_PROPERTY, {"c": f"Community:{world['community']}"},
                     purpose="statistics")
    assert body["data"]["community"]["property"] is None
    assert codes(body) == {"property": "PURPOSE_NOT_ALLOWED"}
    assert await audit_rows(store_uri, "stats") == []


async def test_a_frozen_brief_shows_its_lists_only_under_the_readers_grants(
        ask: Any, world: dict[str, Any], store_uri: str) -> None:
    """A brief frozen by the residents' committee names households in need (welfare) and members
    short of their visits in full (party): a reader without those grants gets no brief — it is
    served as frozen, hash and all, or not at all — and a reader's read is audited."""
    frozen = await ask("rc", FREEZE, {"c": world["community"], "p": YEAR},
                       purpose="joint_meeting")
    made = frozen["data"]["freezeBrief"]
    listed = [h["householdId"].removeprefix("Household:")
              for h in made["brief"]["needs"]["households"]]
    assert listed and made["brief"]["visits"]["shortOfTarget"], "the brief names people"

    hotline = await ask("hotline", FROZEN, {"id": made["id"]}, purpose="joint_meeting")
    assert hotline["data"]["frozenBrief"] is None
    assert codes(hotline) == {"frozenBrief": "FORBIDDEN_FIELD"}
    assert await audit_rows(store_uri, "hotline") == []

    # welfare granted, but members masked: names frozen in full are not for this reader
    masked = await ask("meeting_masked", FROZEN, {"id": made["id"]}, purpose="joint_meeting")
    assert masked["data"]["frozenBrief"] is None
    assert codes(masked) == {"frozenBrief": "FORBIDDEN_FIELD"}

    before = len(await audit_rows(store_uri, "rc"))
    again = await ask("rc", FROZEN, {"id": made["id"]}, purpose="joint_meeting")
    assert again["data"]["frozenBrief"]["brief"] == made["brief"]
    rows = (await audit_rows(store_uri, "rc"))[before:]
    assert len(rows) == 1 and "welfare" in rows[0]["field_groups"]
    assert set(listed) <= set(rows[0]["households"])


@pytest.mark.parametrize("who", ["mediation", "hotline"])
async def test_property_drill_down_needs_the_property_grant(
        who: str, ask: Any, world: dict[str, Any], store_uri: str) -> None:
    """Ballots and rooms name owners' rooms: the list behind a property figure needs the
    property grant — also for the items of no household (an owner living elsewhere) — not the
    identity grant mediation happens to hold."""
    for figure in ("property.ballots", "property.rooms", "property.repairsOpened"):
        body = await ask(who, ITEMS, {"c": world["community"], "p": YEAR, "f": figure,
                                      "first": 20})
        assert body["data"] is None and codes(body) == {"briefItems": "FORBIDDEN_FIELD"}, (
            figure, body)
        assert body["errors"][0]["extensions"]["group"] == "property"
    assert await audit_rows(store_uri, who) == []


async def test_property_drill_down_is_audited_also_without_a_household(
        ask: Any, world: dict[str, Any], store_uri: str) -> None:
    before = len(await audit_rows(store_uri, "property"))
    body = await ask("property", ITEMS, {"c": world["community"], "p": YEAR,
                                         "f": "property.ballots", "first": 50},
                     purpose="joint_meeting")
    items = [e["node"] for e in body["data"]["briefItems"]["edges"]]
    assert items and any(i["householdId"] is None for i in items), "owners living elsewhere"
    rows = (await audit_rows(store_uri, "property"))[before:]
    assert len(rows) == 1 and set(rows[0]["field_groups"]) == {"property"}
    linked = {i["householdId"].removeprefix("Household:") for i in items if i["householdId"]}
    assert set(rows[0]["households"]) == linked


async def test_a_visiting_member_is_masked_under_a_masked_party_grant(
        ask: Any, world: dict[str, Any]) -> None:
    query = """query($id: ID!) { household(id: $id) {
      contactVisitsConnection(first: 5) { edges { node { member { name } } } }
      responsibleMember { name } } }"""
    shown = {}
    for who in ("party_masked", "rc"):
        body = await ask(who, query, {"id": f"Household:{world['visited']}"})
        assert "errors" not in body, body["errors"]
        household = body["data"]["household"]
        shown[who] = [v["node"]["member"]["name"] for v in
                      household["contactVisitsConnection"]["edges"] if v["node"]["member"]]
    assert shown["rc"] and not any(n.endswith("*") for n in shown["rc"])
    assert shown["party_masked"] and all(n.endswith("*") for n in shown["party_masked"])
    assert [n[0] for n in shown["party_masked"]] == [n[0] for n in shown["rc"]]


# --- properties verified to hold ---------------------------------------------------------------


async def test_a_masked_property_grant_masks_owners_tenants_and_their_phones(
        ask: Any, world: dict[str, Any], store_uri: str) -> None:
    query = """query($id: ID!) { household(id: $id) { property {
      owners { name phone } tenants { name phone }
      repairOrdersConnection(first: 5) { totalCount edges { node { reporter } } } } } }"""
    before = len(await audit_rows(store_uri, "prop_masked"))
    body = await ask("prop_masked", query, {"id": f"Household:{world['home']}"})
    assert "errors" not in body, body["errors"]
    prop = body["data"]["household"]["property"]
    people = prop["owners"] + prop["tenants"]
    assert prop["tenants"] and all(p["name"].endswith("*") for p in people if p["name"])
    phones = [p["phone"] for p in people if p["phone"]]
    assert phones and all("****" in p for p in phones), phones
    reporters = [e["node"]["reporter"] for e in prop["repairOrdersConnection"]["edges"]]
    assert reporters and all(r.endswith("*") for r in reporters if r)
    rows = (await audit_rows(store_uri, "prop_masked"))[before:]
    assert [list(r["households"]) for r in rows] == [[world["home"]]]
    assert set(rows[0]["field_groups"]) == {"property", "contact", "identity"}


async def test_owners_phones_follow_the_contact_grant(ask: Any, world: dict[str, Any]) -> None:
    """The property role has no contact grant: names yes (masked: its identity grant is),
    phones refused at their path."""
    query = """query($id: ID!) { household(id: $id) { property { owners { name phone } } } }"""
    body = await ask("property", query, {"id": f"Household:{world['home']}"})
    owners = body["data"]["household"]["property"]["owners"]
    assert owners and all(o["phone"] is None for o in owners)
    assert set(codes(body).values()) == {"FORBIDDEN_FIELD"}


async def test_a_repair_orders_work_order_needs_the_appeals_grant(
        ask: Any, world: dict[str, Any]) -> None:
    query = """query($id: ID!) { household(id: $id) { property {
      repairOrdersConnection(first: 50) { edges { node { number hotlineTicket { number } } } }
    } } }"""
    body = await ask("property", query, {"id": f"Household:{world['referred']}"})
    orders = body["data"]["household"]["property"]["repairOrdersConnection"]["edges"]
    assert orders and all(o["node"]["hotlineTicket"] is None for o in orders)
    assert codes(body) == {"hotlineTicket": "FORBIDDEN_FIELD"}
    rc = await ask("rc", query, {"id": f"Household:{world['referred']}"})
    assert "errors" not in rc and any(
        o["node"]["hotlineTicket"] for o in rc["data"]["household"]["property"][
            "repairOrdersConnection"]["edges"])


async def test_a_refused_connection_counts_nothing(ask: Any, world: dict[str, Any]) -> None:
    """A connection the grant refuses is null, its totalCount with it."""
    query = """query($id: ID!) { household(id: $id) {
      property { repairOrdersConnection { totalCount } }
      disputesConnection { totalCount } } }"""
    body = await ask("hotline", query, {"id": f"Household:{world['home']}"})
    household = body["data"]["household"]
    assert household["property"] is None and household["disputesConnection"] is None
    assert codes(body) == {"property": "FORBIDDEN_FIELD", "disputesConnection": "FORBIDDEN_FIELD"}


async def test_nothing_outside_the_grant_is_told_apart_from_nothing_at_all(
        ask: Any, world: dict[str, Any]) -> None:
    """Another community's household, building, community and dispute answer as ids that do
    not exist; property records are no node type (the same code whether they exist or not);
    counts over another community are those of no community."""
    pairs = [(f"Household:{world['other']}", "Household:000000000000-00-0000"),
             (f"Building:{world['building']}", "Building:999999999"),
             (f"Community:{world['other_community']}", "Community:999999999999"),
             (f"Dispute:mediation:{world['dispute']}", "Dispute:mediation:NO-SUCH-CASE")]
    for hidden, missing in pairs:
        seen = await ask("rc", NODE, {"id": hidden})
        none = await ask("rc", NODE, {"id": missing})
        assert seen["data"] == none["data"] == {"node": None}, hidden
        assert "errors" not in seen and "errors" not in none, hidden
    for who in ("rc", "hotline"):
        real = await ask(who, NODE, {"id": f"RepairOrder:property:{world['repair']}"})
        fake = await ask(who, NODE, {"id": "RepairOrder:property:NO-SUCH-ORDER"})
        assert codes(real) == codes(fake) == {"node": "MALFORMED_ID"}
    count = "query($c: ID) { households(community: $c, first: 0) { totalCount } }"
    other = await ask("rc", count, {"c": f"Community:{world['other_community']}"})
    unknown = await ask("rc", count, {"c": "Community:999999999999"})
    assert other["data"] == unknown["data"] == {"households": {"totalCount": 0}}
    body = await ask("rc", COMMUNITY_PROPERTY, {"c": f"Community:{world['other_community']}"})
    assert body["data"] == {"community": None} and "errors" not in body


async def test_statistics_gets_suppressed_aggregates_and_no_list(
        ask: Any, world: dict[str, Any]) -> None:
    brief = """query($c: ID!, $p: PeriodInput!) { coordinationBrief(community: $c, period: $p) {
      suppressedBelow needs { households { householdId } } visits { shortOfTarget { name } }
      property { total { ...F } byCompound { ...F } } } }
    fragment F on CompoundPropertyFigures { rooms ownerOccupied rented vacant repairsOpened
      repairsDone repairsOpenAtEnd roomsInArrears arrearsMonths mattersVoted ballots }"""
    body = await ask("statistics", brief, {"c": world["community"], "p": YEAR},
                     purpose="statistics")
    shown = body["data"]["coordinationBrief"]
    assert shown["suppressedBelow"] == 5
    assert shown["needs"]["households"] == [] and shown["visits"]["shortOfTarget"] == []
    counts = [v for row in [shown["property"]["total"], *shown["property"]["byCompound"]]
              for v in row.values()]
    assert any(v is not None and v >= 5 for v in counts)
    assert not [v for v in counts if v is not None and 0 < v < 5]
    items = await ask("statistics", ITEMS, {"c": world["community"], "p": YEAR,
                                            "f": "property.ballots", "first": 5},
                      purpose="statistics")
    assert items["data"] is None and codes(items) == {"briefItems": "PURPOSE_NOT_ALLOWED"}


async def test_the_dashboards_export_for_statistics_holds_no_small_count_and_no_household(
        app: Any, keys: dict[str, str], world: dict[str, Any]) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://juheli.test") as browser:
        login = await browser.post("/dashboard/login", data={
            "key": keys["statistics"], "officer": "统计员", "purpose": "statistics",
            "next": "/dashboard"})
        assert login.status_code == 303
        response = await browser.get("/dashboard/export.csv", params={
            "community": world["community"], "from": YEAR["from"], "to": YEAR["to"]})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    # every value but the settings (the visits expected per household), which count nothing
    values = [r[4] for r in rows[1:] if r[0] != "简报信息" and r[2] != "每户目标走访次数"]
    numbers = [int(v.replace(",", "")) for v in values if v.replace(",", "").isdigit()]
    assert "<5" in values and numbers
    assert not [n for n in numbers if 0 < n < 5]
    assert "Household:" not in response.text and world["home"] not in response.text


# --- on a store of its own: a record that says it is elsewhere than linkage put it -------------


@pytest.fixture(scope="module")
async def own_store(pg_admin: str, district: Any, settings: Settings) -> str:
    from tests.conftest import synced_store

    return await synced_store(pg_admin, "privrev", district, settings)


async def test_a_linked_record_is_where_linkage_put_it_not_where_it_says(
        own_store: str, district: Any, settings: Settings) -> None:
    """A dispute linked only to households of community A whose record names community B: an
    agency of B must not read it through node(id) (it used to, and unaudited)."""
    from gateway.app import create_app

    conn = await asyncpg.connect(own_store)
    try:
        row = await conn.fetchrow(
            """SELECT s.local_id, min(h.community_code) AS home FROM source_records s
               JOIN links l ON l.source_record_id = s.id AND l.status IN ('auto', 'confirmed')
               JOIN households h ON h.id = l.household_id
               WHERE s.partner = 'mediation' AND s.entity = 'dispute'
               GROUP BY s.local_id HAVING count(DISTINCT h.community_code) = 1
               ORDER BY s.local_id LIMIT 1""")
        elsewhere = await conn.fetchval(
            "SELECT min(code) FROM communities WHERE code <> $1", row["home"])
        await conn.execute(
            "UPDATE source_records SET attrs = attrs || jsonb_build_object('community', $1::text) "
            "WHERE partner = 'mediation' AND entity = 'dispute' AND local_id = $2",
            elsewhere, row["local_id"])
    finally:
        await conn.close()
    keys = {code: await agency_key(own_store, f"privrev-at-{code}", "residents_committee",
                                   [code]) for code in (row["home"], elsewhere)}
    app = create_app(settings, store_uri=own_store, partners=district.partners_config())
    query = "query($id: ID!) { node(id: $id) { id ... on Dispute { parties { name } } } }"
    answers = {}
    async with LifespanManager(app) as manager, httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://juheli.test") as c:
        for code, key in keys.items():
            response = await c.post("/graphql", headers=agency_headers(key), json={
                "query": query, "variables": {"id": f"Dispute:mediation:{row['local_id']}"}})
            answers[code] = response.json()
    assert answers[row["home"]]["data"]["node"]["parties"], "its own community reads it"
    assert answers[elsewhere] == {"data": {"node": None}, "extensions": {"sources": {}}}
