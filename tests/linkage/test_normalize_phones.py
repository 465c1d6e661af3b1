from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.linkage.normalize import (
    Phone,
    extract_phones,
    mask_phone,
    parse_phones,
    phone_matches_partial,
)

MOBILE = Phone("mobile", "13812345678", "138", "5678")


@pytest.mark.parametrize(
    "raw",
    ["13812345678", "138 1234 5678", "138-1234-5678", "+86 13812345678", "8613812345678",
     "0086 138 1234 5678", "+86-138-1234-5678", "(+86)13812345678", "１３８１２３４５６７８",
     "138\u30001234\u30005678", "\u200b13812345678 ", 13812345678, 13812345678.0, "'13812345678"],
)
def test_mobile_spellings(raw):
    assert parse_phones(raw) == [MOBILE]


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("0531-86123456", "0531-86123456"),
        ("0531 86123456", "0531-86123456"),
        ("053186123456", "0531-86123456"),
        ("010-62345678", "010-62345678"),
        ("01062345678", "010-62345678"),
        ("(010)62345678", "010-62345678"),
        ("０２１－５１２３４５６７", "021-51234567"),
        ("0531-86123456-801", "0531-86123456"),
        ("62345678", "62345678"),
    ],
)
def test_landlines(raw, value):
    [phone] = parse_phones(raw)
    assert (phone.kind, phone.value) == ("landline", value)


@pytest.mark.parametrize("sep", ["/", ",", ";", "、", " ", "，", "；", " / "])
def test_two_numbers_in_one_cell(sep):
    phones = parse_phones(f"13812345678{sep}139-0000-1111")
    assert [p.value for p in phones] == ["13812345678", "13900001111"]


def test_duplicates_in_a_cell_collapse():
    assert parse_phones("13812345678/138 1234 5678") == [MOBILE]


@pytest.mark.parametrize("raw", ["138****5678", "138xxxx5678", "138XXXX5678", "138＊＊＊＊5678"])
def test_masked(raw):
    assert parse_phones(raw) == [Phone("masked", None, "138", "5678")]


@pytest.mark.parametrize("raw", [None, "", "无", "/", "—", "待补", "12345", "1234567890123456"])
def test_nothing_to_find(raw):
    assert parse_phones(raw) == []


def test_id_numbers_and_ticket_numbers_are_not_phones():
    assert parse_phones("11010519491231002X") == []
    assert extract_phones("工单250912101108115409，身份证110105194912310021") == []


def test_extract_from_hotline_text():
    text = "市民来电反映翠湖花园3栋2单元301楼上漏水，联系电话138-1234-5678，或座机0531-86123456。"
    assert [p.value for p in extract_phones(text)] == ["13812345678", "0531-86123456"]
    assert extract_phones("来电号码138****5678，3号楼201") == [Phone("masked", None, "138", "5678")]


def test_mask_and_partial_match():
    assert mask_phone("13812348000") == "138****8000"
    assert mask_phone("+86 138 1234 8000") == "138****8000"
    assert mask_phone("0531-86123456") == "0531-****3456"
    assert mask_phone(None) == ""
    assert phone_matches_partial("13812345678", "138****5678")
    assert not phone_matches_partial("13812345678", "139****5678")
    assert not phone_matches_partial("13812345678", "138****5679")
    assert phone_matches_partial("13812345678", "13812345678")
    assert not phone_matches_partial("138****5678", "138****5678")
    assert not phone_matches_partial(None, "138****5678")


mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(mobiles, st.sampled_from(["{}", "+86 {}", "86{}", "0086{}", "{0}-{1}-{2}", "{0} {1} {2}"]))
def test_every_mobile_spelling_round_trips(number, template):
    text = template.format(number[:3], number[3:7], number[7:]) if "0}" in template else (
        template.format(number)
    )
    [phone] = parse_phones(text)
    assert phone.value == number
    assert phone_matches_partial(number, mask_phone(number))
