"""Compound names as people write them: 翠湖花园 / 翠湖花园小区 / 翠湖小区 name one compound, and
铁路大院 / 铁路院 / 铁路宿舍 another. Inside one community, the name without its generic suffixes
identifies the compound. Buildings as a property company codes them: `A03` for 3号楼."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection

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


def registered_building(building: str | None, compound_ids: Collection[int],
                        buildings: Collection[tuple[int, str]]) -> str | None:
    """The registry's number for a building a record writes with a letter prefix (`A3` of the
    room code `A03-2-0301`, docs/partners.md §5.1), else the building as written.

    Only where the record's compound is one known compound that has no building of that name
    but has one of the bare number: a real `A座` of a compound that letters its buildings is
    left alone, and so is any name the registry does not know either way."""
    if (not building or len(compound_ids) != 1 or not building[0].isascii()
            or not building[0].isalpha() or not building[1:].isdigit()):
        return building
    (compound,) = compound_ids
    if (compound, building) in buildings or (compound, building[1:]) not in buildings:
        return building
    return building[1:]
