"""Breaking changes declared in CHANGELOG.md (format: docs/schema-changes.md).

    ## Unreleased

    ### Breaking

    - `Household.phone`: removed; read `Resident.phone` (announced in 0.3, removal: 2025-06-30).
    - `Query.households(community:)`: now `ID!`.

One bullet per change, starting with the change's schema coordinate in backticks; the rest of
the bullet, and indented lines under it, are for people. Other sections are not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_UNRELEASED = re.compile(r"^##\s+\[?unreleased\]?\s*$", re.IGNORECASE)
_BREAKING = re.compile(r"^###\s+breaking(\s+changes)?\s*$", re.IGNORECASE)
_BULLET = re.compile(r"^[-*]\s+(.*)$")
_DECLARED = re.compile(r"^`([^`]+)`")


@dataclass(frozen=True, slots=True)
class Declarations:
    coordinates: frozenset[str]
    # Bullets of the Breaking section that do not start with a coordinate: they declare nothing.
    malformed: list[str] = field(default_factory=list)


def declared_breaking(changelog: str) -> Declarations:
    """The coordinates declared under `## Unreleased` → `### Breaking`."""
    coordinates: set[str] = set()
    malformed: list[str] = []
    unreleased = breaking = False
    for line in changelog.splitlines():
        if line.startswith("#") and not line.startswith("####"):
            unreleased = bool(_UNRELEASED.match(line)) or (unreleased and line.startswith("###"))
            breaking = unreleased and bool(_BREAKING.match(line))
        elif breaking and (bullet := _BULLET.match(line)):
            if declared := _DECLARED.match(bullet.group(1)):
                coordinates.add(declared.group(1).strip())
            else:
                malformed.append(line)
    return Declarations(frozenset(coordinates), malformed)
