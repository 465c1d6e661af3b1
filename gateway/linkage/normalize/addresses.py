"""Addresses down to the room: '3号楼2单元301', '3#2-301', '三号楼二单元三〇一', '669弄14号1102'…

Parsing works on a folded string (NFKC, simplified characters, Chinese numerals next to address
markers turned into digits), strips the administrative prefix (省 市 区 街道 社区), lifts out a
road number (XX路88号, 669弄), then reads building / entrance / floor / room with one pattern.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from ._text import CN_NUMERAL_CLASS, fold, is_placeholder, replace_cn_numerals, simplify, to_text

__all__ = [
    "Address",
    "address_block_key",
    "address_key",
    "compound_stem",
    "extract_address",
    "parse_address",
]

_N = CN_NUMERAL_CLASS
_HAN = "\u4e00-\u9fff"
# Numerals directly before a marker ('三号楼', '二单元', '一期') or right after one and not part
# of a word ('单元三〇一'); '一品小区' and '十里河' stay as they are.
_CN_BEFORE = re.compile(f"([{_N}]+)(?=号|栋|幢|座|单元|门|层|楼|室|期|弄|户|#|-)")
_CN_AFTER = re.compile(f"(?<=[号楼栋幢座元门层室弄#-])([{_N}]+)(?=[^{_HAN}]|$|室|号|户)")
_PARENS = re.compile(r"[(\[【]([^)\]】]*)[)\]】]?")
_DIGIT_GAP = re.compile(r"(?<=[\dA-Z])\s+(?=\d)")
_SPACES = re.compile(r"\s+")

_ADMIN = tuple(
    re.compile(p)
    for p in (
        r"(?:中国|中华人民共和国)",
        rf"(?:北京|天津|上海|重庆)市?|[{_HAN}]{{2,7}}?(?:省|自治区|特别行政区)",
        rf"[{_HAN}]{{2,7}}?(?<!超|城)(?:市|自治州|地区|盟)",
        rf"[{_HAN}]{{1,6}}?(?<![小社园校厂院片街景])(?:区|县|旗)",
        rf"[{_HAN}]{{2,8}}?(?:街道办事处|街道办|街道|镇)",
        rf"[{_HAN}]{{2,8}}?(?:社区居民委员会|社区居委会|居民委员会|居委会|社区)",
    )
)
_LABEL = re.compile(r"^(?:家庭住址|现住址|户籍地址|住址|地址|事发地址|住在|家住|位于)[:：]?")
_ROAD = re.compile(
    rf"[{_HAN}A-Z]{{1,10}}?(?:大街|大道|路|街|巷|胡同)(?:\d+弄|\d+号(?:院)?)(?!楼)"
    rf"|(?:[{_HAN}]{{1,10}}?(?:路|街))?\d+弄"
)
_BUILDING = r"(?P<b>[A-Z]?\d{1,3}[A-Z]?|[A-Z])"
_B_MARK = r"(?:(?:号楼|栋|幢|座|号|楼|#)-?|-)"
_ENTRANCE = r"(?:(?P<e>\d{1,2})(?:单元|门|#|-)-?)"
_FLOOR = r"(?:(?P<f>\d{1,2})(?:层|楼)-?)"
# Rooms have 3+ digits ('301', '1102'); a 1-2 digit room needs its marker, so dates don't parse.
_ROOM = r"(?P<r>\d{3,5}|\d{1,2}(?=室|号|户))(?:室|号|户)?(?!\d)"
_UNIT = re.compile(rf"(?<![\dA-Z]){_BUILDING}{_B_MARK}{_ENTRANCE}?{_FLOOR}?{_ROOM}")
_BUILDING_ONLY = re.compile(
    rf"(?<![\dA-Z]){_BUILDING}(?:号楼|栋|幢|座|#)-?"
    rf"(?:(?P<e>\d{{1,2}})(?:单元|门)-?)?(?:(?P<f>\d{{1,2}})(?:层|楼(?![上下])))?"
)
_ENTRANCE_ROOM = re.compile(rf"(?<!\d)(?P<e>\d{{1,2}})(?:单元|门)-?{_FLOOR}?{_ROOM}")
_ROOM_ONLY = re.compile(r"(?<![\d-])(?P<r>\d{3,5})(?:室|号)?$")
_EXPLICIT = re.compile(r"号楼|栋|幢|座|单元|门|室|#|号")

# Words after which a compound name starts in free text ('市民来电反映翠湖花园3栋…').
_TRIGGERS = re.compile(
    r".*(?:反映|投诉|举报|来电|称|说|住在|家住|住址|地址|位于|居住|在|是|的|:|到)"
)
_COMPOUND_SUFFIX = re.compile(r"(?:住宅小区|小区|花园|家园)$")
_PHASE = re.compile(r"(\d+)期$")
_NAME_TAIL = re.compile(r"(?:住宅小区|小区|花园|家园|\d+期)*")
_KEY_SUFFIX = re.compile(r"(?:住宅小区|小区)$")


@dataclass(frozen=True, slots=True)
class Address:
    """A parsed address; every part optional. ``room`` has no leading zeros ('0301' → '301')."""

    compound: str | None = None
    building: str | None = None
    entrance: str | None = None
    floor: int | None = None
    room: str | None = None
    road: str | None = None
    extra: str | None = None


def _fold(raw: object) -> tuple[str, list[str]]:
    """Folded text with numerals converted, and the parenthesised remarks taken out."""
    text = simplify(fold(to_text(raw), keep_space=True)).upper()
    remarks = [r.strip() for r in _PARENS.findall(text) if r.strip()]
    text = _DIGIT_GAP.sub("-", _PARENS.sub(" ", text))
    text = _SPACES.sub("", text)
    text = replace_cn_numerals(text, _CN_BEFORE)
    return replace_cn_numerals(text, _CN_AFTER), remarks


def _strip_admin(text: str) -> tuple[str, str | None]:
    """Drop 省/市/区/街道/社区 prefixes; also return the community stem if one was dropped."""
    text = _LABEL.sub("", text)
    community = None
    for level, pattern in enumerate(_ADMIN):
        m = pattern.match(text)
        if m and m.end() < len(text):
            text = text[m.end() :]
            if level == len(_ADMIN) - 1:
                community = re.sub(r"(?:社区)?(?:居民委员会|居委会)?$", "", m.group(0)) or None
    return text, community


def _canonical_building(raw: str) -> str:
    # 'A03' and 'A3' are the same building; leading zeros are formatting.
    m = re.fullmatch(r"([A-Z]?)(\d*)([A-Z]?)", raw)
    if not m:
        return raw
    return f"{m[1]}{int(m[2]) if m[2] else ''}{m[3]}"


def _room_parts(room: str | None, floor: str | None) -> tuple[str | None, int | None]:
    if room is None:
        return None, int(floor) if floor else None
    canonical = room.lstrip("0") or "0"
    if floor:
        return canonical, int(floor)
    # Rooms are numbered FF0R: the digits before the last two are the floor (301 → 3, 1102 → 11).
    return canonical, int(canonical[:-2]) if len(canonical) >= 3 else None


def _clean_compound(text: str) -> str | None:
    text = _LABEL.sub("", text.strip("-,.;:、|#"))
    text = re.split(r"[,;、|]", text)[-1] if text else text
    return text or None


def _unit_match(text: str, *, strict: bool) -> re.Match[str] | None:
    for m in _UNIT.finditer(text):
        if not strict or _EXPLICIT.search(m.group(0)) or m.group("e"):
            return m
    return None


def _build(
    m: re.Match[str] | None, head: str, tail: str, *, road: str | None, remarks: list[str]
) -> Address:
    groups = m.groupdict() if m else {}
    room, floor = _room_parts(groups.get("r"), groups.get("f"))
    building = groups.get("b")
    extras = [t for t in (tail.strip("-,.;:、|，。"), *remarks) if t]
    return Address(
        compound=_clean_compound(head),
        building=_canonical_building(building) if building else None,
        entrance=str(int(groups["e"])) if groups.get("e") else None,
        floor=floor,
        room=room,
        road=road,
        extra=" ".join(extras) or None,
    )


def _split_road(text: str) -> tuple[str, str | None]:
    m = _ROAD.search(text)
    if m is None:
        return text, None
    return text[: m.start()] + "|" + text[m.end() :], m.group(0)


def _parse_units(text: str, remarks: list[str]) -> Address:
    text, road = _split_road(text)
    for pattern in (_UNIT, _BUILDING_ONLY, _ENTRANCE_ROOM, _ROOM_ONLY):
        m = pattern.search(text)
        if m:
            return _build(m, text[: m.start()], text[m.end() :], road=road, remarks=remarks)
    return _build(None, text, "", road=road, remarks=remarks)


def parse_address(raw: object, *, known_compounds: Sequence[str] = ()) -> Address:
    """Parse one address cell into compound / building / entrance / floor / room; never raises.

    With ``known_compounds`` the compound is resolved to the known spelling ('翠湖花园小区',
    '翠湖花园1期' → '翠湖花园'); a community name standing in for the compound is resolved too.
    """
    text, remarks = _fold(raw)
    if is_placeholder(text) and not remarks:
        return Address()
    text, community = _strip_admin(text)
    known = tuple(known_compounds)
    hit = _known_in(text, known) if known else None
    if hit is not None:
        text = text[: hit[1]] + "|" + text[hit[2] :]
    address = _parse_units(text, remarks)
    if hit is not None:
        return _replace_compound(address, hit[0])
    candidate = address.compound or community
    if known and candidate:
        return _replace_compound(address, _resolve(candidate, known) or address.compound)
    return address


def _replace_compound(address: Address, compound: str | None) -> Address:
    return replace(address, compound=compound)


def extract_address(text: object, *, known_compounds: Sequence[str] = ()) -> Address | None:
    """The first address inside free text (12345 诉求内容), or None.

    A room-level mention needs at least one address marker (栋, 单元, 室, #…) or a
    building-entrance-room triple, so dates and ticket numbers are not read as rooms. Failing
    that, a building ('翠湖花园3号楼楼下') is returned when its compound is identifiable.
    """
    folded, _ = _fold(text)
    m = _unit_match(folded, strict=True) or _BUILDING_ONLY.search(folded)
    if m is None:
        return None
    compound = _compound_before(folded[: m.start()], tuple(known_compounds))
    if m.re is _BUILDING_ONLY and compound is None:
        return None
    tail = re.split(r"[,.;!?，。；！？]", folded[m.end() :])[0]
    return _replace_compound(_build(m, "", tail, road=None, remarks=[]), compound)


def _compound_before(head: str, known: tuple[str, ...]) -> str | None:
    hit = _known_in(head, known) if known else None
    if hit is not None:
        return hit[0]
    head = re.split(r"[,.;!?:，。；！？、]", head)[-1]
    trigger = _TRIGGERS.match(head)
    return _clean_compound(_strip_admin(head[trigger.end() :] if trigger else head)[0])


def compound_stem(name: str) -> tuple[str, str | None]:
    """(stem, phase) of a compound name: '翠湖花园小区' → ('翠湖', None), '阳光苑二期' → ('阳光苑', '2')."""
    text = replace_cn_numerals(simplify(fold(name)), _CN_BEFORE)
    phase = _PHASE.search(text)
    if phase:
        text = text[: phase.start()]
    text = re.sub(r"(?:社区|居委会)$", "", text)
    while (m := _COMPOUND_SUFFIX.search(text)) and m.start() >= 2:
        text = text[: m.start()]
    return text, phase.group(1) if phase else None


@lru_cache(maxsize=64)
def _index(known: tuple[str, ...]) -> tuple[tuple[str, str, str | None, str], ...]:
    """(known spelling, stem, phase, folded spelling) per known compound, longest first."""
    rows = [(k, *compound_stem(k), _fold(k)[0]) for k in known if k and fold(k)]
    return tuple(sorted(rows, key=lambda row: -len(row[3])))


def _resolve(name: str, known: tuple[str, ...]) -> str | None:
    """Best known spelling for ``name``: exact, then same stem and phase, then a unique stem."""
    folded = _fold(name)[0]
    stem, phase = compound_stem(name)
    rows = _index(known)
    for spelling, _, _, known_folded in rows:
        if known_folded == folded:
            return spelling
    same_stem = [row for row in rows if row[1] == stem]
    exact_phase = [row for row in same_stem if row[2] == phase]
    if exact_phase:
        return exact_phase[0][0]
    if len(same_stem) == 1:
        return same_stem[0][0]
    prefixed = [r for r in rows if len(stem) >= 2 and (r[1].startswith(stem) or stem.startswith(r[1]))]
    return prefixed[0][0] if len(prefixed) == 1 else None


def _known_in(text: str, known: tuple[str, ...]) -> tuple[str, int, int] | None:
    """The known compound written in ``text`` as (spelling, start, end): full spellings first
    (longest first), then bare stems ('翠湖' for 翠湖花园) that are not a community name."""
    rows = _index(known)
    for spelling, _, _, folded in rows:
        at = text.find(folded)
        if at >= 0:
            return spelling, at, at + len(folded) + _suffix_len(text, at + len(folded))
    for spelling, stem, _, _ in rows:
        for m in re.finditer(re.escape(stem), text) if len(stem) >= 2 else ():
            if not text.startswith("社区", m.end()):
                return spelling, m.start(), m.end() + _suffix_len(text, m.end())
    return None


def _suffix_len(text: str, at: int) -> int:
    # Swallow what the text adds after the name ('翠湖花园小区', '翠湖花园1期').
    tail = _NAME_TAIL.match(text, at)
    return tail.end() - at if tail else 0


def address_key(addr: Address | None) -> str | None:
    """'compound|building|entrance|room' (compound stem, may be empty) when building and room are
    known, else None. Two spellings of the same room give the same key."""
    if addr is None or addr.building is None or addr.room is None:
        return None
    return f"{_key_compound(addr)}|{addr.building}|{addr.entrance or ''}|{addr.room}"


def address_block_key(addr: Address | None) -> str | None:
    """'compound|building|room' without the entrance, for blocking: '3栋301' (entrance left out)
    lands in the same block as '3栋2单元301'."""
    if addr is None or addr.building is None or addr.room is None:
        return None
    return f"{_key_compound(addr)}|{addr.building}|{addr.room}"


def _key_compound(addr: Address) -> str:
    # Only the generic 小区 suffix goes: 花园/家园 and 期 can tell real compounds apart.
    if not addr.compound:
        return ""
    name = replace_cn_numerals(simplify(fold(addr.compound)), _CN_BEFORE)
    return _KEY_SUFFIX.sub("", name) or name
