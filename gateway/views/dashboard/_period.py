"""The period picker: presets as the meeting names them, counted in the brief's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

# The brief counts days in the district's zone (gateway/views/brief.py BriefConfig.timezone).
TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True, slots=True)
class Preset:
    key: str
    label: str
    start: date
    end: date


def today(zone: str = TIMEZONE) -> date:
    return datetime.now(ZoneInfo(zone)).date()


def presets(day: date) -> list[Preset]:
    quarter_start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    try:
        year_ago = day.replace(year=day.year - 1) + timedelta(days=1)
    except ValueError:  # 29 February
        year_ago = date(day.year - 1, 3, 1)
    return [
        Preset("month", "本月", day.replace(day=1), day),
        Preset("quarter", "本季度", quarter_start, day),
        Preset("30d", "近30天", day - timedelta(days=29), day),
        Preset("year", "近一年", year_ago, day),
    ]


DEFAULT_PRESET = "quarter"


def chosen(start: str | None, end: str | None, day: date) -> tuple[str, str, str | None]:
    """(from, to, preset key) for the query string: the default preset when either is missing.
    Dates are passed on as typed: GraphQL refuses a malformed one with a coded error."""
    options = presets(day)
    if not start or not end:
        default = next(p for p in options if p.key == DEFAULT_PRESET)
        return default.start.isoformat(), default.end.isoformat(), default.key
    match = next((p.key for p in options
                  if p.start.isoformat() == start and p.end.isoformat() == end), None)
    return start, end, match
