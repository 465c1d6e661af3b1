"""Errors of partner onboarding (operator-facing: `gateway partner …` prints them, exits 2).

    BadRequest
    └── DefinitionInvalid        DEFINITION_INVALID     (the file: `line`, `key`, `problems`)
        └── DryRunFailed         DEFINITION_DRY_RUN_FAILED (the live source: unreachable,
                                                          refused, or answering rows that break
                                                          the mapping — `line`/`key` of the
                                                          source setting to check)
    └── OpenApiInvalid           OPENAPI_INVALID        (`gateway partner draft`: not JSON or
        │                                               YAML, not OpenAPI 3, a `$ref` it
        │                                               cannot follow; `source`)
        └── OpenApiUnreachable   OPENAPI_UNREACHABLE    (its URL or file cannot be read)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gateway.errors import BadRequest


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a definition, where it is."""

    key: str  # dotted path, e.g. entities.occupancy.fields.ownerName.group
    line: int | None  # 1-based line in the file (None: the file has no such place)
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return f"{where}, {self.key or '(top)'}: {self.message}"


class DefinitionInvalid(BadRequest):
    code = "DEFINITION_INVALID"

    def __init__(self, problems: Sequence[Problem], *, file: str = "") -> None:
        self.problems = tuple(problems)
        first = self.problems[0]
        head = f"{file}: " if file else ""
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(f"{head}{first}{more}", line=first.line, key=first.key,
                         problems=[str(p) for p in self.problems])


class DryRunFailed(DefinitionInvalid):
    code = "DEFINITION_DRY_RUN_FAILED"


class OpenApiInvalid(BadRequest):
    """An OpenAPI description `gateway partner draft` cannot read; `source` names it."""

    code = "OPENAPI_INVALID"


class OpenApiUnreachable(OpenApiInvalid):
    code = "OPENAPI_UNREACHABLE"
