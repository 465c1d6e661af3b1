"""Reading a partner's spreadsheet (CSV or XLSX bytes) into rows by header, keeping every line
that cannot be read as a row with its line number and why.

A CSV is UTF-8 (with or without BOM), GB18030 (which reads GBK and GB2312) or UTF-16 with a
BOM (Excel's "Unicode text", tab-separated); when no encoding reads the whole file (a truncated
multi-byte character, a line pasted from another system), each line is decoded on its own and
only the lines no encoding reads are set aside. A CSV row with more or fewer cells than its
header (a file cut off mid-row, an unquoted comma) is set aside too. The header row is found
by looking for the key column, so title rows and merged banners above it do not matter.
Subtotal (合计) and blank rows are skipped.

A caller that knows better may declare the file's encoding (then the file decodes whole in it,
or not at all: never a guess, never mojibake), its header row (1-based; the rows above are
skipped, and the row must hold every column the caller names) and its sheet (name or 1-based
index; a workbook without it is not read from another sheet).

A file that cannot be read at all — no header, a broken workbook, a missing sheet, bytes that
are not in the declared encoding — raises `SheetUnreadable`.
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


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a file's rows are, as far as the caller declares it (defaults: found)."""

    key: str  # header of the key column
    sheet: str | int | None = None  # XLSX: name, or 1-based index; None: the first
    header_row: int | None = None  # 1-based; None: the first row holding `key`
    encoding: str = "auto"  # CSV: a Python codec name, or auto (BOM, UTF-8, GB18030)
    columns: tuple[str, ...] = ()  # what a declared header row must hold besides `key`


def read_table(name: str, data: bytes, *, key: str, sheet: str | int | None = None,
               header_row: int | None = None, encoding: str = "auto",
               columns: tuple[str, ...] = ()) -> Table:
    """The data rows of a CSV or XLSX file (by its `name`'s suffix), below its header row (see
    `Layout` for what each setting declares)."""
    layout = Layout(key, sheet, header_row, encoding, columns)
    if name.lower().endswith(_XLSX):
        return _from_grid(_xlsx_grid(data, layout.sheet, name), name, layout, check_width=False)
    if layout.encoding == "auto":
        text, bad = decode_lines(data)
    else:
        text, bad = decode_as(data, layout.encoding, name), []
    try:
        table = _from_grid(list(_csv_grid(text)), name, layout, check_width=True)
    except SheetUnreadable as exc:
        if layout.encoding == "auto" or _reads_same(data, text):
            raise  # the encoding is not what is wrong
        raise SheetUnreadable(f"{exc}; read as {layout.encoding}, {_detected(data)}") from None
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


def _header_at(rows: list[tuple[int, list[Any]]], name: str, layout: Layout) -> int:
    """Index in `rows` of the header: the declared row, which must hold the key and the named
    columns, else the first row holding the key."""
    key, number = layout.key, layout.header_row
    if number is None:
        at = next((i for i, (_, cells) in enumerate(rows) if key in (cell(c) for c in cells)),
                  None)
        if at is None:
            raise SheetUnreadable(f"no header row with column {key} (a wrong encoding?)")
        return at
    at = next((i for i, (line, _) in enumerate(rows) if line == number), None)
    if at is None:
        last = rows[-1][0] if rows else 0
        raise SheetUnreadable(f"{name}: no header row {number}: no row starts there "
                              f"(the last row starts at {last})")
    held = [h for h in (cell(c) for c in rows[at][1]) if h]
    missing = [c for c in dict.fromkeys((key, *layout.columns)) if c not in held]
    if missing:
        raise SheetUnreadable(f"{name}: header row {number} lacks the mapped column(s) "
                              f"{', '.join(missing)} (it holds: {', '.join(held) or 'nothing'})")
    return at


def _from_grid(rows: list[tuple[int, list[Any]]], name: str, layout: Layout, *,
               check_width: bool) -> Table:
    at = _header_at(rows, name, layout)
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


def _xlsx_grid(data: bytes, sheet: str | int | None, file: str) -> list[tuple[int, list[Any]]]:
    """The sheet's rows by their 1-based row number (empty leading rows kept, so the numbers are
    the ones Excel shows)."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(book.sheet_names)
    except Exception as exc:  # calamine raises its own error types; translate at the edge
        raise SheetUnreadable(f"unreadable workbook: {exc}") from exc
    name = _sheet_name(names, sheet, file)
    try:
        grid = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as exc:
        raise SheetUnreadable(f"unreadable workbook: {exc}") from exc
    return [(i, list(r)) for i, r in enumerate(grid, start=1)]


def _sheet_name(names: list[str], sheet: str | int | None, file: str) -> str:
    if sheet is None and names:
        return names[0]
    if isinstance(sheet, int) and 1 <= sheet <= len(names):
        return names[sheet - 1]
    if isinstance(sheet, str) and sheet in names:
        return sheet
    wanted = "any sheet" if sheet is None else f"sheet {sheet!r}"
    raise SheetUnreadable(f"{file}: no {wanted}; the workbook has {len(names)}: "
                          f"{', '.join(names) or '-'}")


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


def detect(data: bytes) -> str | None:
    """The encoding `auto` reads the whole file in (None: none does)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding if _reads(data, encoding) else None
    return next((e for e in _ENCODINGS if _reads(data, e)), None)


def _reads(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _reads_same(data: bytes, text: str) -> bool:
    found = detect(data)
    return found is not None and data.decode(found).removeprefix("\ufeff") == text


def _detected(data: bytes) -> str:
    found = detect(data)
    return f"auto-detection reads it as {found}" if found else (
        "auto-detection reads it whole in no candidate (UTF-8, GB18030, UTF-16 with BOM)")


def decode_as(data: bytes, encoding: str, name: str = "") -> str:
    """The file's text in its declared encoding, whole or not at all: a file that does not decode
    is `SheetUnreadable`, naming where and what auto-detection makes of it. A leading BOM is
    dropped whatever the codec (it is never data)."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SheetUnreadable(f"{name}: does not decode as {encoding} (line {line}, byte "
                              f"{exc.start}: {exc.reason}); {_detected(data)}") from exc
    return text.removeprefix("\ufeff")


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
