"""The file-drop keys of a definition — `encoding`, `header_row`, `sheet` — end to end: real files
written here (a GBK CSV under a two-line title, a UTF-8-with-BOM CSV, a workbook with merged title
rows), each read through a definition that `partner add` validates, dry-runs and registers, then
a sync into a store of this test's own. Files the keys do not fit — bytes not in the declared
encoding, a declared header row without the key column, a workbook without the sheet — are
quarantined whole, with the file and why, while their neighbours are read."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import xlsxwriter

from gateway.onboard import commands
from gateway.ops import run_sync
from gateway.settings import Settings
from tests.conftest import migrated_store

HEAD = "志愿者编号,姓名,手机,服务时长"
VOLUNTEERS = [("V001", "张三", "13800000001", "12.5"), ("V002", "李四", "13800000002", "3"),
              ("V003", "欧阳娜娜", "13800000003", "0")]
# The second title line holds the key's name as a cell: found by the key column, it would be
# taken for the header; only `header_row: 3` reads this ledger right.
TITLE = ["光明街道志愿者名册（2026年11月）,,,", "志愿者编号,由区团委统一分配,,"]

YOUTH = """\
format: 1
body: {{slug: youth2, name: District youth league, name_zh: 区团委, kind: mass_organization}}
source: {{kind: files, folder: "{folder}", layout: flat, encoding: gbk}}
entities:
  volunteer:
    key: 志愿者编号
    file: {{glob: "团委_志愿者名册_*.csv", header_row: 3, pick: all}}
    fields:
      number:       {{from: 志愿者编号, group: public}}
      name:         {{from: 姓名, required: true, group: identity}}
      phone:        {{from: 手机, group: contact}}
      serviceHours: {{from: 服务时长, type: number, group: public}}
    subjects: [{{role: volunteer, name: 姓名, phone: 手机}}]
"""

CASES = ("编号,日期,来访人,电话,问题类别", "F001,2026-11-02,王芳,13900000001,家庭纠纷",
         "F002,2026-11-03,赵敏,13900000002,权益保障")
WOMEN = """\
format: 1
body: {{slug: women2, name: Women's federation (2), name_zh: 妇联二, kind: mass_organization}}
source: {{kind: files, folder: "{folder}", layout: flat, encoding: utf-8-sig}}
entities:
  rights_case:
    key: 编号
    file: {{glob: "妇联_来访_*.csv", header_row: 1, pick: all}}
    fields:
      number:   {{from: 编号, group: public}}
      name:     {{from: 来访人, group: identity}}
      phone:    {{from: 电话, group: contact}}
      category: {{from: 问题类别, group: public}}
      openedOn: {{from: 日期, type: date, group: public}}
    subjects: [{{role: visitor, name: 来访人, phone: 电话}}]
"""

ROSTER = ("序号", "业主编号", "小区名称", "房号", "业主姓名", "联系电话", "专有部分面积（㎡）")
OWNERS = [("O1", "阳光小区", "3#2-301", "孙立", "13700000001", 89.5),
          ("O2", "阳光小区", "3#2-302", "周敏、吴刚", "13700000002", 102.25)]
COMMITTEE = """\
format: 1
body: {{slug: owners2, name: Owners' committee (2), name_zh: 业委会二, kind: owners_committee}}
source: {{kind: files, folder: "{folder}", layout: flat}}
entities:
  owner:
    key: 业主编号
    file: {{glob: "*_业主名册.xlsx", sheet: {sheet}, header_row: 3, pick: all}}
    fields:
      roomCode:  {{from: 房号, required: true, group: property}}
      ownerName: {{from: 业主姓名, group: contact}}
      phone:     {{from: 联系电话, group: contact}}
      area:      {{from: 专有部分面积（㎡）, type: number, group: property}}
      compound:  {{from: 小区名称, required: true, group: public}}
    subjects: [{{role: owner, name: 业主姓名, phone: 联系电话,
                 address: {{template: "{{小区名称}}{{房号}}"}}}}]
"""


def csv_bytes(lines: list[str], encoding: str) -> bytes:
    return "\r\n".join(lines).encode(encoding) + b"\r\n"


def volunteer_lines() -> list[str]:
    return [HEAD, *(",".join(v) for v in VOLUNTEERS)]


def workbook(sheets: dict[str, list[list[Any]]], *, title_rows: int = 2) -> bytes:
    """An XLSX whose sheets start with `title_rows` merged title rows (when they hold a table)."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    bold = book.add_format({"bold": True, "align": "center"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        width = max((len(r) for r in rows), default=1)
        if title_rows and width > 1:
            sheet.merge_range(0, 0, title_rows - 1, width - 1, f"{name}（截至2026年11月）", bold)
        for r, row in enumerate(rows, title_rows if width > 1 else 0):
            for c, value in enumerate(row):
                if isinstance(value, int | float):
                    sheet.write_number(r, c, value)
                else:
                    sheet.write_string(r, c, str(value))
    book.close()
    return buf.getvalue()


def roster() -> list[list[Any]]:
    rows: list[list[Any]] = [list(ROSTER)]
    rows += [[i, *o[:5], o[5]] for i, o in enumerate(OWNERS, 1)]
    return [*rows, ["合计", "", "", "", "", "", sum(o[5] for o in OWNERS)]]


def write_drops(root: Path) -> dict[str, Path]:
    youth, women, owners = root / "youth", root / "women", root / "owners"
    for folder in (youth, women, owners):
        folder.mkdir(parents=True)
    (youth / "团委_志愿者名册_1.csv").write_bytes(csv_bytes([*TITLE, *volunteer_lines()], "gbk"))
    # One title line only: row 3 is V001's row, not a header.
    (youth / "团委_志愿者名册_2.csv").write_bytes(
        csv_bytes([TITLE[0], *volunteer_lines()], "gbk"))
    (women / "妇联_来访_1.csv").write_bytes(csv_bytes(list(CASES), "utf-8-sig"))
    (women / "妇联_来访_2.csv").write_bytes(csv_bytes(list(CASES), "gbk"))  # not UTF-8
    (owners / "阳光小区_业主名册.xlsx").write_bytes(
        workbook({"填表说明": [["业主编号为物业房产台账编号"]], "业主名册": roster()}))
    (owners / "明月小区_业主名册.xlsx").write_bytes(workbook({"名册": roster()}))
    return {"youth": youth, "women": women, "owners": owners}


async def add_all(uri: str, root: Path, folders: dict[str, Path]) -> dict[str, Any]:
    texts = {"youth2": YOUTH.format(folder=folders["youth"]),
             "women2": WOMEN.format(folder=folders["women"]),
             "owners2": COMMITTEE.format(folder=folders["owners"], sheet=2)}
    pool = await asyncpg.create_pool(uri, min_size=1, max_size=2)
    seen = {}
    try:
        for slug, text in texts.items():
            path = root / f"{slug}.yaml"
            path.write_text(text, encoding="utf-8")
            definition, dry, version = await commands.add(pool, path, partners={})
            assert version == 1 and definition.body.slug == slug
            seen[slug] = dry.samples[0]
    finally:
        await pool.close()
    return seen


async def stored(uri: str) -> tuple[dict[tuple[str, str], Any], dict[str, list[Any]]]:
    conn = await asyncpg.connect(uri)
    try:
        rows = await conn.fetch("SELECT partner, local_id, raw FROM source_records "
                                "WHERE subject = 0 ORDER BY partner, local_id")
        held = await conn.fetch("SELECT partner, origin, line, reason FROM quarantine "
                                "ORDER BY partner, origin")
    finally:
        await conn.close()
    records = {(r["partner"], r["local_id"]): orjson.loads(r["raw"]) for r in rows}
    by_partner: dict[str, list[Any]] = {}
    for q in held:
        by_partner.setdefault(q["partner"], []).append(q)
    return records, by_partner


async def test_declared_encoding_header_row_and_sheet_read_end_to_end(
    pg_admin: str, settings: Settings, tmp_path: Path,
) -> None:
    uri = await migrated_store(pg_admin, "onboard_filekeys")
    folders = write_drops(tmp_path / "drops")
    samples = await add_all(uri, tmp_path, folders)
    # The dry run already saw the good rows and the bad files (2 + 1 quarantined files).
    assert sorted(r.local_id for r in samples["youth2"].records) == ["V001", "V002", "V003"]
    assert len(samples["owners2"].quarantined) == 1

    report = await run_sync(settings, store_uri=uri)
    assert report.records == {"youth2.volunteer": 3, "women2.rights_case": 2,
                              "owners2.owner": 2}, report
    assert report.quarantined == {"youth2.volunteer": 1, "women2.rights_case": 1,
                                  "owners2.owner": 1}, report
    records, held = await stored(uri)

    # GBK under a two-line title: decoded right, and the title's key cell was not the header.
    for number, name, phone, hours in VOLUNTEERS:
        raw = records["youth2", number]
        assert (raw["姓名"], raw["手机"], raw["服务时长"]) == (name, phone, hours)
    # UTF-8 with BOM: the BOM is not part of the key column's name.
    assert records["women2", "F001"]["来访人"] == "王芳"
    assert records["women2", "F002"]["问题类别"] == "权益保障"
    # The workbook's second sheet, header on row 3 under two merged title rows; 合计 skipped.
    assert {k[1] for k in records if k[0] == "owners2"} == {"O1", "O2"}
    assert records["owners2", "O2"]["业主姓名"] == "周敏、吴刚"

    [youth_bad] = held["youth2"]
    assert youth_bad["origin"].endswith("团委_志愿者名册_2.csv") and youth_bad["line"] is None
    assert youth_bad["reason"].startswith(
        "团委_志愿者名册_2.csv: header row 3 lacks the mapped column(s) 志愿者编号, 姓名, 手机, "
        "服务时长 (it holds: V001, 张三")
    [women_bad] = held["women2"]
    assert women_bad["origin"].endswith("妇联_来访_2.csv")
    assert women_bad["reason"].startswith("妇联_来访_2.csv: does not decode as utf-8-sig (line 1")
    assert women_bad["reason"].endswith("auto-detection reads it as gb18030")
    [owners_bad] = held["owners2"]
    assert owners_bad["origin"].endswith("明月小区_业主名册.xlsx")
    assert owners_bad["reason"] == "明月小区_业主名册.xlsx: no sheet 2; the workbook has 1: 名册"
