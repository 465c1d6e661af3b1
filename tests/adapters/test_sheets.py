"""Reading a partner's spreadsheet bytes: every line either a row or set aside with its line
number and why — cut-off files, lines in another encoding, rows that lost cells."""

from __future__ import annotations

import io

import pytest
import xlsxwriter

from gateway.adapters.sheets import SheetUnreadable, decode_lines, read_table

HEAD = "志愿者编号,姓名,性别,手机"
ROWS = [HEAD, "V001,张三,男,13800000001", "V002,李四,女,13800000002"]


def test_a_gbk_file_cut_mid_character_loses_only_its_last_line() -> None:
    data = "\r\n".join(ROWS).encode("gbk") + "\r\nV003,赵".encode("gbk")[:-1]
    table = read_table("v.csv", data, key="志愿者编号")
    assert [(line, row["姓名"]) for line, row in table.rows] == [(2, "张三"), (3, "李四")]
    [bad] = table.bad
    assert bad.line == 4 and bad.reason.startswith("undecodable bytes")
    assert bad.raw == "V003,\\xd5", "what could be read is shown, the rest as escaped bytes"


def test_a_row_cut_off_or_shifted_is_set_aside_with_its_cells() -> None:
    data = "\n".join([*ROWS, "V003,王五", "V004,赵六,男,138,多出的一格"]).encode("utf-8")
    table = read_table("v.csv", data, key="志愿者编号")
    assert [line for line, _ in table.rows] == [2, 3]
    assert [(b.line, b.reason.split(" (")[0], b.raw) for b in table.bad] == [
        (4, "2 cells where the header has 4", '["V003","王五"]'),
        (5, "5 cells where the header has 4", '["V004","赵六","男","138","多出的一格"]')]


def test_a_line_in_another_encoding_is_read_not_lost() -> None:
    # A UTF-8 ledger with one line pasted from a GBK system: neither encoding reads it all.
    data = "\n".join(ROWS[:2]).encode("utf-8") + b"\n" + ROWS[2].encode("gbk")
    table = read_table("v.csv", data, key="志愿者编号")
    assert [row["姓名"] for _, row in table.rows] == ["张三", "李四"] and not table.bad


def test_quoted_cells_spanning_lines_keep_the_line_numbers_true() -> None:
    data = "\n".join([HEAD, 'V001,"张\n三",男,1', "V002,李四,女,2", "V003,王五"]).encode()
    table = read_table("v.csv", data, key="志愿者编号")
    assert [line for line, _ in table.rows] == [2, 4]
    assert [b.line for b in table.bad] == [5]


def test_excel_unicode_text_is_read() -> None:
    data = "\r\n".join(r.replace(",", "\t") for r in ROWS).encode("utf-16")
    table = read_table("v.txt", data, key="志愿者编号")
    assert [row["手机"] for _, row in table.rows] == ["13800000001", "13800000002"]


def test_a_wrongly_encoded_file_is_unreadable_as_a_whole() -> None:
    # UTF-8 read as Latin-1 and saved again: valid bytes, no header anyone can find.
    mojibake = "\n".join(ROWS).encode("utf-8").decode("latin-1").encode("utf-8")
    with pytest.raises(SheetUnreadable, match="no header row with column 志愿者编号"):
        read_table("v.csv", mojibake, key="志愿者编号")


def test_a_truncated_workbook_is_unreadable_as_a_whole() -> None:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf)
    sheet = book.add_worksheet("名册")
    for r, row in enumerate(ROWS):
        sheet.write_row(r, 0, row.split(","))
    book.close()
    data = buf.getvalue()
    assert [row["姓名"] for _, row in read_table("v.xlsx", data, key="志愿者编号").rows] == [
        "张三", "李四"]
    with pytest.raises(SheetUnreadable, match="unreadable workbook"):
        read_table("v.xlsx", data[: len(data) // 2], key="志愿者编号")


def test_decoding_sets_aside_only_what_no_encoding_reads() -> None:
    text, bad = decode_lines(b"a,b\n\xff\xfe\xfd\nc,d")
    assert text.splitlines() == ["a,b", "", "c,d"] and [b.line for b in bad] == [2]
