"""The examples of the docs, as the convention of docs/cookbook/README.md marks them.

A fenced block preceded by `<!-- example {…} -->` (the JSON may be left out) is an example:
```graphql blocks are executed, ```python blocks run on the data of the page's GraphQL example
before them, and ```sh blocks marked `"run": true` are executed command by command. Every
`gateway …` line of any shell block is parsed as the command line it claims to be.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"<!--\s*example\b(?P<json>.*?)-->", re.S)
FENCE = re.compile(r"^```(?P<lang>[\w+-]*)\s*$")
SHELL = ("sh", "shell", "console", "bash", "")
# The keys a marker may hold: a misspelt key would otherwise be silently ignored.
KEYS = {"role", "communities", "purpose", "officer", "headers", "variables", "expect", "status",
        "data", "save", "run", "store", "exit"}


@dataclass(frozen=True)
class Block:
    page: str
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    marker: dict[str, Any] | None = field(default=None)

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def pages() -> list[Path]:
    """README.md and every page under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def blocks(path: Path) -> list[Block]:
    """Every fenced block of a page, with the example marker just above it, if any."""
    lines = path.read_text("utf-8").splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        if lines[i].startswith("````"):  # a block that shows blocks (the convention itself)
            i = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("````")) + 1
            continue
        opening = FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        out.append(Block(str(path.relative_to(ROOT)), i + 1, opening["lang"],
                         "\n".join(lines[i + 1:end]), _marker(lines, i)))
        i = end + 1
    return out


def _marker(lines: list[str], fence: int) -> dict[str, Any] | None:
    """The marker that ends on the line above the fence (it may span several lines)."""
    above: list[str] = []
    for j in range(fence - 1, -1, -1):
        above.insert(0, lines[j])
        if "<!--" in lines[j]:
            break
        if not lines[j].strip() or j < fence - 12:
            return None
    found = MARKER.fullmatch("\n".join(above).strip())
    if found is None:
        return None
    text = found["json"].strip()
    return dict(json.loads(text)) if text else {}


def prose(path: Path) -> str:
    """A page's text without its ```` blocks and `code spans`, which quote markers."""
    text = re.sub(r"^````.*?^````", "", path.read_text("utf-8"), flags=re.S | re.M)
    return re.sub(r"`[^`\n]+`", "", text)


def examples(lang: str) -> list[Block]:
    return [b for p in pages() for b in blocks(p) if b.lang == lang and b.marker is not None]


def shell_commands(block: Block) -> list[str]:
    """The `gateway …` lines of a shell block (a leading `$ ` prompt allowed)."""
    out = []
    for line in block.text.splitlines():
        line = line.strip().removeprefix("$ ")
        if line.startswith("gateway "):
            out.append(line)
    return out
