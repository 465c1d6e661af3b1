from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from gateway.linkage.normalize import (
    IdNumber,
    id_matches_partial,
    mask_id,
    parse_id,
    repair_candidates,
)
from gateway.linkage.normalize.ids import check_char

VALID = "11010519491231002X"

areas = st.sampled_from(["110105", "310104", "370102", "440305", "510107", "650102"])
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31))
sequences = st.integers(min_value=0, max_value=999)


@st.composite
def valid_ids(draw: st.DrawFn, births: st.SearchStrategy[date] = births) -> str:
    first17 = draw(areas) + draw(births).strftime("%Y%m%d") + f"{draw(sequences):03d}"
    return first17 + check_char(first17)


FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
NOISES = [
    lambda v: v.lower(),
    lambda v: v.translate(FULLWIDTH),
    lambda v: "'" + v,
    lambda v: f" {v[:6]} {v[6:14]}\t{v[14:]} ",
    lambda v: "\u3000" + v + "\u200b",
    lambda v: "'" + v.translate(FULLWIDTH).lower() + " ",
]


@settings(max_examples=60, deadline=None)
@given(valid_ids(), st.sampled_from(range(len(NOISES))))
def test_every_valid_id_survives_format_noise(value, noise):
    parsed = parse_id(NOISES[noise](value))
    assert parsed.kind == "full"
    assert parsed.value == value
    assert ric.calc_check_digit(value) == value[-1]  # our check agrees with python-stdnum
    assert parsed.birth == date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    assert parsed.gender == ("M" if int(value[16]) % 2 else "F")


@settings(max_examples=60, deadline=None)
@given(valid_ids(st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31))))
def test_legacy15_of_a_19xx_id_upgrades_to_the_original(value):
    legacy = value[:6] + value[8:17]
    parsed = parse_id(legacy)
    assert parsed.kind == "legacy15"
    assert parsed.value == value


@settings(max_examples=60, deadline=None)
@given(valid_ids())
def test_mask_parses_as_masked_and_matches_its_original(value):
    masked = mask_id(value)
    assert masked == value[:6] + "********" + value[-4:]
    partial = parse_id(masked)
    assert partial.kind == "masked"
    assert (partial.prefix, partial.suffix) == (value[:6], value[-4:])
    assert id_matches_partial(value, partial)


@settings(max_examples=40, deadline=None)
@given(valid_ids(), st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_one_changed_digit_is_invalid_and_repairable(value, pos, delta):
    typo = value[:pos] + str((int(value[pos]) + delta) % 10) + value[pos + 1 :]
    parsed = parse_id(typo)
    if parsed.kind == "full":  # a typo elsewhere can never keep the checksum; only a date can
        pytest.fail(f"{typo} passed the check")
    assert parsed.kind == "invalid"
    assert (parsed.prefix, parsed.suffix) == (typo[:6], typo[-4:])
    assert value in repair_candidates(typo)


def test_domain_example_swap_is_repaired():
    typo = "11010519419231002X"  # DOMAIN.md §4.1: 4 and 9 swapped
    assert parse_id(typo).kind == "invalid"
    candidates = repair_candidates(typo)
    assert VALID in candidates
    assert candidates == sorted(candidates)
    assert all(ric.calc_check_digit(c) == c[-1] for c in candidates)


def test_repair_only_for_invalid_18_char_ids():
    assert repair_candidates(VALID) == []
    assert repair_candidates("110105491231002") == []
    assert repair_candidates(None) == []


def test_repair_candidates_need_real_birth_dates():
    for candidate in repair_candidates("11010519491331002X"):  # month 13
        assert parse_id(candidate).birth is not None


@pytest.mark.parametrize(
    ("raw", "prefix", "suffix"),
    [
        ("110105********002X", "110105", "002X"),
        ("1101**********002X", "1101", "002X"),
        ("****002X", None, "002X"),
        ("110105********002x", "110105", "002X"),
        ("110105XXXXXXXX002X", "110105", "002X"),
        ("１１０１０５＊＊＊＊＊＊＊＊００２Ｘ", "110105", "002X"),
    ],
)
def test_masked_variants(raw, prefix, suffix):
    parsed = parse_id(raw)
    assert (parsed.kind, parsed.prefix, parsed.suffix) == ("masked", prefix, suffix)
    assert id_matches_partial(VALID, parsed)


def test_masked_mismatch():
    assert not id_matches_partial(VALID, parse_id("110106********002X"))
    assert not id_matches_partial(VALID, parse_id("****0011"))
    assert not id_matches_partial(VALID, IdNumber("missing"))
    assert not id_matches_partial("garbage", parse_id("****002X"))


@pytest.mark.parametrize(
    "raw",
    ["", "   ", None, "无", "/", "—", "-", "待补", "000000000000000000", "0", "null", "NULL",
     "None", float("nan"), "***", "\u3000", "'"],
)
def test_placeholders_are_missing(raw):
    assert parse_id(raw) == IdNumber("missing")


def test_legacy_example_from_domain():
    parsed = parse_id("110105491231002")
    assert parsed.kind == "legacy15"
    assert parsed.value == VALID
    assert parsed.birth == date(1949, 12, 31)


def test_numeric_cells_and_excel_debris():
    assert parse_id(110105491231002).kind == "legacy15"
    assert parse_id("110105491231002.0").value == VALID
    assert parse_id("1.10105E+17").kind == "invalid"


def test_gender_and_birth_come_from_the_number():
    parsed = parse_id(VALID)
    assert (parsed.birth, parsed.gender) == (date(1949, 12, 31), "F")
    first17 = "11010519850307001"
    assert parse_id(first17 + check_char(first17)).gender == "M"


def test_invalid_dates_are_invalid_even_with_right_check():
    first17 = "11010519851332001"
    parsed = parse_id(first17 + check_char(first17))
    assert parsed.kind == "invalid"


def test_mask_of_unknown_is_empty():
    assert mask_id(None) == ""
    assert mask_id("110105491231002") == "110105********002X"
