"""Shared Unicode helpers: text coercion, width/space/dash folding, Chinese numerals.

Every normalizer starts from :func:`to_text` + :func:`fold`, so a full-width digit, an ideographic
space or an em dash means the same thing in an ID, a phone and an address.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

import opencc

# Zero-width and BOM characters survive NFKC and split otherwise-equal strings.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad"), None)

# Dash-like and hash-like characters NFKC leaves alone; partners type all of them for '-'/'#'.
_PUNCT = str.maketrans(
    {
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\u2e3a\u2e3b~", "-"),
        "\u2116": "#",  # №
        "\u3007": "〇",
        "\u3001": "、",
        "\u30fb": "·",  # katakana middle dot
        "\u2022": "·",
        "\u2027": "·",
        "\uff65": "·",
        "\u00d7": "*",  # × used as a mask character
        "\u25cf": "*",  # ●
    }
)

# Traditional and variant characters → simplified, by OpenCC's dictionaries (phrases first, then
# characters): 陳偉 → 陈伟, 三號樓 → 三号楼, 裏 → 里.
_T2S = opencc.OpenCC("t2s")

_WS = re.compile(r"\s+")
_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9, "壹": 1, "贰": 2, "叁": 3, "肆": 4,
              "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9}
_CN_UNITS = "十百千拾佰仟"
CN_NUMERAL_CLASS = "〇零一二两三四五六七八九壹贰叁肆伍陆柒捌玖十百千拾佰仟"

PLACEHOLDERS = frozenset(
    {"", "无", "/", "-", "--", "---", "—", "——", "待补", "待填", "不详", "未知", "暂无", "空",
     "null", "none", "nan", "n/a", "na", "#n/a", "?", "??", "*", "、", "0", "."}
)


def to_text(raw: object) -> str:
    """Coerce a cell value to text: None/NaN → '', integral floats lose their '.0'."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool):
        return ""
    if isinstance(raw, float):
        if math.isnan(raw) or math.isinf(raw):
            return ""
        return str(int(raw)) if raw.is_integer() and abs(raw) < 1e21 else repr(raw)
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "replace")
    try:
        return str(raw)
    except Exception:  # a hostile __str__ must not break a million-row pass
        return ""


def fold(text: str, *, keep_space: bool = False) -> str:
    """NFKC (full-width → ASCII), drop invisibles, unify dashes, strip or collapse whitespace."""
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_PUNCT)
    if keep_space:
        return _WS.sub(" ", text).strip()
    return _WS.sub("", text)


def simplify(text: str) -> str:
    """Traditional and variant characters to their simplified form (OpenCC t2s)."""
    if not text:
        return text
    try:
        return str(_T2S.convert(text))
    except UnicodeEncodeError:  # lone surrogates from a broken cell: drop them, convert the rest
        return str(_T2S.convert(text.encode("utf-8", "ignore").decode("utf-8")))


def is_placeholder(text: str) -> bool:
    """True for the partners' ways of writing 'no value' (already folded text)."""
    return text.lower() in PLACEHOLDERS or set(text) <= {"0"} or set(text) <= {"-", "/", "*"}


@lru_cache(maxsize=4096)
def cn_numeral(run: str) -> str | None:
    """Chinese numeral run → Arabic digits: '三〇一' → '301', '十二' → '12', '二十一' → '21'.

    Digit-by-digit runs keep leading zeros ('〇三〇一' → '0301'); runs with 十/百/千 go through
    cn2an, which knows the positional rules ('一千一百零二', '十二').
    """
    if not run:
        return None
    if not any(u in run for u in _CN_UNITS):
        digits = [_CN_DIGITS.get(ch) for ch in run]
        if any(d is None for d in digits):
            return None
        return "".join(str(d) for d in digits)
    import cn2an  # deferred: only unit-bearing numerals need it

    try:
        value = cn2an.cn2an(run, "smart")
    except Exception:  # cn2an raises plain ValueError/KeyError variants on odd runs
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    return str(int(value))


def replace_cn_numerals(text: str, pattern: re.Pattern[str]) -> str:
    """Replace every run matched by ``pattern`` (group 1 = the numeral run) with Arabic digits."""

    def _sub(m: re.Match[str]) -> str:
        converted = cn_numeral(m.group(1))
        if converted is None:
            return m.group(0)
        return m.group(0).replace(m.group(1), converted, 1)

    return pattern.sub(_sub, text)
