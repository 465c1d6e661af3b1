"""Resolver exceptions are masked; coded errors, and GraphQL's own, pass with a code."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from gateway.errors import MalformedId
from gateway.limits import LimitsExtension
from gateway.limits.masking import code_error


@strawberry.type
class Query:
    @strawberry.field
    def broken(self) -> str | None:
        raise KeyError("postgres://juheli:s3cret@db/juheli")

    @strawberry.field
    def refused(self) -> str | None:
        raise MalformedId("malformed household id", id="x")

    @strawberry.field
    def uncoded(self) -> str | None:
        raise GraphQLError("partner row 17 of /srv/drops/hall.xlsx is unreadable")

    @strawberry.field
    def fine(self) -> str:
        return "ok"

    @strawberry.field
    def echo(self, n: int) -> int:
        return n


schema = strawberry.Schema(query=Query, extensions=[LimitsExtension])


async def test_unexpected_exceptions_are_masked_and_coded_ones_pass() -> None:
    result = await schema.execute("{ fine broken refused uncoded }")
    assert result.data == {"fine": "ok", "broken": None, "refused": None, "uncoded": None}
    by_path = {e.path[0]: e for e in result.errors or [] if e.path}
    assert by_path["broken"].message == by_path["uncoded"].message == "Internal error"
    assert by_path["broken"].extensions == {"code": "INTERNAL_ERROR"}
    assert by_path["uncoded"].extensions == {"code": "INTERNAL_ERROR"}
    assert by_path["refused"].extensions == {"code": "MALFORMED_ID", "id": "x"}
    assert by_path["refused"].message == "malformed household id"
    assert "s3cret" not in str(result.errors) and "xlsx" not in str(result.errors)


async def test_graphql_errors_get_the_codes_clients_know() -> None:
    syntax = await schema.execute("{ fine ")
    invalid = await schema.execute("{ fin }")
    variables = await schema.execute("query($n: Int!) { echo(n: $n) }",
                                     variable_values={"n": "x"})
    assert [e.extensions for e in syntax.errors or []] == [{"code": "GRAPHQL_PARSE_FAILED"}]
    assert [e.extensions for e in invalid.errors or []] == [
        {"code": "GRAPHQL_VALIDATION_FAILED"}]
    assert "Did you mean 'fine'?" in (invalid.errors or [])[0].message  # development
    assert [e.extensions for e in variables.errors or []] == [{"code": "BAD_USER_INPUT"}]


def test_production_cuts_suggestions_development_keeps_them() -> None:
    error = GraphQLError("Cannot query field 'fin' on type 'Query'. Did you mean 'fine' or "
                         "'find'?")
    assert code_error(error, production=True).message == "Cannot query field 'fin' on type 'Query'."
    assert "Did you mean" in code_error(error, production=False).message
    enum = GraphQLError("Variable '$s' got invalid value 'CLOSD'; Value 'CLOSD' does not exist "
                        "in 'DisputeStatus' enum. Did you mean the enum value 'CLOSED'?")
    masked = code_error(enum, production=True)
    assert masked.extensions == {"code": "BAD_USER_INPUT"} and "CLOSED" not in masked.message


async def test_limits_apply_to_a_schema_run_without_the_http_guard() -> None:
    deep = "{ fine " + " ".join(f"a{i}: fine" for i in range(16)) + " }"
    result = await schema.execute(deep)
    assert result.data is None
    assert [e.extensions["code"] for e in result.errors or []] == ["TOO_MANY_ALIASES"]
    many = "{ " + "fine " * 1001 + "}"
    result = await schema.execute(many)
    assert [e.extensions["code"] for e in result.errors or []] == ["TOO_MANY_TOKENS"]
