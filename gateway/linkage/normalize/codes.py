"""Coded columns: gender (GB/T 2261.1), political status (GB/T 4762), relation (GB/T 4761)."""

from __future__ import annotations

import re
from typing import Literal

from ._text import fold, simplify, to_text

__all__ = ["parse_gender", "parse_political_status", "parse_relation"]

Gender = Literal["M", "F"]
PoliticalStatus = Literal["PARTY_MEMBER", "PROBATIONARY_MEMBER", "LEAGUE_MEMBER", "MASSES"]
Relation = Literal["HEAD", "SPOUSE", "CHILD", "PARENT", "GRANDCHILD", "SIBLING", "OTHER"]

_GENDER: dict[str, Gender] = {
    **dict.fromkeys(["男", "男性", "男士", "M", "MALE", "1", "01"], "M"),
    **dict.fromkeys(["女", "女性", "女士", "F", "FEMALE", "2", "02"], "F"),
}
_POLITICAL: dict[str, PoliticalStatus] = {
    **dict.fromkeys(["党员", "中共党员", "正式党员", "共产党员", "中国共产党党员", "中共正式党员",
                     "1", "01"], "PARTY_MEMBER"),
    **dict.fromkeys(["预备党员", "中共预备党员", "2", "02"], "PROBATIONARY_MEMBER"),
    **dict.fromkeys(["团员", "共青团员", "中国共产主义青年团团员", "青年团员", "3", "03"],
                    "LEAGUE_MEMBER"),
    **dict.fromkeys(["群众", "普通群众", "居民", "13"], "MASSES"),
}
_RELATION_WORDS: dict[str, Relation] = {
    **dict.fromkeys(["户主", "本人", "户主本人", "本户户主"], "HEAD"),
    **dict.fromkeys(["配偶", "妻", "夫", "妻子", "丈夫", "老伴", "爱人", "夫妻", "老婆", "老公",
                     "之妻", "之夫"], "SPOUSE"),
    **dict.fromkeys(["子", "儿子", "儿", "女", "女儿", "之子", "之女", "子女", "独子", "独女",
                     "闺女"], "CHILD"),
    **dict.fromkeys(["父", "母", "父亲", "母亲", "父母", "爸爸", "妈妈", "公公", "婆婆", "岳父",
                     "岳母", "继父", "继母", "养父", "养母"], "PARENT"),
    **dict.fromkeys(["兄", "弟", "姐", "妹", "哥哥", "弟弟", "姐姐", "妹妹", "兄弟", "姐妹",
                     "兄弟姐妹", "嫂", "嫂子", "弟媳", "姐夫", "妹夫", "哥"], "SIBLING"),
}
# Ordinals and adoptive prefixes before 子/女: 长子, 次女, 三子, 独生女, 养子, 继女…
_CHILD = re.compile(r"(?:长|次|[二三四五六七八九]|独生|养|继|小|大|二)?(?:子|女|儿子|女儿)")
_GRANDCHILD = re.compile(r"(?:外|曾|外曾)?孙(?:子|女)?(?:女婿|媳妇|媳)?")
_CODE = re.compile(r"(\d{1,2})(.*)")


def _clean(raw: object) -> str:
    text = simplify(fold(to_text(raw))).upper()
    return text.strip("()[]【】:;,.")


def parse_gender(raw: object) -> Gender | None:
    """'M'/'F' from 男/女/M/F/1/2/男性/女性…; 0, 9, 未知 and anything else → None."""
    return _GENDER.get(_clean(raw))


def parse_political_status(raw: object) -> PoliticalStatus | None:
    """Canonical political status from words or GB/T 4762 codes (01 党员, 02 预备党员, 03 团员,
    13 群众); democratic parties and unknown values → None."""
    text = _clean(raw)
    if text in _POLITICAL:
        return _POLITICAL[text]
    if "预备" in text and "党员" in text:
        return "PROBATIONARY_MEMBER"
    return None


def _relation_code(code: int) -> Relation | None:
    # GB/T 4761-2008 bands: 0x self, 1x spouse, 2x-3x children, 4x grandchildren, 5x parents,
    # 6x grandparents, 7x siblings, 8x-9x other relatives and non-relatives.
    if code in (1, 2):
        return "HEAD"
    bands: tuple[tuple[int, int, Relation], ...] = (
        (10, 19, "SPOUSE"), (20, 39, "CHILD"), (40, 49, "GRANDCHILD"), (50, 59, "PARENT"),
        (60, 69, "OTHER"), (70, 79, "SIBLING"), (80, 99, "OTHER"),
    )
    return next((rel for lo, hi, rel in bands if lo <= code <= hi), None)


def _relation_word(text: str) -> Relation | None:
    if text in _RELATION_WORDS:
        return _RELATION_WORDS[text]
    if _CHILD.fullmatch(text):
        return "CHILD"
    if _GRANDCHILD.fullmatch(text):
        return "GRANDCHILD"
    if text.startswith("其他") or text in ("其它", "非亲属", "亲属", "保姆", "租客", "租户",
                                           "儿媳", "女婿", "侄子", "侄女", "外甥", "外甥女",
                                           "祖父", "祖母", "外祖父", "外祖母", "朋友", "同事"):
        return "OTHER"
    return None


def parse_relation(raw: object) -> Relation | None:
    """Relation to the head of household, canonical: HEAD, SPOUSE, CHILD, PARENT, GRANDCHILD,
    SIBLING, OTHER, or None when unreadable.

    Words (户主/本人, 妻/丈夫, 长子/儿子/女, 父亲, 外孙女…), GB/T 4761 codes (02, 10, 20-39…)
    and code+word cells like '02户主' all work; the word wins when both are present.
    """
    text = _clean(raw)
    if not text:
        return None
    m = _CODE.fullmatch(text)
    if m is None:
        return _relation_word(text)
    word = _relation_word(m.group(2)) if m.group(2) else None
    return word or _relation_code(int(m.group(1)))
