"""Reading and writing the linkage interchange CSV: every problem named by line and column."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from gateway.errors import InterchangeInvalid
from gateway.linkage.interchange import (
    OPTIONAL_RECORD_COLUMNS,
    RECORD_COLUMNS,
    RecordRow,
    TruthRow,
    read_records,
    read_truth,
    require_truth,
    write_records,
    write_truth,
)

HEADER = ",".join(RECORD_COLUMNS)


def _file(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "records.csv"
    path.write_bytes(text.encode(encoding))
    return path


def _error(path: Path, reader=read_records) -> InterchangeInvalid:
    with pytest.raises(InterchangeInvalid) as caught:
        reader(path)
    assert caught.value.extensions["code"] == "INTERCHANGE_INVALID"
    return caught.value


def test_rows_read_with_empty_cells_as_unknown(tmp_path: Path) -> None:
    path = _file(tmp_path, "\ufeff" + HEADER + ",household_ref\n"
                 "rc,r1,张三,,138 1234 5678,翠湖花园3-2-301,,,,H1\n"
                 "\n"
                 'hotline,t1,"王女士",,,,,,"来电反映:翠湖花园3栋,漏水",\n')
    rows = read_records(path)
    assert rows == [
        RecordRow("rc", "r1", name="张三", phone="138 1234 5678", address="翠湖花园3-2-301",
                  household_ref="H1"),
        RecordRow("hotline", "t1", name="王女士", free_text="来电反映:翠湖花园3栋,漏水"),
    ]


def test_columns_in_any_order_and_unknown_columns_ignored(tmp_path: Path) -> None:
    columns = list(reversed(RECORD_COLUMNS)) + ["remark"]
    values = {"source": "rc", "record_id": "r1", "name": "李四", "remark": "x"}
    path = _file(tmp_path, ",".join(columns) + "\n"
                 + ",".join(values.get(c, "") for c in columns) + "\n")
    assert read_records(path) == [RecordRow("rc", "r1", name="李四")]


def test_missing_required_column_is_named(tmp_path: Path) -> None:
    path = _file(tmp_path, "source,record_id,name,phone,address,birth_date,gender,free_text\n")
    err = _error(path)
    assert err.extensions["line"] == 1 and err.extensions["column"] == "id_number"
    assert "missing required column(s) id_number" in str(err)


def test_not_utf8_names_line_and_byte(tmp_path: Path) -> None:
    text = HEADER + "\nrc,r1,张三,,,,,,\nrc,r2,李四,,,,,,\n"
    path = _file(tmp_path, text, encoding="gbk")
    err = _error(path)
    assert err.extensions["line"] == 2 and err.extensions["column"] == len("rc,r1,") + 1
    assert "not UTF-8" in str(err) and "line 2" in str(err)


def test_duplicate_record_names_both_lines(tmp_path: Path) -> None:
    path = _file(tmp_path, HEADER + "\nrc,r1,张三,,,,,,\nrc,r2,,,,,,,\nrc,r1,张三,,,,,,\n")
    err = _error(path)
    assert err.extensions["line"] == 4 and err.extensions["column"] == "record_id"
    assert "already on line 2" in str(err)


def test_wrong_field_count_after_a_multiline_cell(tmp_path: Path) -> None:
    path = _file(tmp_path, HEADER + '\nrc,r1,,,,"two\nlines",,,\nrc,r2,,,,\n')
    err = _error(path)
    assert err.extensions["line"] == 4
    assert "6 fields where the header has 9" in str(err)


def test_empty_record_id(tmp_path: Path) -> None:
    err = _error(_file(tmp_path, HEADER + "\nrc, ,张三,,,,,,\n"))
    assert err.extensions["line"] == 2 and err.extensions["column"] == "record_id"


def test_empty_file(tmp_path: Path) -> None:
    assert _error(_file(tmp_path, "")).extensions["line"] == 1


def test_truth_missing_column(tmp_path: Path) -> None:
    path = _file(tmp_path, "source,record_id,true_person_id\nrc,r1,P1\n")
    err = _error(path, read_truth)
    assert err.extensions["column"] == "true_household_id"


def test_round_trip(tmp_path: Path) -> None:
    rows = [RecordRow("rc", "household:H1#0", address='3号楼"东"2-301', household_ref="H1",
                      community="110105001001", community_name="翠湖社区",
                      target_level="household"),
            RecordRow("hotline", "ticket:1#0", free_text="王女士来电,\n电话13812345678",
                      affinity="a")]
    truth = [TruthRow("rc", "household:H1#0", None, "H1"), TruthRow("hotline", "ticket:1#0")]
    write_records(tmp_path / "r.csv", rows)
    write_truth(tmp_path / "t.csv", truth)
    assert read_records(tmp_path / "r.csv") == rows
    assert read_truth(tmp_path / "t.csv") == {t.key: t for t in truth}


def test_record_fields_follow_the_columns() -> None:
    assert tuple(f.name for f in fields(RecordRow)) == RECORD_COLUMNS + OPTIONAL_RECORD_COLUMNS


def test_truth_must_cover_every_record(tmp_path: Path) -> None:
    rows = [RecordRow("hall", f"case:{i}#0") for i in range(8)]
    truth = {r.key: TruthRow(*r.key) for r in rows[:2]}
    with pytest.raises(InterchangeInvalid) as caught:
        require_truth(rows, truth, tmp_path / "truth.csv")
    assert caught.value.extensions["missing"] == 6
    assert "6 record(s)" in str(caught.value)
    assert "hall/case:2#0" in str(caught.value) and "and 1 more" in str(caught.value)
    require_truth(rows[:2], truth, tmp_path / "truth.csv")
