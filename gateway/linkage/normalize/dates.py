"""Dates and months as partners write them: ISO, slashes, dots, 年月日, compact, Excel serials."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta

from ._text import CN_NUMERAL_CLASS, fold, replace_cn_numerals, to_text

__all__ = ["parse_date", "parse_month"]

_EXCEL_EPOCH = date(1899, 12, 30)  # Excel's 1900 system, including its fictional 1900-02-29
_SERIAL_MIN, _SERIAL_MAX = 1, 2958465  # 1899-12-31 … 9999-12-31
# Two-digit years up to this belong to the 2000s ('25.3.7' → 2025); fixed so results are stable.
_PIVOT = 26

_YMD = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})(?:日|号)?(?:$|[T\s\d:])")
_COMPACT = re.compile(r"((?:18|19|20)\d{2})(\d{2})(\d{2})(?:\d{4,6})?")
_SHORT = re.compile(r"(\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})(?:日)?")
_SERIAL = re.compile(r"\d{3,5}(?:\.\d+)?")
_BARE_YEARS = range(1800, 2101)  # a lone '1985' is a year, not Excel day 1985
_YM = re.compile(r"(\d{4})(?:[-/.年]|(?=\d{2}$))(\d{1,2})(?:月(?:份)?)?(?:$|[-/.](?:\d{1,2}))")
_CN_RUN = re.compile(f"([{CN_NUMERAL_CLASS}]+)(?=[年月日号])")


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _from_serial(serial: float) -> date | None:
    if math.isnan(serial) or not _SERIAL_MIN <= serial <= _SERIAL_MAX:
        return None
    return _EXCEL_EPOCH + timedelta(days=int(serial))


def _from_number(raw: float) -> date | None:
    # An 8-digit number is a typed yyyymmdd that Excel stored as a number, not a serial.
    if isinstance(raw, int) or (isinstance(raw, float) and raw.is_integer()):
        value = int(raw)
        if 18000101 <= value <= 21001231:
            return _make(value // 10000, value // 100 % 100, value % 100)
    return _from_serial(raw) if raw < 100000 else None


def _text(raw: object) -> str:
    text = fold(to_text(raw), keep_space=True)
    return replace_cn_numerals(text, _CN_RUN) if "年" in text else text


def parse_date(raw: object) -> date | None:
    """A calendar date from any partner spelling, or None; never raises.

    Accepts 1985-03-07, 1985/3/7, 1985.03.07, 19850307, 1985年3月7日, 一九八五年三月七日,
    datetime strings with times, Excel serials (31113 → 1985-03-07) and 85.3.7 (two-digit
    years ≤ 26 are 20xx, the rest 19xx), plus ``date``/``datetime`` objects.
    """
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return _from_number(raw)
    text = _text(raw)
    if (m := _YMD.match(text + " ")) is not None:
        return _make(int(m[1]), int(m[2]), int(m[3]))
    if (m := _COMPACT.fullmatch(text)) is not None:
        return _make(int(m[1]), int(m[2]), int(m[3]))
    if (m := _SHORT.fullmatch(text)) is not None:
        year = int(m[1])
        return _make(year + (2000 if year <= _PIVOT else 1900), int(m[2]), int(m[3]))
    if _SERIAL.fullmatch(text) and int(float(text)) not in _BARE_YEARS:
        return _from_serial(float(text))
    return None


def parse_month(raw: object) -> tuple[int, int] | None:
    """(year, month) from month-only values ('1998.07', '1998.7', '1998年7月', '199807') or from
    anything :func:`parse_date` understands; never raises."""
    if isinstance(raw, float) and not raw.is_integer() and raw < 10000:
        raw = f"{raw:.2f}".rstrip("0")  # '1998.07' typed into Excel arrives as a number
    text = _text(raw) if not isinstance(raw, date) else ""
    if text and (m := _YM.fullmatch(text)) is not None:
        year, month = int(m[1]), int(m[2])
        if 1800 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    found = parse_date(raw)
    return (found.year, found.month) if found else None
