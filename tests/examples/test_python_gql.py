"""examples/python-gql: the same operations with `gql`, validated against schema.graphql;
by sha256 against a production gateway once registered, by text against a development one."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from tests.examples.conftest import OPERATIONS, Run, Story, add_documents, run_python_client


@pytest.fixture(scope="session")
def python_manifest(examples_copy: Path, store_uri: str,
                    tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The example's own manifest, written by it and registered by `gateway documents add`."""
    folder = tmp_path_factory.mktemp("python-documents")
    path = folder / "persisted-documents.json"
    done = run_python_client(examples_copy, "http://unused", "unused", "manifest", str(path))
    assert done.returncode == 0, done.stderr
    added = add_documents(path, store_uri, folder)
    assert added.returncode == 0, added.stderr
    assert "5 documents checked" in " ".join((added.stdout + added.stderr).split())
    manifest: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return manifest


@pytest.fixture(scope="session")
def by_hash(python_manifest: dict[str, str], examples_copy: Path, production_gateway: str,
            examples_key: str) -> Run:
    return run_python_client(examples_copy, production_gateway, examples_key, "run")


def test_the_manifest_names_every_operation_by_its_sha256(
        python_manifest: dict[str, str]) -> None:
    assert {text.split("(")[0].split()[1] for text in python_manifest.values()} >= {
        "Household360", "HouseholdsPage", "FindByAddress", "CoordinationBrief"}
    for key, text in python_manifest.items():
        assert key == "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def test_every_operation_runs_by_hash_in_production(by_hash: Run) -> None:
    assert by_hash.returncode == 0, by_hash.stderr
    assert {line["operation"] for line in by_hash.lines} == OPERATIONS
    assert len(by_hash.data("HouseholdsPage")) == 2


def test_python_and_typescript_print_the_same_household(by_hash: Run, story: Story) -> None:
    for operation in ("HouseholdsPage", "Household360", "FindByAddress", "CoordinationBrief"):
        python = [(line["variables"], line["data"]) for line in by_hash.data(operation)]
        typescript = [(line["variables"], line["data"]) for line in story.ran.data(operation)]
        assert python == typescript, operation


def test_text_is_refused_in_production_and_runs_in_development(
        by_hash: Run, examples_copy: Path, production_gateway: str, development_gateway: str,
        examples_key: str) -> None:
    refused = run_python_client(examples_copy, production_gateway, examples_key, "run", "--text")
    assert refused.returncode == 1 and refused.lines == []
    assert [e["code"] for e in json.loads(refused.stderr)["errors"]] == ["DOCUMENT_NOT_TRUSTED"]
    as_text = run_python_client(examples_copy, development_gateway, examples_key, "run", "--text")
    assert as_text.returncode == 0, as_text.stderr
    assert [line["data"] for line in as_text.lines if line["operation"] != "Partners"] == [
        line["data"] for line in by_hash.lines if line["operation"] != "Partners"]


def test_an_invalid_document_is_caught_before_it_is_sent(examples_copy: Path,
                                                          production_gateway: str,
                                                          examples_key: str,
                                                          tmp_path: Path) -> None:
    """The client validates against schema.graphql: a field the schema lacks never leaves (the
    production gateway would have answered DOCUMENT_NOT_TRUSTED to its unknown hash)."""
    broken = tmp_path / "examples"
    shutil.copy(examples_copy.parent / "schema.graphql", tmp_path)
    for part in ("operations", "python-gql"):
        shutil.copytree(examples_copy / part, broken / part)
    path = broken / "operations" / "Partners.graphql"
    path.write_text(path.read_text(encoding="utf-8").replace("slug", "slugg"), encoding="utf-8")
    done = run_python_client(broken, production_gateway, examples_key, "run")
    assert done.returncode == 1 and done.lines == []
    assert done.stderr.startswith("not valid against schema.graphql: Cannot query field 'slugg'")
