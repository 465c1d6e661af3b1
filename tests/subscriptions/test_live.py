"""Subscriptions end to end: the npm graphql-ws client against two gateway processes over one
store. A change written on one path (the sync's own store write, or process B's confirmLink)
reaches subscribers of both processes, read again under each one's grants, and audited."""

from __future__ import annotations

import time
from typing import Any

import asyncpg
import httpx

from gateway.adapters.base import ChangeBatch, Record
from gateway.adapters.registry import build_adapters, close_adapters
from gateway.sync.batch import store_batch
from tests.conftest import agency_headers, uvicorn_serving
from tests.subscriptions.conftest import Gateway, wait_subscribed

DISPUTES = """subscription($c: ID!) { disputeChanged(community: $c) {
  __typename
  ... on DisputeChange { change oldStatus newStatus body householdId
                         dispute { status parties { name } source { partner localId } } }
  ... on EventGap { lostAt resumedAt } } }"""
REFERRALS = """subscription($c: ID!) { referralCreated(community: $c) {
  __typename
  ... on Referral { route fromBody toBody householdId
                    dispute { intake source { localId } parties { name } } } } }"""
REFERRED = ("公安移送", "法院委托", "政府交办", "网格上报", "12345转办")
TRUSTED = ("auto", "confirmed")


def params(key: str, purpose: str = "case_handling") -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "X-Purpose": purpose, "X-Officer": "subs-officer"}


async def linked_dispute(uri: str, *, referred: bool = False) -> asyncpg.Record:
    """A mediation dispute on a household, past REGISTERED (so REGISTERED can reach it)."""
    conn = await asyncpg.connect(uri)
    try:
        row = await conn.fetchrow(
            """SELECT s.id, s.local_id, s.status, h.key, h.community_code
                 FROM source_records s
                 JOIN links l ON l.source_record_id = s.id AND l.status = ANY($1::text[])
                 JOIN households h ON h.id = l.household_id
                WHERE s.partner = 'mediation' AND s.entity = 'dispute' AND s.subject = 0
                  AND s.status NOT IN ('DISCOVERED', 'REGISTERED', 'UNKNOWN')
                  AND jsonb_array_length(s.raw->'parties') > 0
                  AND ($2 OR s.raw->>'source' = ANY($3::text[]))
                ORDER BY s.id LIMIT 1""", list(TRUSTED), not referred, list(REFERRED))
        assert row is not None, "the district has no such dispute"
        return row
    finally:
        await conn.close()


async def store_status(uri: str, local_id: str, status: str) -> None:
    """Make the store hold an earlier status than the partner's (announced, before a test
    subscribes), so that the next sync brings a change."""
    conn = await asyncpg.connect(uri)
    try:
        await conn.execute("UPDATE source_records SET status = $1 WHERE partner = 'mediation' "
                           "AND entity = 'dispute' AND local_id = $2", status, local_id)
    finally:
        await conn.close()


async def resync(uri: str, district: Any, local_id: str) -> None:
    """The sync's own write of the record as the partner has it now (gateway/sync/batch.py)."""
    conn = await asyncpg.connect(uri)
    adapters = await build_adapters({"mediation": district.partners_config()["mediation"]},
                                    timeout_ms=4000)
    try:
        [record] = await adapters["mediation"].fetch_many("dispute", [local_id])
        assert isinstance(record, Record), record
        cursor = await conn.fetchval("SELECT cursor FROM sync_state WHERE partner = 'mediation' "
                                     "AND entity = 'dispute'")
        stored = await store_batch(conn, "mediation", "dispute", ChangeBatch([record], cursor))
        assert stored.records == 1 and stored.quarantined == 0
    finally:
        await close_adapters(adapters)
        await conn.close()


async def audit_rows(uri: str, agency: str, household: str) -> int:
    conn = await asyncpg.connect(uri)
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM audit_log WHERE agency = $1 AND $2 = ANY(households)",
            agency, household)
        return count
    finally:
        await conn.close()


def change_of(line: dict[str, Any]) -> dict[str, Any]:
    assert line["event"] == "next", line
    assert "errors" not in line["payload"], line
    data: dict[str, Any] = line["payload"]["data"]["disputeChanged"]
    return data


async def test_a_status_change_reaches_both_processes_under_each_grant(
        gateways: tuple[Gateway, Gateway], subscribe: Any, subs_store: str, district: Any,
        keys: dict[str, str]) -> None:
    a, b = gateways
    dispute = await linked_dispute(subs_store)
    community, household = dispute["community_code"], dispute["key"]
    operation = [{"query": DISPUTES, "variables": {"c": community}}]
    before = {agency: await audit_rows(subs_store, agency, household)
              for agency in ("subs-district", "subs-masked")}
    await store_status(subs_store, dispute["local_id"], "REGISTERED")
    wait_subscribed(a, 0)
    wait_subscribed(b, 0)
    full = subscribe(a.ws_url, params(keys["district"]), operation)
    masked = subscribe(b.ws_url, params(keys["masked"]), operation)
    wait_subscribed(a, 1, full)
    wait_subscribed(b, 1, masked)

    await resync(subs_store, district, dispute["local_id"])

    seen_full = change_of(full.wait_for(lambda line: line["event"] == "next"))
    seen_masked = change_of(masked.wait_for(lambda line: line["event"] == "next"))
    for seen in (seen_full, seen_masked):
        assert seen["__typename"] == "DisputeChange"
        assert (seen["change"], seen["oldStatus"], seen["newStatus"]) == \
            ("STATUS_CHANGED", "REGISTERED", dispute["status"])
        assert seen["householdId"] == f"Household:{household}"
        assert seen["body"] == "人民调解委员会"
        assert seen["dispute"]["source"] == {"partner": "mediation",
                                             "localId": dispute["local_id"]}
        assert seen["dispute"]["status"] == dispute["status"]  # read again, live
    names = [p["name"] for p in seen_full["dispute"]["parties"]]
    hidden = [p["name"] for p in seen_masked["dispute"]["parties"]]
    assert names and all(n and not n.endswith("*") for n in names if len(n) > 1)
    assert hidden and all(h.endswith("*") for h in hidden)
    assert [h[0] for h in hidden] == [n[0] for n in names]  # the surname stays
    for agency in before:
        assert await audit_rows(subs_store, agency, household) == before[agency] + 1


def mediation_requests(district: Any) -> int:
    total: int = httpx.get(f"{district.urls['mediation']}/_sim/stats", timeout=10).json()["total"]
    return total


async def test_subscribers_of_one_process_share_the_partner_read_not_the_grants(
        gateways: tuple[Gateway, Gateway], subscribe: Any, subs_store: str, district: Any,
        keys: dict[str, str]) -> None:
    a, _ = gateways
    dispute = await linked_dispute(subs_store)
    household = dispute["key"]
    operation = [{"query": DISPUTES, "variables": {"c": dispute["community_code"]}}]
    conn = await asyncpg.connect(subs_store)
    try:
        wait_subscribed(a, 0)
        alone = subscribe(a.ws_url, params(keys["district"]), operation)
        wait_subscribed(a, 1, alone)
        before = mediation_requests(district)
        await set_status(conn, dispute["id"], "REGISTERED")
        change_of(alone.wait_for(lambda line: line["event"] == "next"))
        one_reads = mediation_requests(district) - before
        assert one_reads >= 1  # the dispute is read live from the mediation platform
        alone.close()

        wait_subscribed(a, 0)
        audited = {agency: await audit_rows(subs_store, agency, household)
                   for agency in ("subs-district", "subs-masked")}
        watchers = [subscribe(a.ws_url, params(keys[k]), operation)
                    for k in ("district", "district", "masked")]
        wait_subscribed(a, 3, *watchers)
        before = mediation_requests(district)
        await set_status(conn, dispute["id"], dispute["status"])
        seen = [change_of(w.wait_for(lambda line: line["event"] == "next")) for w in watchers]
        assert mediation_requests(district) - before == one_reads  # read once for all three
    finally:
        await conn.close()
    names = [[p["name"] for p in s["dispute"]["parties"]] for s in seen]
    assert names[0] == names[1] and all(n and not n.endswith("*") for n in names[0] if len(n) > 1)
    assert all(n.endswith("*") for n in names[2])  # the masked grant still masks
    assert await audit_rows(subs_store, "subs-district", household) == \
        audited["subs-district"] + 2  # each delivery audited on its own
    assert await audit_rows(subs_store, "subs-masked", household) == audited["subs-masked"] + 1


async def test_a_referral_confirmed_on_b_reaches_a(
        gateways: tuple[Gateway, Gateway], subscribe: Any, subs_store: str,
        keys: dict[str, str]) -> None:
    a, b = gateways
    dispute = await linked_dispute(subs_store, referred=True)
    conn = await asyncpg.connect(subs_store)
    try:  # put back to review: no event (not newly trusted), then B's reviewer confirms it
        await conn.execute("UPDATE links SET status = 'needs_review' WHERE source_record_id = $1",
                           dispute["id"])
    finally:
        await conn.close()
    wait_subscribed(a, 0)
    watcher = subscribe(a.ws_url, params(keys["district"]),
                        [{"query": REFERRALS, "variables": {"c": dispute["community_code"]}}])
    wait_subscribed(a, 1, watcher)

    record = f"SourceRecord:mediation:dispute:{dispute['local_id']}:0"
    answer = httpx.post(f"{b.base_url}/graphql", headers=agency_headers(keys["district"]),
                        json={"query": "mutation($r: ID!) { confirmLink(record: $r) { decidedBy } }",
                              "variables": {"r": record}}, timeout=30).json()
    assert "errors" not in answer, answer

    line = watcher.wait_for(lambda line: line["event"] == "next")
    referral = line["payload"]["data"]["referralCreated"]
    assert referral["__typename"] == "Referral"
    assert referral["route"] == "DISPUTE_INTAKE"
    assert referral["toBody"] == "人民调解委员会" and referral["fromBody"] is None
    assert referral["householdId"] == f"Household:{dispute['key']}"
    assert referral["dispute"]["source"]["localId"] == dispute["local_id"]
    assert referral["dispute"]["intake"] in {"POLICE_TRANSFER", "COURT_ENTRUSTED",
                                             "GOV_ASSIGNED", "GRID_REPORT", "HOTLINE"}


RESUMABLE = """subscription($c: ID!, $after: String) {
  disputeChanged(community: $c, after: $after) {
  __typename
  ... on DisputeChange { change oldStatus newStatus cursor dispute { source { localId } } }
  ... on EventGap { lostAt resumedAt reason } } }"""


async def set_status(conn: asyncpg.Connection, record: int, status: str) -> None:
    """The store's status of `record` changed, as a sync writes it (the trigger announces it)."""
    await conn.execute("UPDATE source_records SET status = $2 WHERE id = $1", record, status)


async def test_events_written_while_the_listeners_are_cut_off_still_arrive(
        gateways: tuple[Gateway, Gateway], subscribe: Any, subs_store: str, pg_admin: str,
        keys: dict[str, str]) -> None:
    a, b = gateways
    dispute = await linked_dispute(subs_store)
    operation = [{"query": RESUMABLE, "variables": {"c": dispute["community_code"]}}]
    wait_subscribed(a, 0)
    wait_subscribed(b, 0)
    on_a = subscribe(a.ws_url, params(keys["district"]), operation, count=2)
    on_b = subscribe(b.ws_url, params(keys["district"]), operation, count=2)
    wait_subscribed(a, 1, on_a)
    wait_subscribed(b, 1, on_b)
    time.sleep(2.5)  # both listeners have marked their place since (JUHELI_EVENTS_CHECK_S=1)
    conn = await asyncpg.connect(subs_store)
    server = await asyncpg.connect(pg_admin)
    database = await conn.fetchval("SELECT current_database()")
    try:
        # Both processes' listeners lose their connection and cannot come back until the
        # status has changed twice: the NOTIFYs reach nobody.
        await server.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS false')
        try:
            killed = await conn.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'juheli-events' AND datname = current_database()")
            assert killed == 2
            await set_status(conn, dispute["id"], "REGISTERED")
            await set_status(conn, dispute["id"], dispute["status"])
        finally:
            await server.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true')
    finally:
        await server.close()
        await conn.close()
    for watcher in (on_a, on_b):
        changes = [watcher.wait_for(lambda line: line["event"] == "next")["payload"]["data"]
                   ["disputeChanged"] for _ in range(2)]
        assert [c["__typename"] for c in changes] == ["DisputeChange", "DisputeChange"], changes
        assert [(c["oldStatus"], c["newStatus"]) for c in changes] == \
            [(dispute["status"], "REGISTERED"), ("REGISTERED", dispute["status"])]
        assert {c["dispute"]["source"]["localId"] for c in changes} == {dispute["local_id"]}


async def test_a_subscriber_resumes_after_its_last_cursor(
        gateways: tuple[Gateway, Gateway], subscribe: Any, subs_store: str,
        keys: dict[str, str]) -> None:
    a, b = gateways
    dispute = await linked_dispute(subs_store)
    community = dispute["community_code"]
    wait_subscribed(a, 0)
    first = subscribe(a.ws_url, params(keys["district"]),
                      [{"query": RESUMABLE, "variables": {"c": community}}])
    wait_subscribed(a, 1, first)
    conn = await asyncpg.connect(subs_store)
    try:
        await set_status(conn, dispute["id"], "REGISTERED")
        seen = first.wait_for(lambda line: line["event"] == "next")
        cursor = seen["payload"]["data"]["disputeChanged"]["cursor"]
        first.close()
        # While the client is away: two more changes.
        await set_status(conn, dispute["id"], "IN_MEDIATION")
        await set_status(conn, dispute["id"], dispute["status"])
    finally:
        await conn.close()
    wait_subscribed(b, 0)
    again = subscribe(b.ws_url, params(keys["district"]),  # the other process, even
                      [{"query": RESUMABLE, "variables": {"c": community, "after": cursor}}],
                      count=2)
    changes = [again.wait_for(lambda line: line["event"] == "next")["payload"]["data"]
               ["disputeChanged"] for _ in range(2)]
    assert [(c["oldStatus"], c["newStatus"]) for c in changes] == \
        [("REGISTERED", "IN_MEDIATION"), ("IN_MEDIATION", dispute["status"])]
    assert len({cursor, *(c["cursor"] for c in changes)}) == 3


def test_a_cursor_of_another_community_or_garbage_is_refused(
        gateways: tuple[Gateway, Gateway], subscribe: Any, keys: dict[str, str]) -> None:
    from gateway.resolvers.events import EVENT_CURSOR
    from gateway.schema.pagination import keyset_cursor

    elsewhere = keyset_cursor(EVENT_CURSOR, ("1", "some-other-community"))
    for after in ("garbage", elsewhere, keyset_cursor("household", ("1",))):
        sub = subscribe(gateways[0].ws_url, params(keys["district"]),
                        [{"query": RESUMABLE, "variables": {"c": "110105001001", "after": after}}])
        line = sub.wait_for(lambda line: line["event"] in ("next", "error"))
        errors = line["payload"]["errors"] if line["event"] == "next" else line["errors"]
        assert [e["extensions"]["code"] for e in errors] == ["BAD_REQUEST"], (after, errors)
        assert errors[0]["extensions"]["argument"] == "after"


async def test_a_cursor_no_longer_kept_gives_a_gap_then_live_events(
        gateways: tuple[Gateway, Gateway], subscribe: Any, subs_store: str,
        keys: dict[str, str]) -> None:
    from gateway.resolvers.events import EVENT_CURSOR
    from gateway.schema.pagination import keyset_cursor

    a, _ = gateways
    dispute = await linked_dispute(subs_store)
    community = dispute["community_code"]
    pruned = keyset_cursor(EVENT_CURSOR, ("0", community))  # no event 0 is kept
    wait_subscribed(a, 0)
    sub = subscribe(a.ws_url, params(keys["district"]),
                    [{"query": RESUMABLE, "variables": {"c": community, "after": pruned}}],
                    count=2)
    gap = sub.wait_for(lambda line: line["event"] == "next")["payload"]["data"]["disputeChanged"]
    assert gap["__typename"] == "EventGap"
    assert gap["reason"] == "the events after this cursor are no longer kept"
    wait_subscribed(a, 1, sub)
    conn = await asyncpg.connect(subs_store)
    try:
        await set_status(conn, dispute["id"], "REGISTERED")
        await set_status(conn, dispute["id"], dispute["status"])
    finally:
        await conn.close()
    live = sub.wait_for(lambda line: line["event"] == "next")["payload"]["data"]["disputeChanged"]
    assert (live["oldStatus"], live["newStatus"]) == (dispute["status"], "REGISTERED")


async def test_a_community_outside_the_grant_is_forbidden(
        gateways: tuple[Gateway, Gateway], subscribe: Any, subs_store: str,
        keys: dict[str, str]) -> None:
    dispute = await linked_dispute(subs_store)
    sub = subscribe(gateways[0].ws_url, params(keys["elsewhere"]),
                    [{"query": DISPUTES, "variables": {"c": dispute["community_code"]}}])
    line = sub.wait_for(lambda line: line["event"] in ("next", "error"))
    errors = line["payload"]["errors"] if line["event"] == "next" else line["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"]


async def test_a_purpose_without_the_disputes_grant_is_refused(
        gateways: tuple[Gateway, Gateway], subscribe: Any, subs_store: str,
        keys: dict[str, str]) -> None:
    dispute = await linked_dispute(subs_store)
    sub = subscribe(gateways[1].ws_url, params(keys["masked"], purpose="statistics"),
                    [{"query": DISPUTES, "variables": {"c": dispute["community_code"]}}])
    line = sub.wait_for(lambda line: line["event"] in ("next", "error"))
    errors = line["payload"]["errors"] if line["event"] == "next" else line["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["PURPOSE_NOT_ALLOWED"]


def test_bad_credentials_close_the_socket_with_4403(
        gateways: tuple[Gateway, Gateway], subscribe: Any) -> None:
    for bad in ({"Authorization": "Bearer jk_nope.nope"}, {"Authorization": "Basic abc"},
                {"X-Purpose": ["not", "a", "string"]}):
        sub = subscribe(gateways[0].ws_url, bad,
                        [{"query": DISPUTES, "variables": {"c": "any"}}])
        line = sub.wait_for(lambda line: line["event"] == "closed")
        assert line["code"] == 4403, (bad, line)


async def test_the_subscription_limit_is_a_coded_error(
        gateways: tuple[Gateway, Gateway], subscribe: Any, subs_store: str,
        keys: dict[str, str]) -> None:
    dispute = await linked_dispute(subs_store)
    operation = {"query": DISPUTES, "variables": {"c": dispute["community_code"]}}
    sub = subscribe(gateways[0].ws_url, params(keys["district"]), [operation] * 3)
    line = sub.wait_for(lambda line: line["event"] == "error")
    assert line["id"] == 2
    assert [e["extensions"]["code"] for e in line["errors"]] == ["TOO_MANY_SUBSCRIPTIONS"]


def test_the_query_limits_hold_for_a_subscription(
        gateways: tuple[Gateway, Gateway], subscribe: Any, keys: dict[str, str]) -> None:
    aliases = " ".join(f"a{i}: __typename" for i in range(20))
    query = f"subscription {{ disputeChanged(community: \"x\") {{ {aliases} }} }}"
    sub = subscribe(gateways[0].ws_url, params(keys["district"]), [{"query": query}])
    line = sub.wait_for(lambda line: line["event"] in ("next", "error"))
    errors = line["payload"]["errors"] if line["event"] == "next" else line["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["TOO_MANY_ALIASES"]


def test_a_subscription_over_http_is_refused_with_a_code(
        gateways: tuple[Gateway, Gateway], keys: dict[str, str]) -> None:
    answer = httpx.post(f"{gateways[0].base_url}/graphql", headers=agency_headers(keys["district"]),
                        json={"query": DISPUTES, "variables": {"c": "x"}}, timeout=30)
    assert answer.status_code == 200
    assert answer.json()["data"] is None
    assert [e["extensions"]["code"] for e in answer.json()["errors"]] == ["SUBSCRIPTION_OVER_HTTP"]


async def test_production_runs_trusted_subscription_documents_only(
        subscribe: Any, subs_store: str, district: Any, keys: dict[str, str],
        tmp_path: Any) -> None:
    from gateway.app import create_app
    from gateway.limits import Document, TrustedDocuments, document_id
    from gateway.limits.documents import sha256
    from gateway.settings import Settings

    pool = await asyncpg.create_pool(subs_store, min_size=1, max_size=1)
    try:
        await TrustedDocuments(pool).add([Document(sha256(DISPUTES), DISPUTES, "disputes")])
    finally:
        await pool.close()
    assert document_id(sha256(DISPUTES)) is not None
    settings = Settings(data_dir=tmp_path, mode="production", request_deadline_ms=5000)
    app = create_app(settings, store_uri=subs_store, partners=district.partners_config())
    dispute = await linked_dispute(subs_store)
    variables = {"c": dispute["community_code"]}
    with uvicorn_serving(app) as base_url:
        gateway = Gateway(base_url, None)  # type: ignore[arg-type]
        wait_subscribed(gateway, 0)
        url = gateway.ws_url
        trusted = subscribe(url, params(keys["district"]),
                            [{"query": DISPUTES, "variables": variables}])
        wait_subscribed(gateway, 1, trusted)
        other = subscribe(url, params(keys["district"]),
                          [{"query": DISPUTES + " ", "variables": variables}])
        line = other.wait_for(lambda line: line["event"] == "error")
        assert [e["extensions"]["code"] for e in line["errors"]] == ["DOCUMENT_NOT_TRUSTED"]
        trusted.close()
