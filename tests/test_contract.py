"""The contract front-end teams build on: a sorted, stable schema.graphql; no breaking change
against the previous `main` unless CHANGELOG.md declares it; deprecations with a removal date;
and every error code in docs/errors.md (docs/schema-changes.md)."""

from __future__ import annotations

import ast
import importlib
import os
import pkgutil
import re
import subprocess
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from graphql import (
    DocumentNode,
    GraphQLObjectType,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
    parse,
)

import gateway
from gateway.contract import (
    BASE_VARIABLE,
    NoBaseline,
    declared_breaking,
    deprecations,
    previous_schema,
    removal_date,
    schema_changes,
    sorted_sdl,
    undated_deprecations,
)
from gateway.errors import GatewayError, Unauthenticated
from gateway.ops import sdl
from gateway.schema import schema

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def report(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Writes a line to the terminal, past pytest's capture: what is reported, not failed."""
    plugins = request.config.pluginmanager
    terminal, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")

    def write(line: str) -> None:
        if terminal is not None and capture is not None:
            with capture.global_and_fixture_disabled():
                terminal.write_line(f"[contract] {line}")

    return write


# --- sorted, stable SDL ----------------------------------------------------------------------


def _names_in_order(document: DocumentNode) -> Iterator[list[str]]:
    """Every list the printer orders: definitions of each kind, and the members of each."""
    kinds: dict[str, list[str]] = {}
    for node in document.definitions:
        kinds.setdefault(node.kind, []).append(node.name.value)  # type: ignore[attr-defined]
        for attr in ("fields", "values", "arguments", "interfaces", "types"):
            members = getattr(node, attr, None) or ()
            yield [m.name.value for m in members]
            for member in members:
                yield [a.name.value for a in getattr(member, "arguments", None) or ()]
    yield from kinds.values()


def test_printed_schema_is_sorted_and_stable() -> None:
    text = sdl()
    unsorted = [names for names in _names_in_order(parse(text)) if names != sorted(names)]
    assert not unsorted, f"not in name order: {unsorted[:3]}"
    assert sdl() == text
    assert sorted_sdl(build_schema(text)) == text, "reprinting schema.graphql changes it"


def test_sorting_the_printed_schema_leaves_the_served_one_as_declared() -> None:
    served = schema._schema
    def fields() -> dict[str, list[str]]:
        return {name: list(t.fields) for name, t in served.type_map.items()
                if isinstance(t, GraphQLObjectType) and not name.startswith("__")}

    declared = fields()
    sdl()
    assert fields() == declared
    # The order the Python code declares is kept in introspection: some type is not sorted.
    assert any(fields != sorted(fields) for fields in declared.values())
    printed = build_schema(sdl())
    for old, new in ((served, printed), (printed, served)):
        assert find_breaking_changes(old, new) == [] and find_dangerous_changes(old, new) == []


# --- breaking changes against the previous main -----------------------------------------------


def test_no_undeclared_breaking_change_against_the_previous_main(
        report: Callable[[str], None]) -> None:
    current = sdl()
    try:
        baseline = previous_schema(ROOT, current)
    except NoBaseline as exc:
        pytest.fail(f"no previous schema.graphql to check against: {exc}")
    if baseline.sdl is None:
        report(f"no previous schema ({baseline.source}): nothing to check against")
        return
    breaking, dangerous = schema_changes(baseline.sdl, current)
    for change in dangerous:
        report(f"dangerous, not failing ({change.kind}): {change.description}")
    changelog = (ROOT / "CHANGELOG.md").read_text("utf-8")
    declared = declared_breaking(changelog).coordinates
    undeclared = [c for c in breaking if c.coordinate not in declared]
    assert not undeclared, (
        f"breaking changes against {baseline.source}, not declared in CHANGELOG.md under "
        "`## Unreleased` → `### Breaking` (docs/schema-changes.md). Add:\n"
        + "\n".join(f"- `{c.coordinate}`: {c.description}" for c in undeclared))
    for change in breaking:
        report(f"breaking, declared in CHANGELOG.md: {change.description}")


def test_the_changelog_breaking_section_is_well_formed() -> None:
    declarations = declared_breaking((ROOT / "CHANGELOG.md").read_text("utf-8"))
    assert declarations.malformed == [], "bullets must start with a `coordinate`"


OLD = """
type Query { household(id: ID!): Household, households(first: Int = 20): [Household!]! }
type Household { key: String!, phone: String, kind: Kind }
enum Kind { A B }
input Period { from: String!, to: String }
"""


def _changed(sdl_text: str, *edits: tuple[str, str]) -> str:
    for old, new in edits:
        assert old in sdl_text
        sdl_text = sdl_text.replace(old, new)
    return sdl_text


def _undeclared(old: str, new: str, changelog: str = "") -> list[str]:
    breaking, _ = schema_changes(old, new)
    declared = declared_breaking(changelog).coordinates
    return [c.coordinate for c in breaking if c.coordinate not in declared]


def test_a_removed_field_fails_unless_the_changelog_declares_it() -> None:
    new = _changed(OLD, (", phone: String", ""))
    assert _undeclared(OLD, new) == ["Household.phone"]
    changelog = """# Changelog

## Unreleased

### Added

- `Household.mobile`: not a declaration, this is not the Breaking section.

### Breaking

- `Household.phone`: removed; read `Resident.phone`, which every body fills.
  (announced in 0.2)

## 0.1.0

### Breaking

- `Household.kind`: a released section declares nothing for the next change.
"""
    assert _undeclared(OLD, new, changelog) == []
    assert _undeclared(OLD, _changed(OLD, (", kind: Kind", "")), changelog) == ["Household.kind"]


def test_additions_are_not_breaking_and_dangerous_changes_are_reported_apart() -> None:
    new = _changed(OLD, ("kind: Kind }", "kind: Kind, mobile: String }"),
                   ("type Query {", "type Query { community(code: ID!): String,"),
                   ("enum Kind { A B }", "enum Kind { A B C }"))
    breaking, dangerous = schema_changes(OLD, new)
    assert breaking == []
    assert [(c.kind, c.coordinate) for c in dangerous] == [("VALUE_ADDED_TO_ENUM", "Kind.C")]


@pytest.mark.parametrize(("edits", "kind", "coordinate"), [
    ([("type Household", "type Home"), ("Household", "Home")], "TYPE_REMOVED", "Household"),
    ([("enum Kind { A B }", "scalar Kind")], "TYPE_CHANGED_KIND", "Kind"),
    ([("enum Kind { A B }", "enum Kind { A }")], "VALUE_REMOVED_FROM_ENUM", "Kind.B"),
    ([("to: String }", "to: String, days: Int! }")], "REQUIRED_INPUT_FIELD_ADDED", "Period.days"),
    ([("phone: String,", "")], "FIELD_REMOVED", "Household.phone"),
    ([("key: String!", "key: Int!")], "FIELD_CHANGED_KIND", "Household.key"),
    ([("to: String }", "}")], "FIELD_REMOVED", "Period.to"),
    ([("(id: ID!)", "(id: ID!, at: String!)")], "REQUIRED_ARG_ADDED", "Query.household(at:)"),
    ([("(first: Int = 20)", "")], "ARG_REMOVED", "Query.households(first:)"),
    ([("(id: ID!)", "(id: String!)")], "ARG_CHANGED_KIND", "Query.household(id:)"),
])
def test_each_breaking_change_is_named_by_its_schema_coordinate(
        edits: list[tuple[str, str]], kind: str, coordinate: str) -> None:
    breaking, _ = schema_changes(OLD, _changed(OLD, *edits))
    assert (kind, coordinate) in [(c.kind, c.coordinate) for c in breaking]


def test_union_interface_and_directive_changes_are_named_too() -> None:
    old = """type Query { a: A } type A implements N { id: ID! } type B { id: ID! }
             interface N { id: ID! } union U = A | B
             directive @tag(name: String) repeatable on FIELD_DEFINITION | OBJECT"""
    new = """type Query { a: A } type A { id: ID! } type B { id: ID! }
             interface N { id: ID! } union U = A
             directive @tag on FIELD_DEFINITION"""
    breaking, _ = schema_changes(old, new)
    assert sorted((c.kind, c.coordinate) for c in breaking) == [
        ("DIRECTIVE_ARG_REMOVED", "@tag(name:)"),
        ("DIRECTIVE_LOCATION_REMOVED", "@tag"),
        ("DIRECTIVE_REPEATABLE_REMOVED", "@tag"),
        ("IMPLEMENTED_INTERFACE_REMOVED", "A"),
        ("TYPE_REMOVED_FROM_UNION", "U"),
    ]


def test_a_breaking_bullet_without_a_coordinate_is_malformed() -> None:
    changelog = "## [Unreleased]\n### Breaking changes\n- removed the phone\n* `Query.a`: gone\n"
    declarations = declared_breaking(changelog)
    assert declarations.coordinates == {"Query.a"}
    assert declarations.malformed == ["- removed the phone"]


# --- which schema is the previous main -------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(BASE_VARIABLE, raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "contract test")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "contract@example.invalid")
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    return root


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                          text=True).stdout


def _commit(root: Path, text: str | None, message: str) -> None:
    path = root / "schema.graphql"
    if text is None:
        path.unlink()
    else:
        path.write_text(text, "utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "--allow-empty", "-m", message)


V1, V2, V3 = ("type Query { a: Int }\n", "type Query { a: Int, b: Int }\n",
              "type Query { b: Int }\n")


def test_previous_main_is_head_while_the_working_tree_changes_the_schema(repo: Path) -> None:
    _commit(repo, V1, "one")
    _commit(repo, V2, "two")
    baseline = previous_schema(repo, V3)
    assert baseline.sdl == V2 and baseline.source.startswith("HEAD:")


def test_previous_main_is_the_parent_when_head_is_the_commit_checked(repo: Path) -> None:
    _commit(repo, V1, "one")
    _commit(repo, V2, "two")
    _commit(repo, V2, "three, the schema unchanged")
    assert previous_schema(repo, V2).sdl == V2
    _commit(repo, V3, "four")
    baseline = previous_schema(repo, V3)
    assert baseline.sdl == V2 and baseline.source.startswith("HEAD^")


def test_only_the_first_schema_has_nothing_before_it(repo: Path) -> None:
    assert previous_schema(repo, V1).sdl is None  # no commit at all
    (repo / "README").write_text("x")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "no schema yet")
    assert previous_schema(repo, V1).sdl is None  # the working tree brings the first
    _commit(repo, V1, "the first schema")
    baseline = previous_schema(repo, V1)
    assert baseline.sdl is None and "first" in baseline.source
    root = repo.parent / "root"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    _commit(root, V1, "the first commit, with a schema")
    assert previous_schema(root, V1).source == "HEAD is the first commit"


def test_a_deleted_schema_is_looked_for_before_its_deletion(repo: Path) -> None:
    _commit(repo, V1, "one")
    _commit(repo, None, "schema deleted")
    _commit(repo, V2, "schema back")
    assert previous_schema(repo, V2).sdl == V1


def test_a_shallow_clone_or_no_git_fails_rather_than_passes(repo: Path, tmp_path: Path) -> None:
    _commit(repo, V1, "one")
    _commit(repo, V2, "two")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone)],
                   check=True, capture_output=True)
    with pytest.raises(NoBaseline, match="shallow"):
        previous_schema(clone, V2)
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(NoBaseline, match="not a git checkout"):
        previous_schema(plain, V2)


def test_the_base_can_be_named(repo: Path, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    _commit(repo, V1, "one")
    _commit(repo, V2, "two")
    _commit(repo, V3, "three")
    assert previous_schema(repo, V3, base="HEAD~2").sdl == V1
    monkeypatch.setenv(BASE_VARIABLE, "HEAD~1")
    assert previous_schema(repo, V3).sdl == V2
    saved = tmp_path / "old.graphql"
    saved.write_text(V1)
    assert previous_schema(repo, V3, base=str(saved)).sdl == V1
    with pytest.raises(NoBaseline, match="neither a file nor a revision"):
        previous_schema(repo, V3, base="no-such-branch")


# --- deprecations ----------------------------------------------------------------------------


def test_every_deprecation_names_a_removal_date(report: Callable[[str], None]) -> None:
    assert undated_deprecations(schema._schema) == [], (
        'a @deprecated reason must name the removal: "Use X (removal: YYYY-MM-DD)"')
    for where, reason in deprecations(schema._schema):
        due = removal_date(reason)
        if due is not None and due < date.today():
            report(f"{where} was due for removal on {due}: {reason}")


def test_the_deprecation_rule_holds_on_every_kind_of_member() -> None:
    synthetic = build_schema("""
        type Query {
          a: Int @deprecated(reason: "use b (removal: 2026-06-30)")
          b(old: Int @deprecated(reason: "gone"), new: Int): Int
          c: Int @deprecated
        }
        input Filter { x: Int @deprecated(reason: "removal: 2026-02-30") }
        enum Kind { A @deprecated(reason: "removal: 2027-01-01; use B") B }
    """)
    assert dict(deprecations(synthetic)).keys() == {
        "Query.a", "Query.b(old:)", "Query.c", "Filter.x", "Kind.A"}
    assert [line.split(":")[0] for line in undated_deprecations(synthetic)] == [
        "Filter.x", "Query.b(old", "Query.c"]
    assert removal_date("use b (removal: 2026-06-30)") == date(2026, 6, 30)


# --- the error catalogue ---------------------------------------------------------------------

CATALOGUE = ROOT / "docs" / "errors.md"
_ROW = re.compile(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|([^|]*)\|")

# Codes sent without a GatewayError subclass of their own: none today. A code a module writes as
# a literal (`{"code": "X"}`) must be listed here, and documented.
LITERAL_CODES: frozenset[str] = frozenset()


def _error_classes() -> set[type[GatewayError]]:
    for module in pkgutil.walk_packages(gateway.__path__, "gateway."):
        importlib.import_module(module.name)
    found: set[type[GatewayError]] = set()
    todo: list[type[GatewayError]] = [GatewayError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


def _documented() -> dict[str, str]:
    rows: dict[str, str] = {}
    for line in CATALOGUE.read_text("utf-8").splitlines():
        if found := _ROW.match(line):
            assert found.group(1) not in rows, f"{found.group(1)} is documented twice"
            rows[found.group(1)] = found.group(2).strip()
    return rows


def _literal_codes() -> set[str]:
    """`"code": "X"` written in a dict anywhere under gateway/ but the partner simulators."""
    codes: set[str] = set()
    for path in (ROOT / "gateway").rglob("*.py"):
        if "demo" in path.relative_to(ROOT / "gateway").parts:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Dict):
                codes |= {v.value for k, v in zip(node.keys, node.values, strict=True)
                          if isinstance(k, ast.Constant) and k.value == "code"
                          and isinstance(v, ast.Constant) and isinstance(v.value, str)}
    return codes


def test_every_error_code_is_in_the_catalogue_and_only_those() -> None:
    classes = _error_classes()
    by_code: dict[str, list[str]] = {}
    for cls in classes:
        by_code.setdefault(cls.code, []).append(cls.__qualname__)
    assert {c: n for c, n in by_code.items() if len(n) > 1} == {}, "one class per code"
    assert _literal_codes() <= LITERAL_CODES
    documented = _documented()
    coded = set(by_code) | LITERAL_CODES
    assert sorted(coded - documented.keys()) == [], "codes missing from docs/errors.md"
    assert sorted(documented.keys() - coded) == [], "docs/errors.md lists codes nothing raises"


def test_the_catalogue_gives_each_error_its_http_status() -> None:
    documented = _documented()
    for cls in _error_classes():
        status = getattr(cls, "http_status", 401 if issubclass(cls, Unauthenticated) else None)
        if status is not None:
            assert documented[cls.code].startswith(str(status)), (cls.code, documented[cls.code])
