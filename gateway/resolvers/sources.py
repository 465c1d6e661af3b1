"""What each partner did for this request: the `extensions.sources` report and its errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway.errors import AdapterError

_STATUS = {
    "PARTNER_TIMEOUT": "TIMEOUT",
    "PARTNER_UNAVAILABLE": "UNAVAILABLE",
    "PARTNER_CIRCUIT_OPEN": "CIRCUIT_OPEN",
    "DEADLINE_EXCEEDED": "DEADLINE_EXCEEDED",
}


@dataclass
class SourceStatus:
    # OK | ERROR | TIMEOUT | UNAVAILABLE | CIRCUIT_OPEN | DEADLINE_EXCEEDED | SNAPSHOT
    status: str = "OK"
    calls: int = 0  # calls actually sent to the partner, retries included
    retries: int = 0
    keys: int = 0
    latency_ms: float = 0.0
    error: AdapterError | None = None
    stale_keys: int = 0  # records served from the last snapshot after a failed live read
    stale_age_s: float = 0.0  # the oldest of them


@dataclass
class SourcesReport:
    partners: dict[str, SourceStatus] = field(default_factory=dict)
    # (path, error) pairs: partner failures surfaced in `errors` next to the data that survived.
    errors: list[tuple[tuple[str | int, ...], AdapterError]] = field(default_factory=list)

    def record(self, partner: str, keys: int, latency_ms: float, error: AdapterError | None,
               *, calls: int = 1) -> None:
        """One read of `keys` from `partner`: `calls` sent for it (0 when it failed before any
        was sent: breaker open, deadline gone), how long it took, and its error if it failed."""
        entry = self.partners.setdefault(partner, SourceStatus())
        entry.calls += calls
        entry.retries += max(0, calls - 1)
        entry.keys += keys
        entry.latency_ms = max(entry.latency_ms, round(latency_ms, 2))
        if error is not None:
            entry.error = error
            entry.status = _STATUS.get(error.code, "ERROR")

    def stale(self, partner: str, age_s: float) -> None:
        """One record of `partner` served from its snapshot, `age_s` old: status SNAPSHOT."""
        entry = self.partners.setdefault(partner, SourceStatus())
        entry.status = "SNAPSHOT"
        entry.stale_keys += 1
        entry.stale_age_s = max(entry.stale_age_s, round(age_s, 3))

    def fail(self, path: tuple[str | int, ...], error: AdapterError) -> None:
        if not any(p == path and e is error for p, e in self.errors):
            self.errors.append((path, error))

    def as_extension(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for slug, s in sorted(self.partners.items()):
            # A later failed call does not hide that snapshot values were served.
            status = "SNAPSHOT" if s.stale_keys else s.status
            item: dict[str, Any] = {"status": status, "calls": s.calls, "keys": s.keys,
                                    "latencyMs": s.latency_ms}
            if s.retries:
                item["retries"] = s.retries
            if s.stale_keys:
                item["snapshot"] = {"keys": s.stale_keys, "ageSeconds": s.stale_age_s}
            if s.error is not None:
                item["code"] = s.error.code
                item["message"] = str(s.error)
            out[slug] = item
        return out
