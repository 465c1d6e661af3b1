"""Store events for GraphQL subscriptions (docs/subscriptions.md).

- `Listener`: the process's one LISTEN connection, fanned out to `Feed`s by community, with
  reconnection and replay from the store of what it missed (migration 0014);
- `Event`, `Gap`: what a feed yields; `CHANNEL`: the NOTIFY channel; `events_after`: a
  community's events since one of them, for a subscriber resuming `after` its cursor;
- `TransportWS`, `credentials`, `CREDENTIALS`, `CURRENT_SERVICES`, `SCOPE_TRUSTED`:
  graphql-transport-ws as the gateway speaks it;
- `Socket`, `SocketLimits`, `Occupancy`, `SCOPE_SOCKET`, the close codes: what one agency,
  client address and connection may do with the websockets (rate limit, caps, message budget).
"""

from gateway.subscriptions._events import CHANNEL, Event, Gap, Item, events_after, parse
from gateway.subscriptions._limits import (
    CLOSE_POLICY_VIOLATION,
    CLOSE_RATE_LIMITED,
    CLOSE_TRY_AGAIN_LATER,
    SCOPE_SOCKET,
    Occupancy,
    Socket,
    SocketLimits,
)
from gateway.subscriptions._listener import Feed, Listener
from gateway.subscriptions._protocol import (
    CREDENTIALS,
    CURRENT_SERVICES,
    SCOPE_TRUSTED,
    TransportWS,
    credentials,
)

__all__ = ["CHANNEL", "CLOSE_POLICY_VIOLATION", "CLOSE_RATE_LIMITED", "CLOSE_TRY_AGAIN_LATER",
           "CREDENTIALS", "CURRENT_SERVICES", "SCOPE_SOCKET", "SCOPE_TRUSTED", "Event", "Feed",
           "Gap", "Item", "Listener", "Occupancy", "Socket", "SocketLimits", "TransportWS",
           "credentials", "events_after", "parse"]
