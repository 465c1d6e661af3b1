"""The coordination brief's knobs, taken from the settings (gateway/settings.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from gateway.settings import Settings


@dataclass(frozen=True, slots=True)
class BriefConfig:
    """What a brief needs from the settings (gateway/settings.py, combined views)."""

    timezone: str = "Asia/Shanghai"
    visits_per_household_quarter: float = 1.0
    suppress_below: int = 5
    stale_after_s: float = 86400.0

    def today(self) -> date:
        return datetime.now(ZoneInfo(self.timezone)).date()

    @classmethod
    def from_settings(cls, settings: Settings) -> BriefConfig:
        return cls(settings.timezone, settings.visits_per_household_quarter,
                   settings.brief_suppress_below, settings.brief_stale_after_s)
