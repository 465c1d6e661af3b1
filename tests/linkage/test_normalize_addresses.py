from __future__ import annotations

import cn2an
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.linkage.normalize import (
    Address,
    address_block_key,
    address_key,
    extract_address,
    parse_address,
)

KNOWN = ["翠湖花园", "建设里小区", "阳光苑"]
ROOM = Address(None, "3", "2", 3, "301")


@pytest.mark.parametrize(
    "raw",
    ["3号楼2单元301", "3栋2单元301室", "3幢2-301", "3#2-301", "3-2-301", "三号楼二单元三〇一",
     "3号楼2门301", "3-2-0301", "3号2单元301号", "３号楼２单元３０１", "3号楼 2单元 301",
     "3 2 301", "3号楼-2单元-301", "3號樓2單元301室", "三号楼二单元三零一"],
)
def test_domain_spellings_of_one_room(raw):
    assert parse_address(raw) == ROOM
    assert address_key(parse_address(raw)) == "|3|2|301"


def test_missing_entrance_keeps_the_block_key():
    parsed = parse_address("3栋301")
    assert parsed == Address(None, "3", None, 3, "301")
    assert address_key(parsed) == "|3||301"
    assert address_block_key(parsed) == address_block_key(ROOM) == "|3|301"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3座", Address(None, "3", None, None, None)),
        ("A03-2-0301", Address(None, "A3", "2", 3, "301")),
        ("A3-2-301", Address(None, "A3", "2", 3, "301")),
        ("A座1201", Address(None, "A", None, 12, "1201")),
        ("669弄14号1102", Address(None, "14", None, 11, "1102", "669弄")),
        ("上海市静安区XX路669弄14号1102", Address(None, "14", None, 11, "1102", "XX路669弄")),
        ("建设路88号", Address(road="建设路88号")),
        ("建设路88号3号楼2单元301", Address(None, "3", "2", 3, "301", "建设路88号")),
        ("5号楼1单元1102", Address(None, "5", "1", 11, "1102")),
        ("5号楼1单元102", Address(None, "5", "1", 1, "102")),
        ("二十一号楼三单元一一〇二", Address(None, "21", "3", 11, "1102")),
        ("3号楼2单元12层1201", Address(None, "3", "2", 12, "1201")),
        ("翠湖花园301", Address("翠湖花园", None, None, 3, "301")),
        ("2单元301", Address(None, None, "2", 3, "301")),
    ],
)
def test_other_shapes(raw, expected):
    assert parse_address(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["翠湖花园3号楼2单元301", "北京市朝阳区光明街道翠湖社区翠湖花园3号楼2单元301室",
     "朝阳区翠湖花园3-2-301", "光明街道翠湖花园3#2-301", "住址：翠湖花园3栋2单元301",
     "翠湖花园 3号楼 2单元 301"],
)
def test_administrative_prefixes_are_dropped(raw):
    parsed = parse_address(raw)
    assert parsed == Address("翠湖花园", "3", "2", 3, "301")
    assert address_key(parsed) == "翠湖花园|3|2|301"


@pytest.mark.parametrize(
    ("raw", "extra"),
    [("翠湖花园3号楼2单元301（东边那户）", "东边那户"), ("翠湖花园3栋2单元301楼下超市旁", "楼下超市旁"),
     ("翠湖花园3-2-301 电话联系", "电话联系"), ("翠湖花园3-2-301(东边那户)", "东边那户")],
)
def test_free_text_tails_go_to_extra(raw, extra):
    parsed = parse_address(raw)
    assert address_key(parsed) == "翠湖花园|3|2|301"
    assert parsed.extra == extra


@pytest.mark.parametrize(
    "raw",
    ["翠湖花园小区3号楼2单元301", "翠湖花园一期3号楼2单元301", "翠湖花园3号楼2单元301",
     "翠湖小区3-2-301", "翠湖社区3号楼2单元301", "北京市朝阳区光明街道翠湖社区翠湖花园小区3-2-301"],
)
def test_known_compounds_resolve_spelling_variants(raw):
    parsed = parse_address(raw, known_compounds=KNOWN)
    assert parsed.compound == "翠湖花园"
    assert address_key(parsed) == "翠湖花园|3|2|301"


def test_known_compound_phases_are_kept_apart_when_both_known():
    known = ["阳光苑一期", "阳光苑二期"]
    assert parse_address("阳光苑2期3-2-301", known_compounds=known).compound == "阳光苑二期"
    assert parse_address("阳光苑二期3-2-301", known_compounds=known).compound == "阳光苑二期"


def test_unknown_compound_keeps_its_own_spelling():
    parsed = parse_address("幸福里3-2-301", known_compounds=KNOWN)
    assert parsed.compound == "幸福里"


def test_key_drops_only_the_generic_suffix():
    assert address_key(parse_address("翠湖花园小区3-2-301")) == "翠湖花园|3|2|301"
    assert address_key(parse_address("3号楼")) is None
    assert address_key(None) is None


def test_extract_from_hotline_text():
    text = "市民来电反映翠湖花园3栋2单元301楼上漏水，联系电话13812345678"
    found = extract_address(text)
    assert found is not None
    assert address_key(found) == "翠湖花园|3|2|301"
    assert extract_address("来电人称住在阳光苑5号楼1单元1102，2025-03-07起噪音扰民") == Address(
        "阳光苑", "5", "1", 11, "1102"
    )
    with_known = extract_address("反映北京市朝阳区翠湖花园小区3-2-301漏水", known_compounds=KNOWN)
    assert with_known is not None and with_known.compound == "翠湖花园"


@pytest.mark.parametrize(
    "text", ["工单250912101108115409于2025-03-07派单", "咨询社保缴费事宜", "", None, "来电号码138****5678"]
)
def test_extract_finds_nothing_without_an_address(text):
    assert extract_address(text) is None


def _cn_digits(number: int, width: int = 0) -> str:
    return "".join("〇一二三四五六七八九"[int(d)] for d in f"{number:0{width}d}")


SPELLINGS = [
    "{c}{b}号楼{e}单元{r}",
    "{c}{b}栋{e}单元{r}室",
    "{c}{b}幢{e}-{r}",
    "{c}{b}#{e}-{r}",
    "{c}{b}-{e}-{r}",
    "{c}{bcn}号楼{ecn}单元{rcn}",
    "{c}{b}号楼{e}门{r}",
    "{c}{b}栋{r}",
    "{c}{b}-{e}-{r:04d}",
    "{c}{b}号{e}单元{r}号",
]


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["", "翠湖花园", "建设里小区", "阳光苑", "北京市朝阳区光明街道翠湖社区翠湖花园"]),
    st.integers(min_value=1, max_value=40),
    st.integers(min_value=1, max_value=6),
    st.integers(min_value=1, max_value=33),
    st.integers(min_value=1, max_value=4),
)
def test_every_spelling_of_a_room_gives_the_same_key(compound, building, entrance, floor, unit):
    room = floor * 100 + unit
    values = {
        "c": compound, "b": building, "e": entrance, "r": room,
        "bcn": cn2an.an2cn(building), "ecn": cn2an.an2cn(entrance), "rcn": _cn_digits(room),
    }
    parsed = [parse_address(s.format(**values)) for s in SPELLINGS]
    with_entrance = [p for s, p in zip(SPELLINGS, parsed, strict=True) if "{e" in s]
    assert len({address_key(p) for p in with_entrance}) == 1
    assert len({address_block_key(p) for p in parsed}) == 1
    assert {(p.building, p.room, p.floor) for p in parsed} == {(str(building), str(room), floor)}
    assert {p.entrance for p in with_entrance} == {str(entrance)}


def test_building_level_mentions():
    assert parse_address("翠湖花园3号楼2单元") == Address("翠湖花园", "3", "2")
    assert parse_address("3号楼3层") == Address(None, "3", None, 3)
    assert extract_address("翠湖花园3号楼楼下垃圾堆放") == Address(
        "翠湖花园", "3", extra="楼下垃圾堆放"
    )
    assert extract_address("反映阳光苑5栋电梯故障", known_compounds=KNOWN) == Address(
        "阳光苑", "5", extra="电梯故障"
    )
    assert extract_address("3号楼楼下垃圾堆放") is None  # a building of no known compound
