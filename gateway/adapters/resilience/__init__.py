"""Partner resilience: per-call deadlines, budgeted retries of reads, a breaker per partner.

`Resilient` wraps each configured adapter (`gateway.adapters.registry.build_adapters`); the
request's loaders call `Resilient.call(entity, keys, deadline=...)` and get an `Outcome`.
docs/resilience.md describes the behaviour and its settings.
"""

from __future__ import annotations

from gateway.adapters.base import Adapter
from gateway.adapters.resilience.breaker import BreakerState, CircuitBreaker
from gateway.adapters.resilience.budget import RetryBudget, backoff_s
from gateway.adapters.resilience.guard import MIN_ATTEMPT_S, Outcome, Resilient
from gateway.adapters.resilience.policy import PartnerPolicy

__all__ = [
    "MIN_ATTEMPT_S",
    "BreakerState",
    "CircuitBreaker",
    "Outcome",
    "PartnerPolicy",
    "Resilient",
    "RetryBudget",
    "backoff_s",
    "guarded",
]


def guarded(adapter: Adapter, policy: PartnerPolicy) -> Resilient:
    """`adapter` itself when it is already guarded, else wrapped with `policy` (for callers
    that hand in bare adapters: a breaker made here lives only as long as its wrapper)."""
    return adapter if isinstance(adapter, Resilient) else Resilient(adapter, policy)
