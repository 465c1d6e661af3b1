"""Linking interchange records in memory, anchored on the registry source's rows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.errors import InterchangeInvalid
from gateway.linkage.evaluate import evaluate
from gateway.linkage.interchange import RecordRow, TruthRow, write_records, write_truth
from gateway.linkage.normalize.ids import check_char
from gateway.linkage.offline import link_records, record_attrs
from gateway.linkage.registry import canonical_compounds, resident_id_number

ZHANG = "11010519800101123" + check_char("11010519800101123")
COMMUNITY = "110105001001"


def _registry() -> list[RecordRow]:
    def household(ref: str, address: str, phone: str | None = None) -> RecordRow:
        return RecordRow("rc", f"household:{ref}#0", address=address, phone=phone,
                         household_ref=ref, community=COMMUNITY, community_name="翠湖社区",
                         target_level="household")

    def resident(key: str, ref: str, name: str, **values: str) -> RecordRow:
        return RecordRow("rc", f"resident:{key}#0", name=name, household_ref=ref,
                         target_level="person", **values)

    return [
        household("H1", "翠湖花园3号楼2单元301"),
        household("H2", "翠湖花园小区3栋2单元302室", phone="13812345678"),
        household("H3", "3-2-401"),  # compound left out: its neighbours in the register say
        resident("R1", "H1", "张伟", id_number=ZHANG, birth_date="1980-01-01", gender="男"),
        resident("R2", "H1", "王芳"),
        resident("R3", "H2", "李娜"),
        resident("R4", "H3", "赵强"),
    ]


def test_records_link_to_registry_persons_and_households() -> None:
    rows = [
        *_registry(),
        RecordRow("hall", "case:1#0", name="张伟", id_number=ZHANG.lower()),
        RecordRow("party", "visit:1#0", name="李娜", address="翠湖花园3#2-302",
                  community=COMMUNITY),
        RecordRow("hotline", "ticket:1#0", name="王女士", phone="138****5678",
                  free_text="王女士来电反映翠湖社区翠湖花园3栋2单元302室楼上漏水，多次协调未果，请尽快处理。"),
        RecordRow("hall", "case:2#0", name="钱七", id_number="无"),
    ]
    linked = link_records(rows)
    h, p = linked.households, linked.persons
    assert linked.anchors == 7
    # Anchors are their own persons, in the household their household_ref names.
    assert p[("rc", "household:H1#0")] is None
    assert h[("rc", "resident:R1#0")] == h[("rc", "household:H1#0")] is not None
    assert p[("hall", "case:1#0")] == p[("rc", "resident:R1#0")]
    assert h[("hall", "case:1#0")] == h[("rc", "household:H1#0")]
    assert p[("party", "visit:1#0")] == p[("rc", "resident:R3#0")]
    assert h[("hotline", "ticket:1#0")] == h[("rc", "household:H2#0")]
    assert (h[("hall", "case:2#0")], p[("hall", "case:2#0")]) == (None, None)


def test_registry_compound_spellings_fold_onto_one() -> None:
    # 翠湖花园小区 is 翠湖花园, the most used spelling; the household between two of them in
    # register order, whose address names no compound, lies in it too.
    names = canonical_compounds([("H1", "C", "翠湖花园"), ("H2", "C", "翠湖花园小区"),
                                 ("H3", "C", None), ("H4", "C", "翠湖花园"), ("H9", "C", None),
                                 ("H5", "D", "翠湖花园小区")])
    assert names == ["翠湖花园", "翠湖花园", "翠湖花园", "翠湖花园", None, "翠湖花园小区"]


def test_free_text_is_read_as_free_text_however_short() -> None:
    attrs = record_attrs(RecordRow("hotline", "t#0", free_text="电话13812345678翠湖花园3栋302"))
    assert attrs["addressIsFreeText"] is True
    assert [p["value"] for p in attrs["phones"]] == ["13812345678"]
    assert record_attrs(RecordRow("x", "y", address="翠湖花园3栋302"))["addressIsFreeText"] is False


def test_resident_id_typo_is_repaired_when_one_correction_fits() -> None:
    assert resident_id_number(ZHANG) == ZHANG
    assert resident_id_number(ZHANG[:5] + ZHANG[6] + ZHANG[5] + ZHANG[7:]) == ZHANG  # swapped
    # Many corrections fit this one: none is taken.
    assert resident_id_number(ZHANG[0] + ZHANG[2] + ZHANG[1] + ZHANG[3:]) is None
    assert resident_id_number("无") is None


def _write(tmp_path: Path, rows: list[RecordRow], truth: list[TruthRow]) -> tuple[Path, Path]:
    write_records(tmp_path / "records.csv", rows)
    write_truth(tmp_path / "truth.csv", truth)
    return tmp_path / "records.csv", tmp_path / "truth.csv"


def test_evaluate_scores_a_small_pair(tmp_path: Path) -> None:
    rows = [*_registry(), RecordRow("hall", "case:1#0", name="张伟", id_number=ZHANG)]
    households = {"H1": "h1", "H2": "h2", "H3": "h3"}
    truth = [TruthRow(r.source, r.record_id,
                      None if r.target_level == "household" else r.record_id.split(":")[1],
                      households[r.household_ref or ""]) for r in rows[:-1]]
    truth.append(TruthRow("hall", "case:1#0", "R1#0", "h1"))
    result = evaluate(*_write(tmp_path, rows, truth))
    assert result.records == 8 and result.anchors == 7 and result.linked == 1
    # Persons: the case joins 张伟, the only true pair. Households: H1 has 4 records (6 pairs),
    # H2 and H3 two each.
    assert (result.persons.pairs_true, result.persons.pairs_correct) == (1, 1)
    assert (result.households.pairs_true, result.households.pairs_correct) == (8, 8)
    assert result.households.precision == result.households.recall == 1.0


def test_evaluate_refuses_incomplete_truth_and_a_missing_anchor(tmp_path: Path) -> None:
    rows = [*_registry(), RecordRow("hall", "case:1#0", name="张伟")]
    records, truth = _write(tmp_path, rows, [TruthRow(r.source, r.record_id) for r in rows[:3]])
    with pytest.raises(InterchangeInvalid, match=r"5 record\(s\) .* rc/resident:R1#0"):
        evaluate(records, truth)
    records, truth = _write(tmp_path, rows, [TruthRow(r.source, r.record_id) for r in rows])
    with pytest.raises(InterchangeInvalid, match="no rows of the anchor source 'registry'"):
        evaluate(records, truth, anchor="registry")


def test_docs_example_evaluates(tmp_path: Path) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "linkage.md").read_text("utf-8")
    records, truth = re.findall(r"```csv\n(.*?)```", doc, re.S)
    (tmp_path / "records.csv").write_text(records, encoding="utf-8")
    (tmp_path / "truth.csv").write_text(truth, encoding="utf-8")
    result = evaluate(tmp_path / "records.csv", tmp_path / "truth.csv")
    assert (result.records, result.anchors, result.linked) == (6, 3, 2)
    # 张伟 by his ID number, and 王女士 is 王芳: the only woman named 王 in that household
    assert result.households.precision == 1.0 and result.persons.pairs_correct == 2
