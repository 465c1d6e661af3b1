"""Helpers partner modules share to turn native cells into unified values."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any


def text(value: Any) -> str | None:
    """A cell as trimmed text; blanks and placeholders become None."""
    if value is None:
        return None
    if isinstance(value, dict | list | tuple | set):
        raise TypeError(f"expected a scalar, got {type(value).__name__}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    out = str(value).strip()
    return out or None


def iso(value: Any) -> str | None:
    """Dates and datetimes as ISO text; text is passed through as the partner wrote it."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return text(value)


def mapped(table: Mapping[str, str], value: Any, default: str | None = None) -> str | None:
    """Look a native code up in a value map; unknown values keep `default`."""
    key = text(value)
    if key is None:
        return None
    return table.get(key, default)


def split_list(value: Any) -> list[str]:
    out = text(value)
    if not out:
        return []
    for sep in "、，;；|":
        out = out.replace(sep, ",")
    return [part.strip() for part in out.split(",") if part.strip()]
