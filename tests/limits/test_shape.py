"""Depth, aliases and directives, counted through fragments; and the documented queries fit."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from graphql import parse

from gateway import examples
from gateway.limits import DEFAULT_LIMITS, Limits
from gateway.limits.shape import Shape, measure
from gateway.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def documented_queries() -> dict[str, str]:
    """Every operation the README, docs/*.md and gateway/examples.py show."""
    found = {name: getattr(examples, name) for name in dir(examples) if name.isupper()}
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        blocks = re.findall(r"```graphql\n(.*?)```", path.read_text("utf-8"), re.S)
        found |= {f"{path.name}#{i}": block for i, block in enumerate(blocks)}
    return found


def test_settings_and_limits_share_their_defaults() -> None:
    assert Limits.from_settings(Settings()) == Limits() == DEFAULT_LIMITS


def test_depth_default_is_the_deepest_documented_query() -> None:
    depths = {name: measure(parse(text)).depth for name, text in documented_queries().items()}
    assert len(depths) >= 6
    deepest = max(depths, key=lambda name: depths[name])
    # households → (edges) node → appealsConnection → (edges) node → source → body: a Relay
    # page's `edges { node }` is one level
    assert depths[deepest] == 6 and depths["COMMUNITY_PAGE"] == 6
    assert DEFAULT_LIMITS.max_depth == depths[deepest], "the smallest default that fits them all"


@pytest.mark.parametrize("name", sorted(documented_queries()))
def test_documented_queries_are_within_every_shape_limit(name: str) -> None:
    shape = measure(parse(documented_queries()[name]))
    assert shape.depth <= DEFAULT_LIMITS.max_depth
    assert shape.aliases <= DEFAULT_LIMITS.max_aliases
    assert shape.directives <= DEFAULT_LIMITS.max_directives
    assert not shape.introspection


def test_depth_counts_fields_through_fragments_not_the_fragments() -> None:
    doc = """
    query { household(id: "Household:1") { ...H } }
    fragment H on Household { ... on Household { community { ...C } } }
    fragment C on Community { households { edges { node { id } } } }
    """
    # household → community → households → (edges) node → id
    assert measure(parse(doc)).depth == 5


def test_aliases_and_directives_count_every_spread() -> None:
    doc = """
    query Q($t: Boolean!) @a { ...F ...F ...F communities @skip(if: $t) { name } }
    fragment F on Query { a: communities { b: name } c: partners @include(if: $t) { slug } }
    """
    # 3 spreads × 3 aliases; 3 × 1 directive + @skip + the operation's @a
    assert measure(parse(doc)) == Shape(depth=2, aliases=9, directives=5)


def test_a_fragment_bomb_is_counted_without_expanding_it() -> None:
    levels = 40  # F0 spreads F1 twice, …: 2**40 aliased fields if expanded
    fragments = "\n".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}"
                          for i in range(levels))
    doc = f"query {{ ...F0 }}\n{fragments}\nfragment F{levels} on Query {{ x: communities {{ name }} }}"
    started = time.perf_counter()
    shape = measure(parse(doc))
    assert shape.aliases == 2**levels
    assert time.perf_counter() - started < 0.1


def test_circular_fragments_end() -> None:
    doc = """
    query { ...A }
    fragment A on Query { communities { name } ...B }
    fragment B on Query { partners { slug } ...A }
    """
    assert measure(parse(doc)).depth == 2


def test_introspection_is_seen_and_adds_no_depth() -> None:
    doc = "{ __schema { types { fields { type { ofType { ofType { ofType { name } } } } } } } }"
    assert measure(parse(doc)) == Shape(depth=0, introspection=True)
    assert measure(parse("{ __typename communities { name } }")).introspection is False
