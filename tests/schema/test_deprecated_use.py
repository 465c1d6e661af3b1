"""Our own operations select no deprecated field, argument or enum value (docs/pagination.md):
a deprecation tells clients to move before its removal date, so the operations we ship — the
demo's and the IDE's (gateway/examples.py), the typed clients' (examples/operations), the
dashboard's, the benchmarks' and every ```graphql block of the README and docs/ — move first.
Checked with graphql-core's NoDeprecatedCustomRule against the gateway's schema."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from graphql import GraphQLError, OperationDefinitionNode, parse, validate
from graphql.validation import NoDeprecatedCustomRule

from gateway import examples
from gateway.schema import schema
from gateway.views.dashboard._documents import DOCUMENTS
from tests.docs import _markdown as md

ROOT = Path(__file__).resolve().parents[2]


def _is_operation(text: str) -> bool:
    """A string that parses as a GraphQL document with an operation in it."""
    try:
        document = parse(text)
    except GraphQLError:
        return False
    return any(isinstance(d, OperationDefinitionNode) for d in document.definitions)


def _bench_documents() -> dict[str, str]:
    """The GraphQL documents written as string literals in bench/*.py (read, not imported:
    a benchmark's imports start servers' worth of dependencies)."""
    found = {}
    for path in sorted((ROOT / "bench").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and "{" in node.value and _is_operation(node.value):
                found[f"bench/{path.name}:{node.lineno}"] = node.value
    return found


def first_party_operations() -> dict[str, str]:
    found = {f"gateway/examples.py:{name}": getattr(examples, name)
             for name in dir(examples) if name.isupper()}
    found |= {f"examples/operations/{p.name}": p.read_text("utf-8")
              for p in sorted((ROOT / "examples" / "operations").glob("*.graphql"))}
    found |= {f"dashboard:{name}": text for name, text in DOCUMENTS.items()}
    found |= {b.where: b.text for p in md.pages() for b in md.blocks(p) if b.lang == "graphql"}
    return found | _bench_documents()


def test_every_kind_of_first_party_operation_is_found() -> None:
    names = first_party_operations()
    assert {"gateway/examples.py:HOUSEHOLD_360", "examples/operations/Household360.graphql",
            "dashboard:DashboardItems"} <= names.keys()
    assert sum(n.startswith("docs/") for n in names) >= 20
    assert any(n.startswith("README.md:") for n in names)
    assert any(n.startswith("bench/views.py:") for n in names)


@pytest.mark.parametrize("name", sorted(first_party_operations()))
def test_first_party_operation_selects_nothing_deprecated(name: str) -> None:
    text = first_party_operations()[name]
    try:
        document = parse(text)
    except GraphQLError as exc:  # the docs show no unparsable GraphQL; a typo is caught here
        pytest.fail(f"{name} does not parse: {exc}")
    used = [e.message for e in validate(schema._schema, document, [NoDeprecatedCustomRule])]
    assert used == [], f"{name} uses what is deprecated: {used}"


def test_the_rule_reports_the_deprecated_lists() -> None:
    """The check above could fail: the plain lists are deprecated and the rule sees them."""
    text = """query($id: ID!) { household(id: $id) { appeals { number }
              property { votes { matter } } } }"""
    used = [e.message for e in validate(schema._schema, parse(text), [NoDeprecatedCustomRule])]
    assert len(used) == 2 and "Household.appeals" in used[0] and "appealsConnection" in used[0]
    assert "HouseholdProperty.votes" in used[1]
