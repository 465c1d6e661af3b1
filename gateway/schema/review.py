"""Linkage review: the queue of proposed links and the decisions people make on them."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated

import strawberry

from gateway.context import Context
from gateway.errors import (
    BadRequest,
    ForbiddenField,
    GatewayError,
    MalformedId,
    NotFound,
    OfficerRequired,
)
from gateway.linkage import review as R
from gateway.resolvers.fetch import body_of
from gateway.schema import enums as E
from gateway.schema.community import communities as communities_of
from gateway.schema.household import Household
from gateway.schema.node import Node
from gateway.schema.pagination import MAX_PAGE, PageInfo
from gateway.schema.records import (
    LinkEvidence,
    SourceRecord,
    link_evidence,
    masked_id,
    masked_phone,
)

Info = strawberry.Info[Context, None]


@strawberry.type(description="What the record says about its subject, as the body wrote it "
                 "(ID number and phone masked)")
class AsWritten:
    name: str | None
    id_number_masked: str | None
    phone_masked: str | None
    address: str | None


@strawberry.type(description="连接复核 — a link linkage proposes but will not make alone")
class LinkReview(Node):
    state: strawberry.Private[R.LinkState]
    record: SourceRecord
    score: float | None = strawberry.field(description="Sum of the match weights")
    runner_up: float | None = strawberry.field(description="Score of the next-best household")
    impact: float = strawberry.field(description="Queue order: what a wrong link here costs")
    reason: str | None = strawberry.field(description="Why it was not linked automatically")
    evidence: list[LinkEvidence]
    as_written: AsWritten
    proposed_resident: strawberry.ID | None = strawberry.field(
        description="The resident the record most likely names, when one stood out")

    @strawberry.field(description="The household linkage proposes")
    async def proposed_household(self, info: Info) -> Household | None:
        hid = self.state.household_id
        row = await info.context.loaders.household_by_id.load(hid) if hid else None
        return Household.of(row) if row else None


@strawberry.type
class LinkReviewEdge:
    cursor: str
    node: LinkReview


@strawberry.type(description="Proposed links, highest impact first (keyset cursors)")
class LinkReviewConnection:
    edges: list[LinkReviewEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type(description="A person's decision on one record's link")
class LinkDecision:
    record: SourceRecord
    decided_by: str
    decided_at: datetime | None

    @strawberry.field(description="The household the record now belongs to (none if rejected)")
    async def household(self, info: Info) -> Household | None:
        if self.record.status is E.LinkStatus.REJECTED or self.household_id is None:
            return None
        row = await info.context.loaders.household_by_id.load(self.household_id)
        return Household.of(row) if row else None

    household_id: strawberry.Private[int | None]


def source_record(info: Info, s: R.LinkState) -> SourceRecord:
    k = s.key
    return SourceRecord(
        partner=k.partner, body=body_of(info.context, k.partner), entity=k.entity,
        local_id=k.local_id, subject=k.subject, read_at=s.read_at, link_method=s.method,
        confidence=s.confidence, status=E.LinkStatus(s.status),
        evidence=link_evidence(s.evidence), score=s.evidence.get("score"),
        decided_by=s.decided_by, decided_at=s.decided_at,
    )


def review_item(info: Info, s: R.LinkState) -> LinkReview:
    raw = s.attrs.get("raw") or {}
    return LinkReview(
        id=strawberry.ID(s.key.id("LinkReview")), state=s, record=source_record(info, s),
        score=s.evidence.get("score"), runner_up=s.evidence.get("runnerUp"),
        impact=s.impact or 0.0, reason=s.evidence.get("why"), evidence=link_evidence(s.evidence),
        as_written=AsWritten(name=raw.get("name"), id_number_masked=masked_id(raw.get("idNumber")),
                             phone_masked=masked_phone(raw.get("phone")),
                             address=raw.get("address")),
        proposed_resident=strawberry.ID(f"Resident:rc:{s.person_key}") if s.person_key else None,
    )


def _cursor(s: R.LinkState) -> str:
    return base64.urlsafe_b64encode(f"rv:{s.impact or 0.0!r}:{s.record_id}".encode()).decode()


def _decode(cursor: str) -> tuple[float, int]:
    try:
        tag, impact, rid = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        if tag != "rv":
            raise ValueError(tag)
        return float(impact), int(rid)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("malformed cursor", argument="after") from exc


async def review_queue(
    info: Info, community: str | None, first: int | None, after: str | None
) -> LinkReviewConnection:
    size = MAX_PAGE if first is None else first
    if size < 0 or size > MAX_PAGE:
        raise BadRequest(f"first must be between 0 and {MAX_PAGE}", argument="first")
    pool = info.context.store.pool
    access = info.context.access
    allowed = [c for c in (access.communities if access.communities is not None else
                           [c.code for c in await communities_of(info)])
               if _may_decide(info, c)]
    rows = await R.review_page(pool, community=community, communities=allowed,
                               after=_decode(after) if after else None, limit=size + 1)
    for s in rows[:size]:  # what the reviewer is shown is audited like any identity read
        access.level("identity", s.household_key or "", s.community or "")
    edges = [LinkReviewEdge(cursor=_cursor(s), node=review_item(info, s)) for s in rows[:size]]
    return LinkReviewConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(rows) > size,
                           end_cursor=edges[-1].cursor if edges else None),
        total_count=await R.review_count(pool, community, allowed),
    )


async def review_by_key(info: Info, key: R.RecordKey, communities: list[str]) -> LinkReview | None:
    """node(LinkReview:…): the proposed link as the review queue shows it, audited as the queue
    audits it — null when it is not in review, or its proposed household is not in one of
    `communities` (those where the caller may decide: the identity group in full)."""
    state = await R.link_state(info.context.store.pool, key)
    if state is None or state.status != "needs_review" or state.community is None \
            or state.community not in communities:
        return None
    info.context.access.level("identity", state.household_key or "", state.community)
    return review_item(info, state)


# --- mutations ---------------------------------------------------------------------------------


def _may_decide(info: Info, community: str) -> bool:
    """Linkage review needs the identity group in full for the household's community."""
    try:
        # a permission, not a read: `check`, which records nothing for the audit
        return info.context.access.check("identity", community) == "full"
    except GatewayError:
        return False


async def _require(info: Info, households: list[str]) -> None:
    """Refuse a decision on a household the officer may not see, or see only masked."""
    rows = await info.context.store.households_by_key(households)
    access = info.context.access
    for key in households:
        row = rows.get(key)
        if row is None or not access.sees(row.community_code):
            raise NotFound(f"no household Household:{key}", id=f"Household:{key}")
        if access.level("identity", row.key, row.community_code) != "full":
            raise ForbiddenField("linkage decisions need the identity field group in full",
                                 group="identity")


async def _current(info: Info, key: R.RecordKey) -> str | None:
    """The household the record is linked or proposed to now (a record outside the caller's
    communities reads as not found)."""
    state = await R.link_state(info.context.store.pool, key)
    if state is None:
        raise NotFound(f"no record {key.id()}", id=key.id())
    return state.household_key


def _officer(info: Info) -> str:
    """The officer deciding: from the token, or the `X-Officer` header."""
    officer = info.context.access.principal.officer
    if not officer:
        raise OfficerRequired("a linkage decision needs the deciding officer (X-Officer)")
    return officer


def _key(value: str, kind: str) -> str:
    prefix, _, key = value.partition(":")
    if prefix != kind or not key:
        raise MalformedId(f"malformed id {value!r}: expected {kind}:<key>", id=value)
    return key


def _resident(value: str) -> str:
    parts = value.split(":")
    if len(parts) != 3 or parts[0] != "Resident" or parts[1] != "rc" or not parts[2]:
        raise MalformedId(f"malformed id {value!r}: expected Resident:rc:<人员编号>", id=value)
    return parts[2]


def _decision(info: Info, s: R.LinkState) -> LinkDecision:
    return LinkDecision(record=source_record(info, s), decided_by=s.decided_by or "",
                        decided_at=s.decided_at, household_id=s.household_id)


@strawberry.type
class ReviewMutation:
    @strawberry.mutation(description="This record belongs to this household (default: the one "
                         "proposed), and to this resident if named. Sticky.")
    async def confirm_link(
        self, info: Info, record: strawberry.ID, household: strawberry.ID | None = None,
        resident: strawberry.ID | None = None, note: str | None = None,
    ) -> LinkDecision:
        officer = _officer(info)
        key = R.RecordKey.parse(str(record))
        target = _key(str(household), "Household") if household else None
        await _require(info, [h for h in (await _current(info, key), target) if h])
        state = await R.confirm(
            info.context.store.pool, officer, key, household=target,
            person=_resident(str(resident)) if resident else None, note=note,
        )
        return _decision(info, state)

    @strawberry.mutation(description="This record does not belong to the household it was "
                         "linked or proposed to. Sticky.")
    async def reject_link(self, info: Info, record: strawberry.ID,
                          note: str | None = None) -> LinkDecision:
        officer = _officer(info)
        key = R.RecordKey.parse(str(record))
        current = await _current(info, key)
        if current is None:
            raise NotFound(f"{key.id()} is linked to no household", id=key.id())
        await _require(info, [current])
        state = await R.reject(info.context.store.pool, officer, key, note)
        return _decision(info, state)

    @strawberry.mutation(description="Two registered households are one: `from` is merged into "
                         "`into` with its residents and records; its id answers with `into`.")
    async def merge_households(
        self, info: Info, into: strawberry.ID,
        from_: Annotated[strawberry.ID, strawberry.argument(name="from")],
        note: str | None = None,
    ) -> Household:
        officer = _officer(info)
        await _require(info, [_key(str(into), "Household"), _key(str(from_), "Household")])
        await R.merge(info.context.store.pool, officer, _key(str(into), "Household"),
                      _key(str(from_), "Household"), note)
        row = await info.context.store.households_by_key([_key(str(into), "Household")])
        return Household.of(next(iter(row.values())))

    @strawberry.mutation(description="These residents form a household of their own: a new "
                         "household `<户编号>-<n>` takes them and every record linked to them.")
    async def split_household(
        self, info: Info, household: strawberry.ID, residents: list[strawberry.ID],
        note: str | None = None,
    ) -> Household:
        officer = _officer(info)
        await _require(info, [_key(str(household), "Household")])
        key = await R.split(info.context.store.pool, officer, _key(str(household), "Household"),
                            [_resident(str(r)) for r in residents], note)
        rows = await info.context.store.households_by_key([key])
        return Household.of(rows[key])
