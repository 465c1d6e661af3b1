"""A Python client of a Juheli gateway with `gql`: the operations of examples/operations/,
validated locally against the gateway's checked-in schema.graphql before anything is sent.

    python juheli_client.py manifest persisted-documents.json   # then: gateway documents add …
    python juheli_client.py run            # by sha256 only: what a production gateway runs
    python juheli_client.py run --text     # the full text: a development gateway runs it too

`run` reads JUHELI_URL (the gateway's /graphql), JUHELI_KEY (an agency key), JUHELI_PURPOSE
(default case_handling) and JUHELI_OFFICER; it prints one JSON line per operation
({"operation", "variables", "data"}) and exits 1 on any GraphQL error, with the codes on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport
from graphql import DocumentNode, GraphQLError, build_schema, parse, print_ast

HERE = Path(__file__).resolve().parent
OPERATIONS = HERE.parent / "operations"
SCHEMA = HERE.parent.parent / "schema.graphql"
PAGE_SIZE = 5


def operations() -> dict[str, DocumentNode]:
    """Operation name → parsed document, one per examples/operations/*.graphql."""
    return {path.stem: parse(path.read_text(encoding="utf-8"))
            for path in sorted(OPERATIONS.glob("*.graphql"))}


def text_of(document: DocumentNode) -> str:
    """The one spelling of a document that is hashed, registered and sent as text."""
    return print_ast(document)


def sha256(document: DocumentNode) -> str:
    return hashlib.sha256(text_of(document).encode()).hexdigest()


def manifest() -> dict[str, str]:
    """graphql-codegen's persisted-documents.json format: `sha256:<hex>` → text."""
    return {f"sha256:{sha256(doc)}": text_of(doc) for doc in operations().values()}


class PersistedRequest(GraphQLRequest):
    """A request that names its document by sha256 and leaves the text out of the payload
    (Apollo's `persistedQuery` extension, which the gateway accepts beside `documentId`)."""

    @property
    def payload(self) -> dict[str, Any]:
        payload = super().payload
        del payload["query"]
        payload["extensions"] = {**payload.get("extensions", {}), "persistedQuery": {
            "version": 1, "sha256Hash": sha256(self.document)}}
        return payload


class Runner:
    """Runs the operations through one gql session, printing each result."""

    def __init__(self, session: Any, *, persisted: bool) -> None:
        self.session, self.persisted = session, persisted
        self.documents = operations()

    async def run(self, name: str, variables: dict[str, Any]) -> dict[str, Any]:
        kind = PersistedRequest if self.persisted else GraphQLRequest
        request = kind(self.documents[name], variable_values=variables, operation_name=name)
        data: dict[str, Any] = await self.session.execute(request)
        print(json.dumps({"operation": name, "variables": variables, "data": data},
                         ensure_ascii=False), flush=True)
        return data

    async def households_pages(self) -> str:
        first: dict[str, Any] = {"community": None, "first": PAGE_SIZE, "after": None}
        page = (await self.run("HouseholdsPage", first))["households"]
        ids = [edge["node"]["id"] for edge in page["edges"]]
        check(0 < len(ids) <= PAGE_SIZE, f"a page of 1..{PAGE_SIZE} households")
        if page["pageInfo"]["hasNextPage"]:
            after = page["pageInfo"]["endCursor"]
            two = (await self.run("HouseholdsPage", {**first, "after": after}))["households"]
            check(not {e["node"]["id"] for e in two["edges"]} & set(ids), "pages overlap")
        return str(ids[0])

    async def all(self) -> None:
        check(bool((await self.run("Partners", {}))["partners"]), "the gateway knows no partner")
        id_ = await self.households_pages()
        household = (await self.run("Household360", {"id": id_}))["household"]
        check(household is not None and household["id"] == id_, f"household {id_} came back")
        address = household["address"]["normalized"]
        found = (await self.run("FindByAddress", {"address": address}))["findHouseholds"]
        check(id_ in [m["household"]["id"] for m in found], f"finding {address!r} misses {id_}")
        await self.run("CoordinationBrief", {"community": household["community"]["id"],
                                             "period": period()})


class CheckFailed(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(f"check failed: {message}")


def period() -> dict[str, str]:
    """JUHELI_PERIOD_FROM/TO, else the 365 days ending today."""
    today = date.today()
    return {"from": os.environ.get("JUHELI_PERIOD_FROM", (today - timedelta(364)).isoformat()),
            "to": os.environ.get("JUHELI_PERIOD_TO", today.isoformat())}


def headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {os.environ['JUHELI_KEY']}",
            "X-Purpose": os.environ.get("JUHELI_PURPOSE", "case_handling"),
            "X-Officer": quote(os.environ.get("JUHELI_OFFICER", "python-gql")),
            "Accept": "application/graphql-response+json, application/json"}


async def run(*, persisted: bool) -> int:
    if not os.environ.get("JUHELI_URL") or not os.environ.get("JUHELI_KEY"):
        print("set JUHELI_URL (the gateway's /graphql) and JUHELI_KEY (an agency key)",
              file=sys.stderr)
        return 2
    transport = HTTPXAsyncTransport(url=os.environ["JUHELI_URL"], headers=headers(), timeout=30)
    # The schema is local: the client validates every document before it sends it, and
    # needs no introspection (which a production gateway does not answer).
    client = Client(transport=transport, schema=build_schema(SCHEMA.read_text(encoding="utf-8")))
    try:
        async with client as session:
            await Runner(session, persisted=persisted).all()
    except TransportQueryError as exc:
        errors = [{"message": e.get("message", ""), "code": e.get("extensions", {}).get("code")}
                  for e in exc.errors or []]
        print(json.dumps({"errors": errors}, ensure_ascii=False), file=sys.stderr)
        return 1
    except GraphQLError as exc:  # raised by the local validation: nothing was sent
        print(f"not valid against schema.graphql: {exc.message}", file=sys.stderr)
        return 1
    except CheckFailed as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A Python client of a Juheli gateway")
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser("manifest", help="write persisted-documents.json")
    write.add_argument("out", type=Path)
    send = commands.add_parser("run", help="run every operation against JUHELI_URL")
    send.add_argument("--text", action="store_true", help="send the text, not the sha256")
    args = parser.parse_args(argv)
    if args.command == "manifest":
        args.out.write_text(json.dumps(manifest(), indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")
        return 0
    return asyncio.run(run(persisted=not args.text))


if __name__ == "__main__":
    sys.exit(main())
