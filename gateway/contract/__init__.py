"""The schema contract front-end teams build on (docs/schema-changes.md).

- `_changes` — the sorted SDL of schema.graphql; breaking and dangerous changes between two
  schemas, each named by its schema coordinate; deprecations and their removal dates.
- `_changelog` — the breaking changes CHANGELOG.md declares under `## Unreleased`.
- `_baseline` — the previous `main`'s schema.graphql, read from git.
"""

from gateway.contract._baseline import (
    BASE_VARIABLE,
    SCHEMA_FILE,
    Baseline,
    NoBaseline,
    previous_schema,
)
from gateway.contract._changelog import Declarations, declared_breaking
from gateway.contract._changes import (
    Change,
    coordinate,
    deprecations,
    removal_date,
    schema_changes,
    sorted_sdl,
    undated_deprecations,
)

__all__ = [
    "BASE_VARIABLE",
    "SCHEMA_FILE",
    "Baseline",
    "Change",
    "Declarations",
    "NoBaseline",
    "coordinate",
    "declared_breaking",
    "deprecations",
    "previous_schema",
    "removal_date",
    "schema_changes",
    "sorted_sdl",
    "undated_deprecations",
]
