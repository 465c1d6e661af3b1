"""A household's lists that grow over the years, as Relay connections (docs/pagination.md).

Each page is cut from the same list the plain field returns — fetched through the request's
loaders, with the same grant check, masking and audit — in a stable order: newest first, ties
by the record's identity at its body (partner, entity, local id). The cursor carries that key.
"""

from __future__ import annotations

from gateway.db.store import HouseholdRow
from gateway.resolvers import household as R
from gateway.resolvers import paging  # the module: gateway.schema imports this one mid-cycle
from gateway.schema import enums as E
from gateway.schema.pagination import Connection
from gateway.schema.records import (
    Appeal,
    CareCard,
    ContactVisit,
    Dispute,
    Provenance,
    ServiceRecord,
    SourceRecord,
)

Info = R.Info
WIDTH = 4  # (date, partner, entity, local id)


def _key(date: str | None, source: Provenance) -> paging.SortKey:
    return (date or "", source.partner, source.entity, source.local_id)


async def appeals(info: Info, row: HouseholdRow, first: int | None,
                  after: str | None) -> Connection[Appeal]:
    items = await R.appeals(info, row)
    return paging.connection(items, lambda a: _key(a.received_at, a.source), tag="appeal",
                      width=WIDTH, first=first, after=after)


async def disputes(info: Info, row: HouseholdRow, status: list[E.DisputeStatus] | None,
                   first: int | None, after: str | None) -> Connection[Dispute]:
    items = await R.disputes(info, row, status)
    return paging.connection(items, lambda d: _key(d.occurred_on, d.source), tag="dispute",
                      width=WIDTH, first=first, after=after)


async def services(info: Info, row: HouseholdRow, kinds: list[E.ServiceKind] | None,
                   first: int | None, after: str | None) -> Connection[ServiceRecord]:
    items = await R.services(info, row, kinds)
    return paging.connection(items, lambda s: _key(s.opened_at, s.source), tag="service",
                      width=WIDTH, first=first, after=after)


async def care_cards(info: Info, row: HouseholdRow, first: int | None,
                     after: str | None) -> Connection[CareCard]:
    items = await R.care_cards(info, row)
    return paging.connection(items, lambda c: _key(c.issued_on, c.source), tag="card",
                      width=WIDTH, first=first, after=after)


async def contact_visits(info: Info, row: HouseholdRow, first: int | None,
                         after: str | None) -> Connection[ContactVisit]:
    items = await R.contact_visits(info, row)
    return paging.connection(items, lambda v: _key(v.visited_on, v.source), tag="visit",
                      width=WIDTH, first=first, after=after)


def _record_key(s: SourceRecord) -> paging.SortKey:
    # No date of their own that every body keeps: by identity alone, as the store lists them.
    return ("", s.partner, s.entity, s.local_id, f"{s.subject:06d}")


async def source_records(info: Info, row: HouseholdRow, first: int | None,
                         after: str | None) -> Connection[SourceRecord]:
    items = await R.source_records(info, row)
    return paging.connection(items, _record_key, tag="record", width=WIDTH + 1, first=first,
                      after=after)
