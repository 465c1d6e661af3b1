"""What a page shows of a brief: sections of cards, tables and charts, each number already
formatted and linked to the list behind it. The page, the exports and the charts all read this
one model, so what is exported is what is shown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gateway.views.dashboard._messages import SECTIONS, STATUSES, age_text

# (figure, key, the key's label) → the URL of the list behind the figure, or None
Drill = Callable[[str, str | None, str | None], str | None]


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    value: float | int | str | None = None
    href: str | None = None
    note: str | None = None  # why a number is missing, for the title attribute
    tone: str = ""  # "", "bad", "good", "muted"


@dataclass(slots=True)
class Card:
    label: str
    cell: Cell


@dataclass(slots=True)
class Table:
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    empty: str = "无"


@dataclass(slots=True)
class Chart:
    id: str
    title: str
    spec: dict[str, Any]


@dataclass(slots=True)
class Section:
    key: str
    title: str
    cards: list[Card] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # partners without a snapshot
    down: list[str] = field(default_factory=list)  # partners whose breaker is open
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Numbers:
    """How a brief's numbers read: a null is suppressed (a statistics caller), or unknown."""

    suppressed_below: int | None
    drill: Drill

    def count(self, value: int | None, figure: str | None = None, key: str | None = None, *,
              label: str | None = None, unknown: bool = False) -> Cell:
        if value is None:
            if unknown:
                return Cell("无数据", None, note="提供该数据的单位尚无快照", tone="muted")
            if self.suppressed_below:
                return Cell(f"<{self.suppressed_below}", None,
                            note=f"小于 {self.suppressed_below} 的数字不予显示（统计用途）",
                            tone="muted")
            return Cell("—", None, tone="muted")
        href = self.drill(figure, key, label) if figure and value > 0 else None
        return Cell(f"{value:,}", value, href)

    def rate(self, value: float | None, figure: str | None = None) -> Cell:
        """A share; `figure` lists what it counts (its numerator)."""
        if value is None:
            return Cell("—", None, tone="muted")
        href = self.drill(figure, None, None) if figure and value > 0 else None
        return Cell(f"{value * 100:.1f}%", round(value, 4), href)


def text(value: Any, tone: str = "") -> Cell:
    return Cell("—" if value in (None, "") else str(value), value, tone=tone)


def freshness_table(rows: list[dict[str, Any]]) -> Table:
    out = []
    for f in rows:
        status = f["status"]
        tone = {"OK": "good", "STALE": "warn"}.get(status, "bad")
        out.append([text(f["name"]), text(f["partner"], "muted"),
                    Cell(f"{STATUSES.get(status, status)}（{status}）", status, tone=tone),
                    text((f["asOf"] or "")[:19].replace("T", " ") or None),
                    Cell(age_text(f["ageSeconds"]), f["ageSeconds"]),
                    text("、".join(SECTIONS.get(k, k) for k in f["sections"]))])
    return Table("各单位数据时效", ["单位", "标识", "状态", "最近同步", "距简报生成", "用于板块"],
                 out)
