"""How partners write a true value: small pure functions, one per kind of value.

Each takes the partner's `random.Random` and the true value and returns the cell as that
partner would have typed it, following the noise families of DOMAIN.md §4 (ID typos and
masks, phone formats, homophone names, one room written a dozen ways, every date format).
Rates are keyword arguments so each partner sets its own; defaults are the suggested rates.
They are kept low enough that most records keep at least one usable key.

`noise_scale(k)` multiplies every noise rate by `k` (at most 1) for the cells written inside it,
so one district can be made twice as dirty without touching a partner's own rates. Each cell
function passes its rates through `rate()` (or `keep()` for the share written cleanly); at
k = 1 both return the rate unchanged, so the default district stays the same bytes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date

from gateway.demo.names import HOMOPHONES
from gateway.demo.world import Address, check_char

PLACEHOLDERS: tuple[str | None, ...] = (None, "", "无", "/", "—", "待补", "000000000000000000")
_FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
_CN_DIGITS = "〇一二三四五六七八九"
_EXCEL_EPOCH = date(1899, 12, 30).toordinal()
_DOUBLE_SURNAMES = ("欧阳", "司马")
TAILS = ("（东边那户）", "楼下超市旁", "，电话联系", "（西户）", "（近电梯）")
_SCALE: ContextVar[float] = ContextVar("noise_scale", default=1.0)


# --- the noise scale ---------------------------------------------------------------------------


@contextmanager
def noise_scale(factor: float) -> Iterator[None]:
    """Every noise rate times `factor` for the cells written inside the block."""
    if factor < 0:
        raise ValueError(f"noise scale must be >= 0, got {factor}")
    token = _SCALE.set(factor)
    try:
        yield
    finally:
        _SCALE.reset(token)


def rate(p: float) -> float:
    """The probability `p` of a kind of noise, times the current scale, at most 1."""
    k = _SCALE.get()
    return p if k == 1.0 else min(1.0, p * k)


def keep(p: float) -> float:
    """The probability `p` of a clean form, whose complement is the noise that scales."""
    k = _SCALE.get()
    return p if k == 1.0 else max(0.0, 1.0 - (1.0 - p) * k)


# --- identity numbers --------------------------------------------------------------------------


def id_typo(rng: random.Random, value: str) -> str:
    """One digit changed, or two adjacent digits swapped: the check character no longer fits."""
    chars = list(value)
    i = rng.randrange(0, 16)
    if rng.random() < 0.5 and chars[i] != chars[i + 1]:
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
    else:
        chars[i] = str((int(chars[i]) + rng.randint(1, 9)) % 10)
    out = "".join(chars)
    # A typo can land on another valid number by chance (1 in 11); force it invalid.
    return out if check_char(out[:17]) != out[17] else value[:17] + ("0" if value[17] != "0" else "1")


def id_format(rng: random.Random, value: str) -> str:
    """The same number with spreadsheet debris: x, full-width digits, apostrophe, spaces."""
    kind = rng.randrange(5)
    if kind == 0 and value.endswith("X"):
        return value[:-1] + "x"
    if kind == 1:
        return value.translate(_FULLWIDTH)
    if kind == 2:
        return "'" + value
    if kind == 3:
        return f"{value[:6]} {value[6:14]} {value[14:]}"
    return value + rng.choice((" ", "\t", "  "))


def id_legacy(value: str) -> str:
    """The old 15-digit form: two-digit year, no check character."""
    return value[:6] + value[8:17]


def id_mask(rng: random.Random, value: str) -> str:
    kind = rng.random()
    if kind < 0.6:
        return value[:6] + "********" + value[14:]
    if kind < 0.85:
        return value[:4] + "**********" + value[14:]
    return "****" + value[14:]


def id_cell(rng: random.Random, value: str, *, typo: float = 0.015, fmt: float = 0.03,
            legacy: float = 0.0, mask: float = 0.0, missing: float = 0.05) -> str | None:
    typo, fmt, legacy, mask, missing = map(rate, (typo, fmt, legacy, mask, missing))
    r = rng.random()
    if r < missing:
        return rng.choice(PLACEHOLDERS)
    r -= missing
    if r < mask:
        return id_mask(rng, value)
    r -= mask
    if r < legacy:
        return id_legacy(value)
    r -= legacy
    if r < typo:
        return id_typo(rng, value)
    r -= typo
    if r < fmt:
        return id_format(rng, value)
    return value


# --- phones ------------------------------------------------------------------------------------


def phone_mask(value: str) -> str:
    return value[:3] + "****" + value[7:]


def phone_format(rng: random.Random, value: str) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return f"{value[:3]} {value[3:7]} {value[7:]}"
    if kind == 1:
        return f"{value[:3]}-{value[3:7]}-{value[7:]}"
    if kind == 2:
        return "+86 " + value
    return "86" + value


def phone_cell(rng: random.Random, value: str | None, *, fmt: float = 0.12,
               missing: float = 0.03, second: str | None = None,
               two: float = 0.02) -> str | None:
    """A phone cell; `second` (another number of the household) sometimes shares the cell."""
    fmt, missing, two = rate(fmt), rate(missing), rate(two)
    if value is None or rng.random() < missing:
        return rng.choice((None, "", "无")) if value is None or rng.random() < 0.5 else None
    if second and second != value and rng.random() < two:
        return value + rng.choice(("/", "、", "；", " ")) + second
    return phone_format(rng, value) if rng.random() < fmt else value


# --- names -------------------------------------------------------------------------------------


def surname(name: str) -> str:
    return name[:2] if name[:2] in _DOUBLE_SURNAMES else name[:1]


def homophone(rng: random.Random, name: str) -> str:
    """One character of the given name swapped for a same-sounding one (李丽 → 李莉)."""
    positions = [i for i, ch in enumerate(name) if i > 0 and ch in HOMOPHONES]
    if not positions:
        return name
    i = rng.choice(positions)
    return name[:i] + HOMOPHONES[name[i]] + name[i + 1 :]


def name_cell(rng: random.Random, name: str, *, homophones: float = 0.015,
              spaces: float = 0.02) -> str:
    homophones, spaces = rate(homophones), rate(spaces)
    r = rng.random()
    if r < homophones:
        return homophone(rng, name)
    if r < homophones + spaces:
        kind = rng.randrange(3)
        if kind == 0:
            return name[0] + " " + name[1:]
        if kind == 1:
            return name[0] + "\u3000" + name[1:]
        return name + "  "
    return name


def honorific(rng: random.Random, name: str, gender: str, age: int, *,
              anonymous: float = 0.08, full: float = 0.05) -> str:
    """How a 12345 operator records a caller: 王女士, 张先生, 张师傅, 老李, 小王, 匿名."""
    r = rng.random()
    if r < anonymous:
        return "匿名"
    if r < anonymous + full:
        return name
    s = surname(name)
    if age >= 60 and rng.random() < 0.3:
        return "老" + s
    if age < 30 and rng.random() < 0.2:
        return "小" + s
    if gender == "F":
        return s + rng.choice(("女士", "女士", "女士", "阿姨" if age >= 50 else "女士"))
    return s + ("师傅" if 40 <= age < 65 and rng.random() < 0.35 else "先生")


# --- addresses ---------------------------------------------------------------------------------


def cn_number(n: int) -> str:
    """Chinese numeral as spoken: 3 → 三, 12 → 十二, 21 → 二十一."""
    if n < 10:
        return _CN_DIGITS[n]
    if n >= 100:
        return cn_digits(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else _CN_DIGITS[tens]
    return head + "十" + (_CN_DIGITS[ones] if ones else "")


def cn_digits(n: int) -> str:
    """Digit by digit: 301 → 三〇一."""
    return "".join(_CN_DIGITS[int(d)] for d in str(n))


ROOM_STYLES = ("号楼单元", "栋单元室", "幢-", "#-", "--", "cn", "号楼门", "--0", "号单元号",
               "栋")


def room_text(rng: random.Random, a: Address, style: str | None = None) -> str:
    """Building, entrance and room of an address in one of the ways people write them."""
    b, e, r = a.building, a.entrance, a.room
    style = style or rng.choices(ROOM_STYLES, (30, 16, 8, 8, 14, 2, 6, 6, 6, 1))[0]
    if style == "号楼单元":
        return f"{b}号楼{e}单元{r}"
    if style == "栋单元室":
        return f"{b}栋{e}单元{r}室"
    if style == "幢-":
        return f"{b}幢{e}-{r}"
    if style == "#-":
        return f"{b}#{e}-{r}"
    if style == "--":
        return f"{b}-{e}-{r}"
    if style == "cn":
        return f"{cn_number(b)}号楼{cn_number(e)}单元{cn_digits(r)}"
    if style == "号楼门":
        return f"{b}号楼{e}门{r}"
    if style == "--0":
        return f"{b}-{e}-{r:04d}"
    if style == "号单元号":
        return f"{b}号{e}单元{r}号"
    if a.compound.entrances == 1:  # the unit is only missing where there is one
        return f"{b}栋{r}"
    return f"{b}号楼{e}单元{r}"


def compound_variant(rng: random.Random, a: Address) -> str:
    """The compound name as people shorten or lengthen it (翠湖花园 / 翠湖花园小区 / 建设里)."""
    c = a.compound
    if c.suffix == "小区":
        return c.stem
    if c.suffix == "大院":
        return c.stem + rng.choice(("院", "宿舍"))
    return c.name + "小区" if rng.random() < 0.7 else c.stem + "小区"


def address_cell(rng: random.Random, a: Address, *, compound: float = 0.85,
                 variant: float = 0.1, prefix: float = 0.1, tail: float = 0.03,
                 style: str | None = None) -> str:
    """A whole address: optional street/community prefix, compound (maybe varied), room."""
    compound, variant, prefix, tail = keep(compound), rate(variant), rate(prefix), rate(tail)
    r = rng.random()
    if r < variant:
        head = compound_variant(rng, a)
    elif r < compound:
        head = a.compound.name
    else:
        head = ""
    if head and rng.random() < prefix:
        head = rng.choice(("光明街道", "北京市朝阳区光明街道", "")) + a.community + head
    text = head + room_text(rng, a, style)
    return text + rng.choice(TAILS) if rng.random() < tail else text


# --- dates and codes ---------------------------------------------------------------------------


def excel_serial(d: date) -> int:
    return d.toordinal() - _EXCEL_EPOCH


DATE_STYLES = ("iso", "slash", "dot", "compact", "cn", "serial", "short")


def date_text(d: date, style: str) -> str:
    if style == "iso":
        return d.isoformat()
    if style == "slash":
        return f"{d.year}/{d.month}/{d.day}"
    if style == "dot":
        return f"{d.year}.{d.month:02d}.{d.day:02d}"
    if style == "compact":
        return f"{d:%Y%m%d}"
    if style == "cn":
        return f"{d.year}年{d.month}月{d.day}日"
    if style == "serial":
        return str(excel_serial(d))
    return f"{d.year % 100:02d}.{d.month}.{d.day}"


def date_cell(rng: random.Random, d: date, *, main: str = "iso", other: float = 0.15) -> str:
    """A date in the partner's usual style, or sometimes any other style."""
    if rng.random() >= rate(other):
        return date_text(d, main)
    return date_text(d, rng.choice(DATE_STYLES))


def month_cell(rng: random.Random, d: date) -> str:
    """Month-only dates as in party rosters: 1998.07 / 1998.7 / 1998年7月 / Excel serial."""
    kind = rng.choices(range(4), (60, 20, 15, 5))[0]
    if kind == 0:
        return f"{d.year}.{d.month:02d}"
    if kind == 1:
        return f"{d.year}.{d.month}"
    if kind == 2:
        return f"{d.year}年{d.month}月"
    return str(excel_serial(d.replace(day=1)))


def gender_cell(rng: random.Random, gender: str, *, codes: float = 0.08) -> str:
    if rng.random() >= rate(codes):
        return "男" if gender == "M" else "女"
    return rng.choice((gender, "1" if gender == "M" else "2"))


_RELATIONS: dict[str, tuple[str, ...]] = {
    "户主": ("户主", "户主", "户主", "户主", "本人"),
    "配偶": ("配偶", "配偶", "配偶"),
    "子": ("子", "长子", "儿子"),
    "女": ("女", "长女", "女儿"),
}


def relation_cell(rng: random.Random, relation: str, gender: str) -> str:
    """与户主关系 as typed: 户主/本人, 配偶/妻/夫, 子/长子/儿子 …"""
    if relation == "配偶" and rng.random() < 0.3:
        return "妻" if gender == "F" else "夫"
    options = _RELATIONS.get(relation)
    return rng.choice(options) if options else relation


def political_cell(rng: random.Random, political: str) -> str:
    if political == "党员":
        return rng.choices(("中共党员", "党员", "01"), (6, 3, 1))[0]
    if political == "团员":
        return rng.choices(("共青团员", "团员", "03"), (6, 3, 1))[0]
    return "群众"
