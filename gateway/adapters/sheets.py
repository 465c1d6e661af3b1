"""Reading a partner's spreadsheet (CSV or XLSX bytes) into rows by header, keeping every line
that cannot be read as a row with its line number and why.

A CSV is UTF-8 (with or without BOM), GB18030 (which reads GBK and GB2312) or UTF-16 with a
BOM (Excel's "Unicode text", tab-separated); when no encoding reads the whole file (a truncated
multi-byte character, a line pasted from another system), each line is decoded on its own and
only the lines no encoding reads are set aside. A CSV row with more or fewer cells than its
header (a file cut off mid-row, an unquoted comma) is set aside too. In XLSX the header row is
found by looking for the key column, so title rows and merged banners above it do not matter.
Subtotal (合计) and blank rows are skipped.

A file that cannot be read at all — no header, a broken workbook — raises `SheetUnreadable`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from gateway.errors import PartnerDataInvalid

_SKIP_MARKERS = ("合计", "小计", "总计")
_XLSX = (".xlsx", ".xls", ".xlsm")


class SheetUnreadable(ValueError):
    """The whole file cannot be read; the adapter turns this into PARTNER_DATA_INVALID."""


@dataclass(frozen=True, slots=True)
class BadLine:
    line: int
    reason: str
    raw: str


@dataclass
class Table:
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (line, row by header)
    bad: list[BadLine] = field(default_factory=list)


def cell(value: Any) -> str:
    """A cell as trimmed text ('' for none); whole floats lose their '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_table(name: str, data: bytes, *, key: str, sheet: str | None = None) -> Table:
    """The data rows of a CSV or XLSX file (by its `name`'s suffix), found below the header row
    that holds the `key` column."""
    if name.lower().endswith(_XLSX):
        return _from_grid(_xlsx_grid(data, sheet), key=key, check_width=False)
    text, bad = decode_lines(data)
    table = _from_grid(_csv_grid(text), key=key, check_width=True)
    table.bad = sorted([*bad, *table.bad], key=lambda b: b.line)
    return table


def _csv_grid(text: str) -> Iterator[tuple[int, list[Any]]]:
    first = next((line for line in text.splitlines() if line.strip()), "")
    reader = csv.reader(io.StringIO(text),
                        delimiter="\t" if first.count("\t") > first.count(",") else ",")
    line = 1
    for cells in reader:
        yield line, cells
        line = reader.line_num + 1  # a quoted cell may span lines: the next row starts here


def _from_grid(grid: Iterator[tuple[int, list[Any]]] | list[tuple[int, list[Any]]], *,
               key: str, check_width: bool) -> Table:
    rows = list(grid)
    at = next((i for i, (_, cells) in enumerate(rows) if key in (cell(c) for c in cells)), None)
    if at is None:
        raise SheetUnreadable(f"no header row with column {key} (a wrong encoding?)")
    header = [cell(c) for c in rows[at][1]]
    table = Table()
    for line, cells in rows[at + 1 :]:
        values = [c.strip() if isinstance(c, str) else c for c in cells]
        if not any(cell(v) for v in values):
            continue
        if any(cell(v).startswith(_SKIP_MARKERS) for v in values[:2]):
            continue
        if check_width and len(values) != len(header):
            table.bad.append(BadLine(line, f"{len(values)} cells where the header has "
                                           f"{len(header)} (a cut-off or shifted row)",
                                     orjson.dumps(values, default=str).decode()))
            continue
        row = {h: (values[i] if i < len(values) else None) for i, h in enumerate(header) if h}
        table.rows.append((line, row))
    return table


def _xlsx_grid(data: bytes, sheet: str | None) -> list[tuple[int, list[Any]]]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        name = sheet if sheet in book.sheet_names else book.sheet_names[0]
        grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types; translate at the edge
        raise SheetUnreadable(f"unreadable workbook: {exc}") from exc
    return [(i, list(r)) for i, r in enumerate(grid, start=1)]


# What the bodies' spreadsheets come in: UTF-8 (with or without BOM), the GB family (GB18030
# reads GBK and GB2312 too), and Excel's "Unicode text" (UTF-16 with a BOM). Statistical
# detection was tried and dropped: on a short or cut-off GBK file it names Thai or Cyrillic code
# pages that read every byte — mojibake, silently.
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_ENCODINGS = ("utf-8", "gb18030")


def decode_bytes(data: bytes, name: str = "") -> str:
    """Decode a partner's text file: by its BOM, else UTF-8, else GB18030."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise PartnerDataInvalid("files", f"{name}: cannot decode ({encoding})") from exc
    for encoding in _ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise PartnerDataInvalid("files", f"{name}: cannot decode (neither UTF-8 nor GB18030)")


def decode_lines(data: bytes) -> tuple[str, list[BadLine]]:
    """The file's text; when no encoding reads it all, each line decoded on its own (UTF-8, else
    GB18030), and the lines neither reads blanked and returned."""
    try:
        return decode_bytes(data), []
    except PartnerDataInvalid:
        pass
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "", []  # UTF-16 cut mid-character: lines cannot be split; the header is missed
    out: list[str] = []
    bad: list[BadLine] = []
    for number, raw in enumerate(data.removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1):
        for encoding in _ENCODINGS:
            try:
                out.append(raw.decode(encoding))
                break
            except UnicodeDecodeError:
                continue
        else:
            out.append("")
            # As far as GB18030 reads it, the rest as escaped bytes.
            text = raw.rstrip(b"\r").decode("gb18030", errors="backslashreplace")
            bad.append(BadLine(number, "undecodable bytes (neither UTF-8 nor GB18030)", text))
    return "\n".join(out), bad
