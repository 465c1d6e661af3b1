"""A circuit breaker per partner: stop calling a partner that keeps failing, and find out when
it is back by letting a single call through.

    CLOSED ──(`failures` consecutive failures)──▶ OPEN ──(`open_s` later)──▶ HALF_OPEN
      ▲                                            ▲                           │ one probe call
      └────────────(the probe succeeds)────────────┼───────(the probe fails)───┘

While OPEN every call fails fast, without touching the partner. After `open_s` the next call is
the probe; calls arriving while it is in flight still fail fast. An outcome that says nothing
about the partner (the caller gave up, the request's own deadline cut the call short, the
partner refused what we asked) is `release()`d: it neither counts nor resets.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable

Clock = Callable[[], float]


class BreakerState(enum.Enum):
    CLOSED = "closed"
    HALF_OPEN = "half_open"
    OPEN = "open"


Listener = Callable[[str, BreakerState], None]


class CircuitBreaker:
    """One partner's breaker. Not thread-safe: it lives on one event loop."""

    def __init__(self, partner: str, *, failures: int = 5, open_s: float = 5.0,
                 clock: Clock = time.monotonic, listener: Listener | None = None) -> None:
        if failures < 1 or open_s <= 0:
            raise ValueError("a breaker needs failures >= 1 and open_s > 0")
        self.partner = partner
        self.threshold = failures
        self.open_s = open_s
        self._clock = clock
        self._listener = listener
        self._state = BreakerState.CLOSED
        self._failures = 0  # consecutive, while closed
        self._opened_at = 0.0
        self._probing = False

    @property
    def state(self) -> BreakerState:
        """The state as a caller would find it now (OPEN turns HALF_OPEN once `open_s` passed)."""
        if self._state is BreakerState.OPEN and self._clock() - self._opened_at >= self.open_s:
            self._move(BreakerState.HALF_OPEN)
        return self._state

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def retry_in_s(self) -> float:
        """How long until the breaker lets a probe through (0 unless it is open)."""
        if self.state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self._opened_at + self.open_s - self._clock())

    def allow(self) -> bool:
        """May a call go to the partner now? In HALF_OPEN only one (the probe) at a time; every
        allowed call must end in `success()`, `failure()` or `release()`."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._probing:
            self._probing = True
            return True
        return False

    def success(self) -> None:
        self._probing = False
        self._failures = 0
        if self._state is not BreakerState.CLOSED:
            self._move(BreakerState.CLOSED)

    def failure(self) -> None:
        if self._state is BreakerState.HALF_OPEN and self._probing:
            self._probing = False
            self._open()
        elif self._state is BreakerState.CLOSED:
            self._failures += 1
            if self._failures >= self.threshold:
                self._open()
        # A late failure of a call let through before the breaker opened changes nothing.

    def release(self) -> None:
        """The call ended with nothing learned about the partner; a probe slot is freed."""
        self._probing = False

    def _open(self) -> None:
        self._opened_at = self._clock()
        self._move(BreakerState.OPEN)

    def _move(self, state: BreakerState) -> None:
        self._state = state
        if state is BreakerState.CLOSED:
            self._failures = 0
        if self._listener is not None:
            self._listener(self.partner, state)
