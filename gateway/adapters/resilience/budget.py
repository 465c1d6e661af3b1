"""How many retries a partner may get, and how long to wait before each.

`RetryBudget` keeps retries under a fixed share of first attempts over a sliding window (20%
over 10 s by default): a partner that fails every call gets at most one extra call for every
five, so retries never multiply the load on a partner that is already struggling. The window is
a ring of one-second buckets, so the bookkeeping is O(buckets) whatever the traffic.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable

Clock = Callable[[], float]


class RetryBudget:
    """At most `ratio` retries per first attempt within the last `window_s` seconds."""

    def __init__(self, *, ratio: float = 0.2, window_s: float = 10.0, buckets: int = 10,
                 clock: Clock = time.monotonic) -> None:
        if ratio < 0 or window_s <= 0 or buckets < 1:
            raise ValueError("a retry budget needs ratio >= 0, window_s > 0, buckets >= 1")
        self.ratio = ratio
        self._width = window_s / buckets
        self._clock = clock
        # Per bucket: [slot number it holds, first attempts, retries].
        self._ring = [[-1, 0, 0] for _ in range(buckets)]

    def note_request(self) -> None:
        """A first attempt was sent."""
        self._bucket()[1] += 1

    def try_spend(self) -> bool:
        """Take one retry from the budget if the window allows it."""
        requests, retries = self.totals()
        if retries + 1 > self.ratio * requests:
            return False
        self._bucket()[2] += 1
        return True

    def totals(self) -> tuple[int, int]:
        """(first attempts, retries) within the window."""
        now = self._slot()
        live = [b for b in self._ring if now - b[0] < len(self._ring)]
        return sum(b[1] for b in live), sum(b[2] for b in live)

    def _slot(self) -> int:
        return math.floor(self._clock() / self._width)

    def _bucket(self) -> list[int]:
        slot = self._slot()
        bucket = self._ring[slot % len(self._ring)]
        if bucket[0] != slot:
            bucket[:] = [slot, 0, 0]
        return bucket


def backoff_s(attempt: int, *, base_s: float, cap_s: float, retry_after_s: float | None,
              rng: random.Random) -> float:
    """Full-jitter exponential backoff before retry number `attempt` (1, 2, …), never shorter
    than the partner's `Retry-After`."""
    jittered = rng.uniform(0, min(cap_s, base_s * 2 ** (attempt - 1)))
    if retry_after_s is None:
        return jittered
    return max(retry_after_s, jittered)
