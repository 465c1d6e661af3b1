"""The GraphQL schema: Strawberry types, the root query, and the schema's extensions."""

from __future__ import annotations

import strawberry
from strawberry.tools import merge_types

from gateway.limits import LimitsExtension
from gateway.schema.community import Building, Community
from gateway.schema.coordination import BriefMutation
from gateway.schema.extensions import AuditExtension, SourcesExtension
from gateway.schema.household import Household
from gateway.schema.party import PartyMember
from gateway.schema.query import Query
from gateway.schema.records import Dispute, Resident
from gateway.schema.review import ReviewMutation
from gateway.schema.subscription import StreamErrorsExtension, Subscription


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=merge_types("Mutation", (ReviewMutation, BriefMutation)),
        subscription=Subscription,
        types=[Household, Community, Building, Resident, PartyMember, Dispute],
        extensions=[
            # First, so that it codes the errors of all the others (they exit in reverse);
            # it also parses and validates, with the limits, cached by the document's text.
            LimitsExtension,
            SourcesExtension,
            AuditExtension,
            StreamErrorsExtension,  # codes each streamed result (subscriptions)
        ],
    )


schema = build_schema()

__all__ = ["build_schema", "schema"]
