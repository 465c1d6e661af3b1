from __future__ import annotations

import pytest

from gateway.linkage.normalize import parse_gender, parse_political_status, parse_relation


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("男", "M"), ("女", "F"), ("M", "M"), ("f", "F"), ("1", "M"), ("2", "F"), (1, "M"), (2.0, "F"),
     ("男性", "M"), ("女性", "F"), (" 男 ", "M"), ("Ｍ", "M"), ("0", None), ("9", None),
     ("未知", None), ("", None), (None, None), ("其他", None)],
)
def test_gender(raw, expected):
    assert parse_gender(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("党员", "PARTY_MEMBER"), ("中共党员", "PARTY_MEMBER"), ("01", "PARTY_MEMBER"),
     (1, "PARTY_MEMBER"), ("预备党员", "PROBATIONARY_MEMBER"), ("中共预备党员", "PROBATIONARY_MEMBER"),
     ("02", "PROBATIONARY_MEMBER"), ("共青团员", "LEAGUE_MEMBER"), ("团员", "LEAGUE_MEMBER"),
     ("03", "LEAGUE_MEMBER"), ("群众", "MASSES"), ("13", "MASSES"), ("民革党员", None),
     ("", None), (None, None)],
)
def test_political_status(raw, expected):
    assert parse_political_status(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("户主", "HEAD"), ("本人", "HEAD"), ("01", "HEAD"), ("02", "HEAD"), ("02户主", "HEAD"),
     ("01本人", "HEAD"), (2, "HEAD"), ("配偶", "SPOUSE"), ("妻", "SPOUSE"), ("夫", "SPOUSE"),
     ("妻子", "SPOUSE"), ("丈夫", "SPOUSE"), ("10", "SPOUSE"), ("12", "SPOUSE"), ("子", "CHILD"),
     ("长子", "CHILD"), ("次子", "CHILD"), ("儿子", "CHILD"), ("女", "CHILD"), ("长女", "CHILD"),
     ("女儿", "CHILD"), ("独生女", "CHILD"), ("20", "CHILD"), ("22", "CHILD"), ("39", "CHILD"),
     ("父亲", "PARENT"), ("母亲", "PARENT"), ("父", "PARENT"), ("母", "PARENT"), ("51", "PARENT"),
     ("孙子", "GRANDCHILD"), ("孙女", "GRANDCHILD"), ("外孙", "GRANDCHILD"),
     ("外孙女", "GRANDCHILD"), ("41", "GRANDCHILD"), ("兄", "SIBLING"), ("妹妹", "SIBLING"),
     ("71", "SIBLING"), ("其他", "OTHER"), ("儿媳", "OTHER"), ("99", "OTHER"), ("xyz", None),
     ("", None), (None, None), ("（长子）", "CHILD")],
)
def test_relation(raw, expected):
    assert parse_relation(raw) == expected
