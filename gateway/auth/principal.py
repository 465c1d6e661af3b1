"""The agency behind a request, and the officer and purpose it acts for."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ALL = "*"


@dataclass(frozen=True, slots=True)
class Agency:
    slug: str
    name: str
    role: str
    communities: frozenset[str]  # community codes; {'*'} is every community

    @classmethod
    def of(cls, slug: str, name: str, role: str, communities: Iterable[str]) -> Agency:
        return cls(slug, name, role, frozenset(communities))

    def sees(self, community: str | None) -> bool:
        return community is not None and (ALL in self.communities or community in self.communities)

    def visible(self, communities: Iterable[str]) -> list[str]:
        return [c for c in communities if self.sees(c)]


@dataclass(frozen=True, slots=True)
class Principal:
    """`agency` None: an anonymous caller (development mode only), who sees no household."""

    agency: Agency | None
    officer: str | None
    purpose: str | None
    via: str  # api_key | jwt | anonymous
    key_id: str | None = None

    @property
    def name(self) -> str:
        return self.agency.slug if self.agency else "anonymous"


ANONYMOUS = Principal(None, None, None, "anonymous")
