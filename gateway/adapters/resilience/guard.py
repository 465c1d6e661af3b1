"""`Resilient`: the adapter every live read goes through — deadline, retries, breaker.

    Resilient ─▶ Instrumented ─▶ SqlAdapter | RestAdapter | FileDropAdapter

One (partner, entity) read must end by the partner's `timeout_s` counted from the request's
start (so a partner's late answer never holds the response past its timeout, however late in
the request the read began), or by the request's deadline when that comes first. It never
outlives that end: an attempt still running then is cancelled in the background and the caller
goes on at once. Within that time a read that failed in a way worth retrying (unavailable,
timed out) is retried after a full-jitter backoff that honours `Retry-After`, if the partner's
retry budget and the time left allow. Every attempt passes the partner's circuit breaker. Only
reads are retried: the contract has no partner writes, and a future one must not go through
`call()`.

Outcomes other than a success are `AdapterError`s, never raised by `call()`:
`PartnerCircuitOpen` (breaker open: not sent), `DeadlineExceeded` (no time left: not sent),
`PartnerTimeout`, and whatever the adapter raised. `Outcome.attempts` counts the calls actually
sent, so a report never counts a call that never left.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from gateway.adapters import metrics
from gateway.adapters.base import Adapter, ChangeBatch, Health, Slot
from gateway.adapters.resilience.breaker import BreakerState, CircuitBreaker
from gateway.adapters.resilience.budget import RetryBudget, backoff_s
from gateway.adapters.resilience.policy import PartnerPolicy
from gateway.errors import (
    AdapterError,
    DeadlineExceeded,
    PartnerCircuitOpen,
    PartnerDataInvalid,
    PartnerTimeout,
    PartnerUnavailable,
)

T = TypeVar("T")
log = logging.getLogger("gateway.partners")

# Below this much time left, a call is not sent: no partner answers that fast, and an answer
# that cannot arrive in time only loads the partner.
MIN_ATTEMPT_S = 0.005

# Attempts abandoned at their timeout, still unwinding their cancellation in the background.
_abandoned: set[asyncio.Future[Any]] = set()


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one read came to: slots, or the error that stands for every key."""

    slots: list[Slot] | None
    error: AdapterError | None
    attempts: int  # calls actually sent to the partner, retries included
    elapsed_ms: float


class Resilient:
    """Wraps an adapter with the partner's policy; an `Adapter` itself."""

    def __init__(self, inner: Adapter, policy: PartnerPolicy, *,
                 clock: Callable[[], float] = time.monotonic,
                 rng: random.Random | None = None) -> None:
        self.inner = inner
        self.info = inner.info
        self.capabilities = inner.capabilities
        self.policy = policy
        self.breaker = CircuitBreaker(inner.info.slug, failures=policy.breaker_failures,
                                      open_s=policy.breaker_open_s, clock=clock,
                                      listener=_on_breaker_change)
        self.budget = RetryBudget(ratio=policy.budget_ratio, window_s=policy.budget_window_s,
                                  clock=clock)
        self._clock = clock
        self._rng = rng or random.Random()
        metrics.watch_breaker(self.breaker)

    async def call(self, entity: str, keys: Sequence[str], *, deadline: float | None = None,
                   start: float | None = None) -> Outcome:
        """Read `keys` by `start` (the request's start; default now) + the partner's timeout,
        and by `deadline` if given (both `time.monotonic()` instants)."""
        begin = self._clock()
        end = (begin if start is None else start) + self.policy.timeout_s
        if deadline is not None:
            end = min(end, deadline)
        attempts, error = 0, None
        while True:
            refusal = self._refusal(end, attempts)
            if refusal is not None:
                error = error if attempts else refusal
                break
            if attempts == 0:
                self.budget.note_request()
            attempts += 1
            result = await self._attempt(entity, keys, end)
            if not isinstance(result, AdapterError):
                return Outcome(result, None, attempts, (self._clock() - begin) * 1000)
            error = result
            if not await self._may_retry(error, attempts, end):
                break
        return Outcome(None, error, attempts, (self._clock() - begin) * 1000)

    async def fetch_many(self, entity: str, keys: Sequence[str], *,
                         deadline: float | None = None) -> list[Slot]:
        """The `Adapter` contract: slots, or the read's error raised."""
        outcome = await self.call(entity, keys, deadline=deadline)
        if outcome.error is not None:
            raise outcome.error
        assert outcome.slots is not None
        return outcome.slots

    def changes(self, entity: str, since: str | None) -> AsyncIterator[ChangeBatch]:
        # The sync feed resumes from its cursor on a rerun; it is neither retried nor gated here.
        return self.inner.changes(entity, since)

    async def health(self) -> Health:
        """The partner's probe, bounded by its timeout; it does not move the breaker."""
        timeout = self.policy.timeout_s
        try:
            return await _bounded(self.inner.health(), timeout)
        except TimeoutError:
            return Health(False, timeout * 1000, f"no answer within {timeout * 1000:.0f} ms")

    async def aclose(self) -> None:
        await self.inner.aclose()

    def _refusal(self, end: float, attempts: int) -> AdapterError | None:
        """Why the next attempt must not be sent, if it must not."""
        slug = self.info.slug
        if end - self._clock() < MIN_ATTEMPT_S:
            if attempts == 0:
                metrics.NOT_SENT.labels(slug, "deadline").inc()
            return DeadlineExceeded(slug, "no time was left in the request for this partner")
        if not self.breaker.allow():
            metrics.NOT_SENT.labels(slug, "breaker").inc()
            retry_in = round(self.breaker.retry_in_s() * 1000)
            return PartnerCircuitOpen(
                slug, f"circuit open after {self.breaker.threshold} consecutive failures",
                retryInMs=retry_in)
        return None

    async def _attempt(self, entity: str, keys: Sequence[str],
                       end: float) -> list[Slot] | AdapterError:
        """One call to the partner, reported to the breaker."""
        full = self.policy.attempt_s
        budget = min(full, end - self._clock())
        try:
            slots = await _bounded(self.inner.fetch_many(entity, keys), budget)
        except TimeoutError:
            error: AdapterError = PartnerTimeout(self.info.slug,
                                                 f"no answer within {budget * 1000:.0f} ms")
            # A partner shows it is slow only if it had most of its time: a read begun late in
            # a request (queued behind others, a second wave of reads) shows nothing.
            self._judge(error, counts=budget >= full / 2)
            return error
        except AdapterError as exc:
            self._judge(exc, counts=isinstance(exc, PartnerUnavailable | PartnerDataInvalid))
            return exc
        except BaseException:
            self.breaker.release()
            raise
        self.breaker.success()
        return slots

    def _judge(self, error: AdapterError, *, counts: bool) -> None:
        if counts:
            self.breaker.failure()
        else:
            self.breaker.release()

    async def _may_retry(self, error: AdapterError, attempts: int, end: float) -> bool:
        """Wait before the next attempt and return True; False when there is to be none."""
        retryable = isinstance(error, PartnerUnavailable | PartnerTimeout) and not isinstance(
            error, PartnerCircuitOpen)
        if not retryable or attempts > self.policy.retries:
            return False
        slug = self.info.slug
        wait = backoff_s(attempts, base_s=self.policy.backoff_s, cap_s=self.policy.backoff_cap_s,
                         retry_after_s=getattr(error, "retry_after", None), rng=self._rng)
        if self._clock() + wait + MIN_ATTEMPT_S > end:
            metrics.RETRIES_REFUSED.labels(slug, "deadline").inc()
            return False
        if not self.budget.try_spend():
            metrics.RETRIES_REFUSED.labels(slug, "budget").inc()
            return False
        metrics.RETRIES.labels(slug).inc()
        await asyncio.sleep(wait)
        return True


async def _bounded(work: Awaitable[T], seconds: float) -> T:
    """`work`, or TimeoutError after `seconds` — at once: the abandoned work is cancelled in
    the background, so however long its cancellation takes, the caller does not wait for it."""
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=max(0.0, seconds))
    except asyncio.CancelledError:
        _abandon(task)
        raise
    if not done:
        _abandon(task)
        raise TimeoutError
    return task.result()


def _abandon(task: asyncio.Future[Any]) -> None:
    task.cancel()
    _abandoned.add(task)
    task.add_done_callback(_forget)


def _forget(task: asyncio.Future[Any]) -> None:
    _abandoned.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: an error after we gave up is not worth a warning


def _on_breaker_change(partner: str, state: BreakerState) -> None:
    metrics.BREAKER_TRANSITIONS.labels(partner, state.value).inc()
    level = logging.WARNING if state is BreakerState.OPEN else logging.INFO
    log.log(level, "partner %s: circuit breaker %s", partner, state.value)
