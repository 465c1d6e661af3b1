"""The schema of the previous `main`: what the current schema is checked against.

"Previous" is the parent of the commit being made or checked:

- the working tree changes the schema (the SDL printed now differs from HEAD's schema.graphql):
  the commit to be made is the working tree, its parent HEAD: compare against HEAD's file;
- otherwise the commit being checked is HEAD itself (CI, in a fresh clone of the new `main`):
  compare against its first parent's file, HEAD^.

`JUHELI_SCHEMA_BASE` overrides both: a git revision (`origin/main`, the commit before a push of
several) or a path to an SDL file. Where no earlier schema can be read — no git, a shallow
clone, a revision that is not there — `NoBaseline` says so; the check never passes for want of
one. Only a history with no earlier schema.graphql at all (the first commit to carry one) has
nothing to compare against.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCHEMA_FILE = "schema.graphql"
BASE_VARIABLE = "JUHELI_SCHEMA_BASE"


class NoBaseline(RuntimeError):
    """No earlier schema could be read, though one may exist; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Baseline:
    sdl: str | None  # None: no earlier commit has a schema.graphql
    source: str  # where it was read, for the report


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              encoding="utf-8", check=False, timeout=60)
    except FileNotFoundError as exc:
        raise NoBaseline(f"git is not installed: set {BASE_VARIABLE} to the previous "
                         f"{SCHEMA_FILE}") from exc


def _git(root: Path, *args: str) -> str | None:
    """git's output, or None when it fails (a revision or path that does not exist)."""
    done = _run(root, *args)
    return done.stdout if done.returncode == 0 else None


def _schema_at(root: Path, rev: str) -> str | None:
    # `./` makes the path relative to `root`, wherever the repository's top is.
    return _git(root, "show", f"{rev}:./{SCHEMA_FILE}")


def _commit(root: Path, rev: str) -> str | None:
    out = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    return out.strip() if out else None


def _shallow(root: Path) -> bool:
    return (_git(root, "rev-parse", "--is-shallow-repository") or "").strip() == "true"


def previous_schema(root: Path, current: str, *, base: str | None = None) -> Baseline:
    """The schema `current` (the SDL printed now) is checked against; see the module's doc."""
    base = base if base is not None else os.environ.get(BASE_VARIABLE) or None
    if base is not None:
        return _explicit(root, base)
    checkout = _run(root, "rev-parse", "--is-inside-work-tree")
    if checkout.returncode != 0:  # not a repository, or one git will not read (safe.directory)
        raise NoBaseline(f"{root} is not a git checkout git will read "
                         f"({checkout.stderr.strip()}): set {BASE_VARIABLE} to a revision or to "
                         f"the previous {SCHEMA_FILE}")
    if _commit(root, "HEAD") is None:
        return Baseline(None, "no commit yet")
    at_head = _schema_at(root, "HEAD")
    if at_head is not None and at_head != current:
        return Baseline(at_head, f"HEAD:{SCHEMA_FILE} (the working tree changes the schema)")
    if at_head is None:
        return _last_before(root, "HEAD")
    parent = _commit(root, "HEAD^")
    if parent is None:
        if _shallow(root):
            raise NoBaseline("a shallow clone without HEAD's parent: `git fetch --deepen=1`, "
                             f"or set {BASE_VARIABLE}")
        return Baseline(None, "HEAD is the first commit")
    text = _schema_at(root, parent)
    if text is None:
        return _last_before(root, parent)
    return Baseline(text, f"HEAD^ ({parent[:12]}):{SCHEMA_FILE}")


def _explicit(root: Path, base: str) -> Baseline:
    path = Path(base)
    if path.is_file():
        return Baseline(path.read_text("utf-8"), f"file {path}")
    text = _schema_at(root, base)
    if text is None:
        raise NoBaseline(f"{BASE_VARIABLE}={base!r} is neither a file nor a revision with a "
                         f"{SCHEMA_FILE}")
    return Baseline(text, f"{base}:{SCHEMA_FILE}")


def _last_before(root: Path, rev: str) -> Baseline:
    """`rev` has no schema.graphql: the last first-parent ancestor that had one, if any did."""
    if _shallow(root):
        raise NoBaseline(f"{rev} has no {SCHEMA_FILE} and this clone is shallow, so an earlier "
                         f"one may exist: `git fetch --unshallow`, or set {BASE_VARIABLE}")
    removed = (_git(root, "log", "--first-parent", "-n1", "--format=%H", rev, "--",
                    SCHEMA_FILE) or "").strip()
    if not removed:
        return Baseline(None, f"no commit up to {rev} has a {SCHEMA_FILE}: this is the first")
    text = _schema_at(root, f"{removed}^")
    if text is None:
        raise NoBaseline(f"{SCHEMA_FILE} was last changed in {removed[:12]} but its parent's "
                         f"cannot be read: set {BASE_VARIABLE}")
    return Baseline(text, f"{removed[:12]}^:{SCHEMA_FILE} (the last commit before {rev} with one)")
