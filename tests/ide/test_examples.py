"""Every example operation is valid against the schema, and every IDE tab runs on the live
gateway for its group's purpose once its placeholders hold real ids."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import orjson
import pytest
from graphql import OperationDefinitionNode, parse, validate

from gateway import examples
from gateway.ide import Tab, tabs
from gateway.schema import schema

OPERATIONS = {name: value for name, value in vars(examples).items()
              if name.isupper() and isinstance(value, str)}
TABS = tabs(date(2026, 3, 31))


def test_the_examples_are_found() -> None:
    assert {"HOUSEHOLD_360", "FIND_BY_ADDRESS", "COORDINATION_BRIEF", "HOUSEHOLDS_PAGE",
            "PARTNERS", "NODE"} <= OPERATIONS.keys()


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_every_example_operation_is_valid(name: str) -> None:
    errors = validate(schema._schema, parse(OPERATIONS[name]))
    assert [e.message for e in errors] == []


def operation(tab: Tab) -> OperationDefinitionNode:
    (op,) = [d for d in parse(tab.query).definitions if isinstance(d, OperationDefinitionNode)]
    return op


def title(tab: Tab) -> str:
    """The operation's name: GraphiQL's title for the tab."""
    name = operation(tab).name
    assert name is not None
    return name.value


@pytest.mark.parametrize("tab", TABS, ids=title)
def test_every_tab_is_a_valid_operation_of_the_examples(tab: Tab) -> None:
    assert tab.document in OPERATIONS.values()
    assert validate(schema._schema, parse(tab.query)) == []
    definitions = operation(tab).variable_definitions or ()
    declared = {v.variable.name.value for v in definitions}
    assert set(tab.variables) <= declared
    required = {v.variable.name.value for v in definitions
                if v.type.kind == "non_null_type" and v.default_value is None}
    assert required <= set(tab.variables), "a tab must show every variable it needs"


def test_every_user_group_has_its_tabs() -> None:
    by_group: dict[str, set[str]] = {}
    for tab in TABS:
        by_group.setdefault(tab.group.title, set()).add(title(tab))
    assert by_group == {
        "Agency officer (办案人员)": {"FindHouseholdByAddress", "Household360"},
        "Coordination meeting (协调会)": {"Communities", "CoordinationBrief"},
        "Front-end developer (前端开发)": {"Households", "Partners", "Node"},
    }
    assert {t.group.purpose for t in TABS} <= {"case_handling", "joint_meeting"}
    assert all("<" in t.group.headers()["Authorization"] for t in TABS)  # a hint, not a key


def real(variables: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    text = orjson.dumps(variables).decode()
    for placeholder, value in ids.items():
        text = text.replace(placeholder, value)
    assert "<" not in text, text
    return dict(orjson.loads(text))


@pytest.mark.parametrize("tab", tabs(date.today()), ids=title)
async def test_every_tab_runs_for_its_group(client: httpx.AsyncClient, gql: Any,
                                            tab: Tab) -> None:
    first = await gql("{ households(first: 1) { edges { node { id community { id } } } } }")
    node = first["data"]["households"]["edges"][0]["node"]
    ids = {"Household:<key>": node["id"], "Community:<code>": node["community"]["id"]}
    headers = {"X-Purpose": tab.group.purpose}
    response = await client.post("/graphql", headers=headers, json={
        "query": tab.query, "variables": real(tab.variables, ids)})
    body = response.json()
    assert response.status_code == 200 and body.get("errors") is None, body.get("errors")
    assert all(value is not None for value in body["data"].values()), body["data"]
