"""What one agency, one client address and one connection may do with the websockets of /graphql.

HTTP requests are rate limited per agency by the guard (gateway/limits/); a websocket holds the
same limit and a few of its own (docs/subscriptions.md, "Limits"):

- a socket counts one request against the shared rate limit at its `connection_init`, where the
  credentials arrive and the agency is first known (`rate_key`, as for HTTP): past the limit it is
  closed with 4429, before it is acknowledged;
- each `subscribe` counts one more; past the limit that operation gets an `error` message coded
  RATE_LIMITED, and the connection stays open (`TransportWS`);
- one process holds at most `max_connections_per_agency` acknowledged sockets of an agency (of
  a client address when there is none): the next is closed with 1013 "Try Again Later";
- before `connection_init` a socket belongs to no agency yet: one process holds at most
  `max_pending` of them per client address, and refuses the next handshake (HTTP 403);
- a connection may send `max_messages_per_s` messages a second (as a burst too): the next is
  a flood, and closes the socket with 1008 "Policy Violation".

Counts of sockets are per process, kept in `Occupancy`; the rate limit is the shared one.
Every socket takes a `Socket` in its scope (`SCOPE_SOCKET`), put there by the app's
`WebSocketLimits`.
"""

from __future__ import annotations

import time
from collections import Counter as Tally
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import Counter, Gauge
from starlette.types import Scope

from gateway.auth.principal import Principal
from gateway.errors import RateLimited
from gateway.limits.guard import rate_key
from gateway.limits.ratelimit import RateLimiter
from gateway.settings import Settings

SCOPE_SOCKET = "juheli.socket"  # the websocket's scope: its `Socket`
CLOSE_RATE_LIMITED = 4429  # graphql-transport-ws's "too many" code, as HTTP's 429
CLOSE_TRY_AGAIN_LATER = 1013  # RFC 6455: a temporary condition; graphql-ws clients retry it
CLOSE_POLICY_VIOLATION = 1008  # RFC 6455; graphql-ws clients do not retry it
REASON_BYTES = 123  # the most a close frame's reason may hold

WEBSOCKETS = Gauge("juheli_websockets",
                   "Acknowledged websockets this process holds, by agency", ["agency"])
PENDING = Gauge("juheli_websockets_pending", "Websockets awaiting their connection_init")
REFUSED = Counter("juheli_websockets_refused",
                  "Websockets refused or closed by a limit, and operations refused by the rate "
                  "limit, by reason", ["reason"])


@dataclass(frozen=True, slots=True, kw_only=True)
class SocketLimits:
    """The settings of the same names (gateway/settings.py); 0 turns one off."""

    max_connections_per_agency: int = 100
    max_pending: int = 50
    max_messages_per_s: int = 50

    @classmethod
    def from_settings(cls, settings: Settings) -> SocketLimits:
        return cls(max_connections_per_agency=settings.max_connections_per_agency,
                   max_pending=settings.max_pending_connections,
                   max_messages_per_s=settings.max_ws_messages_per_s)


class SocketRefused(Exception):
    """A socket to close with `code` at its `connection_init`, before it is acknowledged."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason.encode()[:REASON_BYTES].decode(errors="ignore")


class Occupancy:
    """The sockets one process holds, by key: `pending:client:<address>` until
    `connection_init`, the rate key (`agency:<slug>`, or `client:<address>`) after."""

    def __init__(self) -> None:
        self._held: Tally[str] = Tally()

    def take(self, key: str, limit: int) -> bool:
        if limit > 0 and self._held[key] >= limit:
            return False
        self._held[key] += 1
        _gauge(key, +1)
        return True

    def give_back(self, key: str) -> None:
        self._held[key] -= 1
        if self._held[key] <= 0:
            del self._held[key]
        _gauge(key, -1)

    def held(self, key: str) -> int:
        return self._held[key]


def _gauge(key: str, change: int) -> None:
    kind, _, name = key.partition(":")
    if kind == "pending":  # pending:client:<address>
        PENDING.inc(change)
    else:  # client addresses are many: one label for all of them
        WEBSOCKETS.labels(name if kind == "agency" else "anonymous").inc(change)


class Budget:
    """A token bucket: `per_s` messages a second, `per_s` of them at once."""

    def __init__(self, per_s: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_s, self.clock = per_s, clock
        self.tokens, self.at = float(per_s), clock()

    def spend(self) -> bool:
        if self.per_s <= 0:
            return True
        now = self.clock()
        self.tokens = min(float(self.per_s), self.tokens + (now - self.at) * self.per_s)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class Socket:
    """One websocket's share of the limits, from its handshake to its close."""

    def __init__(self, scope: Scope, limits: SocketLimits, occupancy: Occupancy,
                 limiter: RateLimiter | None) -> None:
        self.scope, self.limits, self.occupancy, self.limiter = scope, limits, occupancy, limiter
        self.budget = Budget(limits.max_messages_per_s)
        self.key: str | None = None  # the rate key, once `connection_init` named the caller
        self._held: str | None = None

    def enter(self) -> bool:
        """At the handshake: a place among the sockets awaiting `connection_init`."""
        if self._take(f"pending:{rate_key(self.scope)}", self.limits.max_pending):
            return True
        REFUSED.labels("pending").inc()
        return False

    async def admit(self, principal: Principal) -> None:
        """At `connection_init`, the caller known: one request against its rate limit, and a
        place among its agency's sockets; `SocketRefused` when either is spent."""
        self.key = rate_key(self.scope, principal)
        try:
            await self.check_operation()
        except RateLimited as exc:
            raise SocketRefused(CLOSE_RATE_LIMITED, str(exc)) from exc
        if not self._take(self.key, self.limits.max_connections_per_agency):
            REFUSED.labels("connections").inc()
            limit = self.limits.max_connections_per_agency
            raise SocketRefused(CLOSE_TRY_AGAIN_LATER,
                                f"{principal.name} already holds {limit} websockets here")

    async def check_operation(self) -> None:
        """One request against the caller's rate limit; `RateLimited` past it."""
        if self.limiter is None or self.key is None:
            return
        try:
            await self.limiter.check(self.key)
        except RateLimited:
            REFUSED.labels("rate_limited").inc()
            raise

    def message(self) -> SocketRefused | None:
        """One message received; the refusal that closes the socket when it is one too many."""
        if self.budget.spend():
            return None
        REFUSED.labels("flood").inc()
        return SocketRefused(CLOSE_POLICY_VIOLATION,
                             f"More than {self.limits.max_messages_per_s} messages a second")

    def leave(self) -> None:
        if self._held is not None:
            self.occupancy.give_back(self._held)
            self._held = None

    def _take(self, key: str, limit: int) -> bool:
        self.leave()
        if not self.occupancy.take(key, limit):
            return False
        self._held = key
        return True
