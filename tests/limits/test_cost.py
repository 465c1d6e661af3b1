"""Cost with list-size multipliers, and page sizes, with the request's variables."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import FragmentDefinitionNode, parse

from gateway import examples
from gateway.limits import DEFAULT_LIMITS
from gateway.limits.cost import Cost, estimate
from gateway.limits.shape import select_operation
from gateway.schema import schema
from tests.limits.test_shape import documented_queries


def cost(text: str, variables: dict[str, Any] | None = None) -> Cost:
    document = parse(text)
    operation = select_operation(document, None)
    assert operation is not None
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    return estimate(schema._schema, operation, fragments, variables or {}, list_size=10,
                    max_page=100)


def test_a_connection_multiplies_its_subtree_by_first_and_its_edges_once() -> None:
    text = "{ households(first: 10) { edges { node { id residents { name } } } } }"
    assert cost(text).total == 1 + 10 * (1 + (1 + 1 + (1 + 10 * 1)))


def test_page_size_comes_from_variables_defaults_and_null() -> None:
    text = "query($n: Int) { households(first: $n) { totalCount } }"
    assert cost(text, {"n": 7}).total == 1 + 7 * 1
    assert cost(text, {}).total == 1 + 100  # null: the resolvers' largest page
    assert cost("{ households { totalCount } }").total == 1 + 20  # the schema's default
    assert cost("query($n: Int = 3) { households(first: $n) { totalCount } }").total == 1 + 3


def test_pages_over_the_limit_are_reported_wherever_they_are() -> None:
    text = """query($n: Int) { a: households(first: 500) { totalCount }
              communities { households(first: $n) { totalCount } } }"""
    assert cost(text, {"n": 101}).pages == [("households", 500), ("households", 101)]


def test_fragments_cost_what_they_select() -> None:
    inline = "{ communities { households(first: 5) { edges { node { id } } } } }"
    spread = """{ communities { ...C } }
                fragment C on Community { households(first: 5) { edges { node { id } } } }"""
    assert cost(inline).total == cost(spread).total == 1 + 10 * (1 + 5 * (1 + (1 + 1)))


@pytest.mark.parametrize("name", sorted(documented_queries()))
def test_documented_queries_are_within_the_cost_limit(name: str) -> None:
    text = documented_queries()[name]
    assert cost(text, {"id": "Household:1", "community": "Community:1"}).total \
        <= DEFAULT_LIMITS.max_cost


def test_household_360_and_a_full_page_fit_but_a_page_of_360s_does_not() -> None:
    # its pages: services, disputes, appeals 20, cards and visits 10, source records 100
    assert cost(examples.HOUSEHOLD_360).total == 2513
    full_page = examples.COMMUNITY_PAGE.replace("first: 10", "first: 100")
    assert cost(full_page).total == 4301 <= DEFAULT_LIMITS.max_cost
    body = examples.HOUSEHOLD_360.split("household(id: $id) {", 1)[1].rsplit("}", 2)[0]
    page_of_360s = f"{{ households(first: 100) {{ edges {{ node {{ {body} }} }} }} }}"
    assert cost(page_of_360s).total > 15 * DEFAULT_LIMITS.max_cost


def test_a_cost_holds_for_the_same_values_of_the_variables_it_read() -> None:
    text = "query($n: Int, $id: ID!) { households(first: $n) { totalCount } household(id: $id) { id } }"
    first = cost(text, {"n": 5, "id": "Household:1"})
    assert first.reads == {"n": 5}
    assert first.holds_for({"n": 5, "id": "Household:2"})
    assert not first.holds_for({"n": 50, "id": "Household:1"}) and not first.holds_for({})
