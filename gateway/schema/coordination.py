"""The coordination brief's mutation: freeze a brief for the minutes."""

from __future__ import annotations

import strawberry

from gateway.context import Context
from gateway.resolvers import brief as BR
from gateway.schema.brief import FrozenBrief, PeriodInput

Info = strawberry.Info[Context, None]


@strawberry.type
class BriefMutation:
    @strawberry.mutation(description="Compute the brief and store it, immutable and hashed, so "
                         "the minutes can cite it (`frozenBrief(id)` reads it back)")
    async def freeze_brief(self, info: Info, community: strawberry.ID,
                           period: PeriodInput) -> FrozenBrief:
        return await BR.freeze_brief(info, str(community), period)
