"""Schema extensions: the per-request partner report, and partner errors beside surviving data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension


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
