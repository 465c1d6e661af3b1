"""How hard the gateway tries one partner: its timeouts, retries and breaker, from the settings,
with per-partner overrides from its table in `partners.toml`."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gateway.settings import Settings

# `partners.toml` keys a partner's table may set, and the policy field each one sets.
OVERRIDES = {
    "timeout_ms": "timeout_s",
    "attempt_timeout_ms": "attempt_timeout_s",
    "retries": "retries",
    "breaker_failures": "breaker_failures",
    "breaker_open_ms": "breaker_open_s",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnerPolicy:
    """One partner's resilience policy. Times in seconds."""

    timeout_s: float = 0.6
    """Budget of one live (partner, entity) call, retries and waits included; the request's
    deadline can only shorten it."""

    attempt_timeout_s: float | None = None
    """One attempt's timeout; None = the whole `timeout_s` (a timed-out call is then not retried).
    Set it below `timeout_s` to retry a slow answer."""

    retries: int = 2
    """Extra attempts of one read at most (the retry budget usually allows fewer)."""

    budget_ratio: float = 0.2
    """Retries allowed per first attempt, over `budget_window_s`."""

    budget_window_s: float = 10.0

    backoff_s: float = 0.02
    """Base of the full-jitter exponential backoff before a retry."""

    backoff_cap_s: float = 0.25

    breaker_failures: int = 5
    """Consecutive failures that open the partner's breaker."""

    breaker_open_s: float = 5.0
    """How long the breaker fails calls fast before it lets a probe through."""

    @property
    def attempt_s(self) -> float:
        return self.timeout_s if self.attempt_timeout_s is None else min(
            self.attempt_timeout_s, self.timeout_s)

    @classmethod
    def from_settings(cls, settings: Settings) -> PartnerPolicy:
        attempt = settings.partner_attempt_timeout_ms
        return cls(
            timeout_s=settings.partner_timeout_ms / 1000,
            attempt_timeout_s=None if attempt is None else attempt / 1000,
            retries=settings.retry_max, budget_ratio=settings.retry_budget,
            budget_window_s=settings.retry_window_s, backoff_s=settings.retry_backoff_ms / 1000,
            breaker_failures=settings.breaker_failures,
            breaker_open_s=settings.breaker_open_ms / 1000,
        )

    def for_partner(self, conf: Mapping[str, Any]) -> PartnerPolicy:
        """This policy with the overrides a partner's configuration table sets."""
        changes: dict[str, Any] = {}
        for key, name in OVERRIDES.items():
            if key in conf:
                value = conf[key]
                changes[name] = value / 1000 if key.endswith("_ms") else int(value)
        return dataclasses.replace(self, **changes)
