"""`Resilient` around a scripted adapter: deadlines, retries, the budget, the breaker, and what
the request's loaders report."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from gateway.adapters.base import Capabilities, Health, PartnerInfo, Record, Slot
from gateway.adapters.resilience import BreakerState, PartnerPolicy, Resilient
from gateway.errors import (
    DeadlineExceeded,
    PartnerCircuitOpen,
    PartnerDataInvalid,
    PartnerRejected,
    PartnerTimeout,
    PartnerUnavailable,
)
from gateway.resolvers.loaders import Failed, Loaders
from gateway.resolvers.sources import SourcesReport

HANG = "hang"


class Scripted:
    """An adapter that answers each call with the next step: an error to raise, HANG (never
    answer), or anything else (answer). It records when each call arrived."""

    info = PartnerInfo("fake", "Fake", "假", "rest")
    capabilities = Capabilities(("thing",), 100)

    def __init__(self, *steps: Any, unwind_s: float = 0.0) -> None:
        self.steps = list(steps)
        self.arrivals: list[float] = []
        self.unwind_s = unwind_s  # how long a cancelled call takes to let go

    async def fetch_many(self, entity: str, keys: Sequence[str]) -> list[Slot]:
        self.arrivals.append(time.monotonic())
        step = self.steps.pop(0) if self.steps else None
        if isinstance(step, BaseException):
            raise step
        if step == HANG:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                await asyncio.shield(asyncio.sleep(self.unwind_s))
                raise
        now = datetime.now(UTC)
        return [Record("fake", entity, k, {}, {}, now) for k in keys]

    def changes(self, entity: str, since: str | None) -> Any:
        raise NotImplementedError

    async def health(self) -> Health:
        await asyncio.sleep(3600)
        return Health(True, 0)

    async def aclose(self) -> None:
        pass


def guard(inner: Scripted, *, warm: int = 100, **policy: Any) -> Resilient:
    """A guard whose retry budget has seen `warm` first attempts."""
    resilient = Resilient(inner, PartnerPolicy(**{"backoff_s": 0.001, **policy}))
    for _ in range(warm):
        resilient.budget.note_request()
    return resilient


def down(retry_after: float | None = None) -> PartnerUnavailable:
    return PartnerUnavailable("fake", "HTTP 503", retry_after=retry_after)


async def test_a_read_is_retried_until_it_succeeds() -> None:
    inner = Scripted(down(), PartnerTimeout("fake", "slow"), None)
    outcome = await guard(inner).call("thing", ["a", "b"])
    assert outcome.error is None and outcome.attempts == 3
    assert [s.local_id for s in outcome.slots or [] if isinstance(s, Record)] == ["a", "b"]


async def test_retry_after_is_a_floor_on_the_wait() -> None:
    inner = Scripted(down(retry_after=0.15), None)
    outcome = await guard(inner).call("thing", ["a"])
    assert outcome.error is None and outcome.attempts == 2
    assert inner.arrivals[1] - inner.arrivals[0] >= 0.15 - 0.002


async def test_no_retry_when_retry_after_is_past_the_timeout() -> None:
    inner = Scripted(down(retry_after=5), None)
    outcome = await guard(inner, timeout_s=1).call("thing", ["a"])
    assert isinstance(outcome.error, PartnerUnavailable) and outcome.attempts == 1


@pytest.mark.parametrize("error", [PartnerRejected("fake", "HTTP 400"),
                                   PartnerDataInvalid("fake", "malformed JSON")])
async def test_answers_that_a_retry_cannot_mend_are_not_retried(error: Exception) -> None:
    inner = Scripted(error, None)
    outcome = await guard(inner).call("thing", ["a"])
    assert outcome.error is error and outcome.attempts == 1


async def test_retries_stay_within_a_fifth_of_first_attempts() -> None:
    inner = Scripted(*[down() for _ in range(1000)])
    resilient = guard(inner, warm=0, retries=3, breaker_failures=10_000)
    for _ in range(100):
        outcome = await resilient.call("thing", ["a"])
        assert isinstance(outcome.error, PartnerUnavailable)
    assert len(inner.arrivals) - 100 == 20  # 100 first attempts, 20 retries


async def test_a_hung_partner_costs_its_timeout_not_its_unwinding() -> None:
    inner = Scripted(HANG, unwind_s=1.0)  # takes a second to let go once cancelled
    resilient = guard(inner, timeout_s=0.1, retries=0)
    start = time.perf_counter()
    outcome = await resilient.call("thing", ["a"])
    elapsed = time.perf_counter() - start
    assert isinstance(outcome.error, PartnerTimeout)
    assert outcome.error.extensions["code"] == "PARTNER_TIMEOUT"
    assert elapsed < 0.1 + 0.5  # not the second the partner's call takes to unwind
    assert resilient.breaker.consecutive_failures == 1


async def test_the_request_deadline_cuts_the_partner_timeout_short() -> None:
    inner = Scripted(HANG)
    resilient = guard(inner, timeout_s=5)
    start = time.monotonic()
    outcome = await resilient.call("thing", ["a"], deadline=start + 0.05)
    assert isinstance(outcome.error, PartnerTimeout) and outcome.attempts == 1
    assert time.monotonic() - start < 5
    # Cut short by the request, the timeout says nothing about the partner.
    assert resilient.breaker.consecutive_failures == 0


async def test_the_partner_timeout_counts_from_the_request_start() -> None:
    inner = Scripted(HANG)
    resilient = guard(inner, timeout_s=0.6, retries=0)
    now = time.monotonic()
    begun = now - 0.55  # the request began 550 ms ago: 50 ms are left for this partner
    outcome = await resilient.call("thing", ["a"], deadline=begun + 0.8, start=begun)
    assert isinstance(outcome.error, PartnerTimeout)
    assert time.monotonic() - now < 0.4  # not a whole fresh 600 ms
    assert resilient.breaker.consecutive_failures == 0  # 50 ms proved nothing


async def test_nothing_is_sent_once_the_deadline_has_passed() -> None:
    inner = Scripted(None)
    resilient = guard(inner)
    outcome = await resilient.call("thing", ["a"], deadline=time.monotonic() - 0.1)
    assert isinstance(outcome.error, DeadlineExceeded) and outcome.attempts == 0
    assert inner.arrivals == [] and resilient.breaker.consecutive_failures == 0


async def test_open_breaker_fails_fast_without_calling() -> None:
    inner = Scripted(*[down() for _ in range(5)])
    resilient = guard(inner, retries=0, breaker_failures=5, breaker_open_s=60)
    for _ in range(5):
        await resilient.call("thing", ["a"])
    assert resilient.breaker.state is BreakerState.OPEN
    times = []
    for _ in range(20):
        start = time.perf_counter()
        outcome = await resilient.call("thing", ["a"])
        times.append(time.perf_counter() - start)
        assert isinstance(outcome.error, PartnerCircuitOpen) and outcome.attempts == 0
    assert outcome.error.extensions["code"] == "PARTNER_CIRCUIT_OPEN"
    assert 0 < outcome.error.extensions["retryInMs"] <= 60_000
    assert len(inner.arrivals) == 5
    assert statistics.median(times) < 0.005


async def test_health_probe_is_bounded_by_the_timeout() -> None:
    health = await guard(Scripted(), timeout_s=0.05).health()
    assert not health.ok and "50 ms" in health.detail


async def test_loaders_report_calls_sent_not_calls_attempted() -> None:
    inner = Scripted(None)
    sources = SourcesReport()
    loaders = Loaders(None, {"fake": guard(inner)}, sources,  # type: ignore[arg-type]
                      deadline=time.monotonic() - 1, partner_timeout=0.5)
    values = await loaders.partner("fake", "thing").load_many(["a", "b"])
    assert all(isinstance(v, Failed) and v.error.code == "DEADLINE_EXCEEDED" for v in values)
    report = sources.as_extension()["fake"]
    assert report["status"] == "DEADLINE_EXCEEDED" and report["calls"] == 0
    assert report["keys"] == 2 and inner.arrivals == []


async def test_loaders_count_retries_among_calls() -> None:
    sources = SourcesReport()
    loaders = Loaders(None, {"fake": guard(Scripted(down(), None))},  # type: ignore[arg-type]
                      sources, deadline=time.monotonic() + 5, partner_timeout=1)
    values = await loaders.partner("fake", "thing").load_many(["a"])
    assert isinstance(values[0], Record)
    assert sources.as_extension()["fake"] == {"status": "OK", "calls": 2, "retries": 1,
                                              "keys": 1, "latencyMs": pytest.approx(
                                                  sources.partners["fake"].latency_ms)}
