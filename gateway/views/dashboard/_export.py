"""The brief as a workbook (one sheet per section) and as CSV (one row per number), from the
same sections the page shows. CSV is UTF-8 with a BOM, so Excel reads the Chinese as Chinese."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import xlsxwriter

from gateway.views.dashboard._model import Cell, Section, Table

Header = Sequence[tuple[str, str]]  # (label, value): community, period, computed at, …


def _value(cell: Cell) -> float | int | str:
    """A number as a number (so it sums in Excel); a missing one as the page shows it."""
    if isinstance(cell.value, bool) or cell.value is None:
        return cell.text
    if isinstance(cell.value, int | float) and cell.text[-1:] != "%":
        return cell.value
    return cell.text


def _tables(section: Section) -> list[Table]:
    cards = Table("主要指标", ["指标", "数值"], [[Cell(c.label), c.cell] for c in section.cards])
    return ([cards] if section.cards else []) + section.tables


def xlsx(header: Header, sections: Sequence[Section], freshness: Table) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    bold = book.add_format({"bold": True})
    title = book.add_format({"bold": True, "font_size": 13})
    info = book.add_worksheet("简报信息")
    for i, (label, value) in enumerate(header):
        info.write(i, 0, label, bold)
        info.write(i, 1, value)
    info.set_column(0, 0, 16)
    info.set_column(1, 1, 40)
    for section in [*sections, _as_section("数据时效", freshness)]:
        sheet = book.add_worksheet(section.title[:31])
        row = 0
        for note in _notes(section):
            sheet.write(row, 0, note)
            row += 1
        for table in _tables(section):
            sheet.write(row, 0, table.title, title)
            sheet.write_row(row + 1, 0, table.columns, bold)
            for r, cells in enumerate(table.rows, start=row + 2):
                sheet.write_row(r, 0, [_value(c) for c in cells])
            row += len(table.rows) + 3
        sheet.set_column(0, 0, 28)
        sheet.set_column(1, 6, 14)
    book.close()
    return out.getvalue()


def _notes(section: Section) -> list[str]:
    missing = [f"无快照的单位：{'、'.join(section.missing)}"] if section.missing else []
    return missing + section.notes


def _as_section(title: str, table: Table) -> Section:
    return Section("freshness", title, tables=[table])


def csv_bytes(header: Header, sections: Sequence[Section], freshness: Table) -> bytes:
    """Long format: 板块, 表, 项目, 指标, 数值 — one row per number or value."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["板块", "表", "项目", "指标", "数值"])
    for label, value in header:
        w.writerow(["简报信息", "", label, "", value])
    for section in [*sections, _as_section("数据时效", freshness)]:
        for table in _tables(section):
            for cells in table.rows:
                item = cells[0].text
                for column, cell in zip(table.columns[1:], cells[1:], strict=True):
                    w.writerow([section.title, table.title, item, column, _value(cell)])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")
