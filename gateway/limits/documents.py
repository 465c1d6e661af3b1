"""Trusted documents: the operations production clients may run, known by the sha256 of their
text (GraphQL-over-HTTP, Appendix A "Persisted Documents").

A request names one by `documentId` — `sha256:<hex>` as the appendix writes it, or the bare hex
that graphql-codegen's client preset puts in `__meta__.hash` — or, as Apollo clients do, by
`extensions.persistedQuery.sha256Hash`. Manifests are graphql-codegen's
`persisted-documents.json` (a map of hash → document; set the preset's
`persistedDocuments.hashAlgorithm` to `sha256`) or Apollo's `apollo-persisted-query-manifest`.

Every document of a manifest is checked before any is stored: its id must be the sha256 of its
text, it must be valid against this gateway's schema and within the shape limits (depth,
aliases, directives, introspection). Tokens are not counted: a trusted document was reviewed.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
from graphql import GraphQLError, GraphQLSchema, parse, specified_rules
from strawberry.schema.schema import validate_document

from gateway.db.store import reaches_store
from gateway.limits.config import Limits
from gateway.limits.extension import shape_errors
from gateway.limits.shape import measure, operations

_HEX = re.compile(r"[0-9a-f]{64}")


def document_id(value: object) -> str | None:
    """The sha256 hex a request's id names (`sha256:<hex>` or `<hex>`), or None."""
    if not isinstance(value, str):
        return None
    value = value.removeprefix("sha256:")
    return value if _HEX.fullmatch(value) else None


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    body: str
    name: str | None


class ManifestInvalid(ValueError):
    """A manifest that cannot be read, or documents in it that may not be trusted."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def read_manifest(raw: bytes) -> dict[str, str]:
    """Id → text from graphql-codegen's or Apollo's manifest format."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ManifestInvalid([f"not JSON: {exc}"]) from exc
    if isinstance(data, dict) and data.get("format") == "apollo-persisted-query-manifest":
        ops = data.get("operations")
        if not isinstance(ops, list):
            raise ManifestInvalid(["an Apollo manifest needs a list of operations"])
        data = {op.get("id"): op.get("body") for op in ops if isinstance(op, dict)}
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise ManifestInvalid(["expected a JSON object of document id → document text"])
    return data


def _problems(key: str, body: str, schema: GraphQLSchema, limits: Limits) -> list[str]:
    digest = document_id(key)
    if digest is None:
        return [f"{key}: not a sha256 hex id (graphql-codegen: hashAlgorithm 'sha256')"]
    if digest != sha256(body):
        return [f"{key}: is not the sha256 of its document"]
    try:
        document = parse(body)
    except GraphQLError as exc:
        return [f"{key}: {exc.message}"]
    errors = validate_document(schema, document, tuple(specified_rules))
    for op in operations(document):
        shape = measure(document, op.name.value if op.name else None)
        errors += shape_errors(shape, limits)
    return [f"{key}: {e.message}" for e in errors]


def check_manifest(manifest: Mapping[str, str], schema: GraphQLSchema,
                   limits: Limits) -> list[Document]:
    """The manifest's documents, each checked; `ManifestInvalid` lists every problem."""
    problems = [p for key, body in manifest.items() for p in _problems(key, body, schema, limits)]
    if problems:
        raise ManifestInvalid(problems)
    found = []
    for key, body in manifest.items():
        names = [op.name.value for op in operations(parse(body)) if op.name]
        found.append(Document(document_id(key) or key, body, ", ".join(names) or None))
    return found


class TrustedDocuments:
    """The `trusted_documents` table, with the documents this process looked up kept for `ttl_s`
    seconds (a removed document stops working everywhere within that time). A store that cannot
    be reached is `StoreUnavailable`: a request naming a document not in the cache gets a 503."""

    def __init__(self, pool: asyncpg.Pool, *, ttl_s: float = 60, size: int = 5000) -> None:
        self.pool, self.ttl_s, self.size = pool, ttl_s, size
        self._cache: dict[str, tuple[float, str]] = {}

    @reaches_store
    async def get(self, digest: str) -> str | None:
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is not None and hit[0] > now:
            return hit[1]
        body: str | None = await self.pool.fetchval(
            "SELECT body FROM trusted_documents WHERE id = $1", digest)
        if body is not None:
            if len(self._cache) >= self.size:
                self._cache.clear()
            self._cache[digest] = (now + self.ttl_s, body)
        return body

    @reaches_store
    async def add(self, documents: list[Document]) -> int:
        """Store the documents; how many were new (a known id is left as it is)."""
        async with self.pool.acquire() as conn, conn.transaction():
            before = await conn.fetchval("SELECT count(*) FROM trusted_documents")
            await conn.executemany(
                "INSERT INTO trusted_documents (id, body, name) VALUES ($1, $2, $3) "
                "ON CONFLICT (id) DO NOTHING",
                [(d.id, d.body, d.name) for d in documents])
            after = await conn.fetchval("SELECT count(*) FROM trusted_documents")
        return int(after - before)

    @reaches_store
    async def list(self) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(
            "SELECT id, name, added_at, length(body) AS size FROM trusted_documents "
            "ORDER BY added_at, id")
        return [dict(r) for r in rows]

    @reaches_store
    async def remove(self, digest: str) -> bool:
        status = await self.pool.execute("DELETE FROM trusted_documents WHERE id = $1", digest)
        self._cache.pop(digest, None)
        return bool(status.endswith(" 1"))
