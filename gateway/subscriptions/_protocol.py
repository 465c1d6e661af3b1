"""graphql-transport-ws as the gateway speaks it: credentials from `connection_init`, and the
subscription limit as a coded error.

A browser cannot set headers on a websocket, so the credentials a query sends as headers may
come in the `connection_init` payload instead, under the same names (`Authorization`,
`X-Api-Key`, `X-Purpose`, `X-Officer`; any case); a payload value wins over the handshake's
header. A payload that is not an object of strings is refused like bad credentials: the socket
closes with 4403, as graphql-transport-ws has a server refuse a `connection_init`.
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
    Message,
    SubscribeMessage,
)

from gateway.errors import (
    DocumentNotTrusted,
    GatewayError,
    MalformedRequest,
    QueryTooLarge,
    TooManySubscriptions,
)
from gateway.limits.config import Limits
from gateway.limits.documents import TrustedDocuments, sha256
from gateway.limits.extension import SCOPE_LIMITS

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

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged and message["id"] not in self.operations:
            refused = self._over_limit() or await self._untrusted(message)
            if refused is not None:
                await self.send_message({"id": message["id"], "type": "error", "payload": [
                    {"message": str(refused), "extensions": dict(refused.extensions)}]})
                return
        await super().handle_subscribe(message)

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
