"""The root Subscription: changes to a community's disputes, and referrals between bodies.

Served over graphql-transport-ws on /graphql (docs/subscriptions.md). Each event is read again
through the loaders under the subscriber's grants: the Dispute or Appeal it carries is the same
type, masked the same way, as a query's, and each delivery with personal data is audited.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from graphql import ExecutionResult, GraphQLError
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from gateway.context import Context
from gateway.errors import SubscriptionOverHttp
from gateway.limits import DEFAULT_LIMITS
from gateway.limits.extension import SCOPE_LIMITS
from gateway.limits.masking import code_errors
from gateway.resolvers import events as R
from gateway.schema import enums as E
from gateway.schema.records import Appeal, Dispute
from gateway.subscriptions import Gap

Info = strawberry.Info[Context, None]


@strawberry.enum(description="What happened to a dispute")
class DisputeChangeKind(Enum):
    CREATED = "CREATED"  # first placed on a household of the community (a new record, linked)
    STATUS_CHANGED = "STATUS_CHANGED"


@strawberry.type(description="A dispute of the community created or moved to another status")
class DisputeChange:
    change: DisputeChangeKind
    old_status: E.DisputeStatus | None = strawberry.field(
        description="The status the store held before (null for CREATED or an unknown code)")
    new_status: E.DisputeStatus | None = strawberry.field(
        description="The status the sync stored (the record's own, read again, is `dispute`)")
    at: datetime = strawberry.field(description="When the store recorded the change")
    body: str = strawberry.field(description="The body whose record changed (中文)")
    household_id: strawberry.ID = strawberry.field(description="The household it is on")
    dispute: Dispute | None = strawberry.field(
        description="The dispute as a query shows it now; null when no body could give it")
    cursor: str = strawberry.field(description="Pass as `after` to resume after this event")


@strawberry.enum(description="How a case was handed from one body to another")
class ReferralRoute(Enum):
    DISPUTE_INTAKE = "DISPUTE_INTAKE"  # 案件来源 公安移送/法院委托/政府交办/网格上报/12345转办
    TICKET_TRANSFERRED_IN = "TICKET_TRANSFERRED_IN"  # 12345 work order whose 诉求渠道 is 转办
    TICKET_DISPATCHED = "TICKET_DISPATCHED"  # 12345 work order 已派遣 to its 承办单位
    PETITION_TRANSFERRED = "PETITION_TRANSFERRED"  # 信访件 已转送
    RECEPTION_TRANSFERRED = "RECEPTION_TRANSFERRED"  # 居委会接待 已转办


@strawberry.type(description="转办 — a case one body handed to another (docs/subscriptions.md)")
class Referral:
    route: ReferralRoute
    from_body: str | None = strawberry.field(
        description="Who handed it on (中文), where the data says")
    to_body: str | None = strawberry.field(description="Who received it (中文), where the data says")
    at: datetime = strawberry.field(description="When the store recorded it")
    household_id: strawberry.ID
    dispute: Dispute | None = strawberry.field(description="The referred dispute (disputes group)")
    appeal: Appeal | None = strawberry.field(description="The referred appeal (appeals group)")
    cursor: str = strawberry.field(description="Pass as `after` to resume after this event")


@strawberry.type(description="Events may be missing between `lostAt` and `resumedAt`: they "
                 "could not be replayed (too many, or no longer kept), or the subscriber fell "
                 "behind. Query what you need again")
class EventGap:
    lost_at: datetime
    resumed_at: datetime | None
    reason: str


AFTER = Annotated[str | None, strawberry.argument(
    description="The `cursor` of the last event received: first the community's events since "
    "then (kept 72 h by default), then the live ones")]

DisputeEvent = Annotated[DisputeChange | EventGap, strawberry.union("DisputeEvent")]
ReferralEvent = Annotated[Referral | EventGap, strawberry.union("ReferralEvent")]


def _gap(gap: Gap) -> EventGap:
    return EventGap(lost_at=gap.lost_at, resumed_at=gap.resumed_at, reason=gap.reason)


def _household_id(delivery: R.Delivery) -> strawberry.ID:
    return strawberry.ID(f"Household:{delivery.household_key}")


def dispute_change(delivery: R.Delivery) -> DisputeChange:
    event = delivery.event
    created = event.kind == "linked"
    return DisputeChange(
        change=DisputeChangeKind.CREATED if created else DisputeChangeKind.STATUS_CHANGED,
        old_status=None if created else E.coerce(E.DisputeStatus, event.old),
        new_status=E.coerce(E.DisputeStatus, event.new), at=event.at, body=delivery.body,
        household_id=_household_id(delivery), dispute=delivery.dispute,
        cursor=R.event_cursor(event))


def referral(delivery: R.Delivery, route: str) -> Referral:
    """Who handed the case to whom, as far as the data names them: a dispute's intake names
    only the kind of body that referred it (`dispute.intake`), a work order its 承办单位."""
    handed_out = route != "DISPUTE_INTAKE" and route != "TICKET_TRANSFERRED_IN"
    to_body = delivery.appeal.handling_unit if delivery.appeal is not None else None
    return Referral(
        route=ReferralRoute(route), from_body=delivery.body if handed_out else None,
        to_body=to_body if handed_out else delivery.body, at=delivery.event.at,
        household_id=_household_id(delivery), dispute=delivery.dispute,
        appeal=delivery.appeal, cursor=R.event_cursor(delivery.event))


class StreamErrorsExtension(SchemaExtension):
    """Subscriptions over a websocket only, and each result they stream coded.

    Over HTTP a subscription is refused before it runs (Strawberry would run its resolver as
    a query's, and fail). `LimitsExtension` codes a result when the operation ends, which a
    stream's results do not wait for: each is coded here as it goes."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        request = getattr(context.context, "request", None)
        if context.operation_type is OperationType.SUBSCRIPTION \
                and not isinstance(request, WebSocket):
            refused = SubscriptionOverHttp("Subscriptions are served over graphql-transport-ws "
                                           "on /graphql: open a websocket")
            context.result = ExecutionResult(data=None, errors=[
                GraphQLError(str(refused), extensions=refused.extensions)])
        yield

    def on_stream_result(self, result: Any) -> Iterator[None]:
        errors = getattr(result, "errors", None)
        if errors:
            request = getattr(self.execution_context.context, "request", None)
            scope = getattr(request, "scope", None) or {}
            limits = scope.get(SCOPE_LIMITS, DEFAULT_LIMITS)
            result.errors = code_errors(errors, production=limits.production)
        yield


@strawberry.type
class Subscription:
    @strawberry.subscription(description="A community's disputes as they are created or change "
                             "status (needs the disputes field group)")
    async def dispute_changed(
        self, info: Info, community: strawberry.ID, after: AFTER = None
    ) -> AsyncGenerator[DisputeEvent, None]:
        async for item in R.dispute_changes(info, str(community).removeprefix("Community:"),
                                            after):
            yield _gap(item) if isinstance(item, Gap) else dispute_change(item)

    @strawberry.subscription(description="Cases handed to or by a body in a community: "
                             "referred disputes, dispatched or transferred work orders, "
                             "transferred petitions and receptions")
    async def referral_created(
        self, info: Info, community: strawberry.ID, after: AFTER = None
    ) -> AsyncGenerator[ReferralEvent, None]:
        async for item in R.referrals(info, str(community).removeprefix("Community:"), after):
            if isinstance(item, Gap):
                yield _gap(item)
            else:
                yield referral(item, R.route(item) or "")
