"""Bad input to /graphql gets the status and the coded error body GraphQL over HTTP prescribes —
never a 500 — in the media type the client accepts (docs/http.md)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

GRJ = "application/graphql-response+json"
JSON = "application/json"
ACCEPTS = [pytest.param(JSON, id="json"), pytest.param(GRJ, id="graphql-response")]


def refused(response: httpx.Response, status: int, media: str, code: str) -> dict[str, Any]:
    """A refusal: the status, the media type, one error with `code`, and no `data`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == f"{media}; charset=utf-8"
    body: dict[str, Any] = response.json()
    assert "data" not in body, body
    assert [e["extensions"]["code"] for e in body["errors"]] == [code], body
    return body


async def post(client: httpx.AsyncClient, body: bytes, accept: str,
               content_type: str | None = JSON) -> httpx.Response:
    headers = {"accept": accept, **({"content-type": content_type} if content_type else {})}
    return await client.post("/graphql", content=body, headers=headers)


# --- a body that is not a GraphQL-over-HTTP request: 400 in either media type ------------------


NOT_A_REQUEST = [
    pytest.param(b'{"query": "{ __typename }"', "The body is not JSON", id="malformed-json"),
    pytest.param(b"", "The body is not JSON", id="empty-body"),
    pytest.param(b'"{ __typename }"', "The body must be a JSON object", id="json-string"),
    pytest.param(b'{"qeury": "{ __typename }"}', "A request needs `query` or `documentId`",
                 id="missing-query"),
    pytest.param(b'{"query": ""}', "A request needs `query` or `documentId`", id="empty-query"),
    pytest.param(b'{"query": 7}', "`query` must be a string", id="number-query"),
    pytest.param(b'{"query": false}', "`query` must be a string", id="boolean-query"),
    pytest.param(b'{"query": {"obj": "ect"}}', "`query` must be a string", id="object-query"),
    pytest.param(b'{"query": ["{ __typename }"]}', "`query` must be a string", id="array-query"),
    pytest.param(b'{"query": "{ __typename }", "variables": "{}"}',
                 "`variables` must be an object", id="string-variables"),
    pytest.param(b'{"query": "{ __typename }", "variables": [1]}',
                 "`variables` must be an object", id="array-variables"),
    pytest.param(b'{"query": "{ __typename }", "variables": 0}',
                 "`variables` must be an object", id="number-variables"),
    pytest.param(b'{"query": "{ __typename }", "extensions": "x"}',
                 "`extensions` must be an object", id="string-extensions"),
    pytest.param(b'{"query": "{ __typename }", "extensions": [1]}',
                 "`extensions` must be an object", id="array-extensions"),
    pytest.param(b'{"query": "{ __typename }", "operationName": 1}',
                 "`operationName` must be a string", id="number-operation-name"),
    pytest.param(b'{"extensions": "x"}', "`extensions` must be an object",
                 id="only-bad-extensions"),
]


@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize(("body", "message"), NOT_A_REQUEST)
async def test_not_a_graphql_request(client: httpx.AsyncClient, accept: str, body: bytes,
                                     message: str) -> None:
    answer = refused(await post(client, body, accept), 400, accept, "MALFORMED_REQUEST")
    assert answer["errors"][0]["message"] == message


@pytest.mark.parametrize("accept", ACCEPTS)
async def test_a_batch_is_refused(client: httpx.AsyncClient, accept: str) -> None:
    body = b'[{"query": "{ __typename }"}, {"query": "{ __typename }"}]'
    refused(await post(client, body, accept), 400, accept, "BATCHING_DISABLED")


@pytest.mark.parametrize("accept", ACCEPTS)
@pytest.mark.parametrize("content_type", [
    "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x", "application/xml", None])
async def test_unsupported_media_types(client: httpx.AsyncClient, accept: str,
                                       content_type: str | None) -> None:
    response = await post(client, b'{"query": "{ __typename }"}', accept, content_type)
    body = refused(response, 415, accept, "UNSUPPORTED_MEDIA_TYPE")
    assert "application/json" in body["errors"][0]["message"]


@pytest.mark.parametrize(("params", "message"), [
    ({"query": "{ __typename }", "variables": "{not json"}, "`variables` is not JSON"),
    ({"query": "{ __typename }", "variables": "[1]"}, "`variables` must be an object"),
    ({"query": "{ __typename }", "extensions": "7"}, "`extensions` must be an object"),
    ({"variables": "{}"}, "A request needs `query` or `documentId`"),
])
async def test_bad_get_parameters(client: httpx.AsyncClient, params: dict[str, str],
                                  message: str) -> None:
    response = await client.get("/graphql", params=params, headers={"accept": GRJ})
    assert refused(response, 400, GRJ, "MALFORMED_REQUEST")["errors"][0]["message"] == message


# --- methods -----------------------------------------------------------------------------------


@pytest.mark.parametrize("accept", ACCEPTS)
async def test_a_mutation_over_get_is_405(client: httpx.AsyncClient, accept: str) -> None:
    response = await client.get("/graphql", headers={"accept": accept}, params={
        "query": 'mutation { rejectLink(record: "SourceRecord:x") { decidedBy } }'})
    refused(response, 405, accept, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_other_methods_are_405(client: httpx.AsyncClient, method: str) -> None:
    response = await client.request(method, "/graphql", json={"query": "{ __typename }"},
                                    headers={"accept": GRJ})
    refused(response, 405, GRJ, "METHOD_NOT_ALLOWED")
    assert response.headers["allow"] == "GET, POST"


# --- Accept ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("accept", "media"), [
    (GRJ, GRJ),
    (f"{GRJ}; charset=utf-8", GRJ),
    (f"{GRJ}, {JSON}", GRJ),
    (f"{JSON};q=0.9, {GRJ}", GRJ),
    (JSON, JSON),
    ("application/json; charset=UTF-8", JSON),
    (f"{JSON}, {GRJ}", JSON),  # the first listed, at equal weight
    ("*/*", JSON),
    ("application/*", JSON),
    (f"{GRJ};q=0, */*", JSON),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", JSON),  # a browser
    ("", JSON),
])
async def test_the_answer_is_in_the_accepted_media_type(client: httpx.AsyncClient, accept: str,
                                                        media: str) -> None:
    response = await client.post("/graphql", json={"query": "{ __typename }"},
                                 headers={"accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == f"{media}; charset=utf-8"
    assert response.json()["data"] == {"__typename": "Query"}


async def test_no_accept_header_is_json(client: httpx.AsyncClient) -> None:
    request = client.build_request("POST", "/graphql", json={"query": "{ __typename }"})
    del request.headers["accept"]
    response = await client.send(request)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"


@pytest.mark.parametrize("accept", [
    "text/html", "application/xml", "text/plain, image/png", "application/json; charset=latin-1",
    f"{GRJ}; charset=utf-16", f"{JSON};q=0, {GRJ};q=0"])
async def test_nothing_acceptable_is_406(client: httpx.AsyncClient, accept: str) -> None:
    response = await client.post("/graphql", json={"query": "{ __typename }"},
                                 headers={"accept": accept})
    body = refused(response, 406, JSON, "NOT_ACCEPTABLE")
    assert body["errors"][0]["extensions"]["accept"] == [GRJ, JSON]


async def test_a_browser_still_gets_the_ide(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "<html" in page.text.lower()


# --- GraphQL request errors: 200 in application/json, 400 in graphql-response+json -------------


REQUEST_ERRORS = [
    pytest.param({"query": "{"}, "GRAPHQL_PARSE_FAILED", id="parse"),
    pytest.param({"query": "{ 8f31403dfe404bccbb0e835f2629c6a7 }"}, "GRAPHQL_PARSE_FAILED",
                 id="parse-number"),
    pytest.param({"query": "{ nosuchfield }"}, "GRAPHQL_VALIDATION_FAILED", id="validation"),
    pytest.param({"query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": None}},
                 "BAD_USER_INPUT", id="variable-coercion"),
    pytest.param({"query": "query A { __typename }", "operationName": "B"},
                 "GRAPHQL_VALIDATION_FAILED", id="unknown-operation"),
    pytest.param({"query": "{ households { edges { node { community { households { edges { node "
                           "{ community { households { edges { node { id } } } } } } } } } } } }"},
                 "QUERY_TOO_DEEP", id="limit"),
]


@pytest.mark.parametrize(("accept", "status"), [(JSON, 200), (GRJ, 400)])
@pytest.mark.parametrize(("request_body", "code"), REQUEST_ERRORS)
async def test_request_errors(client: httpx.AsyncClient, accept: str, status: int,
                              request_body: dict[str, Any], code: str) -> None:
    response = await client.post("/graphql", json=request_body, headers={"accept": accept})
    refused(response, status, accept, code)


async def test_a_request_error_over_get(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "{"}, headers={"accept": GRJ})
    refused(response, 400, GRJ, "GRAPHQL_PARSE_FAILED")


@pytest.mark.parametrize("accept", [JSON, GRJ])
async def test_a_field_error_is_a_200_with_data(client: httpx.AsyncClient, accept: str) -> None:
    response = await client.post("/graphql", headers={"accept": accept}, json={
        "query": '{ household(id: "not-an-id") { id } communities { code } }'})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == f"{accept}; charset=utf-8"
    body = response.json()
    assert body["data"]["household"] is None and len(body["data"]["communities"]) == 3
    assert [(e["extensions"]["code"], e["path"]) for e in body["errors"]] == [
        ("MALFORMED_ID", ["household"])]
