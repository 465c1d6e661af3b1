"""The GraphQL view's own refusals, coded: Strawberry answers them in plain text.

Strawberry refuses a mutation over GET (it checks the operation type after parsing), an
operation name the document does not hold, and a request without a query with an
`HTTPException` that its ASGI app turns into a text/plain response. Here they become
`RequestRefused` errors, which `RequestGuard` answers as JSON with a code: a mutation over GET
is a 405 with `Allow: POST`, as GraphQL-over-HTTP asks.

Errors are coded once more on their way out: an exception raised in an extension's hook ends
the operation before `LimitsExtension` codes the result, and its message must not reach the
client either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import Response
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult

from gateway.errors import MalformedRequest, MethodNotAllowed
from gateway.limits.config import DEFAULT_LIMITS, Limits
from gateway.limits.extension import SCOPE_LIMITS
from gateway.limits.masking import code_errors

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
            if isinstance(exc.__cause__, InvalidOperationTypeError):
                kind = exc.__cause__.operation_type.value
                raise MethodNotAllowed(f"A {kind} cannot be sent with {request_adapter.method}",
                                       allow="POST") from exc
            raise MalformedRequest(exc.reason) from exc

    async def process_result(self, request: Request,
                             result: ExecutionResult) -> GraphQLHTTPResponse:
        if result.errors:
            limits: Limits = request.scope.get(SCOPE_LIMITS, DEFAULT_LIMITS)
            result.errors = code_errors(result.errors, production=limits.production)
        return await super().process_result(request, result)
