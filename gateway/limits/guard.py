"""The HTTP guard in front of the GraphQL view: what is refused before GraphQL sees a request.

In order — the cheap refusals first, and the rate limit before the body is read:
1. methods other than GET and POST (405);
2. the agency's rate limit (429 with Retry-After; the client address when there is no agency);
3. an `Accept` that admits neither `application/json` nor `application/graphql-response+json`
   (406; a GET for the IDE excepted);
4. POST bodies that are not `application/json` or `application/graphql` (415: a browser sends
   the other types cross-site without asking, so refusing them is the CSRF defence), larger
   than `max_body_bytes` (413, by Content-Length or while reading), not JSON or not an object
   (400), or a JSON array — a batch (400);
5. parameters of the wrong type — `query` or `operationName` not a string, `variables` or
   `extensions` not an object — or no `query` at all (400); variables larger than
   `max_variables_bytes` (413);
6. the document: a `documentId` (or Apollo's `persistedQuery`) is replaced by the trusted text;
   in production a raw query or an unknown id is refused (DOCUMENT_NOT_TRUSTED); in development
   an unknown id is PERSISTED_QUERY_NOT_FOUND and a raw query may be `max_query_bytes` long.
The view then gets a plain JSON POST (or GET) with the text in `query`, and the scope carries
the limits, the trusted id for `LimitsExtension` and the negotiated media type (media.py).
A mutation over GET is refused by the view (`LimitedView`) once the document is parsed; its
`RequestRefused` comes back through here.
Every refusal is a GraphQL response with one coded error and no `data`, in the negotiated media
type (`application/json` when the client accepts neither).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

import asyncpg
import orjson
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.errors import (
    BatchingDisabled,
    BodyTooLarge,
    DocumentNotFound,
    DocumentNotTrusted,
    IdeDisabled,
    MalformedRequest,
    MethodNotAllowed,
    NotAcceptable,
    QueryTooLarge,
    RequestRefused,
    UnsupportedMediaType,
    VariablesTooLarge,
)
from gateway.limits.config import Limits
from gateway.limits.documents import TrustedDocuments, document_id, sha256
from gateway.limits.extension import SCOPE_DOCUMENT, SCOPE_LIMITS
from gateway.limits.media import (
    GRAPHQL_RESPONSE,
    JSON,
    SCOPE_MEDIA_TYPE,
    content_type,
    negotiate,
)
from gateway.limits.ratelimit import RateLimiter, open_rate_limiter

JSON_TYPES = frozenset({"application/json"})
GRAPHQL_TYPES = frozenset({"application/graphql"})
SCOPE_PRINCIPAL = "juheli.principal"
PARAMETER_TYPES = (("query", str, "a string"), ("operationName", str, "a string"),
                   ("variables", dict, "an object"), ("extensions", dict, "an object"))


def refusal(exc: RequestRefused, media: str | None = JSON) -> JSONResponse:
    return JSONResponse({"errors": [{"message": str(exc), "extensions": exc.extensions}]},
                        status_code=exc.http_status, headers=exc.headers(),
                        media_type=content_type(media or JSON))


def rate_key(scope: Scope, principal: object = None) -> str:
    """The agency of `principal` — by default the one the lead's `Authenticated` put on the
    scope; a websocket's comes with its `connection_init` — else the client address."""
    agency = getattr(principal or scope.get(SCOPE_PRINCIPAL), "agency", None)
    slug = getattr(agency, "slug", None)
    if slug:
        return f"agency:{slug}"
    client = scope.get("client")
    return f"client:{client[0] if client else 'unknown'}"


def _raw_params(scope: Scope) -> dict[str, Any]:
    return dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))


def _query_params(scope: Scope) -> dict[str, Any]:
    """A GET's parameters, `variables` and `extensions` decoded from JSON."""
    data = _raw_params(scope)
    return {**data, **{k: _json_param(data, k) for k in ("variables", "extensions")}}


def _json_param(params: dict[str, str], name: str) -> Any:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MalformedRequest(f"`{name}` is not JSON") from exc


def _names_document(data: dict[str, Any]) -> bool:
    return bool(data.get("query")) or _persisted_id(data) is not None


def _persisted_id(data: dict[str, Any]) -> object:
    if "documentId" in data:
        return data["documentId"]
    extensions = data.get("extensions")
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    return persisted.get("sha256Hash") if isinstance(persisted, dict) else None


class RequestGuard:
    def __init__(self, app: ASGIApp, limits: Limits, *, redis_url: str | None = None,
                 ide: bool = False) -> None:
        self.app, self.limits, self.redis_url = app, limits, redis_url
        self.ide = ide and not limits.production
        self.limiter: RateLimiter | None = None
        self.documents: TrustedDocuments | None = None

    async def start(self, pool: asyncpg.Pool) -> None:
        """Open the counters and the documents (the lifespan calls this once the store is open)."""
        self.limiter = open_rate_limiter(pool, redis_url=self.redis_url,
                                         limit=self.limits.rate_limit,
                                         window_s=self.limits.rate_window_s)
        self.documents = TrustedDocuments(pool)

    async def stop(self) -> None:
        if self.limiter is not None:
            await self.limiter.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        media = negotiate(headers.get("accept"))
        try:
            admitted = await self.admit(scope, receive, headers, media)
            if admitted is not None:
                scope, receive = admitted
            await self.app(scope, receive, send)
        except RequestRefused as exc:
            await refusal(exc, media)(scope, receive, send)

    async def admit(self, scope: Scope, receive: Receive, headers: Headers,
                    media: str | None) -> tuple[Scope, Receive] | None:
        """The request as the view is to see it; None: let it through as it is (the IDE)."""
        method = scope["method"]
        if method not in ("GET", "POST"):
            raise MethodNotAllowed(f"{method} is not allowed: use GET or POST")
        if self.limiter is not None:
            await self.limiter.check(rate_key(scope))
        if method == "GET" and self._wants_ide(scope, headers):
            return None
        if media is None:
            raise NotAcceptable("Accept application/graphql-response+json or application/json",
                                accept=[GRAPHQL_RESPONSE, JSON])
        if method == "GET":
            data = _query_params(scope)
        else:
            data = await self._post_data(headers, receive)
        for name, kind, what in PARAMETER_TYPES:
            if data.get(name) is not None and not isinstance(data[name], kind):
                raise MalformedRequest(f"`{name}` must be {what}")
        if not _names_document(data):
            raise MalformedRequest("A request needs `query` or `documentId`")
        return await self._rebuild({**scope, SCOPE_MEDIA_TYPE: media}, receive, data)

    def _wants_ide(self, scope: Scope, headers: Headers) -> bool:
        """A browser's GET naming no document: the IDE, where it is served."""
        if "text/html" not in headers.get("accept", "") or _names_document(_raw_params(scope)):
            return False
        if not self.ide:
            raise IdeDisabled("The GraphQL IDE is not served here")
        return True

    async def _post_data(self, headers: Headers, receive: Receive) -> dict[str, Any]:
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        if media not in JSON_TYPES | GRAPHQL_TYPES:
            raise UnsupportedMediaType("Send application/json (or application/graphql)")
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.limits.max_body_bytes:
            raise BodyTooLarge(f"The body exceeds {self.limits.max_body_bytes} bytes",
                               limit=self.limits.max_body_bytes)
        body = await self._read(receive)
        if media in GRAPHQL_TYPES:
            return {"query": body.decode("utf-8", "replace")}
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise MalformedRequest("The body is not JSON") from exc
        if isinstance(data, list):
            raise BatchingDisabled("Batched requests are not accepted: send one operation")
        if not isinstance(data, dict):
            raise MalformedRequest("The body must be a JSON object")
        if len(body) > self.limits.max_variables_bytes:
            self._check_variables(data.get("variables"))
        return data

    async def _read(self, receive: Receive) -> bytes:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise MalformedRequest("The client went away")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limits.max_body_bytes:
                raise BodyTooLarge(f"The body exceeds {self.limits.max_body_bytes} bytes",
                                   limit=self.limits.max_body_bytes)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _check_variables(self, variables: Any) -> None:
        if variables is not None and len(orjson.dumps(variables)) > self.limits.max_variables_bytes:
            raise VariablesTooLarge(
                f"The variables exceed {self.limits.max_variables_bytes} bytes",
                limit=self.limits.max_variables_bytes)

    async def _document(self, data: dict[str, Any]) -> tuple[str, str | None]:
        """The query text to run and, when it is a trusted document, its id."""
        named, query = _persisted_id(data), data.get("query")
        production = self.limits.production
        if named is None:
            if production:
                raise DocumentNotTrusted("Only trusted documents run here: send a documentId")
            if not isinstance(query, str):
                raise MalformedRequest("`query` must be a string")
            if len(query) > self.limits.max_query_bytes or \
                    len(query.encode()) > self.limits.max_query_bytes:
                raise QueryTooLarge(f"The query exceeds {self.limits.max_query_bytes} bytes",
                                    limit=self.limits.max_query_bytes)
            return query, None
        digest = document_id(named)
        body = await self.documents.get(digest) if digest and self.documents else None
        if body is None:
            if production:
                raise DocumentNotTrusted("This document is not trusted here")
            if isinstance(query, str) and digest == sha256(query):
                return await self._document({k: v for k, v in data.items()
                                             if k not in ("documentId", "extensions")})
            raise DocumentNotFound("PersistedQueryNotFound: send the document's text")
        if query is not None and query != body:
            raise MalformedRequest("`query` is not the document `documentId` names")
        return body, digest

    async def _rebuild(self, scope: Scope, receive: Receive,
                       data: dict[str, Any]) -> tuple[Scope, Receive]:
        if scope["method"] == "GET":
            self._check_variables(data.get("variables"))
        query, trusted = await self._document(data)
        params = {"query": query, "variables": data.get("variables"),
                  "operationName": data.get("operationName"),
                  "extensions": data.get("extensions")}
        scope = {**scope, SCOPE_LIMITS: self.limits, SCOPE_DOCUMENT: trusted}
        if scope["method"] == "GET":
            query_string = urlencode({
                k: v if isinstance(v, str) else orjson.dumps(v).decode()
                for k, v in params.items() if v is not None})
            return {**scope, "query_string": query_string.encode()}, receive
        body = orjson.dumps({k: v for k, v in params.items() if v is not None})
        headers = [(k, v) for k, v in scope["headers"]
                   if k not in (b"content-type", b"content-length")]
        headers += [(b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode())]
        return {**scope, "headers": headers}, _replay(body, receive)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
