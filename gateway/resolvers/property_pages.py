"""The property lists that grow with the years, as Relay connections (docs/pagination.md): a
household's repair orders and ballots, newest first, and a compound's tallies, by matter.

They page the lists `resolvers/property.py` built for the plain fields — same grant check,
masking and audit, fetched once through the request's loaders.
"""

from __future__ import annotations

from gateway.resolvers import paging
from gateway.schema import property as P
from gateway.schema.pagination import Connection


def repair_orders(items: list[P.RepairOrder], first: int | None,
                  after: str | None) -> Connection[P.RepairOrder]:
    return paging.connection(items, lambda o: (o.reported_at or "", o.source.partner, o.source.entity,
                                        o.source.local_id),
                      tag="repair", width=4, first=first, after=after)


def votes(items: list[P.OwnerVote], first: int | None,
          after: str | None) -> Connection[P.OwnerVote]:
    return paging.connection(items, lambda v: (v.voted_on or "", v.source.partner, v.source.entity,
                                        v.source.local_id),
                      tag="ballot", width=4, first=first, after=after)


def tallies(items: list[P.VoteTally], first: int | None,
            after: str | None) -> Connection[P.VoteTally]:
    # A tally has no date of its own: by matter, which names it within its compound.
    return paging.connection(items, lambda t: ("", t.compound, t.matter), tag="tally", width=3,
                      first=first, after=after)
