"""Resident ID numbers (GB 11643-1999): parse, validate, upgrade 15→18, mask, repair typos."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from ._text import fold, is_placeholder, to_text

__all__ = ["IdNumber", "id_matches_partial", "mask_id", "parse_id", "repair_candidates"]

IdKind = Literal["full", "legacy15", "masked", "invalid", "missing"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ID18 = re.compile(r"\d{17}[\dX]")
_ID15 = re.compile(r"\d{15}")
_MASKED = re.compile(r"(?P<prefix>\d*)\*+(?P<suffix>\d*X?)")
# Spreadsheet debris around an ID cell: quotes that force text, a '身份证' label, trailing '.0'.
_DEBRIS = re.compile(r"^(?:身份证号?码?|公民身份号码|ID)[:：]?|['\"`‘’“”]|\.0$")
_LOOKALIKE_DIGITS = str.maketrans("OoIl", "0011")
_EARLIEST_BIRTH = date(1880, 1, 1)


@dataclass(frozen=True, slots=True)
class IdNumber:
    """A parsed ID cell. ``value`` is set only for kinds 'full' and 'legacy15'."""

    kind: IdKind
    value: str | None = None
    prefix: str | None = None
    suffix: str | None = None
    birth: date | None = None
    gender: Literal["M", "F"] | None = None


def check_char(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def _birth(value18: str) -> date | None:
    try:
        return date(int(value18[6:10]), int(value18[10:12]), int(value18[12:14]))
    except ValueError:
        return None


def _clean(raw: object) -> str:
    text = _DEBRIS.sub("", fold(to_text(raw))).upper()
    # Mask characters other than '*': a run of X before the last position is a mask, not a check.
    if len(text) == 18 and "X" in text[:17]:
        text = text[:17].replace("X", "*") + text[17]
    if any(c in text for c in "OIL") and re.fullmatch(r"[\dOIL]+X?", text):
        text = text.translate(_LOOKALIKE_DIGITS)  # letter O / l typed for 0 / 1
    return text


def _full(value: str, kind: IdKind) -> IdNumber:
    gender: Literal["M", "F"] = "M" if int(value[16]) % 2 else "F"
    return IdNumber(kind, value, value[:6], value[-4:], _birth(value), gender)


def _invalid(text: str) -> IdNumber:
    digits = re.match(r"\d*", text)
    lead = digits.group(0)[:6] if digits else ""
    tail = re.search(r"[\dX]{4}$", text) if len(text) >= 10 else None
    return IdNumber("invalid", None, lead or None, tail.group(0) if tail else None)


def is_valid_id18(value: str) -> bool:
    """Check character right and birth date a real calendar date."""
    return bool(_ID18.fullmatch(value)) and check_char(value[:17]) == value[17] and (
        _birth(value) is not None
    )


def upgrade15(value15: str) -> str:
    """Legacy 15-digit ID → 18: insert the century '19' and append the check character."""
    first17 = value15[:6] + "19" + value15[6:]
    return first17 + check_char(first17)


def parse_id(raw: object) -> IdNumber:
    """Parse any ID cell; never raises.

    Handles lower-case x, full-width digits, apostrophes, spaces, masks (``110105********002X``,
    ``****002X``, ``X`` runs), placeholders (无, /, —, 待补, all zeros, null) and 15-digit IDs.
    """
    text = _clean(raw)
    if is_placeholder(text) or text.strip("*") == "":
        return IdNumber("missing")
    if _ID18.fullmatch(text):
        return _full(text, "full") if is_valid_id18(text) else _invalid(text)
    if _ID15.fullmatch(text):
        upgraded = upgrade15(text)
        return _full(upgraded, "legacy15") if _birth(upgraded) else _invalid(text)
    masked = _MASKED.fullmatch(text)
    if masked:
        return IdNumber("masked", None, masked["prefix"] or None, masked["suffix"] or None)
    return _invalid(text)


def repair_candidates(raw: object) -> list[str]:
    """Valid IDs one typo away from an 18-char ID whose check fails (one digit changed or two
    adjacent characters swapped). The birth date must be real and not in the future.

    Returns [] for anything that is not an 18-character invalid ID.
    """
    text = _clean(raw)
    if not _ID18.fullmatch(text) or is_valid_id18(text):
        return []
    today = date.today()
    found: set[str] = set()
    for candidate in _one_typo_away(text):
        born = _birth(candidate) if check_char(candidate[:17]) == candidate[17] else None
        if born is not None and _EARLIEST_BIRTH <= born <= today:
            found.add(candidate)
    return sorted(found)


def _one_typo_away(text: str) -> list[str]:
    out: list[str] = []
    for i, original in enumerate(text):
        alphabet = "0123456789X" if i == 17 else "0123456789"
        out.extend(text[:i] + c + text[i + 1 :] for c in alphabet if c != original)
    for i in range(16):  # swaps never move an X off the check position
        if text[i] != text[i + 1]:
            out.append(text[:i] + text[i + 1] + text[i] + text[i + 2 :])
    return out


def mask_id(value: object) -> str:
    """The partners' display mask: first 6 + 8 '*' + last 4 ('' when nothing is known)."""
    parsed = value if isinstance(value, IdNumber) else parse_id(value)
    if parsed.value is not None:
        return parsed.value[:6] + "*" * 8 + parsed.value[-4:]
    if parsed.kind in ("masked", "invalid") and (parsed.prefix or parsed.suffix):
        prefix, suffix = parsed.prefix or "", parsed.suffix or ""
        return prefix + "*" * max(18 - len(prefix) - len(suffix), 1) + suffix
    return ""


def id_matches_partial(full: object, partial: IdNumber) -> bool:
    """Could ``full`` be the number behind ``partial``? Visible prefix and suffix must agree.

    A complete ``partial`` must be equal; a missing one (or an unusable ``full``) never matches.
    """
    parsed = full if isinstance(full, IdNumber) else parse_id(full)
    if parsed.value is None:
        return False
    if partial.value is not None:
        return partial.value == parsed.value
    if partial.kind == "missing" or not (partial.prefix or partial.suffix):
        return False
    return parsed.value.startswith(partial.prefix or "") and parsed.value.endswith(
        partial.suffix or ""
    )
