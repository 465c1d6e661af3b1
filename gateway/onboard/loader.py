"""Reading a definition file: YAML → checked `Definition`, every error with its line and key.

YAML is read through its node tree (PyYAML's composer), which keeps where each key stands; the
model's and the rules' errors name a path of keys, which is looked up there. A duplicate key —
which plain YAML loaders silently resolve to the last one — is an error too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gateway.onboard.errors import DefinitionInvalid, Problem
from gateway.onboard.model import Definition
from gateway.onboard.rules import check

Loc = tuple[str | int, ...]


class Lines:
    """Line (1-based) of every key path in a YAML document."""

    def __init__(self, root: yaml.Node | None) -> None:
        self.at: dict[Loc, int] = {}
        self.duplicates: list[Loc] = []
        if root is not None:
            self.at[()] = root.start_mark.line + 1
            self._walk(root, ())

    def _walk(self, node: yaml.Node, path: Loc) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value in node.value:
                here = (*path, str(key_node.value))
                if here in self.at:
                    self.duplicates.append(here)
                self.at[here] = key_node.start_mark.line + 1
                self._walk(value, here)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.at[(*path, i)] = item.start_mark.line + 1
                self._walk(item, (*path, i))

    def find(self, loc: Sequence[str | int]) -> tuple[str, int | None]:
        """The dotted key and line of `loc`. A part the file does not hold is a key missing
        there (named, at its parent's line) — or, before the last part, the branch of a union
        pydantic names in its locations (`rest`, `str`, `Attr`), which is left out."""
        found: Loc = ()
        key: list[str] = []
        for i, part in enumerate(loc):
            if (*found, part) in self.at:
                found = (*found, part)
                key.append(str(part))
            elif not (i < len(loc) - 1 and _is_branch(part)):
                key.append(str(part))
        return ".".join(key), self.at.get(found)


def _is_branch(part: str | int) -> bool:
    return isinstance(part, str) and (part in _BRANCHES or part.startswith("function-"))


_BRANCHES = frozenset({"str", "Attr", "rest", "sql", "files", "bearer", "header", "query", "none",
                       "int", "list[int|str]"})


def parse(text: str, *, file: str = "") -> tuple[Any, Lines]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise DefinitionInvalid([Problem("", line, f"not YAML: {exc.problem}")],
                                file=file) from exc
    finally:
        loader.dispose()
    return data, Lines(node)


def _pydantic_problems(exc: ValidationError, lines: Lines) -> Iterator[Problem]:
    for err in exc.errors(include_url=False):
        loc = list(err["loc"])
        if err["type"] == "extra_forbidden":
            message = "unknown key"
        elif err["type"] == "missing":
            message = "required key missing"
        else:
            message = err["msg"]
        key, line = lines.find(loc)
        yield Problem(key, line, message)


def read(text: str, *, file: str = "") -> tuple[Definition, Lines]:
    """The definition in `text` and where its keys stand, or DefinitionInvalid naming every
    problem's line and key."""
    data, lines = parse(text, file=file)
    if lines.duplicates:
        raise DefinitionInvalid([Problem(".".join(map(str, d)), lines.at.get(d), "duplicate key")
                                 for d in lines.duplicates], file=file)
    if not isinstance(data, dict):
        raise DefinitionInvalid([Problem("", 1, "a definition is a mapping of keys")], file=file)
    try:
        definition = Definition.model_validate(data)
    except ValidationError as exc:
        raise DefinitionInvalid(list(_pydantic_problems(exc, lines)), file=file) from None
    problems = [Problem(*lines.find(loc), message) for loc, message in check(definition)]
    if problems:
        raise DefinitionInvalid(problems, file=file)
    return definition, lines


def load_text(text: str, *, file: str = "") -> Definition:
    return read(text, file=file)[0]


def load_file(path: Path) -> tuple[Definition, str]:
    """The definition in the file and the file's text (what the store keeps)."""
    text = path.read_text(encoding="utf-8")
    return load_text(text, file=path.name), text
