"""The GraphQL view's own refusals, coded, and its answers in the negotiated media type.

Strawberry refuses a mutation over GET (it checks the operation type after parsing), an
operation name the document does not hold, and a request without a query with an
`HTTPException` that its ASGI app turns into a text/plain response. Here a mutation over GET
becomes a `RequestRefused` error, which `RequestGuard` answers as JSON with a code: a 405 with
`Allow: POST`, as GraphQL-over-HTTP asks. An `operationName` the document does not hold is a
GraphQL request error instead (GetOperation's), coded GRAPHQL_VALIDATION_FAILED, with the status
of one (media.py).

Errors are coded once more on their way out: an exception raised in an extension's hook ends
the operation before `LimitsExtension` codes the result, and its message must not reach the
client either. The answer is served in the media type the guard negotiated (`SCOPE_MEDIA_TYPE`):
a request error has no `data`, and in `application/graphql-response+json` it is a 400.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult

from gateway.errors import InvalidQuery, MalformedRequest, MethodNotAllowed
from gateway.limits.config import DEFAULT_LIMITS, Limits
from gateway.limits.extension import SCOPE_LIMITS
from gateway.limits.masking import code_errors
from gateway.limits.media import (
    GRAPHQL_RESPONSE,
    JSON,
    SCOPE_MEDIA_TYPE,
    content_type,
    is_request_error,
)

if TYPE_CHECKING:  # the schema imports this package, and the context imports the schema's layer
    from gateway.context import Context


class LimitedView(GraphQL["Context", None]):
    async def execute_single(
        self, request: Request, request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response, context: Context, root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        try:
            return await super().execute_single(request, request_adapter, sub_response, context,
                                                root_value, request_data)
        except HTTPException as exc:
            cause = exc.__cause__
            if isinstance(cause, InvalidOperationTypeError):
                kind = cause.operation_type.value
                raise MethodNotAllowed(f"A {kind} cannot be sent with {request_adapter.method}",
                                       allow="POST") from exc
            if isinstance(cause, CannotGetOperationTypeError):
                error = GraphQLError(exc.reason, extensions={"code": InvalidQuery.code})
                return ExecutionResult(data=None, errors=[error])
            raise MalformedRequest(exc.reason) from exc

    async def process_result(self, request: Request,
                             result: ExecutionResult) -> GraphQLHTTPResponse:
        if result.errors:
            limits: Limits = request.scope.get(SCOPE_LIMITS, DEFAULT_LIMITS)
            result.errors = code_errors(result.errors, production=limits.production)
        response = await super().process_result(request, result)
        if is_request_error(result.data, result.errors):
            response.pop("data", None)
        return response

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = request.scope.get(SCOPE_MEDIA_TYPE, JSON)
        return sub_response

    def create_response(self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
                        sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        media = sub_response.media_type or JSON
        response.headers["content-type"] = content_type(media)
        if media == GRAPHQL_RESPONSE and isinstance(response_data, dict) \
                and "data" not in response_data and not sub_response.status_code:
            response.status_code = 400
        return response
