"""The limits one gateway process enforces, read once from `Settings` (docs/limits.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gateway.settings import Settings

Mode = Literal["development", "production"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Every field is the setting of the same name (`JUHELI_<NAME>`, documented in
    gateway/settings.py and docs/limits.md); the defaults here are the settings' defaults, for
    a schema executed without the HTTP guard (a test proves they agree)."""

    mode: Mode = "development"
    max_depth: int = 6
    max_aliases: int = 15
    max_directives: int = 50
    max_tokens: int = 1000
    max_cost: int = 5000
    list_size: int = 10
    max_page_size: int = 100
    max_body_bytes: int = 2 * 1024 * 1024
    max_query_bytes: int = 32 * 1024
    max_variables_bytes: int = 64 * 1024
    rate_limit: int = 1200
    rate_window_s: int = 60

    @property
    def production(self) -> bool:
        """Production: trusted documents only; no introspection, suggestions or IDE."""
        return self.mode == "production"

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            mode=settings.mode, max_depth=settings.max_depth, max_aliases=settings.max_aliases,
            max_directives=settings.max_directives, max_tokens=settings.max_tokens,
            max_cost=settings.max_cost, list_size=settings.list_size,
            max_page_size=settings.max_page_size, max_body_bytes=settings.max_body_bytes,
            max_query_bytes=settings.max_query_bytes,
            max_variables_bytes=settings.max_variables_bytes, rate_limit=settings.rate_limit,
            rate_window_s=settings.rate_window_s,
        )


DEFAULT_LIMITS = Limits()
