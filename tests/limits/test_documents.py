"""Trusted documents: registered from a manifest, run by id; in production nothing else runs."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from gateway import examples
from gateway.cli import app
from gateway.limits import DEFAULT_LIMITS, ManifestInvalid, check_manifest, read_manifest
from gateway.schema import schema
from tests.limits.conftest import Spy, code, manifest_file

runner = CliRunner()
PARTNERS = "query Partners { partners { slug nameZh } }"
# More than the 1000 tokens an ad-hoc document may hold, and within every other limit.
LONG = "query Long($c: ID!) { " + " ".join(
    "community(id: $c) { code name streetCode streetName householdCount }" for _ in range(100)
) + " }"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture(scope="module")
def trusted(store_uri: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The examples, registered through `gateway documents add` like a deployment would."""
    documents = [examples.HOUSEHOLD_360, examples.COMMUNITY_PAGE, PARTNERS, LONG]
    manifest = manifest_file(tmp_path_factory.mktemp("manifest"), documents)
    result = runner.invoke(app, ["documents", "add", str(manifest), "--data-dir",
                                 str(manifest.parent)], env={"DATABASE_URL": store_uri})
    assert result.exit_code == 0, result.output
    assert "4 documents checked" in result.output
    return {d: sha(d) for d in documents}


def test_the_documents_commands_have_help() -> None:
    for command in ("add", "list", "remove"):
        result = runner.invoke(app, ["documents", command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


def test_a_manifest_is_checked_whole_and_nothing_is_added_on_any_problem(
        trusted: dict[str, str], store_uri: str, tmp_path: Path) -> None:
    bad = {
        sha("{ communities { name } }"): "{ communities { name } }",  # fine
        "0" * 64: "{ partners { slug } }",  # not its hash
        hashlib.sha1(b"{ a }").hexdigest(): "{ a }",  # codegen's default sha1
        sha("{ communitys { name } }"): "{ communitys { name } }",  # not valid
        sha(examples.HOUSEHOLD_360.replace("body", "body bodies")): "placeholder",
    }
    deep = ("{ households { edges { node { community { households { edges { node { community { "
            "households { edges { node { id } } } } } } } } } } } }")
    bad[sha(deep)] = deep
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    result = runner.invoke(app, ["documents", "add", str(path), "--data-dir", str(tmp_path)],
                           env={"DATABASE_URL": store_uri})
    assert result.exit_code == 2
    out = result.output
    assert "is not the sha256 of its document" in out and "hashAlgorithm 'sha256'" in out
    assert "Cannot query field 'communitys'" in out and "Query depth 9" in out
    assert "nothing was added" in out
    listed = runner.invoke(app, ["documents", "list", "--data-dir", str(tmp_path)],
                           env={"DATABASE_URL": store_uri})
    assert sha("{ communities { name } }")[:20] not in listed.output
    assert trusted[PARTNERS][:20] in listed.output and "Partners" in listed.output


def test_apollo_manifests_are_read_too() -> None:
    apollo = {"format": "apollo-persisted-query-manifest", "version": 1, "operations": [
        {"id": sha(PARTNERS), "name": "Partners", "type": "query", "body": PARTNERS}]}
    documents = check_manifest(read_manifest(json.dumps(apollo).encode()), schema._schema,
                               DEFAULT_LIMITS)
    assert [(d.id, d.name) for d in documents] == [(sha(PARTNERS), "Partners")]
    with pytest.raises(ManifestInvalid):
        read_manifest(b'["not", "a", "map"]')


async def test_production_runs_documents_by_every_kind_of_id(
        prod: httpx.AsyncClient, trusted: dict[str, str]) -> None:
    digest = trusted[PARTNERS]
    ways: list[dict[str, Any]] = [
        {"documentId": f"sha256:{digest}"},  # GraphQL-over-HTTP, Appendix A
        {"documentId": digest},  # graphql-codegen's client preset
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}},  # Apollo
        {"documentId": digest, "query": PARTNERS},  # both, agreeing
    ]
    for body in ways:
        response = await prod.post("/graphql", json=body)
        assert response.status_code == 200, (body, response.text)
        assert len(response.json()["data"]["partners"]) >= 4, body
    over_get = await prod.get("/graphql", params={"documentId": f"sha256:{digest}"})
    assert over_get.status_code == 200 and over_get.json()["data"]["partners"]


async def test_trusted_documents_are_not_held_to_the_token_limit(
        prod: httpx.AsyncClient, dev: httpx.AsyncClient, trusted: dict[str, str]) -> None:
    variables = {"c": "Community:000000000000"}
    by_id = await prod.post("/graphql", json={"documentId": trusted[LONG], "variables": variables})
    assert by_id.status_code == 200 and by_id.json() == {
        "data": {"community": None}, "extensions": by_id.json()["extensions"]}
    ad_hoc = await dev.post("/graphql", json={"query": LONG, "variables": variables})
    assert code(ad_hoc) == "TOO_MANY_TOKENS"


async def test_production_refuses_raw_queries_and_unknown_ids(prod: httpx.AsyncClient,
                                                             spy: Spy,
                                                             trusted: dict[str, str]) -> None:
    unknown = sha("{ partners { slug } }")
    for body in [{"query": PARTNERS}, {"documentId": f"sha256:{unknown}"},
                 {"documentId": "not-a-hash"},
                 {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": unknown}},
                  "query": "{ partners { slug } }"}]:
        response = await prod.post("/graphql", json=body)
        assert (response.status_code, code(response)) == (400, "DOCUMENT_NOT_TRUSTED"), body
    mismatch = await prod.post("/graphql", json={"documentId": trusted[PARTNERS],
                                                 "query": "{ partners { slug } }"})
    assert (mismatch.status_code, code(mismatch)) == (400, "MALFORMED_REQUEST")
    assert spy.resolved == 0


async def test_development_runs_both_and_asks_for_the_text_of_an_unknown_id(
        dev: httpx.AsyncClient, trusted: dict[str, str]) -> None:
    by_id = await dev.post("/graphql", json={"documentId": trusted[PARTNERS]})
    raw = await dev.post("/graphql", json={"query": PARTNERS})
    assert by_id.json()["data"] == raw.json()["data"]
    text = "{ partners { slug } }"
    persisted = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha(text)}}}
    unknown = await dev.post("/graphql", json=persisted)
    assert (unknown.status_code, code(unknown)) == (400, "PERSISTED_QUERY_NOT_FOUND")
    # an Apollo client then resends with the text, which development runs (and does not keep)
    resent = await dev.post("/graphql", json={**persisted, "query": text})
    assert resent.status_code == 200 and resent.json()["data"]["partners"]
    assert code(await dev.post("/graphql", json=persisted)) == "PERSISTED_QUERY_NOT_FOUND"


async def test_removing_a_document_stops_it(store_uri: str, tmp_path: Path,
                                            prod: httpx.AsyncClient) -> None:
    text = "query Gone { communities { code } }"
    path = manifest_file(tmp_path, [text])

    async def cli(*args: str) -> Any:  # typer's commands run their own event loop
        return await asyncio.to_thread(runner.invoke, app, [*args, "--data-dir", str(tmp_path)],
                                       env={"DATABASE_URL": store_uri})

    assert (await cli("documents", "add", str(path))).exit_code == 0
    again = await cli("documents", "add", str(path))
    assert "0 new, 1 already trusted" in again.output
    removed = await cli("documents", "remove", f"sha256:{sha(text)}")
    assert removed.exit_code == 0, removed.output
    # never looked up by this process before: refused at once (others forget within a minute)
    assert code(await prod.post("/graphql", json={"documentId": sha(text)})) == \
        "DOCUMENT_NOT_TRUSTED"
    assert (await cli("documents", "remove", sha(text))).exit_code == 1


async def test_a_trusted_mutation_is_refused_over_get(prod: httpx.AsyncClient, spy: Spy,
                                                      store_uri: str) -> None:
    from tests.limits.test_hostile import trust_by_hand

    decide = 'mutation Decide($record: ID!) { rejectLink(record: $record) { decidedBy } }'
    (digest,) = await trust_by_hand(store_uri, decide)
    response = await prod.get("/graphql", params={
        "documentId": f"sha256:{digest}", "variables": json.dumps({"record": "SourceRecord:x"})})
    assert (response.status_code, code(response)) == (405, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "POST"
    assert spy.resolved == 0
