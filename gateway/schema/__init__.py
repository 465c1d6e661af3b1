"""The GraphQL schema: Strawberry types, the root query, and the schema's extensions."""

from __future__ import annotations

import strawberry
from graphql import ASTValidationRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_limit
from strawberry.extensions.query_depth_limiter import create_validator as depth_limit

from gateway.schema.community import Building, Community
from gateway.schema.extensions import SourcesExtension
from gateway.schema.household import Household
from gateway.schema.party import PartyMember
from gateway.schema.query import Query
from gateway.schema.records import Dispute, Resident
from gateway.schema.review import Mutation

# Built once: the validation cache keys on the rule classes, and QueryDepthLimiter or
# MaxAliasesLimiter made per request would mint new classes each time (the cache never hit).
_LIMIT_RULES: list[type[ASTValidationRule]] = [depth_limit(10, None), alias_limit(30)]


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[Household, Community, Building, Resident, PartyMember, Dispute],
        extensions=[
            lambda: MaxTokensLimiter(max_token_count=2000),
            lambda: ParserCache(maxsize=1000),
            lambda: AddValidationRules(_LIMIT_RULES),
            lambda: ValidationCache(maxsize=1000),
            SourcesExtension,
        ],
    )


schema = build_schema()

__all__ = ["build_schema", "schema"]
