"""The GraphQL schema: Strawberry types, the root query, and the schema's extensions."""

from __future__ import annotations

import strawberry
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)

from gateway.schema.community import Building, Community
from gateway.schema.extensions import SourcesExtension
from gateway.schema.household import Household
from gateway.schema.party import PartyMember
from gateway.schema.query import Query
from gateway.schema.records import Dispute, Resident


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        types=[Household, Community, Building, Resident, PartyMember, Dispute],
        extensions=[
            lambda: ParserCache(maxsize=1000),
            lambda: ValidationCache(maxsize=1000),
            lambda: QueryDepthLimiter(max_depth=10),
            lambda: MaxAliasesLimiter(max_alias_count=30),
            lambda: MaxTokensLimiter(max_token_count=2000),
            SourcesExtension,
        ],
    )


schema = build_schema()

__all__ = ["build_schema", "schema"]
