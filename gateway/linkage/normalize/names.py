"""Person names: cleaning, honorific-only callers (王女士, 老李), multi-person cells, similarity."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache, lru_cache
from typing import Any

from ._text import fold, simplify, to_text

__all__ = ["PersonName", "name_similarity", "parse_name", "split_names"]

COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 慕容 司徒 夏侯 尉迟 公孙 令狐 长孙 宇文 轩辕 独孤 端木 南宫 西门 "
    "申屠 太史 澹台 公冶 宗政 濮阳 淳于 单于 赫连 钟离 闻人 万俟 呼延 百里 东郭 拓跋 完颜".split()
)
# Honorific suffixes; the single-character ones only count after a bare surname (王哥, not 李建哥).
_SUFFIXES = ("女士", "先生", "师傅", "阿姨", "大爷", "大妈", "大姐", "大哥", "大娘", "大叔", "大伯",
             "老师", "同志", "奶奶", "爷爷", "老人", "老太", "小姐", "叔叔", "伯伯", "婆婆", "主任",
             "书记", "经理", "老板", "师父", "夫人", "老汉", "某某", "某")
_SHORT_SUFFIXES = ("姐", "哥", "叔", "姨", "伯", "总", "工", "嫂", "婶")
_PREFIXES = ("老", "小", "阿")
# 老X/小X/阿X is a form of address only with a common surname; 小明 stays a given name.
_COMMON_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕"
    "丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严"
    "覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚"
)
_ANONYMOUS = frozenset(
    {"匿名", "无", "无名", "无名氏", "不详", "未知", "未提供", "市民", "来电人", "来电市民", "群众",
     "居民", "业主", "本人", "null", "none", "nan", "/", "-", "—", "*", "?", "先生", "女士"}
)
# A space splits two people only between Han names of 2+ characters ('张三 李四', not '张 三').
_SPLIT = re.compile(
    r"[、,;/|&+，；]|(?<=[\u4e00-\u9fff]{2})(?:\s+|[和与及]|以及)(?=[\u4e00-\u9fff]{2})"
)
_BRACKETS = re.compile(r"[(\[【（][^)\]】）]*[)\]】）]?")
_NON_NAME = re.compile(r"[^\w· ]|[\d_]")
_MIDDLE_DOTS = re.compile(r"[.•・·]")
# Characters people confuse by shape (handwriting, OCR, hurried typing).
_LOOKALIKE_GROUPS = ("王玉主", "己已巳", "戊戌戍", "未末", "土士", "日曰", "人入", "大太犬",
                     "田由甲申", "刀力", "干千于", "天夭", "贝见", "今令", "杨扬", "候侯", "汩汨")
_LOOKALIKE = frozenset(
    frozenset((a, b)) for group in _LOOKALIKE_GROUPS for a in group for b in group if a != b
)


@dataclass(frozen=True, slots=True)
class PersonName:
    """A parsed name cell; ``full`` is None when only an honorific or 'anonymous' was given."""

    full: str | None = None
    surname: str | None = None
    honorific: str | None = None
    pinyin: str | None = None


@cache
def _lazy_pinyin() -> Any:
    # pypinyin loads its dictionaries on import (~0.3 s); only pay that when a name needs it.
    from pypinyin import lazy_pinyin

    return lazy_pinyin


@lru_cache(maxsize=65536)
def to_pinyin(text: str) -> str:
    """Toneless pinyin, syllables joined by spaces ('李丽' → 'li li')."""
    return " ".join(_lazy_pinyin()(text)).lower()


def _clean(text: str) -> str:
    text = simplify(fold(text, keep_space=True))
    text = _BRACKETS.sub("", text)  # '张三（户主）', '李四(曾用名李思)'
    if re.search(r"[\u4e00-\u9fff]", text):
        text = re.sub(r"\s+", "", text)  # '张 三', '张　三': spaces inside Han names are noise
        text = _MIDDLE_DOTS.sub("·", text)  # transliterated names: 阿卜杜·热合曼
    return _NON_NAME.sub("", text).strip(" ·")


def split_names(raw: object) -> list[str]:
    """Cleaned names of a multi-person cell ('张三、李四', '张三/李四', '张三 李四'), in order."""
    text = fold(to_text(raw), keep_space=True)
    parts = (_clean(part) for part in _SPLIT.split(text))
    return [p for p in parts if p and p.lower() not in _ANONYMOUS]


def surname_of(name: str) -> str | None:
    """Compound surname when the name starts with one, else the first Han character."""
    if not name or not re.match(r"[\u4e00-\u9fff]", name) or "·" in name:
        return None
    if name[:2] in COMPOUND_SURNAMES and len(name) >= 2:
        return name[:2]
    return name[0]


def _is_bare_surname(text: str) -> bool:
    return len(text) == 1 and "\u4e00" <= text <= "\u9fff" or text in COMPOUND_SURNAMES


def _honorific(name: str) -> tuple[str, str] | None:
    """(remaining name, honorific) when the cell is an honorific form like 王女士 or 老李."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], suffix
    for suffix in _SHORT_SUFFIXES:
        if name.endswith(suffix) and _is_bare_surname(name[:-1]):
            return name[:-1], suffix
    for prefix in _PREFIXES:
        if name.startswith(prefix) and name[1:] in _COMMON_SURNAMES:
            return name[1:], prefix
    return None


def parse_name(raw: object) -> PersonName:
    """Parse a name cell (first person of a multi-person cell); never raises.

    '王女士' → surname 王, honorific 女士, full None; '老李' → surname 李, honorific 老;
    '张三先生' → full 张三; '匿名'/'无' → all None. Spaces of any kind inside Han names are dropped.
    """
    names = split_names(raw)
    if not names:
        return PersonName()
    name = names[0]
    honorific = _honorific(name)
    if honorific is not None:
        rest, title = honorific
        if _is_bare_surname(rest):
            return PersonName(None, rest, title, None)
        name = rest
    return PersonName(name, surname_of(name), honorific[1] if honorific else None, to_pinyin(name))


def _as_name(value: object) -> PersonName:
    return value if isinstance(value, PersonName) else parse_name(value)


def _surnames_compatible(a: str, b: str) -> bool:
    return a == b or frozenset((a, b)) in _LOOKALIKE


def name_similarity(a: object, b: object) -> float:
    """Similarity in [0, 1] of two names (strings or :class:`PersonName`).

    1.0 identical; 0.9 same pinyin (homophones 李丽/李莉); 0.7 one look-alike character (王/玉,
    己/已, 戊/戌); 0.5 an honorific-only side whose surname agrees; 0.0 different surnames.
    Other same-surname pairs score by shared characters, at most 0.5.
    """
    x, y = _as_name(a), _as_name(b)
    if not x.surname or not y.surname or not _surnames_compatible(x.surname, y.surname):
        if x.full and x.full == y.full:  # non-Han names have no surname but can still be equal
            return 1.0
        return 0.0
    if x.full is None or y.full is None:
        return 0.5 if x.surname == y.surname else 0.3
    if x.full == y.full:
        return 1.0
    if x.surname == y.surname and x.pinyin == y.pinyin:
        return 0.9
    if len(x.full) == len(y.full):
        diffs = [(p, q) for p, q in zip(x.full, y.full, strict=True) if p != q]
        if len(diffs) == 1 and frozenset(diffs[0]) in _LOOKALIKE:
            return 0.7
    if x.surname != y.surname:
        return 0.0
    return round(0.5 * SequenceMatcher(None, x.full, y.full).ratio(), 3)
