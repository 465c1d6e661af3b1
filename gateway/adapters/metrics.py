"""Prometheus metrics of partner calls, served by the app at `/metrics`.

Every live call is counted and timed by `Instrumented` (one per attempt actually sent); the
resilience layer adds retries, retries refused, calls failed fast or skipped, and each
partner's breaker state, read from the live breakers at scrape time.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from gateway.adapters.resilience.breaker import CircuitBreaker

CALLS = Counter("juheli_partner_calls", "Live calls sent to a partner (attempts), by outcome",
                ["partner", "entity", "outcome"])
CALL_SECONDS = Histogram("juheli_partner_call_seconds", "Duration of one live partner call",
                         ["partner", "entity"],
                         buckets=(.0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5))
KEYS = Counter("juheli_partner_keys", "Keys asked of a partner in live calls",
               ["partner", "entity"])
RETRIES = Counter("juheli_partner_retries", "Retries sent to a partner", ["partner"])
RETRIES_REFUSED = Counter("juheli_partner_retries_refused",
                          "Retries not sent: the budget was spent or no time was left",
                          ["partner", "reason"])
NOT_SENT = Counter("juheli_partner_calls_not_sent",
                   "Calls failed without asking the partner: breaker open, or deadline gone",
                   ["partner", "reason"])
BREAKER_TRANSITIONS = Counter("juheli_partner_breaker_transitions",
                              "Breaker state changes, by the state entered", ["partner", "state"])

_STATE_VALUE = {"closed": 0, "half_open": 1, "open": 2}
_breakers: weakref.WeakSet[CircuitBreaker] = weakref.WeakSet()


def watch_breaker(breaker: CircuitBreaker) -> None:
    """Report this breaker's state in `juheli_partner_breaker_state` while it lives."""
    _breakers.add(breaker)


class _BreakerStates(Collector):
    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily("juheli_partner_breaker_state",
                                   "Partner circuit breaker: 0 closed, 1 half-open, 2 open",
                                   labels=["partner"])
        worst: dict[str, int] = {}
        for breaker in list(_breakers):
            value = _STATE_VALUE[breaker.state.value]
            worst[breaker.partner] = max(value, worst.get(breaker.partner, 0))
        for partner, value in sorted(worst.items()):
            family.add_metric([partner], value)
        yield family


REGISTRY.register(_BreakerStates())
