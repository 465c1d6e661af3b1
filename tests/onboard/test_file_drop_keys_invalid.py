"""The file-drop keys refused at definition load (DEFINITION_INVALID with line and key), and the
files they do not fit quarantined whole by the definition's adapter — a sheet named that the
workbook lacks, a header row past the end, UTF-8 bytes declared GBK (valid GBK, but mojibake) —
each with the file and the reason, no row read as data."""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Any

import pytest

from gateway.onboard.build import build
from gateway.onboard.errors import DefinitionInvalid
from gateway.onboard.loader import load_text
from gateway.onboard.model import ENCODINGS, FileSource
from tests.onboard.test_file_drop_keys import COMMITTEE, YOUTH, csv_bytes, roster, workbook

ROOT = Path(__file__).resolve().parents[2]

MINIMAL = """\
format: 1
body: {slug: files2, name: A body, name_zh: 某单位, kind: mass_organization}
source:
  kind: files
  folder: /drops
  encoding: utf-8
entities:
  volunteer:
    key: 编号
    file:
      glob: "名册_*.csv"
      header_row: 1
    fields:
      number: {from: 编号, group: public}
      name:   {from: 姓名, group: identity}
"""


def refused(text: str) -> DefinitionInvalid:
    with pytest.raises(DefinitionInvalid) as caught:
        load_text(text, file="bad.yaml")
    assert caught.value.extensions["code"] == "DEFINITION_INVALID"
    return caught.value


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_minimal_definition_loads_with_its_keys() -> None:
    definition = load_text(MINIMAL)
    file = definition.entities["volunteer"].file
    assert file is not None and file.header_row == 1 and file.sheet is None
    assert isinstance(definition.source, FileSource) and definition.source.encoding == "utf-8"


@pytest.mark.parametrize(("codec", "message"), [
    ("gbk2", "unknown codec 'gbk2': give auto or one of utf-8, utf-8-sig"),
    ("GBK", "'GBK' is Python's 'gbk': write it so"),
    ("cp936", "'cp936' is Python's 'gbk': write it so"),
    ("rot13", "'rot13' is not an encoding bodies' files come in"),
    ("shift_jis", "'shift_jis' is not an encoding bodies' files come in"),
])
def test_a_codec_outside_the_documented_set_is_refused_at_its_line(codec: str,
                                                                   message: str) -> None:
    text = MINIMAL.replace("encoding: utf-8", f"encoding: {codec}")
    err = refused(text)
    assert err.extensions["key"] == "source.encoding"
    assert err.extensions["line"] == line_of(text, "encoding:")
    assert message in str(err)


@pytest.mark.parametrize(("old", "new", "key", "message"), [
    ("header_row: 1", "header_row: 0", "entities.volunteer.file.header_row",
     "greater than or equal to 1"),
    ("header_row: 1", "header_row: first", "entities.volunteer.file.header_row",
     "valid integer"),
    ("header_row: 1", "sheet: 0", "entities.volunteer.file.sheet", "1-based index"),
    ("header_row: 1", "sheet: 名册", "entities.volunteer.file.sheet", "XLSX setting"),
])
def test_a_bad_header_row_or_sheet_is_refused_at_its_line(old: str, new: str, key: str,
                                                          message: str) -> None:
    text = MINIMAL.replace(old, new)
    err = refused(text)
    assert (err.extensions["key"], err.extensions["line"]) == (key, line_of(text, new))
    assert message in str(err)


def test_the_documented_codecs_are_pythons_text_codecs_and_the_guides() -> None:
    for name in ENCODINGS:
        info = codecs.lookup(name)
        assert info.name == name and info._is_text_encoding, name
    guide = (ROOT / "docs" / "onboarding.md").read_text(encoding="utf-8")
    row = next(line for line in guide.splitlines() if line.startswith("| `encoding` |"))
    listed = re.findall(r"`([a-z0-9-]+)`", row.split("Or a codec:")[1].split("(")[0])
    assert tuple(listed) == ENCODINGS


async def _feed(definition_text: str) -> tuple[list[Any], list[Any]]:
    """Every record and quarantined row the definition's adapter reads from its folder."""
    definition = load_text(definition_text)
    adapter = await build(definition, env={})
    records: list[Any] = []
    bad: list[Any] = []
    try:
        async for batch in adapter.changes(next(iter(definition.entities)), None):
            records.extend(batch.records)
            bad.extend(batch.quarantined)
    finally:
        await adapter.aclose()
    return records, bad


async def test_a_sheet_named_that_the_workbook_lacks_quarantines_the_file(
        tmp_path: Path) -> None:
    (tmp_path / "甲_业主名册.xlsx").write_bytes(workbook({"业主名册": roster()}))
    (tmp_path / "乙_业主名册.xlsx").write_bytes(workbook({"Sheet1": roster(), "表决统计": []}))
    records, [bad] = await _feed(COMMITTEE.format(folder=tmp_path, sheet="业主名册"))
    assert sorted(r.local_id for r in records) == ["O1", "O2"]
    assert bad.origin.endswith("乙_业主名册.xlsx") and bad.line is None
    assert bad.reason == "乙_业主名册.xlsx: no sheet '业主名册'; the workbook has 2: Sheet1, 表决统计"


async def test_a_header_row_past_the_end_quarantines_the_file(tmp_path: Path) -> None:
    (tmp_path / "团委_志愿者名册_1.csv").write_bytes(csv_bytes(["标题,,,"], "gbk"))
    records, [bad] = await _feed(YOUTH.format(folder=tmp_path))
    assert records == []
    # Auto-detection reads the same text: the encoding is not the problem, and no hint says so.
    assert bad.reason == ("团委_志愿者名册_1.csv: no header row 3: no row starts there (the last "
                          "row starts at 1)")


async def test_utf8_bytes_declared_gbk_are_quarantined_not_read_as_mojibake(
        tmp_path: Path) -> None:
    # These UTF-8 bytes are valid GBK too (编号 reads 缂栧彿): only the header shows the mistake.
    text = MINIMAL.replace("folder: /drops", f'folder: "{tmp_path}"\n  layout: flat').replace(
        "encoding: utf-8", "encoding: gbk")
    data = csv_bytes(["编号,姓名", "A1,张三"], "utf-8")
    assert data.decode("gbk").startswith("缂栧彿")
    (tmp_path / "名册_1.csv").write_bytes(data)
    records, [bad] = await _feed(text)
    assert records == []
    assert bad.reason == ("名册_1.csv: header row 1 lacks the mapped column(s) 编号, 姓名 (it "
                          "holds: 缂栧彿, 濮撳悕); read as gbk, auto-detection reads it as utf-8")
