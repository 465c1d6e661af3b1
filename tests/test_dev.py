"""The README's test command: a run that collects no test must fail, not pass."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _dev():  # dev.py is a script at the root, not part of the package
    spec = importlib.util.spec_from_file_location("dev", ROOT / "dev.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_tests_collected_fails() -> None:
    code = _dev().run_tests(sys.executable, ["-q", "-p", "no:cacheprovider", "tests/test_dev.py",
                                             "-k", "no_such_test_anywhere"])
    assert code == 1


def test_a_passing_selection_passes() -> None:
    code = _dev().run_tests(sys.executable, ["-q", "-p", "no:cacheprovider", "tests/test_dev.py",
                                             "-k", "selection_that_exists_here or exists_here"])
    assert code == 0


def test_selection_that_exists_here() -> None:
    assert (ROOT / ".ci" / "run").read_text().count("dev.py test") == 1
