"""The printed schema, and what changed between two of them, named by schema coordinate."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from graphql import (
    BreakingChange,
    DangerousChange,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
    lexicographic_sort_schema,
    print_schema,
)


def sorted_sdl(schema: GraphQLSchema) -> str:
    """The SDL with types, fields, arguments, enum values and input fields in name order.

    Sorted rather than in declaration order so that moving a field in the Python code, or
    splitting a module, does not touch schema.graphql: the file changes when the contract does.
    The schema passed in is left as it is; the server keeps declaration order in introspection.
    """
    return print_schema(lexicographic_sort_schema(schema)).rstrip() + "\n"


@dataclass(frozen=True, slots=True)
class Change:
    """One change between two schemas: graphql-core's kind and description, and the schema
    coordinate it is about — `Type`, `Type.field`, `Type.field(arg:)`, `Enum.VALUE`,
    `Input.field`, `@directive`, `@directive(arg:)`. A change to a union's members or a type's
    interfaces is about the type: `Union`, `Type`."""

    kind: str
    coordinate: str
    description: str


# Tried in order on graphql-core's description (find_schema_changes.py); the first match names
# the coordinate. Argument coordinates first (they contain a member coordinate); members next:
# the later patterns would also match inside a member's changed default value.
_COORDINATES = [
    re.compile(r"(@?[_A-Za-z]\w*(?:\.[_A-Za-z]\w*)?\([_A-Za-z]\w*:\))"),
    re.compile(r"^(?:Field |Enum value |A required field |An optional field )?"
               r"([_A-Za-z]\w*\.[_A-Za-z]\w*)\b"),
    re.compile(r"\bfrom union type ([_A-Za-z]\w*)\b"),
    re.compile(r"(@[_A-Za-z]\w*)"),
    re.compile(r"^(?:Standard scalar )?([_A-Za-z]\w*) (?:was removed|changed from|no longer)"),
    re.compile(r"\bimplemented by ([_A-Za-z]\w*)\b"),
    re.compile(r"\bto union type ([_A-Za-z]\w*)\b"),
]


def coordinate(description: str) -> str:
    """The schema coordinate a change's description is about; the whole description when no
    pattern knows it (then only a changelog bullet quoting it declares the change)."""
    for pattern in _COORDINATES:
        if found := pattern.search(description):
            return found.group(1)
    return description


def _change(change: BreakingChange | DangerousChange) -> Change:
    return Change(change.type.name, coordinate(change.description), change.description)


def schema_changes(old_sdl: str, new_sdl: str) -> tuple[list[Change], list[Change]]:
    """(breaking, dangerous) changes from the old SDL to the new one."""
    old, new = build_schema(old_sdl), build_schema(new_sdl)
    return ([_change(c) for c in find_breaking_changes(old, new)],
            [_change(c) for c in find_dangerous_changes(old, new)])


# --- deprecations -------------------------------------------------------------------------------

REMOVAL = re.compile(r"\bremoval: (\d{4}-\d{2}-\d{2})\b")


def deprecations(schema: GraphQLSchema) -> Iterator[tuple[str, str]]:
    """(coordinate, reason) of every deprecated field, argument, input field and enum value."""
    for name, type_ in sorted(schema.type_map.items()):
        if name.startswith("__"):
            continue
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in type_.fields.items():
                if field.deprecation_reason is not None:
                    yield f"{name}.{field_name}", field.deprecation_reason
                for arg_name, arg in field.args.items():
                    if arg.deprecation_reason is not None:
                        yield f"{name}.{field_name}({arg_name}:)", arg.deprecation_reason
        elif isinstance(type_, GraphQLInputObjectType):
            for field_name, input_field in type_.fields.items():
                if input_field.deprecation_reason is not None:
                    yield f"{name}.{field_name}", input_field.deprecation_reason
        elif isinstance(type_, GraphQLEnumType):
            for value_name, value in type_.values.items():
                if value.deprecation_reason is not None:
                    yield f"{name}.{value_name}", value.deprecation_reason
    for directive in schema.directives:
        for arg_name, arg in directive.args.items():
            if arg.deprecation_reason is not None:
                yield f"@{directive.name}({arg_name}:)", arg.deprecation_reason


def removal_date(reason: str) -> date | None:
    """The date a deprecation's reason names for the removal (`removal: YYYY-MM-DD`)."""
    found = REMOVAL.search(reason)
    try:
        return date.fromisoformat(found.group(1)) if found else None
    except ValueError:
        return None


def undated_deprecations(schema: GraphQLSchema) -> list[str]:
    """Deprecations whose reason names no removal date."""
    return [f"{where}: {reason!r}" for where, reason in deprecations(schema)
            if removal_date(reason) is None]
