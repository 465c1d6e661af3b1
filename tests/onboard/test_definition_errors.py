"""Bad definitions are refused, each naming the line and the key to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.onboard.dryrun import dry_run
from gateway.onboard.errors import DefinitionInvalid, DryRunFailed
from gateway.onboard.loader import load_text, read

GOOD = """\
format: 1
body:
  slug: estate2
  name: Second property company
  name_zh: 第二物业
  kind: property_company
  org_code: 91110000802100433B
source:
  kind: rest
  base_url: http://127.0.0.1:9/api
  auth: {kind: bearer, token: secret}
  feed:
    batch_rows: data
    rows: data.items
    next_cursor: data.next
    since_param: after
entities:
  occupancy:
    key: id
    rest:
      batch_path: /rooms/batch
      batch_param: ids
      changes_path: /rooms
    fields:
      roomCode: {from: room, group: property}
      ownerName: {from: owner, group: contact}
      occupancy: {from: state, map: state, group: property}
value_maps:
  state:
    values: {"1": OWNER_OCCUPIED, "2": RENTED, "0": VACANT}
    unmapped: quarantine
"""


def refused(text: str) -> DefinitionInvalid:
    with pytest.raises(DefinitionInvalid) as caught:
        load_text(text, file="bad.yaml")
    return caught.value


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_good_definition_loads() -> None:
    definition = load_text(GOOD)
    assert definition.body.slug == "estate2"
    assert definition.entities["occupancy"].fields["occupancy"].map == "state"


def test_an_unknown_key_is_refused_with_its_line() -> None:
    text = GOOD.replace("      batch_param: ids\n", "      batch_param: ids\n      batch_size: 50\n")
    err = refused(text)
    assert err.extensions["code"] == "DEFINITION_INVALID"
    assert err.extensions["key"] == "entities.occupancy.rest.batch_size"
    assert err.extensions["line"] == line_of(text, "batch_size")
    assert "unknown key" in str(err)


def test_a_wrong_type_is_refused_with_its_line() -> None:
    text = GOOD.replace("  base_url: http://127.0.0.1:9/api\n",
                        "  base_url: http://127.0.0.1:9/api\n  max_batch: many\n")
    err = refused(text)
    assert err.extensions["key"] == "source.max_batch"
    assert err.extensions["line"] == line_of(text, "max_batch")


def test_a_mapping_to_a_missing_unified_field_is_refused() -> None:
    text = GOOD.replace("ownerName: {from: owner", "ownerNmae: {from: owner")
    err = refused(text)
    assert err.extensions["key"] == "entities.occupancy.fields.ownerNmae"
    assert err.extensions["line"] == line_of(text, "ownerNmae")
    assert "no field 'ownerNmae'" in str(err)


def test_a_value_with_no_enum_mapping_is_refused() -> None:
    text = GOOD.replace('"2": RENTED', '"2": LET')
    err = refused(text)
    assert err.extensions["key"] == "value_maps.state.values.2"
    assert err.extensions["line"] == line_of(text, '"2": LET')
    assert "'LET' is not one of OWNER_OCCUPIED, RENTED, VACANT" in str(err)


def test_an_enum_field_without_a_value_map_is_refused() -> None:
    text = GOOD.replace("{from: state, map: state, group: property}",
                        "{from: state, group: property}")
    err = refused(text)
    assert err.extensions["key"] == "entities.occupancy.fields.occupancy"
    assert "needs a value map" in str(err)


def test_a_value_map_needs_its_unmapped_policy() -> None:
    text = GOOD.replace("    unmapped: quarantine\n", "")
    err = refused(text)
    assert err.extensions["key"] == "value_maps.state.unmapped"
    assert err.extensions["line"] == line_of(text, "  state:")  # the map missing it


def test_personal_data_outside_any_field_group_is_refused() -> None:
    public = refused(GOOD.replace("ownerName: {from: owner, group: contact}",
                                  "ownerName: {from: owner, group: public}"))
    assert public.extensions["key"] == "entities.occupancy.fields.ownerName.group"
    assert "personal data cannot be public" in str(public)
    unknown = refused(GOOD.replace("ownerName: {from: owner, group: contact}",
                                   "ownerName: {from: owner, group: friends}"))
    assert unknown.extensions["key"] == "entities.occupancy.fields.ownerName.group"
    missing = refused(GOOD.replace("ownerName: {from: owner, group: contact}",
                                   "ownerName: {from: owner}"))
    assert missing.extensions["key"] == "entities.occupancy.fields.ownerName.group"
    assert "required key missing" in str(missing)


def test_duplicate_keys_bad_yaml_and_a_bad_org_code_are_refused() -> None:
    text = GOOD.replace("  name: Second property company\n",
                        "  name: Second property company\n  name: Again\n")
    dup = refused(text)
    assert (dup.extensions["key"], dup.extensions["line"]) == ("body.name", line_of(text, "Again"))
    syntax = refused(GOOD.replace("  kind: rest\n", "  kind: [rest\n"))
    assert syntax.extensions["line"] is not None and "not YAML" in str(syntax)
    code = refused(GOOD.replace("802100433B", "802100433C"))
    assert code.extensions["key"] == "body.org_code"


async def test_an_unreachable_source_is_refused_at_the_dry_run() -> None:
    definition, lines = read(GOOD)  # port 9 (discard): nothing listens there
    with pytest.raises(DryRunFailed) as caught:
        await dry_run(definition, lines, override={}, env={})
    err = caught.value
    assert err.extensions["code"] == "DEFINITION_DRY_RUN_FAILED"
    assert err.extensions["key"] == "source.base_url"
    assert err.extensions["line"] == line_of(GOOD, "base_url")
    assert "unreachable" in str(err)


async def test_an_unset_variable_is_refused_at_the_dry_run(tmp_path: Path) -> None:
    definition, lines = read(GOOD.replace("http://127.0.0.1:9/api", "${NOT_SET_ANYWHERE}"))
    with pytest.raises(DryRunFailed) as caught:
        await dry_run(definition, lines, override={}, env={})
    assert caught.value.extensions["key"] == "source.base_url"
    assert "${NOT_SET_ANYWHERE} is not set" in str(caught.value)
