"""The circuit breaker and the retry budget, on a clock the test moves."""

from __future__ import annotations

import random

import pytest

from gateway.adapters.resilience import BreakerState, CircuitBreaker, RetryBudget, backoff_s


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_opens_after_consecutive_failures_only(clock: Clock) -> None:
    seen: list[BreakerState] = []
    breaker = CircuitBreaker("p", failures=5, open_s=2, clock=clock,
                             listener=lambda _, state: seen.append(state))
    for _ in range(4):
        breaker.failure()
    breaker.success()  # a success in between starts the count again
    for _ in range(4):
        breaker.failure()
    assert breaker.state is BreakerState.CLOSED and breaker.consecutive_failures == 4
    breaker.failure()
    assert breaker.state is BreakerState.OPEN and seen == [BreakerState.OPEN]
    assert not breaker.allow()
    assert breaker.retry_in_s() == 2


def test_half_opens_with_one_probe_and_closes_on_success(clock: Clock) -> None:
    breaker = CircuitBreaker("p", failures=1, open_s=2, clock=clock)
    breaker.failure()
    clock.now += 1.999
    assert breaker.state is BreakerState.OPEN and not breaker.allow()
    clock.now += 0.001
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # others fail fast while it is out
    breaker.success()
    assert breaker.state is BreakerState.CLOSED and breaker.consecutive_failures == 0
    assert breaker.allow() and breaker.allow()


def test_failed_probe_opens_again_for_a_full_period(clock: Clock) -> None:
    breaker = CircuitBreaker("p", failures=1, open_s=2, clock=clock)
    breaker.failure()
    clock.now += 2
    assert breaker.allow()
    breaker.failure()
    assert breaker.state is BreakerState.OPEN and breaker.retry_in_s() == 2


def test_a_probe_that_learned_nothing_frees_the_slot(clock: Clock) -> None:
    breaker = CircuitBreaker("p", failures=1, open_s=2, clock=clock)
    breaker.failure()
    clock.now += 2
    assert breaker.allow()
    breaker.release()  # e.g. the request was cancelled
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow()


def test_budget_allows_a_fifth_of_first_attempts(clock: Clock) -> None:
    budget = RetryBudget(ratio=0.2, window_s=10, clock=clock)
    assert not budget.try_spend()  # nothing sent yet: no retry
    for _ in range(10):
        budget.note_request()
    assert budget.try_spend() and budget.try_spend()
    assert not budget.try_spend()
    assert budget.totals() == (10, 2)


def test_budget_forgets_what_left_the_window(clock: Clock) -> None:
    budget = RetryBudget(ratio=0.2, window_s=10, clock=clock)
    for _ in range(10):
        budget.note_request()
    assert budget.try_spend() and budget.try_spend()
    clock.now += 5
    for _ in range(10):
        budget.note_request()
    assert budget.try_spend() and budget.try_spend() and not budget.try_spend()
    clock.now += 5.5  # the first ten and their two retries are out of the window
    assert budget.totals() == (10, 2)
    assert not budget.try_spend()
    clock.now += 10
    assert budget.totals() == (0, 0)


def test_backoff_is_jittered_capped_and_honours_retry_after() -> None:
    rng = random.Random(1)
    waits = [backoff_s(3, base_s=0.02, cap_s=0.05, retry_after_s=None, rng=rng)
             for _ in range(200)]
    assert max(waits) <= 0.05 and min(waits) >= 0 and len(set(waits)) > 100
    assert backoff_s(1, base_s=0.02, cap_s=0.05, retry_after_s=1.5, rng=rng) == 1.5
