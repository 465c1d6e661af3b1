"""Compound names as people write them: 翠湖花园 / 翠湖花园小区 / 翠湖小区 name one compound, and
铁路大院 / 铁路院 / 铁路宿舍 another. Inside one community, the name without its generic suffixes
identifies the compound."""

from __future__ import annotations

import unicodedata

# Generic estate words, longest first; stripped repeatedly from the end of a name.
# 里 and 村 stay: 建设里 is not 建设花园.
_SUFFIXES = ("住宅小区", "小区", "花园", "家园", "公寓", "大院", "宿舍", "新村", "名苑", "雅居",
             "苑", "院", "园", "府", "庭", "城", "居")


def compound_key(name: str | None) -> str | None:
    """The distinctive part of a compound name (at least two characters are kept)."""
    if not name:
        return None
    text = "".join(unicodedata.normalize("NFKC", name).split())
    for _ in range(3):
        for suffix in _SUFFIXES:
            if text.endswith(suffix) and len(text) - len(suffix) >= 2:
                text = text[: -len(suffix)]
                break
        else:
            break
    return text or None
