"""The format's published JSON Schema matches the model; the shipped definitions are valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.onboard.commands import json_schema
from gateway.onboard.loader import load_file
from gateway.onboard.rules import check

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "gateway" / "onboard" / "definitions").glob("*.yaml"))


def test_the_checked_in_json_schema_is_the_models() -> None:
    checked_in = (ROOT / "docs" / "partner-definition.schema.json").read_text(encoding="utf-8")
    assert checked_in == json_schema(), "run `gateway partner schema --out docs/partner-definition.schema.json`"


def test_definitions_are_shipped() -> None:
    assert {p.stem for p in SHIPPED} >= {"womenfed", "property", "owners"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_a_shipped_definition_is_valid(path: Path) -> None:
    definition, _ = load_file(path)
    assert definition.body.slug == path.stem
    assert check(definition) == []
    for entity in definition.entities.values():  # every mapped field declares its group
        assert all(m.group for m in entity.fields.values())


def test_every_example_in_the_onboarding_guide_is_valid() -> None:
    import re

    from gateway.onboard.loader import load_text

    text = (ROOT / "docs" / "onboarding.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    assert len(blocks) >= 3
    assert {load_text(b).source.kind for b in blocks} == {"rest", "sql", "files"}
