"""What each partner did for this request: the `extensions.sources` report and its errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway.errors import AdapterError


@dataclass
class SourceStatus:
    status: str = "OK"  # OK | ERROR | TIMEOUT | UNAVAILABLE
    calls: int = 0
    keys: int = 0
    latency_ms: float = 0.0
    error: AdapterError | None = None


@dataclass
class SourcesReport:
    partners: dict[str, SourceStatus] = field(default_factory=dict)
    # (path, error) pairs: partner failures surfaced in `errors` next to the data that survived.
    errors: list[tuple[tuple[str | int, ...], AdapterError]] = field(default_factory=list)

    def record(self, partner: str, keys: int, latency_ms: float, error: AdapterError | None) -> None:
        entry = self.partners.setdefault(partner, SourceStatus())
        entry.calls += 1
        entry.keys += keys
        entry.latency_ms = max(entry.latency_ms, round(latency_ms, 2))
        if error is not None:
            entry.error = error
            entry.status = {"PARTNER_TIMEOUT": "TIMEOUT", "PARTNER_UNAVAILABLE": "UNAVAILABLE"}.get(
                error.code, "ERROR"
            )

    def fail(self, path: tuple[str | int, ...], error: AdapterError) -> None:
        if not any(p == path and e is error for p, e in self.errors):
            self.errors.append((path, error))

    def as_extension(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for slug, s in sorted(self.partners.items()):
            item: dict[str, Any] = {"status": s.status, "calls": s.calls, "keys": s.keys,
                                    "latencyMs": s.latency_ms}
            if s.error is not None:
                item["code"] = s.error.code
                item["message"] = str(s.error)
            out[slug] = item
        return out
