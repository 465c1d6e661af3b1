"""graphql-transport-ws as the gateway speaks it: credentials from `connection_init`, and the
subscription limit as a coded error.

A browser cannot set headers on a websocket, so the credentials a query sends as headers may
come in the `connection_init` payload instead, under the same names (`Authorization`,
`X-Api-Key`, `X-Purpose`, `X-Officer`; any case); a payload value wins over the handshake's
header. A payload that is not an object of strings is refused like bad credentials: the socket
closes with 4403, as graphql-transport-ws has a server refuse a `connection_init`.

The limits of a websocket (`_limits.py`) act here: every message spends the connection's budget
(a flood closes it), a `connection_init` the view admitted may still be refused by the rate limit
or the agency's cap (`SocketRefused`: closed with its code, never acknowledged), and every new
`subscribe` counts against the rate limit (RATE_LIMITED as that operation's `error`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.websockets import WebSocketDisconnect
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    Message,
    SubscribeMessage,
)

from gateway.errors import (
    DocumentNotTrusted,
    GatewayError,
    MalformedRequest,
    QueryTooLarge,
    RateLimited,
    TooManySubscriptions,
)
from gateway.limits.config import Limits
from gateway.limits.documents import TrustedDocuments, sha256
from gateway.limits.extension import SCOPE_LIMITS
from gateway.subscriptions._limits import SCOPE_SOCKET, Socket, SocketRefused

CREDENTIAL_HEADERS = ("authorization", "x-api-key", "x-purpose", "x-officer")
CREDENTIALS = "juheli.ws_credentials"  # context.extra: the connection's credential headers
# context.extra: `() -> Services` in force now. A connection outlives a definition swap
# (gateway/onboard/live.py), and the adapters it began with are closed after the grace period.
CURRENT_SERVICES = "juheli.current_services"
SCOPE_TRUSTED = "juheli.trusted_documents"  # the websocket's scope: the guard's TrustedDocuments


def credentials(headers: Mapping[str, str], params: Mapping[str, Any] | None) -> dict[str, str]:
    """The credential headers of a websocket: the handshake's, overridden by the payload's."""
    found = {name: headers[name] for name in CREDENTIAL_HEADERS if headers.get(name)}
    for key, value in (params or {}).items():
        name = str(key).lower()
        if name not in CREDENTIAL_HEADERS:
            continue
        if not isinstance(value, str):
            refused = MalformedRequest(f"{key} must be a string")
            raise ConnectionRejectionError({"message": str(refused), **refused.extensions})
        found[name] = value
    return found


class TransportWS(BaseGraphQLTransportWSHandler[Any, None]):
    """Strawberry's handler, with the limit on operations per connection coded, and messages
    sent as text frames: the view's `encode_json` gives bytes (orjson, for HTTP), which the
    adapter would send as binary frames that graphql-transport-ws clients do not read."""

    async def send_message(self, message: Message) -> None:
        try:
            await self.websocket.ws.send_text(orjson.dumps(message).decode())  # type: ignore[attr-defined]
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc

    @property
    def socket(self) -> Socket | None:
        socket: Socket | None = self.context.request.scope.get(SCOPE_SOCKET)
        return socket

    async def handle_message(self, message: Message) -> None:
        socket = self.socket
        flood = socket.message() if socket is not None else None
        if flood is not None:
            await self.websocket.close(code=flood.code, reason=flood.reason)
            return
        await super().handle_message(message)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)  # the view's on_ws_connect admits
        except SocketRefused as refused:
            await self.websocket.close(code=refused.code, reason=refused.reason)

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged and message["id"] not in self.operations:
            refused = await self._rate_limited() or self._over_limit() or \
                await self._untrusted(message)
            if refused is not None:
                await self.send_message({"id": message["id"], "type": "error", "payload": [
                    {"message": str(refused), "extensions": dict(refused.extensions)}]})
                return
        await super().handle_subscribe(message)

    async def _rate_limited(self) -> GatewayError | None:
        """Each operation is one request against the caller's rate limit, as over HTTP."""
        socket = self.socket
        try:
            if socket is not None:
                await socket.check_operation()
        except RateLimited as exc:
            return exc
        return None

    def _over_limit(self) -> GatewayError | None:
        limit = self.max_subscriptions_per_connection
        if limit is not None and len(self.operations) >= limit:
            return TooManySubscriptions(f"this connection already runs {limit} operations",
                                        limit=limit)
        return None

    async def _untrusted(self, message: SubscribeMessage) -> GatewayError | None:
        """The document rules of the HTTP guard: in production only a trusted document (its
        text, registered by `gateway documents`), elsewhere at most `max_query_bytes`."""
        scope = self.context.request.scope
        limits: Limits | None = scope.get(SCOPE_LIMITS)
        query = message["payload"].get("query")
        if limits is None or not isinstance(query, str):
            return None  # no guard configured; a missing query is strawberry's 4400
        if limits.production:
            documents: TrustedDocuments | None = scope.get(SCOPE_TRUSTED)
            if documents is None or await documents.get(sha256(query)) is None:
                return DocumentNotTrusted("Only trusted documents run here")
        elif len(query.encode()) > limits.max_query_bytes:
            return QueryTooLarge(f"The query exceeds {limits.max_query_bytes} bytes",
                                 limit=limits.max_query_bytes)
        return None
