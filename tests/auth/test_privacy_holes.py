"""Four smaller holes a privacy review found, each tried with real requests against the synced
district and shown closed:

- `node(<record type>:…)` told an agency without the type's field group whether an id exists in
  its own community (FORBIDDEN_FIELD for one that does, null for one that does not);
- `RepairOrder.hotlineTicket` read a 12345 work order of any household, audited against the
  repair order's household;
- `node(LinkReview:…)` answered MALFORMED_ID, although LinkReview is a node type;
- the drill-down of a `disputes.*` figure refused the whole list to a mediation committee
  because some of its items are the women's federation's rights cases (welfare).

Every agency here is its own (`privhole-*`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from gateway.demo.names import TODAY
from gateway.settings import Settings
from tests.auth._asking import Ask, asker, codes
from tests.conftest import agency_headers, agency_key, app_client, synced_store

YEAR = {"from": (TODAY - timedelta(days=364)).isoformat(), "to": TODAY.isoformat()}
ROLES = {"rc": "residents_committee", "hotline": "hotline", "mediation": "mediation",
         "property": "property", "statistics": "statistics", "mass_org": "mass_org"}
NODE = "query($id: ID!) { node(id: $id) { id } }"
REVIEW = """query($id: ID!) { node(id: $id) { id ... on LinkReview {
  score record { partner entity localId } proposedHousehold { id } } } }"""
ITEMS = """query($c: ID!, $p: PeriodInput!, $f: String!, $after: String) {
  briefItems(community: $c, period: $p, figure: $f, first: 100, after: $after) {
    totalCount withheld pageInfo { hasNextPage endCursor }
    edges { node { kind partner localId householdId } } } }"""


async def _one(conn: asyncpg.Connection, sql: str, *args: Any) -> Any:
    value = await conn.fetchval(sql, *args)
    assert value is not None, f"the district lacks what is tried here: {sql}"
    return value


@pytest.fixture(scope="module")
async def world(synced: Any, store_uri: str) -> dict[str, Any]:
    """A community with a record of every node type in it, and a link in review there."""
    conn = await asyncpg.connect(store_uri)
    try:
        review = await conn.fetchrow(
            """SELECT s.partner, s.entity, s.local_id, s.subject, h.key, h.community_code
               FROM links l JOIN source_records s ON s.id = l.source_record_id
               JOIN households h ON h.id = l.household_id
               WHERE l.status = 'needs_review' ORDER BY l.impact DESC, s.id LIMIT 1""")
        assert review is not None, "no link in review"
        community = review["community_code"]

        async def linked_here(entity: str) -> str:
            return str(await _one(conn, """
                SELECT s.partner || ':' || s.local_id FROM source_records s
                JOIN links l ON l.source_record_id = s.id AND l.status IN ('auto', 'confirmed')
                JOIN households h ON h.id = l.household_id
                WHERE s.entity = $1 GROUP BY s.partner, s.local_id
                HAVING bool_and(h.community_code = $2) ORDER BY 1 LIMIT 1""", entity, community))

        records = {"Dispute": await linked_here("dispute"),
                   "PartyMember": await linked_here("member"),
                   "Resident": await linked_here("resident")}
        other = await _one(conn, "SELECT min(code) FROM communities WHERE code <> $1", community)
    finally:
        await conn.close()
    review_id = (f"LinkReview:{review['partner']}:{review['entity']}:{review['local_id']}:"
                 f"{review['subject']}")
    return {"community": community, "other": other, "records": records, "review": review_id,
            "review_household": review["key"]}


@pytest.fixture(scope="module")
async def keys(world: dict[str, Any], store_uri: str) -> dict[str, str]:
    made = {name: await agency_key(store_uri, f"privhole-{name}", role, [world["community"]])
            for name, role in ROLES.items()}
    made["rc-other"] = await agency_key(store_uri, "privhole-rc-other", "residents_committee",
                                        [world["other"]])
    return made


@pytest.fixture
def ask(client: httpx.AsyncClient, keys: dict[str, str]) -> Ask:
    return asker(client, keys)


async def audit_rows(uri: str, who: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(uri)
    try:
        return list(await conn.fetch(
            "SELECT households, field_groups FROM audit_log WHERE agency = $1 ORDER BY seq", who))
    finally:
        await conn.close()


def _made_up(value: str) -> str:
    """An id of the same type and body as `value` that was never issued."""
    kind, partner, *rest = value.split(":")
    if kind == "LinkReview":  # LinkReview:<partner>:<entity>:<local id>:<subject>
        return ":".join([kind, partner, rest[0], "NO-SUCH-ID", rest[-1]])
    return ":".join([kind, partner, "NO-SUCH-ID"])


# --- 1 and 3: a record's id without its group --------------------------------------------------


@pytest.mark.parametrize(("who", "kind", "code"), [
    ("hotline", "Dispute", "FORBIDDEN_FIELD"),
    ("property", "Dispute", "FORBIDDEN_FIELD"),
    ("mediation", "PartyMember", "FORBIDDEN_FIELD"),
    ("hotline", "Resident", "FORBIDDEN_FIELD"),
    ("hotline", "LinkReview", "FORBIDDEN_FIELD"),
    ("mediation", "LinkReview", "FORBIDDEN_FIELD"),  # identity masked: may not review links
    ("mass_org", "Dispute", "FORBIDDEN_FIELD"),
])
async def test_an_existing_and_a_made_up_id_get_the_same_answer(
        who: str, kind: str, code: str, ask: Any, world: dict[str, Any], store_uri: str) -> None:
    """An agency without the type's group anywhere: the same body, byte for byte but the id,
    for a record of its own community and for one never issued — and nothing audited."""
    real = world["review"] if kind == "LinkReview" else f"{kind}:{world['records'][kind]}"
    fake = _made_up(real)
    seen = await ask(who, NODE, {"id": real})
    none = await ask(who, NODE, {"id": fake})
    assert seen["data"] == {"node": None} and codes(seen) == {"node": code}, seen
    as_seen = orjson.dumps(seen).decode().replace(real, "<id>")
    assert as_seen == orjson.dumps(none).decode().replace(fake, "<id>")
    assert await audit_rows(store_uri, f"privhole-{who}") == []


async def test_without_a_purpose_the_refusal_does_not_depend_on_the_id_either(
        ask: Any, world: dict[str, Any]) -> None:
    real = f"Dispute:{world['records']['Dispute']}"
    seen = await ask("mediation", NODE, {"id": real}, purpose="")
    none = await ask("mediation", NODE, {"id": _made_up(real)}, purpose="")
    assert codes(seen) == codes(none) == {"node": "PURPOSE_REQUIRED"}


async def test_a_link_in_review_resolves_for_a_reviewer_and_is_audited(
        ask: Any, world: dict[str, Any], store_uri: str) -> None:
    before = len(await audit_rows(store_uri, "privhole-rc"))
    body = await ask("rc", REVIEW, {"id": world["review"]})
    assert "errors" not in body, body["errors"]
    node = body["data"]["node"]
    assert node["id"] == world["review"]
    assert node["proposedHousehold"]["id"] == f"Household:{world['review_household']}"
    rows = (await audit_rows(store_uri, "privhole-rc"))[before:]
    assert len(rows) == 1 and list(rows[0]["households"]) == [world["review_household"]]
    assert list(rows[0]["field_groups"]) == ["identity"]


async def test_a_link_in_review_elsewhere_or_unknown_is_null_for_a_reviewer(
        ask: Any, world: dict[str, Any]) -> None:
    """A reviewer of another community, and a review that does not exist: the same null."""
    elsewhere = await ask("rc-other", REVIEW, {"id": world["review"]})
    unknown = await ask("rc", REVIEW, {"id": _made_up(world["review"])})
    assert elsewhere["data"] == unknown["data"] == {"node": None}
    assert "errors" not in elsewhere and "errors" not in unknown
    malformed = await ask("rc", NODE, {"id": "LinkReview:rc:resident"})
    assert codes(malformed) == {"node": "MALFORMED_ID"}


# --- 4: the drill-down lists what the viewer may read ------------------------------------------


async def _all_items(client: httpx.AsyncClient, key: str, community: str,
                     figure: str) -> dict[str, Any]:
    """Every page of a figure's list: the items, totalCount and withheld (alike on each page)."""
    items: list[dict[str, Any]] = []
    after, counts = None, set()
    while True:
        body = (await client.post("/graphql", headers=agency_headers(key), json={
            "query": ITEMS, "variables": {"c": community, "p": YEAR, "f": figure,
                                          "after": after}})).json()
        assert "errors" not in body, body["errors"]
        page = body["data"]["briefItems"]
        counts.add((page["totalCount"], page["withheld"]))
        items += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(counts) == 1, counts
    total, withheld = counts.pop()
    return {"items": items, "totalCount": total, "withheld": withheld}


@pytest.fixture(scope="module")
async def mixed(client: httpx.AsyncClient) -> str:
    """A community whose disputes of the year include mediation cases, 12345 tickets and the
    women's federation's rights cases (seen by the district-wide residents' committee)."""
    listed = (await client.post("/graphql", json={"query": "{ communities { code } }"})).json()
    for community in listed["data"]["communities"]:
        body = (await client.post("/graphql", json={"query": ITEMS, "variables": {
            "c": community["code"], "p": YEAR, "f": "disputes.opened"}})).json()
        kinds = {e["node"]["kind"] for e in body["data"]["briefItems"]["edges"]}
        if {"dispute", "service", "appeal"} <= kinds:
            return str(community["code"])
    pytest.fail("no community with disputes of every reporting kind")


@pytest.mark.parametrize(("role", "listed", "group"), [("mediation", "dispute", "disputes"),
                                                       ("hotline", "appeal", "appeals")])
async def test_a_disputes_list_shows_what_the_viewer_may_read_and_counts_the_rest(
        role: str, listed: str, group: str, mixed: str, client: httpx.AsyncClient,
        store_uri: str) -> None:
    """Mediation (disputes, neither welfare nor appeals) lists its mediation cases; the rights
    cases and 12345 tickets are withheld and counted — and the hotline the other way round —
    with `totalCount + withheld` the figure, and only what is listed audited."""
    slug = f"privhole-{role}-drill"
    key = await agency_key(store_uri, slug, role, [mixed])
    brief = (await client.post("/graphql", json={"query": """query($c: ID!, $p: PeriodInput!) {
      coordinationBrief(community: $c, period: $p) { disputes { opened } } }""",
        "variables": {"c": mixed, "p": YEAR}})).json()
    figure = brief["data"]["coordinationBrief"]["disputes"]["opened"]
    everything = (await client.post("/graphql", json={"query": ITEMS, "variables": {
        "c": mixed, "p": YEAR, "f": "disputes.opened"}})).json()["data"]["briefItems"]
    assert (everything["totalCount"], everything["withheld"]) == (figure, 0)

    shown = await _all_items(client, key, mixed, "disputes.opened")
    assert shown["items"] and {i["kind"] for i in shown["items"]} == {listed}
    assert len(shown["items"]) == shown["totalCount"]
    assert shown["withheld"] > 0 and shown["totalCount"] + shown["withheld"] == figure
    rows = await audit_rows(store_uri, slug)
    assert rows and {g for r in rows for g in r["field_groups"]} == {group}


async def test_a_list_with_nothing_the_viewer_may_read_is_refused(
        mixed: str, store_uri: str, client: httpx.AsyncClient) -> None:
    """The services behind a services figure are all welfare: refused to mediation with the
    group's code, as before, rather than listed as empty."""
    key = await agency_key(store_uri, "privhole-mediation-services", "mediation", [mixed])
    body = (await client.post("/graphql", headers=agency_headers(key), json={
        "query": ITEMS, "variables": {"c": mixed, "p": YEAR, "f": "services.total"}})).json()
    assert body["data"] is None and codes(body) == {"briefItems": "FORBIDDEN_FIELD"}
    assert body["errors"][0]["extensions"]["group"] == "welfare"


# --- 2: a repair order's 12345 work order, where the work order lives --------------------------

REPAIRS = """query($id: ID!) { household(id: $id) { property {
  repairOrdersConnection(first: 50) { edges { node { number hotlineRef
    hotlineTicket { number } } } } } } }"""


@pytest.fixture(scope="module")
async def moved(pg_admin: str, district: Any, settings: Settings) -> dict[str, Any]:
    """A store of its own where one repair order's 12345 work order is linked to a household of
    another community (the order's own household is in the first), and another's to none."""
    uri = await synced_store(pg_admin, "privholes", district, settings)
    conn = await asyncpg.connect(uri)
    try:
        rows = await conn.fetch(
            """SELECT DISTINCT ON (h.key) h.key, h.community_code, s.raw->>'hotlineNo' AS ticket
               FROM households h
               JOIN links l ON l.household_id = h.id AND l.status IN ('auto', 'confirmed')
               JOIN source_records s ON s.id = l.source_record_id
               WHERE s.entity = 'repair_order' AND s.raw->>'hotlineNo' <> ''
                 AND EXISTS (SELECT FROM source_records t JOIN links tl
                             ON tl.source_record_id = t.id AND tl.status IN ('auto', 'confirmed')
                             WHERE t.entity = 'ticket' AND t.local_id = s.raw->>'hotlineNo')
               ORDER BY h.key, 3 LIMIT 2""")
        assert len(rows) == 2 and rows[0]["ticket"] != rows[1]["ticket"], rows
        home, unlinked = rows
        elsewhere = await conn.fetchrow(
            "SELECT id, key, community_code FROM households WHERE community_code <> $1 "
            "ORDER BY key LIMIT 1", home["community_code"])
        await conn.execute(
            """UPDATE links SET household_id = $1 WHERE source_record_id IN (
                 SELECT id FROM source_records WHERE entity = 'ticket' AND local_id = $2)""",
            elsewhere["id"], home["ticket"])
        await conn.execute(
            """DELETE FROM links WHERE source_record_id IN (
                 SELECT id FROM source_records WHERE entity = 'ticket' AND local_id = $1)""",
            unlinked["ticket"])
    finally:
        await conn.close()
    return {"uri": uri, "home": home, "unlinked": unlinked, "elsewhere": elsewhere}


@pytest.fixture(scope="module")
async def moved_client(moved: dict[str, Any], district: Any,
                       settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    from gateway.app import create_app

    app = create_app(settings, store_uri=moved["uri"], partners=district.partners_config())
    async with app_client(app) as c:
        yield c


def _ticket(body: dict[str, Any], ref: str) -> Any:
    orders = body["data"]["household"]["property"]["repairOrdersConnection"]["edges"]
    found = [o["node"] for o in orders if o["node"]["hotlineRef"] == ref]
    assert found, (ref, orders)
    return found[0]["hotlineTicket"]


async def test_a_work_order_of_a_household_outside_the_grant_is_null(
        moved: dict[str, Any], moved_client: httpx.AsyncClient) -> None:
    home = moved["home"]
    key = await agency_key(moved["uri"], "privhole-rc-home", "residents_committee",
                           [home["community_code"]])
    body = (await moved_client.post("/graphql", headers=agency_headers(key), json={
        "query": REPAIRS, "variables": {"id": f"Household:{home['key']}"}})).json()
    assert _ticket(body, home["ticket"]) is None
    assert "errors" not in body, body["errors"]  # nothing says it exists
    rows = await audit_rows(moved["uri"], "privhole-rc-home")
    assert rows and not any(moved["elsewhere"]["key"] in r["households"] for r in rows)


async def test_a_work_order_is_audited_against_its_own_household(
        moved: dict[str, Any], moved_client: httpx.AsyncClient) -> None:
    """An agency that sees both communities reads the work order, and the read is audited
    against the household it belongs to, not the repair order's."""
    home, elsewhere = moved["home"], moved["elsewhere"]
    key = await agency_key(moved["uri"], "privhole-rc-both", "residents_committee",
                           [home["community_code"], elsewhere["community_code"]])
    query = """query($id: ID!) { household(id: $id) { property {
      repairOrdersConnection(first: 50) { edges { node { hotlineRef
        hotlineTicket { number } } } } } } }"""
    body = (await moved_client.post("/graphql", headers=agency_headers(key), json={
        "query": query, "variables": {"id": f"Household:{home['key']}"}})).json()
    assert "errors" not in body, body["errors"]
    assert _ticket(body, home["ticket"]) == {"number": home["ticket"]}
    rows = await audit_rows(moved["uri"], "privhole-rc-both")
    assert len(rows) == 1
    assert elsewhere["key"] in rows[0]["households"] and "appeals" in rows[0]["field_groups"]


async def test_a_work_order_linked_to_no_household_is_read_on_the_repair_orders(
        moved: dict[str, Any], moved_client: httpx.AsyncClient) -> None:
    unlinked = moved["unlinked"]
    key = await agency_key(moved["uri"], "privhole-rc-unlinked", "residents_committee",
                           [unlinked["community_code"]])
    body = (await moved_client.post("/graphql", headers=agency_headers(key), json={
        "query": REPAIRS, "variables": {"id": f"Household:{unlinked['key']}"}})).json()
    assert "errors" not in body, body["errors"]
    assert _ticket(body, unlinked["ticket"]) == {"number": unlinked["ticket"]}
