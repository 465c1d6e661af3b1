"""Writing a generated district to disk: JSON-lines row files and the 群团 monthly drops.

The drops follow docs/partners.md §4 exactly: the union's XLSX with a title row, a header row
and a trailing 合计 row; the youth league's CSVs in GBK; the women's federation's CSV in UTF-8
with a BOM; the owners' committees' workbooks (§5.2) with merged title and 合计 rows. Output is
byte-for-byte reproducible: the XLSX creation time is fixed.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import xlsxwriter

Row = dict[str, Any]

HEADERS: dict[str, tuple[str, ...]] = {
    "hardship_file": ("职工编号", "姓名", "性别", "民族", "政治面貌", "身份证号", "出生日期",
                      "健康状况", "身份", "手机", "工作单位", "家庭住址", "家庭人口",
                      "家庭年度总收入", "主要致困原因", "困难类别", "建档日期"),
    "volunteer": ("志愿者编号", "姓名", "性别", "出生日期", "身份证号", "手机", "所属组织",
                  "注册日期", "累计时长"),
    "pairing": ("台账编号", "帮扶对象", "学校", "监护人电话", "家庭住址", "帮扶类型", "结对人",
                "结对日期"),
    "rights_case": ("编号", "日期", "方式", "来访人", "身份证号", "电话", "住址", "问题类别",
                    "简要情况", "处理方式", "办理单位", "回访"),
}  # fmt: skip
# entity -> (file name with {ym}, encoding; None = XLSX)
FILES: dict[str, tuple[str, str | None]] = {
    "hardship_file": ("工会_困难职工档案_{ym}.xlsx", None),
    "volunteer": ("共青团_志愿者名册_{ym}.csv", "gbk"),
    "pairing": ("共青团_帮扶台账_{ym}.csv", "gbk"),
    "rights_case": ("妇联_维权来访登记_{ym}.csv", "utf-8-sig"),
}
SHEET = "困难职工档案"


def write_jsonl(path: Path, rows: Iterable[Row]) -> int:
    """UTF-8 JSON lines (non-ASCII kept as is); returns the number of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    # Streamed: holding every dumped line at once costs far more memory than the file.
    with path.open("wb", buffering=1 << 20) as fh:
        dumps, write = orjson.dumps, fh.write
        for row in rows:
            write(dumps(row))
            write(b"\n")
            n += 1
    return n


def read_jsonl(path: Path) -> list[Row]:
    with path.open("rb") as fh:
        return [orjson.loads(line) for line in fh if line.strip()]


def _with_clerk_slips(headers: Sequence[str], rows: Sequence[Row]) -> list[Row | None]:
    """Hand-kept ledgers have slips: a blank separator line, a row typed twice, and a row whose
    number was never filled in. The gateway must skip the first and quarantine the others."""
    out: list[Row | None] = list(rows)
    if len(rows) < 10:
        return out
    key = headers[0]
    out.insert(len(rows) // 2, None)
    out.append(dict(rows[3]))
    out.append({**rows[7], key: ""})
    return out


def _csv(path: Path, headers: Sequence[str], rows: Sequence[Row], encoding: str) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # as Excel saves them
    writer.writerow(headers)
    for row in _with_clerk_slips(headers, rows):
        if row is None:
            writer.writerow([""] * len(headers))
        else:
            writer.writerow(["" if row.get(h) is None else row[h] for h in headers])
    path.write_bytes(buf.getvalue().encode(encoding))


def _xlsx(path: Path, headers: Sequence[str], rows: Sequence[Row], title: str,
          created: datetime) -> None:
    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"created": created})  # fixed, so the bytes are reproducible
    sheet = book.add_worksheet(SHEET)
    bold = book.add_format({"bold": True, "align": "center"})
    sheet.merge_range(0, 0, 0, len(headers) - 1, title, bold)
    sheet.write_row(1, 0, headers, bold)
    for r, row in enumerate(rows, 2):
        for c, header in enumerate(headers):
            value = row.get(header)
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
    total = len(rows) + 2
    sheet.write_string(total, 0, "合计")
    sheet.write_string(total, 1, f"{len(rows)}人")
    if "家庭年度总收入" in headers:
        income = sum(float(row.get("家庭年度总收入") or 0) for row in rows)
        sheet.write_number(total, headers.index("家庭年度总收入"), round(income, 2))
    book.close()


def write_massorg_month(folder: Path, month: str, rows: dict[str, list[Row]],
                        created: datetime) -> list[Path]:
    """One monthly drop `folder/<YYYY-MM>/` with the four ledgers; returns the files."""
    out = folder / month
    out.mkdir(parents=True, exist_ok=True)
    ym = month.replace("-", "")
    paths = []
    for entity, (pattern, encoding) in FILES.items():
        path = out / pattern.format(ym=ym)
        entity_rows = rows.get(entity, [])
        if encoding is None:
            title = f"光明街道困难职工档案（{month[:4]}年{int(month[5:])}月）"
            _xlsx(path, HEADERS[entity], entity_rows, title, created)
        else:
            _csv(path, HEADERS[entity], entity_rows, encoding)
        paths.append(path)
    return paths


# --- the owners' committees' workbooks (docs/partners.md §5.2) --------------------------------

OWNER_SHEETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "roster": ("业主名册", ("序号", "业主编号", "小区名称", "房号", "业主姓名", "专有部分面积（㎡）",
                        "联系电话", "业委会职务", "备注")),
    "votes": ("表决统计", ("序号", "表决票编号", "小区名称", "表决事项", "房号", "业主姓名",
                       "专有部分面积（㎡）", "表决意见", "投票方式", "投票日期")),
}  # fmt: skip
AREA = "专有部分面积（㎡）"


def _owner_sheet(book: Any, kind: str, title: str, rows: Sequence[Row]) -> None:
    name, headers = OWNER_SHEETS[kind]
    sheet = book.add_worksheet(name)
    bold = book.add_format({"bold": True, "align": "center"})
    sheet.merge_range(0, 0, 0, len(headers) - 1, title, bold)
    sheet.write_row(1, 0, headers, bold)
    for r, row in enumerate(rows, 2):
        sheet.write_number(r, 0, r - 1)
        for c, header in enumerate(headers[1:], 1):
            value = row.get(header)
            if isinstance(value, int | float):
                sheet.write_number(r, c, value)
            elif value:
                sheet.write_string(r, c, str(value))
    # 合计 rows whose label spans the first columns, as committees lay them out.
    groups = [("", rows)] if kind == "roster" else [
        (m, [x for x in rows if x["表决事项"] == m]) for m in dict.fromkeys(
            x["表决事项"] for x in rows)]
    for i, (matter, members) in enumerate(groups):
        r = len(rows) + 2 + i
        sheet.merge_range(r, 0, r, 2, "合计", bold)
        sheet.write_string(r, 3, matter or f"{len(members)}户")
        sheet.write_number(r, headers.index(AREA), round(sum(x[AREA] for x in members), 2))
        if matter:
            votes = Counter(x["表决意见"] for x in members)
            tally = " ".join(f"{k}{votes[k]}" for k in ("同意", "反对", "弃权"))
            sheet.write_string(r, headers.index("表决意见"), tally)


def write_owner_workbooks(folder: Path, rows: dict[str, list[Row]], created: datetime) -> list[Path]:
    """One workbook per compound with a committee: `<小区名称>业主委员会_业主名册及表决统计.xlsx`."""
    folder.mkdir(parents=True, exist_ok=True)
    compounds = dict.fromkeys(r["小区名称"] for r in rows.get("roster", []))
    paths = []
    for compound in compounds:
        path = folder / f"{compound}业主委员会_业主名册及表决统计.xlsx"
        book = xlsxwriter.Workbook(str(path))
        book.set_properties({"created": created})  # fixed, so the bytes are reproducible
        mine = {k: [r for r in rows.get(k, []) if r["小区名称"] == compound] for k in OWNER_SHEETS}
        _owner_sheet(book, "roster", f"{compound}业主名册（截至{created.year}年{created.month}月"
                     f"{created.day}日）", mine["roster"])
        _owner_sheet(book, "votes", f"{compound}业主大会表决统计", mine["votes"])
        book.close()
        paths.append(path)
    return paths
