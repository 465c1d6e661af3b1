"""What every brief section is computed for, and how a figure names the list behind it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal


@dataclass(frozen=True, slots=True)
class Scope:
    """One community over one closed range of days, seen on `today`.

    `end` is never after `today`; `visits_per_household` is the contact-visit cadence expected
    over the period (JUHELI_VISITS_PER_HOUSEHOLD_QUARTER scaled to its length)."""

    community: str
    start: date
    end: date
    today: date
    visits_per_household: float = 1.0


@dataclass(frozen=True, slots=True)
class Drill:
    """The SQL behind one figure of the brief.

    Parameters: $1 community code, $2 start, $3 end (dates, inclusive), $4 the breakdown key
    (text, NULL for a headline figure), and $5 the scope's visits expected per household when
    `cadence` is set (a member's target depends on it). `rows` says what the query selects, in
    a stable order: `facts` → partner, entity, local_id of `facts` rows; `households` →
    households.id; `places` → kind (building, compound, branch or member), id and label, all
    text."""

    rows: Literal["facts", "households", "places"]
    sql: str
    cadence: bool = False
