"""Store events for GraphQL subscriptions (docs/subscriptions.md).

- `Listener`: the process's one LISTEN connection, fanned out to `Feed`s by community, with
  reconnection and `Gap` markers;
- `Event`, `Gap`: what a feed yields; `CHANNEL`: the NOTIFY channel of migration 0010;
- `TransportWS`, `credentials`, `CREDENTIALS`, `CURRENT_SERVICES`, `SCOPE_TRUSTED`:
  graphql-transport-ws as the gateway speaks it.
"""

from gateway.subscriptions._events import CHANNEL, Event, Gap, Item, parse
from gateway.subscriptions._listener import Feed, Listener
from gateway.subscriptions._protocol import (
    CREDENTIALS,
    CURRENT_SERVICES,
    SCOPE_TRUSTED,
    TransportWS,
    credentials,
)

__all__ = ["CHANNEL", "CREDENTIALS", "CURRENT_SERVICES", "SCOPE_TRUSTED", "Event", "Feed", "Gap",
           "Item", "Listener", "TransportWS", "credentials", "parse"]
