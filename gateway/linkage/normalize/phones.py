"""Phone numbers: mobiles, landlines and masked mobiles, in cells or inside free text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ._text import fold, to_text

__all__ = ["Phone", "extract_phones", "mask_phone", "parse_phones", "phone_matches_partial"]

PhoneKind = Literal["mobile", "landline", "masked"]

_SEP = r"[ \-.]?"  # separators people put inside a number: '138 1234 5678', '138-1234-5678'
_COUNTRY = r"(?:(?:\+|00)?86" + _SEP + r"|\(\+?86\))?"
_MOBILE = re.compile(
    r"(?<![\d*])" + _COUNTRY + r"(1[3-9]\d)" + _SEP + r"(\d{4})" + _SEP + r"(\d{4})(?![\d*])"
)
_MASKED = re.compile(
    r"(?<![\d*])" + _COUNTRY + r"(1[3-9]\d\d?|)" + _SEP + r"\*{3,8}" + _SEP + r"(\d{3,4})(?![\d*])"
)
# Area codes: 010 and 02x are three digits, all others four; the number never starts with 0/1.
_LANDLINE = re.compile(
    r"(?<![\d*])(?:(?:\+|00)?86" + _SEP + r")?\(?(010|02\d|0[3-9]\d\d)\)?"
    + r"[ \-]?([2-9]\d{6,7})(?:(?:-|转|ext\.?)\d{1,5})?(?![\d*])"
)
_LOCAL = re.compile(r"(?<![\d*])([2-9]\d{6,7})(?![\d*])")  # landline without area code


@dataclass(frozen=True, slots=True)
class Phone:
    """One phone number: ``value`` is 11 digits (mobile) or 'area-number' (landline)."""

    kind: PhoneKind
    value: str | None = None
    prefix: str | None = None
    suffix: str | None = None


def _prepare(raw: object) -> str:
    text = fold(to_text(raw), keep_space=True)
    # 'x'/'X'/'×' between digits are masks ('138xxxx5678'), never part of a number.
    return re.sub(r"(?<=\d)[xX×●•]{3,8}(?=\d)", lambda m: "*" * len(m.group(0)), text)


def _scan(text: str, *, with_local: bool) -> list[tuple[int, Phone]]:
    found: list[tuple[int, Phone]] = []
    taken: list[tuple[int, int]] = []

    def free(m: re.Match[str]) -> bool:
        return all(m.end() <= a or m.start() >= b for a, b in taken)

    def add(m: re.Match[str], phone: Phone) -> None:
        taken.append(m.span())
        found.append((m.start(), phone))

    for m in _MOBILE.finditer(text):
        add(m, Phone("mobile", "".join(m.groups()), m.group(1), m.group(3)))
    for m in _MASKED.finditer(text):
        if free(m):
            add(m, Phone("masked", None, m.group(1) or None, m.group(2)))
    for m in _LANDLINE.finditer(text):
        if free(m):
            add(m, Phone("landline", f"{m.group(1)}-{m.group(2)}", None, m.group(2)[-4:]))
    if with_local:
        for m in _LOCAL.finditer(text):
            if free(m):
                add(m, Phone("landline", m.group(1), None, m.group(1)[-4:]))
    return sorted(found, key=lambda item: item[0])


def _dedupe(phones: list[tuple[int, Phone]]) -> list[Phone]:
    seen: set[Phone] = set()
    out: list[Phone] = []
    for _, phone in phones:
        if phone not in seen:
            seen.add(phone)
            out.append(phone)
    return out


def parse_phones(raw: object) -> list[Phone]:
    """Every number in a phone cell, in order, duplicates dropped; never raises.

    A cell may hold several numbers split by / , ; 、 or spaces; +86 / 86 / 0086 prefixes,
    inner spaces and dashes and masks like ``138****5678`` are understood. A bare 7-8 digit
    number counts as a landline without area code here (but not in :func:`extract_phones`).
    """
    text = _prepare(raw)
    return _dedupe(_scan(text, with_local=True)) if text else []


def extract_phones(text: object) -> list[Phone]:
    """Phones mentioned inside free text (12345 诉求内容); ID numbers and ticket numbers are
    skipped because a number must not touch other digits."""
    prepared = _prepare(text)
    return _dedupe(_scan(prepared, with_local=False)) if prepared else []


def _first(value: object) -> Phone | None:
    if isinstance(value, Phone):
        return value
    phones = parse_phones(value)
    return phones[0] if phones else None


def mask_phone(value: object) -> str:
    """Display mask ``138****8000`` (landline ``0531-****5678``); '' when no number is found."""
    phone = _first(value)
    if phone is None:
        return ""
    if phone.kind == "mobile" and phone.value:
        return phone.value[:3] + "****" + phone.value[-4:]
    if phone.kind == "landline" and phone.value:
        area, _, number = phone.value.rpartition("-")
        return (area + "-" if area else "") + "*" * (len(number) - 4) + number[-4:]
    return (phone.prefix or "") + "****" + (phone.suffix or "")


def phone_matches_partial(full: object, masked: object) -> bool:
    """Could the mobile ``full`` be behind ``masked``? Visible digits must agree.

    Two complete numbers match only when equal; a masked ``full`` never matches.
    """
    whole, part = _first(full), _first(masked)
    if whole is None or part is None or whole.value is None:
        return False
    if part.value is not None:
        return part.value == whole.value
    digits = whole.value.replace("-", "")
    return digits.startswith(part.prefix or "") and digits.endswith(part.suffix or "")
