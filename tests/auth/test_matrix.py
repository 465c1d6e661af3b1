"""The authorization matrix, generated from the policy in the store: every role × field group ×
purpose, in and out of the agency's community, asserting returned in full, masked, or refused
with its code — through `household`, through `node(id)`, and through `findHouseholds`."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from gateway.auth.policy import Policy, load_policy
from tests.conftest import agency_headers, agency_key

PURPOSES = [None, "case_handling", "joint_meeting", "service_delivery", "statistics"]
ROLES = ["residents_committee", "party_committee", "service_hall", "hotline", "mediation",
         "mass_org", "property", "statistics"]
# How each field group shows in one query, and the path its refusal is reported at.
GROUP_FIELDS = {
    "identity": (("residents",), "residents { name residentId }"),
    "contact": (("address", "raw"), "address { raw }"),
    "welfare": (("services",), "services { number }"),
    "disputes": (("disputes",), "disputes { number parties { name } }"),
    "appeals": (("appeals",), "appeals { number }"),
    "party": (("responsibleMember",), "responsibleMember { name }"),
    "property": (("property",), "property { occupancy { roomCode occupancy } owners { name } }"),
}


def _at(household: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = household
    for key in path:
        value = value[key]
    return value
QUERY = "query($id: ID!) { household(id: $id) { id " + " ".join(
    f for _, f in GROUP_FIELDS.values()) + " } }"


@pytest.fixture(scope="module")
async def world(synced: Any, store_uri: str) -> dict[str, Any]:
    """A household in one community with something in every group, one in another."""
    conn = await asyncpg.connect(store_uri)
    try:
        row = await conn.fetchrow(
            """SELECT h.key, h.community_code, count(DISTINCT s.entity) AS kinds FROM households h
               JOIN links l ON l.household_id = h.id AND l.status IN ('auto', 'confirmed')
               JOIN source_records s ON s.id = l.source_record_id
               WHERE s.entity IN ('dispute', 'ticket', 'service_case', 'resident',
                                  'responsibility', 'occupancy', 'owner')
               GROUP BY h.key, h.community_code ORDER BY kinds DESC, h.key LIMIT 1""")
        other = await conn.fetchrow(
            "SELECT key, community_code FROM households WHERE community_code <> $1 "
            "ORDER BY key LIMIT 1", row["community_code"])
        resident = await conn.fetchval(
            """SELECT p.key FROM persons p JOIN households h ON h.id = p.household_id
               WHERE h.key = $1 AND p.id_number IS NOT NULL ORDER BY p.key LIMIT 1""",
            row["key"])
        outside = await conn.fetchval(
            """SELECT p.key FROM persons p JOIN households h ON h.id = p.household_id
               WHERE h.key = $1 ORDER BY p.key LIMIT 1""", other["key"])
        records = {(entity, where): await conn.fetchval(
            f"""SELECT s.partner || ':' || s.local_id FROM source_records s
                JOIN links l ON l.source_record_id = s.id AND l.status IN ('auto', 'confirmed')
                JOIN households h ON h.id = l.household_id
                WHERE s.entity = $1
                GROUP BY s.partner, s.local_id
                HAVING bool_and(h.community_code {'=' if where == 'home' else '<>'} $2)
                ORDER BY 1 LIMIT 1""", entity, row["community_code"])
            for entity in ("dispute", "member") for where in ("home", "elsewhere")}
        policy = await load_policy(conn)
    finally:
        await conn.close()
    assert all(records.values()), records
    return {"home": row["key"], "community": row["community_code"], "kinds": row["kinds"],
            "other": other["key"], "resident": resident, "outside": outside, "policy": policy,
            "records": records}


@pytest.fixture(scope="module")
async def keys(world: dict[str, Any], store_uri: str) -> dict[str, str]:
    return {role: await agency_key(store_uri, f"matrix-{role}", role, [world["community"]])
            for role in ROLES}


def _errors(body: dict[str, Any]) -> dict[str, str]:
    return {str(e["path"][-1]) if e.get("path") else "": e["extensions"]["code"]
            for e in body.get("errors") or []}


def _expected(policy: Policy, role: str, group: str, purpose: str | None, community: str) -> str:
    if purpose is None:
        return "PURPOSE_REQUIRED"
    level = policy.level(role, group, purpose, community)
    if level != "none":
        return level
    return "PURPOSE_NOT_ALLOWED" if policy.allowed_purposes(role, group) else "FORBIDDEN_FIELD"


def _check_shown(group: str, level: str, household: dict[str, Any],
                 identity: str | None = None) -> None:
    """`group`'s fields as `level` shows them; `identity`: the role's level for identity, which a
    property record's names need too (the group its body's definition declares for them)."""
    value = _at(household, GROUP_FIELDS[group][0])
    if group == "identity":
        assert value, "residents shown"
        names = [r["name"] for r in value if r["name"]]
        ids = [r["residentId"] for r in value if r["residentId"]]
        masked_names = [n for n in names if "*" in n]
        if level == "masked":
            assert names and len(masked_names) == len(names), names
            assert all("*" in i for i in ids), ids
        else:
            assert names and not masked_names, names
            assert any("*" not in i for i in ids), ids
    elif group == "contact":
        assert (value == []) == (level == "masked"), value
    elif group == "disputes":
        names = [p["name"] for d in value for p in d["parties"] if p["name"]]
        assert all(("*" in n) == (level == "masked") for n in names), names
    elif group == "party" and value is not None:
        assert ("*" in (value["name"] or "*")) == (level == "masked"), value
    elif group == "property":
        assert value["occupancy"], "the household's rooms shown"
        shown = [o["name"] for o in value["owners"]]
        if identity not in {"masked", "full"}:
            assert shown and all(n is None for n in shown), shown  # refused, one by one
            return
        names = [n for n in shown if n and len(n) > 1]
        masked = "masked" in (level, identity)
        assert names and all(("*" in n) == masked for n in names), names


@pytest.mark.parametrize("role", ROLES)
async def test_every_role_sees_what_its_grants_say(
    role: str, world: dict[str, Any], keys: dict[str, str], client: Any
) -> None:
    policy: Policy = world["policy"]
    for purpose in PURPOSES:
        headers = agency_headers(keys[role], purpose=purpose)
        response = await client.post("/graphql", headers=headers, json={
            "query": QUERY, "variables": {"id": f"Household:{world['home']}"}})
        assert response.status_code == 200
        body = response.json()
        household = body["data"]["household"]
        if purpose == "statistics":  # aggregates only: no household, whatever the role
            assert household is None and _errors(body) == {"household": "PURPOSE_NOT_ALLOWED"}
            totals = (await client.post("/graphql", headers=headers, json={
                "query": "{ households(first: 0) { totalCount } }"})).json()
            assert totals["data"]["households"]["totalCount"] > 0 and "errors" not in totals
            continue
        assert household is not None, "its own community's household is visible"
        errors = _errors(body)
        if (role, purpose) == ("residents_committee", "case_handling"):
            # the household has something in every group, so no check below is vacuous
            assert all(_at(household, path) for path, _ in GROUP_FIELDS.values()), household
        for group, (path, _) in GROUP_FIELDS.items():
            expected = _expected(policy, role, group, purpose, world["community"])
            where = (role, purpose, group)
            if expected in {"masked", "full"}:
                identity = _expected(policy, role, "identity", purpose, world["community"])
                assert path[-1] not in errors or group == "property" and identity not in \
                    {"masked", "full"}, (where, errors)
                _check_shown(group, expected, household, identity)
            else:
                assert _at(household, path) is None, where
                assert errors.get(path[-1]) == expected, (where, errors)

        # Outside its community: nothing, not even an error that says the household exists.
        outside = (await client.post("/graphql", headers=headers, json={
            "query": QUERY, "variables": {"id": f"Household:{world['other']}"}})).json()
        assert outside["data"]["household"] is None and "errors" not in outside, (role, purpose)


@pytest.mark.parametrize("role", ROLES)
async def test_node_and_search_obey_the_same_grants(
    role: str, world: dict[str, Any], keys: dict[str, str], client: Any
) -> None:
    policy: Policy = world["policy"]
    headers = agency_headers(keys[role], purpose="case_handling")
    node = "query($id: ID!) { node(id: $id) { id ... on Resident { name residentId } } }"
    inside = (await client.post("/graphql", headers=headers, json={
        "query": node, "variables": {"id": f"Resident:rc:{world['resident']}"}})).json()
    expected = _expected(policy, role, "identity", "case_handling", world["community"])
    if expected == "full":
        assert "*" not in inside["data"]["node"]["residentId"]
    elif expected == "masked":
        assert "*" in inside["data"]["node"]["name"]
    else:
        assert inside["data"]["node"] is None
        assert _errors(inside).get("node") == expected
    for hidden in (f"Resident:rc:{world['outside']}", "Resident:rc:NO-SUCH-PERSON",
                   f"Household:{world['other']}"):
        body = (await client.post("/graphql", headers=headers, json={
            "query": node, "variables": {"id": hidden}})).json()
        assert body["data"]["node"] is None, (role, hidden)
        if hidden.startswith("Resident:") and expected not in {"masked", "full"}:
            # no identity grant anywhere it sees: refused before the id is looked up
            assert _errors(body) == {"node": expected}, (role, hidden, body)
        else:
            assert "errors" not in body, (role, hidden)
    # findHouseholds never returns a household outside the agency's communities
    found = (await client.post("/graphql", headers=headers, json={
        "query": "{ findHouseholds(address: \"1号楼1单元101\") { household { id } } }"})).json()
    ids = {m["household"]["id"] for m in (found["data"] or {}).get("findHouseholds") or []}
    assert f"Household:{world['other']}" not in ids
    listed = (await client.post("/graphql", headers=headers, json={
        "query": "{ households(first: 100) { totalCount edges { node { id } } } "
                 "communities { code } }"})).json()["data"]
    assert [c["code"] for c in listed["communities"]] == [world["community"]]
    assert f"Household:{world['other']}" not in {e["node"]["id"] for e in listed["households"]["edges"]}


RECORD_NODES = {"Dispute": ("dispute", "disputes", "... on Dispute { status }"),
                "PartyMember": ("member", "party", "... on PartyMember { name }")}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", sorted(RECORD_NODES))
async def test_a_record_node_without_its_group_is_refused_whether_it_exists_or_not(
    role: str, kind: str, world: dict[str, Any], keys: dict[str, str], client: Any
) -> None:
    """A `Dispute:` or `PartyMember:` id: with its group granted, the record of the agency's
    community is shown and one elsewhere or never issued is null; without it, all three get the
    same refusal — nothing tells an id that exists from one that does not."""
    entity, group, fragment = RECORD_NODES[kind]
    expected = _expected(world["policy"], role, group, "case_handling", world["community"])
    query = "query($id: ID!) { node(id: $id) { id " + fragment + " } }"
    ids = {"home": f"{kind}:{world['records'][(entity, 'home')]}",
           "elsewhere": f"{kind}:{world['records'][(entity, 'elsewhere')]}",
           "missing": f"{kind}:{world['records'][(entity, 'home')].split(':')[0]}:NO-SUCH-ID"}
    answers = {}
    for where, value in ids.items():
        answers[where] = (await client.post("/graphql", headers=agency_headers(keys[role]),
                                             json={"query": query,
                                                   "variables": {"id": value}})).json()
    if expected in {"masked", "full"}:
        assert answers["home"]["data"]["node"]["id"] == ids["home"], (role, answers["home"])
        assert "errors" not in answers["home"], (role, answers["home"])
        for where in ("elsewhere", "missing"):
            assert answers[where]["data"] == {"node": None}, (role, where)
            assert "errors" not in answers[where], (role, where)
    else:
        for where, body in answers.items():
            assert body["data"] == {"node": None}, (role, where)
            assert _errors(body) == {"node": expected}, (role, where, body)
        assert answers["home"]["errors"] == answers["missing"]["errors"], role


async def test_personal_reads_name_the_officer(world: dict[str, Any], keys: dict[str, str],
                                               client: Any) -> None:
    headers = agency_headers(keys["residents_committee"], officer=None)
    body = (await client.post("/graphql", headers=headers, json={
        "query": QUERY, "variables": {"id": f"Household:{world['home']}"}})).json()
    assert body["data"]["household"]["id"] == f"Household:{world['home']}"
    assert set(_errors(body).values()) == {"OFFICER_REQUIRED"}


async def test_anonymous_callers_see_no_household(world: dict[str, Any], client: Any) -> None:
    body = (await client.post("/graphql", headers={"Authorization": ""}, json={
        "query": QUERY, "variables": {"id": f"Household:{world['home']}"}})).json()
    assert body["data"]["household"] is None


async def _property_audits(uri: str, agency: str, household: str) -> int:
    conn = await asyncpg.connect(uri)
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM audit_log WHERE agency = $1 AND $2 = ANY(households) "
            "AND 'property' = ANY(field_groups)", agency, household)
        return count
    finally:
        await conn.close()


@pytest.mark.parametrize("role", ROLES)
async def test_a_property_read_is_audited_when_granted(
    role: str, world: dict[str, Any], keys: dict[str, str], client: Any, store_uri: str
) -> None:
    policy: Policy = world["policy"]
    expected = _expected(policy, role, "property", "case_handling", world["community"])
    before = await _property_audits(store_uri, f"matrix-{role}", world["home"])
    body = (await client.post("/graphql", headers=agency_headers(keys[role]), json={
        "query": "query($id: ID!) { household(id: $id) { " + GROUP_FIELDS["property"][1] + " } }",
        "variables": {"id": f"Household:{world['home']}"}})).json()
    after = await _property_audits(store_uri, f"matrix-{role}", world["home"])
    if expected in {"masked", "full"}:
        assert body["data"]["household"]["property"]["occupancy"], (role, body)
        assert after == before + 1, (role, expected)
    else:
        assert _errors(body) == {"property": expected}, (role, body)
        assert after == before, (role, expected)
