#!/usr/bin/env python3
"""Bootstrap: make a virtual environment, install Juheli into it, then run a command.

    python3 dev.py demo      # install, generate the simulated district, serve GraphiQL
    python3 dev.py test      # install with test extras, run the whole suite

Only the standard library is used here, so it runs on a machine with nothing but Python 3.11+.
Extra arguments after the command are passed through (to `gateway demo` or to pytest).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("JUHELI_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def _install(extra: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this file must run on an old python to say so
        sys.exit(f"Juheli needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PY.exists():
        print(f"[dev] creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    # Reinstall only when pyproject.toml changed since the last install with this extra.
    stamp = VENV / f".juheli-installed-{extra}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    print(f"[dev] installing juheli[{extra}] (first run takes a minute)", flush=True)
    pip = [str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[{extra}]"], check=True)
    stamp.write_text(digest)


BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _ensure_browser() -> None:
    """The dashboard's browser tests need a Chromium: the system's, or Playwright's download."""
    if os.environ.get("JUHELI_CHROMIUM") or any(shutil.which(b) for b in BROWSERS):
        return
    print("[dev] no Chromium found: installing Playwright's (python -m playwright install "
          "chromium)", flush=True)
    if subprocess.call([str(PY), "-m", "playwright", "install", "chromium"]) != 0:
        print("[dev] could not install Chromium: the dashboard's browser tests will fail",
              file=sys.stderr)


def run_tests(python: str, args: list[str]) -> int:
    """Run pytest; 'no tests collected' (exit 5) fails, so CI can never pass on nothing."""
    code = subprocess.call([python, "-m", "pytest", *args], cwd=ROOT)
    if code == 5:
        print("[dev] pytest collected no tests: failing on purpose", file=sys.stderr)
        return 1
    return code


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "install"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "demo":
        _install("test")
        return subprocess.call([str(BIN / "gateway"), "demo", *rest])
    if command == "test":
        _install("dev")
        _ensure_browser()
        return run_tests(str(PY), rest)
    _install("dev")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
