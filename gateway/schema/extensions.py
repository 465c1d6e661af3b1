"""Schema extensions: the per-request partner report, partner errors beside surviving data, and
the audit entry of every read of personal data."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import orjson
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from gateway.audit import AuditEntry, append
from gateway.errors import GatewayError


class SourcesExtension(SchemaExtension):
    """Adds `extensions.sources` (each partner's status, calls, keys and latency for this
    request) and turns each partner failure into a coded entry of `errors` at the path of the
    field it affected — the field itself still returns what the other partners gave."""

    def on_execute(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        context = self.execution_context.context
        sources = getattr(context, "sources", None)
        if result is None or sources is None or not sources.errors:
            return
        extra = [
            GraphQLError(str(error), path=list(path), extensions=dict(error.extensions))
            for path, error in sources.errors
        ]
        result.errors = [*(result.errors or []), *extra]

    def get_results(self) -> dict[str, Any]:
        sources = getattr(self.execution_context.context, "sources", None)
        return {"sources": sources.as_extension()} if sources is not None else {}


class AuditExtension(SchemaExtension):
    """Appends the request's audit entry — who, for what purpose, which households and field
    groups — to the hash chain once the operation ran and before the answer leaves. If the
    entry cannot be written, the personal data is not served: the answer becomes one coded
    error, `AUDIT_UNAVAILABLE`."""

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        access = getattr(context, "access", None)
        result = self.execution_context.result
        if access is None or result is None:
            return
        if not access.touched:
            return
        # A read of records no household holds (a compound's committee, an owner who lives
        # elsewhere) is a read all the same: its row names the field groups and no household.
        households = tuple(sorted(k for k in access.touched if k))
        principal = access.principal
        request = getattr(context, "request", None)
        client = request.client.host if request is not None and request.client else None
        entry = AuditEntry(
            agency=principal.name, officer=principal.officer, purpose=principal.purpose,
            operation_hash=_sha256((self.execution_context.query or "").encode()),
            variables_hash=_sha256(orjson.dumps(self.execution_context.variables or {},
                                                option=orjson.OPT_SORT_KEYS)),
            households=households, field_groups=tuple(sorted(access.groups)), client=client,
        )
        try:
            await append(context.store.pool, entry)
        except GatewayError as exc:
            result.data = None
            result.errors = [GraphQLError(str(exc), extensions=dict(exc.extensions))]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
